"""Web users: who may log in and what they may change (viewer < editor < admin)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from veeduria.store.models import Base, utcnow

ROLES = ("viewer", "editor", "admin")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # argon2id encoded hash (salt and parameters included).
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    def can(self, role: str) -> bool:
        """True when this user's role is at least `role`."""
        return self.active and ROLES.index(self.role) >= ROLES.index(role)


class WebSession(Base):
    """A logged-in session: the SHA-256 of the token in the user's cookie. Deleting the row
    (logout, deactivation) ends the session whatever the cookie says."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    address: Mapped[str | None] = mapped_column(String(64))
