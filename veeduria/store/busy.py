"""A store that is busy (SQLite's one writer at a time, a PostgreSQL lock wait): writes are
retried with backoff, and when the store stays busy the caller gets StoreBusyError with a
message for people ("try again"), never a driver traceback."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

BUSY_MESSAGE = ("the store is busy (another process is writing to it, e.g. a large ingest); "
                "nothing was changed, try again in a moment")
_BUSY_TEXT = ("database is locked", "database table is locked", "database is busy",
              "lock timeout", "could not obtain lock", "deadlock detected")


class StoreBusyError(RuntimeError):
    """The store stayed busy for the whole retry budget; nothing was written."""

    def __init__(self, message: str = BUSY_MESSAGE) -> None:
        super().__init__(message)


def is_busy(exc: BaseException | None) -> bool:
    """Is this (or what it wraps) the database saying another writer holds the lock?"""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, StoreBusyError):
            return True
        text = str(exc).lower()
        if any(t in text for t in _BUSY_TEXT):
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
        seen += 1
    return False


def wait_budget(default: float) -> float:
    """Seconds an interactive write (a review, an editor's change) waits for a busy store:
    `default`, or $VEEDURIA_BUSY_WAIT."""
    try:
        return float(os.environ.get("VEEDURIA_BUSY_WAIT", default))
    except ValueError:
        return default


def busy_message(_exc: BaseException | None = None) -> str:
    return BUSY_MESSAGE


def with_retry(fn: Callable[[], T], seconds: float, *, first_wait: float = 0.05,
               max_wait: float = 2.0) -> T:
    """fn() again after a growing, jittered pause while the store is busy, for at most
    `seconds`; then StoreBusyError. `fn` must be a whole transaction (it is re-run)."""
    deadline = time.monotonic() + seconds
    wait = first_wait
    while True:
        try:
            return fn()
        except Exception as exc:
            if not is_busy(exc):
                raise
            if time.monotonic() + wait > deadline:
                raise StoreBusyError() from exc
        time.sleep(wait * (0.5 + random.random()))  # noqa: S311 - jitter, not a secret
        wait = min(max_wait, wait * 2)
