"""Settings of the web app (all have safe defaults; `veeduria serve` fills them)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_UPLOAD = 20 * 1024 * 1024
# What the upload form accepts when the ingest pipeline does not say otherwise.
DEFAULT_UPLOAD_TYPES = (".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm")


@dataclass
class Settings:
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    upload_types: tuple[str, ...] = DEFAULT_UPLOAD_TYPES
    # Where uploads are kept while a job reads them (default: a temp dir per process).
    upload_dir: Path | None = None
    # Set when served over HTTPS, so cookies are never sent in clear.
    secure_cookies: bool = False
    session_max_age: int = 12 * 3600
    default_lang: str = "en"
    # Proxies (addresses or networks) whose X-Forwarded-For is believed; none by default.
    trusted_proxies: tuple[str, ...] = field(default_factory=lambda: trusted_proxies_from_env())
    # Seconds for which a claim-list total may be reused (it is costly on millions of rows).
    count_cache_seconds: float = 10.0
    # Everyone sees candidate and rejected claims, as editors do (a team's private
    # instance). Off: readers without an editor login see accepted claims only.
    open_access: bool = False


def trusted_proxies_from_env() -> tuple[str, ...]:
    """$VEEDURIA_TRUSTED_PROXIES: addresses or networks, separated by commas or spaces."""
    raw = os.environ.get("VEEDURIA_TRUSTED_PROXIES", "")
    return check_networks(tuple(p for p in raw.replace(",", " ").split() if p))


def check_networks(values: tuple[str, ...]) -> tuple[str, ...]:
    """Each value an IP address or network (ValueError otherwise)."""
    import ipaddress

    for value in values:
        ipaddress.ip_network(value, strict=False)
    return values


def load_secret(path: Path) -> str:
    """The signing key kept in `path` (created with mode 0600 on first use), so sessions
    survive a restart. $VEEDURIA_SECRET_KEY overrides it."""
    env = os.environ.get("VEEDURIA_SECRET_KEY")
    if env:
        return env
    if path.is_file():
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    return key
