"""Users, passwords (argon2id), signed session cookies and CSRF tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from veeduria.present.web.models import ROLES, User, WebSession
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
    """What the signed cookie carries: a CSRF token and, once logged in, the user id and the
    token of the server-side session (see WebSession)."""

    csrf: str
    user_id: int | None = None
    token: str | None = None

    def dump(self) -> dict[str, Any]:
        return {"c": self.csrf, "u": self.user_id, "s": self.token}


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
        uid, token = raw.get("u"), raw.get("s")
        if not isinstance(uid, int) or not isinstance(token, str):
            uid = token = None  # a login without a server-side session is no login
        return SessionData(raw["c"], uid, token)

    def dump(self, data: SessionData) -> str:
        return self._s.dumps(data.dump())


def new_session(user_id: int | None = None, token: str | None = None) -> SessionData:
    return SessionData(secrets.token_urlsafe(24), user_id, token)


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())


# --- server-side sessions -------------------------------------------------------------------

def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_web_session(session: Session, user_id: int, max_age: int, address: str | None = None) -> str:
    """Record a new logged-in session; the returned token goes in the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    # Expired rows of this user go when a new one comes (no sweeper needed).
    session.execute(delete(WebSession).where(WebSession.user_id == user_id, WebSession.expires_at < now))
    session.add(WebSession(id=_token_id(token), user_id=user_id, created_at=now,
                           expires_at=now + dt.timedelta(seconds=max_age), address=(address or "")[:64]))
    return token


def web_session_valid(session: Session, token: str | None, user_id: int) -> bool:
    if not token:
        return False
    row = session.get(WebSession, _token_id(token))
    return row is not None and row.user_id == user_id and row.expires_at > utcnow()


def close_web_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.id == _token_id(token)))


def revoke_user_sessions(session: Session, user_id: int) -> int:
    """End every session of a user (deactivation, password change)."""
    return session.execute(delete(WebSession).where(WebSession.user_id == user_id)).rowcount or 0


# --- login throttling -----------------------------------------------------------------------

class LoginThrottle:
    """Failed logins counted per (user, address), per address and per user, in a sliding
    window. What each limit blocks:

    - a user name from one address after `pair_limit` failures: guessing from there stops,
      while the owner still logs in from anywhere else;
    - an address after `address_limit` failures over any names (many names sprayed from one
      place), high enough that colleagues behind one office NAT are not locked out by one
      person's typos;
    - a user name after `user_limit` failures from many addresses, except from addresses
      where that user has logged in before (the owner's usual places stay open)."""

    def __init__(self, pair_limit: int = 10, address_limit: int = 100, user_limit: int = 50,
                 window: float = 300.0) -> None:
        self.pair_limit, self.address_limit, self.user_limit = pair_limit, address_limit, user_limit
        self.window = window
        self._fails: dict[str, list[float]] = {}
        self._known: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def _count(self, key: str, now: float) -> int:
        recent = [t for t in self._fails.get(key, []) if now - t < self.window]
        if recent:
            self._fails[key] = recent
        else:
            self._fails.pop(key, None)
        return len(recent)

    def blocked(self, user: str, address: str) -> bool:
        user = user.strip().lower()
        now = time.monotonic()
        with self._lock:
            if self._count(f"p:{user}\x1f{address}", now) >= self.pair_limit:
                return True
            if self._count(f"a:{address}", now) >= self.address_limit:
                return True
            return (self._count(f"u:{user}", now) >= self.user_limit
                    and address not in self._known.get(user, ()))

    def failed(self, user: str, address: str) -> None:
        user = user.strip().lower()
        now = time.monotonic()
        with self._lock:
            for key in (f"p:{user}\x1f{address}", f"a:{address}", f"u:{user}"):
                self._fails.setdefault(key, []).append(now)

    def succeeded(self, user: str, address: str) -> None:
        user = user.strip().lower()
        with self._lock:
            self._fails.pop(f"p:{user}\x1f{address}", None)
            known = self._known.setdefault(user, set())
            if len(known) < 50:
                known.add(address)
