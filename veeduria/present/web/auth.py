"""Users, passwords (argon2id), signed session cookies and CSRF tokens."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from veeduria.present.web.models import ROLES, User
from veeduria.store.audit import record as audit
from veeduria.store.models import utcnow

SESSION_COOKIE = "veeduria_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MIN_PASSWORD = 8

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown user as slow as for a known one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class UserError(ValueError):
    pass


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def add_user(session: Session, username: str, password: str, role: str = "viewer",
             actor: str = "cli") -> User:
    username = username.strip()
    if not username or len(username) > 64 or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise UserError("username: 1-64 letters, digits, '.', '-' or '_'")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password must have at least {MIN_PASSWORD} characters")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise UserError(f"user {username!r} exists already")
    user = User(username=username, password_hash=hash_password(password), role=role, active=True)
    session.add(user)
    session.flush()
    audit(session, actor, "create", "user", username, {"role": role})
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username.strip()))
    try:
        if user is None or not user.active:
            _hasher.verify(_DUMMY_HASH, password + "x")
            return None
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


@dataclass
class SessionData:
    """What the signed cookie carries: a CSRF token and, once logged in, the user id."""

    csrf: str
    user_id: int | None = None

    def dump(self) -> dict[str, Any]:
        return {"c": self.csrf, "u": self.user_id}


class SessionSigner:
    def __init__(self, secret: str, max_age: int) -> None:
        self._s = URLSafeTimedSerializer(secret, salt="veeduria-session")
        self.max_age = max_age

    def load(self, cookie: str | None) -> SessionData | None:
        if not cookie:
            return None
        try:
            raw = self._s.loads(cookie, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(raw, dict) or not isinstance(raw.get("c"), str):
            return None
        uid = raw.get("u")
        return SessionData(raw["c"], uid if isinstance(uid, int) else None)

    def dump(self, data: SessionData) -> str:
        return self._s.dumps(data.dump())


def new_session(user_id: int | None = None) -> SessionData:
    return SessionData(secrets.token_urlsafe(24), user_id)


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())


class LoginThrottle:
    """At most `limit` failed logins per key (user name or client address) per window."""

    def __init__(self, limit: int = 10, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self._fails: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._fails.get(key, []) if now - t < self.window]
            self._fails[key] = recent
            return len(recent) >= self.limit

    def failed(self, key: str) -> None:
        with self._lock:
            self._fails.setdefault(key, []).append(time.monotonic())

    def reset(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)
