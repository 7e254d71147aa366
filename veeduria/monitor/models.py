"""Tables of the monitor: polled sources and their items, watchlists with what they follow,
and alerts. Migration: 0006_monitor.

`users.id` is referenced by number only (the users table belongs to the web layer above)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from veeduria.store.models import Base, utcnow

SOURCE_KINDS = ("auto", "feed", "page", "folder")
TARGET_KINDS = ("entity", "rule", "domain", "country")
ALERT_KINDS = ("claim", "ownership", "finding", "conflict")


class MonitoredSource(Base):
    """A feed, web page or folder polled every `every_seconds`; failures push `next_due`
    back exponentially."""

    __tablename__ = "monitor_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    location: Mapped[str] = mapped_column(String(1000), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="auto")
    every_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    language: Mapped[str | None] = mapped_column(String(8))
    title: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Conditional-request validators from the last 200 response.
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    # sha256 of the last body (a page that answers 200 without change is not re-read).
    last_hash: Mapped[str | None] = mapped_column(String(64))
    next_due: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    # A poller holds the source until then, so two pollers (cron and serve) never both fetch it.
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_checked: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_success: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class MonitorItem(Base):
    """One feed entry, page version or file seen by the monitor. `key` (the item's URL, or
    its location and content hash) makes it ingested once."""

    __tablename__ = "monitor_items"
    __table_args__ = (Index("ix_monitor_items_monitor", "monitor_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitor_sources.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(10))
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # The store's source the item became (or was found to be already).
    source_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="new")  # ingested | known | error
    claims: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Watchlist(Base):
    """What one user (or the command line, user_id NULL) follows, and where alerts go."""

    __tablename__ = "watchlists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Unguessable: whoever has it can read the watchlist's Atom feed.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(Text)
    webhook_url: Mapped[str | None] = mapped_column(Text)
    webhook_secret: Mapped[str | None] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Changes up to this time have been looked at.
    checked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_delivery_error: Mapped[str | None] = mapped_column(Text)

    targets: Mapped[list[WatchTarget]] = relationship(
        back_populates="watchlist", cascade="all, delete-orphan", order_by="WatchTarget.id")


class WatchTarget(Base):
    """One thing followed: an entity (with what it owns and/or its owners), a screening
    rule, a domain or a country."""

    __tablename__ = "watch_targets"
    __table_args__ = (UniqueConstraint("watchlist_id", "kind", "value", name="uq_watch_target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128))
    owned: Mapped[bool] = mapped_column(Boolean, default=False)  # and everything it owns
    owners: Mapped[bool] = mapped_column(Boolean, default=False)  # and its chain of owners

    watchlist: Mapped[Watchlist] = relationship(back_populates="targets")


class Alert(Base):
    """Something new that touches a watchlist. (watchlist_id, key) is unique: the same
    claim, finding or conflict never alerts twice, whatever restarts or re-ingests."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("watchlist_id", "key", name="uq_alert_key"),
        Index("ix_alerts_watchlist_created", "watchlist_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    # Why it matched (e.g. "Acme Port Holdings, owned by Acme Group").
    reason: Mapped[str | None] = mapped_column(Text)
    quote: Mapped[str | None] = mapped_column(Text)
    claim_id: Mapped[str | None] = mapped_column(String(128))
    source_id: Mapped[str | None] = mapped_column(String(128))
    source_title: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)
    # Path of the evidence in the web app (/claim/..., /findings#...).
    link: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    emailed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    webhook_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
