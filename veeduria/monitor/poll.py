"""Polling monitored sources: feeds (RSS/Atom), web pages and folders. Each new item goes
through the ingest pipeline once, with its title, date, publisher and URL as metadata.
A failing source is retried later and later (exponential back-off) and its error is kept
for `monitor list` and the admin page."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from veeduria.monitor.fetch import DEFAULT_AGENT, Fetcher, FetchError, Response
from veeduria.monitor.models import SOURCE_KINDS, MonitoredSource, MonitorItem
from veeduria.sources.document import Document, DocumentError
from veeduria.sources.readers import read_bytes
from veeduria.store import Store
from veeduria.store.models import Source, utcnow

MAX_BACKOFF = dt.timedelta(hours=24)
LEASE = dt.timedelta(minutes=15)
MAX_ITEM_ATTEMPTS = 3  # an item that failed this often is left alone (shown in the list)
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml",
              "application/xml", "text/xml", "application/feed+json")


class MonitorError(ValueError):
    """Bad input to the monitor (a location, an interval); the message says what."""


# --- registering ------------------------------------------------------------------------------

_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_every(text: str | int) -> int:
    """'90s', '15m', '1h', '1d' or a number of seconds; at least 60 s."""
    if isinstance(text, int):
        seconds = text
    else:
        m = _EVERY.match(text)
        if not m:
            raise MonitorError(f"{text!r} is not an interval (e.g. 15m, 1h, 1d)")
        seconds = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    if seconds < 60:
        raise MonitorError("poll at most once a minute (--every 1m or more)")
    return seconds


def normalize_location(location: str) -> tuple[str, str]:
    """(location, kind hint): an http(s) URL without its fragment, or an existing folder's
    absolute path."""
    location = location.strip()
    parts = urlsplit(location)
    if parts.scheme in ("http", "https"):
        if not parts.netloc:
            raise MonitorError(f"{location!r}: URL without a host")
        return canonical_url(location), "auto"
    if parts.scheme and len(parts.scheme) > 1:
        raise MonitorError(f"{location!r}: only http(s) URLs and folders can be monitored")
    path = Path(location).expanduser()
    if not path.is_dir():
        raise MonitorError(f"{location!r}: not an http(s) URL nor an existing folder")
    return str(path.resolve()), "folder"


def canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def add_source(session: Session, location: str, *, every: str | int = "1h",
               language: str | None = None, kind: str | None = None) -> MonitoredSource:
    loc, hint = normalize_location(location)
    kind = kind or hint
    if kind not in SOURCE_KINDS:
        raise MonitorError(f"kind must be one of {', '.join(SOURCE_KINDS)}")
    if (kind == "folder") != (hint == "folder"):
        raise MonitorError(f"{location!r}: a folder is monitored as a folder, a URL as feed or page")
    if language is not None and not re.fullmatch(r"[a-z]{2,3}", language):
        raise MonitorError(f"{language!r}: give an ISO 639-1 language code such as en or es")
    if session.scalar(select(MonitoredSource).where(MonitoredSource.location == loc)) is not None:
        raise MonitorError(f"{loc} is monitored already")
    src = MonitoredSource(location=loc, kind=kind, every_seconds=parse_every(every),
                          language=language, active=True, failures=0, next_due=None)
    session.add(src)
    session.flush()
    return src


def find_source(session: Session, ref: str) -> MonitoredSource | None:
    if ref.isdigit():
        return session.get(MonitoredSource, int(ref))
    try:
        loc, _ = normalize_location(ref)
    except MonitorError:
        loc = ref
    return session.scalar(select(MonitoredSource).where(MonitoredSource.location == loc))


def backoff(every_seconds: int, failures: int) -> dt.timedelta:
    """The wait after `failures` failures in a row: the interval, doubled per failure,
    at most a day (or the interval, when that is longer)."""
    every = dt.timedelta(seconds=every_seconds)
    if failures <= 0:
        return every
    return min(every * 2 ** (failures - 1), max(MAX_BACKOFF, every))


# --- polling ------------------------------------------------------------------------------------

@dataclass
class PollOptions:
    user_agent: str = DEFAULT_AGENT
    timeout: float = 20.0
    interval: float = 2.0  # seconds between requests to one host
    max_items: int = 50  # new items read per source and run
    max_bytes: int = 10 * 1024 * 1024
    actor: str = "monitor"


@dataclass
class ItemOutcome:
    url: str | None
    status: str  # ingested | known | error
    source_id: str | None = None
    claims: int = 0
    note: str | None = None


@dataclass
class SourceOutcome:
    id: int
    location: str
    status: str = "ok"  # ok | unchanged | error
    error: str | None = None
    items: list[ItemOutcome] = field(default_factory=list)

    @property
    def ingested(self) -> int:
        return sum(1 for i in self.items if i.status == "ingested")

    @property
    def claims(self) -> int:
        return sum(i.claims for i in self.items)


@dataclass
class _Item:
    """An item found in a source, before it is read."""

    key: str
    url: str | None
    title: str | None = None
    published: str | None = None
    publisher: str | None = None
    summary_html: str | None = None
    path: Path | None = None
    body: bytes | None = None  # already fetched (a page source)


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Poller:
    """Polls what is due. One Fetcher (robots.txt, per-host clock) and one Ingestor
    (gazetteer) per Poller."""

    def __init__(self, store: Store, options: PollOptions | None = None) -> None:
        self.store = store
        self.options = options or PollOptions()
        self.fetcher = Fetcher(user_agent=self.options.user_agent, timeout=self.options.timeout,
                               interval=self.options.interval, max_bytes=self.options.max_bytes)
        self._ingestor: Any = None

    @property
    def ingestor(self) -> Any:
        if self._ingestor is None:
            from veeduria.sources.pipeline import Ingestor

            self._ingestor = Ingestor(self.store, actor=self.options.actor, max_bytes=self.options.max_bytes)
        return self._ingestor

    def due(self, now: dt.datetime, *, force: bool = False) -> list[int]:
        with self.store.reader() as s:
            q = select(MonitoredSource.id).where(MonitoredSource.active.is_(True))
            if not force:
                q = q.where(or_(MonitoredSource.next_due.is_(None), MonitoredSource.next_due <= now))
            return list(s.scalars(q.order_by(MonitoredSource.next_due, MonitoredSource.id)))

    def run(self, *, now: dt.datetime | None = None, force: bool = False,
            only: list[int] | None = None) -> list[SourceOutcome]:
        """Poll every source that is due at `now` (default: the clock); `force` polls all."""
        now = now or utcnow()
        ids = only if only is not None else self.due(now, force=force)
        out = []
        for source_id in ids:
            outcome = self.poll(source_id, now)
            if outcome is not None:
                out.append(outcome)
        return out

    def next_due(self) -> dt.datetime | None:
        with self.store.reader() as s:
            return s.scalar(select(MonitoredSource.next_due).where(MonitoredSource.active.is_(True))
                            .order_by(MonitoredSource.next_due).limit(1))

    # -- one source --------------------------------------------------------------------------

    def _lease(self, source_id: int, now: dt.datetime) -> MonitoredSource | None:
        """Take the source for this poller (None when another poller holds it)."""
        clock = utcnow()
        with self.store.session() as s:
            taken = s.execute(update(MonitoredSource).where(
                MonitoredSource.id == source_id,
                or_(MonitoredSource.lease_until.is_(None), MonitoredSource.lease_until < clock))
                .values(lease_until=clock + LEASE)).rowcount
            if not taken:
                return None
            src = s.get(MonitoredSource, source_id)
            s.expunge(src)
            return src

    def poll(self, source_id: int, now: dt.datetime) -> SourceOutcome | None:
        src = self._lease(source_id, now)
        if src is None:
            return None
        outcome = SourceOutcome(src.id, src.location)
        changes: dict[str, Any] = {}
        try:
            items = self._items(src, outcome, changes)
            for item in items:
                if len(outcome.items) >= self.options.max_items:
                    break  # the rest next time (the feed is read again: validators not kept)
                result = self._one(src, item)
                if result is not None:
                    outcome.items.append(result)
        except FetchError as exc:
            outcome.status, outcome.error = "error", str(exc)
            changes["last_status"] = exc.status
        except (DocumentError, MonitorError, OSError) as exc:
            outcome.status, outcome.error = "error", str(exc)
        except Exception as exc:  # noqa: BLE001 - one broken source must not stop the others
            outcome.status, outcome.error = "error", f"{exc.__class__.__name__}: {exc}"
        if outcome.status == "error" or len(outcome.items) >= self.options.max_items or any(
                i.status == "error" for i in outcome.items):
            # Read the whole feed again next time, so failed and remaining items get their turn.
            for key in ("etag", "last_modified", "last_hash"):
                changes.pop(key, None)
            if outcome.status != "error":
                changes.update(etag=None, last_modified=None, last_hash=None)
        self._finish(src, outcome, changes, now)
        return outcome

    def _finish(self, src: MonitoredSource, outcome: SourceOutcome, changes: dict[str, Any],
                now: dt.datetime) -> None:
        with self.store.session() as s:
            row = s.get(MonitoredSource, src.id)
            if row is None:
                return  # removed while it was polled
            for k, v in changes.items():
                setattr(row, k, v)
            row.last_checked = utcnow()
            row.lease_until = None
            if outcome.status == "error":
                row.failures = (row.failures or 0) + 1
                row.last_error = outcome.error
                row.next_due = now + backoff(row.every_seconds, row.failures)
            else:
                row.failures = 0
                row.last_error = None
                row.last_success = row.last_checked
                row.next_due = now + backoff(row.every_seconds, 0)

    def _items(self, src: MonitoredSource, outcome: SourceOutcome, changes: dict[str, Any]) -> list[_Item]:
        if src.kind == "folder":
            return list(self._folder_items(src))
        resp = self.fetcher.get(src.location, etag=src.etag, last_modified=src.last_modified)
        changes["last_status"] = resp.status
        if resp.status == 304:
            outcome.status = "unchanged"
            return []
        changes["etag"] = resp.headers.get("etag")
        changes["last_modified"] = resp.headers.get("last-modified")
        digest = hashlib.sha256(resp.body).hexdigest()
        kind = src.kind
        parsed = None
        if kind in ("auto", "feed"):
            parsed = _parse_feed(resp) if kind == "feed" or _looks_like_feed(resp) else None
            if parsed is None and kind == "feed":
                raise MonitorError(f"{src.location}: not a readable RSS or Atom feed")
            kind = "feed" if parsed is not None else "page"
            changes["kind"] = kind
        if digest == src.last_hash:
            outcome.status = "unchanged"
            return []
        changes["last_hash"] = digest
        if kind == "page":
            url = canonical_url(resp.url or src.location)
            return [_Item(_key(f"page:{url}#{digest}"), url, body=resp.body)]
        assert parsed is not None
        feed_title = (parsed.feed.get("title") or "").strip() or None
        changes["title"] = feed_title
        return _feed_items(parsed, resp.url or src.location, feed_title)

    def _folder_items(self, src: MonitoredSource) -> Iterator[_Item]:
        from veeduria.sources.pipeline import iter_files

        folder = Path(src.location)
        if not folder.is_dir():
            raise MonitorError(f"{src.location}: folder not found")
        for path in iter_files([folder]):
            try:
                if path.stat().st_size > self.options.max_bytes:
                    continue
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                continue
            yield _Item(_key(f"file:{path}#{digest}"), None, path=path)

    # -- one item ----------------------------------------------------------------------------

    def _seen(self, item: _Item) -> bool:
        with self.store.reader() as s:
            row = s.scalar(select(MonitorItem).where(MonitorItem.key == item.key))
            if row is None:
                return False
            return row.status != "error" or row.attempts >= MAX_ITEM_ATTEMPTS

    def _one(self, src: MonitoredSource, item: _Item) -> ItemOutcome | None:
        if self._seen(item):
            return None
        if item.url and item.body is None:
            with self.store.reader() as s:
                known = s.scalar(select(Source.id).where(Source.url == item.url).limit(1))
            if known:  # ingested by hand or by another monitored source
                return self._record(src, item, ItemOutcome(item.url, "known", known, note="URL known"), None)
        note = None
        try:
            if item.path is not None:
                res = self.ingestor.ingest_path(item.path, {"language": src.language})
                content_hash = hashlib.sha256(item.path.read_bytes()).hexdigest()
            else:
                doc, note = self._document(item)
                content_hash = doc.content_hash
                res = self.ingestor.ingest_document(doc, {"language": src.language} if src.language else {})
        except (FetchError, DocumentError, OSError) as exc:
            return self._record(src, item, ItemOutcome(item.url, "error", note=str(exc)), None)
        if not res.ok:
            return self._record(src, item, ItemOutcome(item.url, "error", note="; ".join(res.errors)[:500]),
                                None)
        status = "ingested" if res.outcome == "created" else "known"
        return self._record(src, item, ItemOutcome(item.url, status, res.source_id, res.claims, note),
                            content_hash)

    def _document(self, item: _Item) -> tuple[Document, str | None]:
        """The item's article: its page, read like any HTML file; the feed's own text when
        the page cannot be read."""
        note = None
        doc = None
        body = item.body
        filename = _filename(item.url or "page")
        if body is None and item.url:
            try:
                resp = self.fetcher.get(item.url)
                body = resp.body
                filename = _filename(resp.url or item.url, resp.content_type)
            except FetchError as exc:
                note = f"article page not read ({exc}); the feed's text was used"
        if body is not None:
            try:
                doc = read_bytes(body, filename, label=item.url)
            except DocumentError as exc:
                note = f"article page not usable ({exc}); the feed's text was used"
        if doc is None:
            if not item.summary_html:
                raise DocumentError(note or f"{item.url}: no text")
            page = (f"<html><head><title>{html.escape(item.title or '')}</title></head>"
                    f"<body><article>{item.summary_html}</article></body></html>").encode()
            doc = read_bytes(page, "feed-entry.html", label=item.url)
        doc.title = item.title or doc.title
        doc.published = item.published or doc.published
        doc.publisher = doc.publisher or item.publisher
        doc.url = item.url
        doc.kind = "news" if item.summary_html is not None or item.title else "web"
        return doc, note

    def _record(self, src: MonitoredSource, item: _Item, result: ItemOutcome,
                content_hash: str | None) -> ItemOutcome:
        with self.store.session() as s:
            row = s.scalar(select(MonitorItem).where(MonitorItem.key == item.key))
            if row is None:
                row = MonitorItem(monitor_id=src.id, key=item.key, attempts=0, claims=0)
                s.add(row)
            row.url = item.url or (str(item.path) if item.path else None)
            row.title = item.title
            row.published = item.published
            row.status = result.status
            row.source_id = result.source_id
            row.claims = result.claims
            row.content_hash = content_hash
            row.error = result.note
            row.attempts = (row.attempts or 0) + 1
        return result


# --- feeds --------------------------------------------------------------------------------------

def _looks_like_feed(resp: Response) -> bool:
    if resp.content_type in FEED_TYPES:
        return True
    head = resp.body[:2048].lstrip().lower()
    return head.startswith(b"<?xml") or head.startswith((b"<rss", b"<feed", b"<rdf"))


def _parse_feed(resp: Response) -> Any:
    import feedparser

    parsed = feedparser.parse(resp.body, response_headers={"content-location": resp.url,
                                                           **resp.headers})
    usable = [e for e in parsed.entries if e.get("link") or e.get("id")]
    # Malformed XML is read leniently while it still yields entries; otherwise it is an error.
    if (not parsed.get("version") and not parsed.entries) or (parsed.get("bozo") and not usable):
        problem = parsed.get("bozo_exception")
        raise MonitorError(f"{resp.url}: not a readable RSS or Atom feed"
                           + (f" ({str(problem).splitlines()[0][:160]})" if problem else ""))
    return parsed


def _entry_date(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return dt.datetime.fromtimestamp(calendar.timegm(value), dt.UTC).date().isoformat()
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _feed_items(parsed: Any, base: str, publisher: str | None) -> list[_Item]:
    items = []
    seen = set()
    for entry in parsed.entries:
        link = entry.get("link") or ""
        guid = entry.get("id") or ""
        url = canonical_url(urljoin(base, link)) if link else (
            canonical_url(guid) if guid.startswith(("http://", "https://")) else None)
        ident = url or guid
        if not ident or ident in seen:
            continue
        seen.add(ident)
        content = entry.get("content") or []
        summary = (content[0].get("value") if content else None) or entry.get("summary") or None
        items.append(_Item(_key(f"url:{ident}"), url, (entry.get("title") or "").strip() or None,
                           _entry_date(entry), publisher, summary))
    # Oldest first, so that a claim restating an earlier item links to that item's claim.
    items.sort(key=lambda i: i.published or "")
    return items


def _filename(url: str, content_type: str = "") -> str:
    name = PurePosixPath(urlsplit(url).path).name or "index"
    if "." not in name:
        name += ".pdf" if content_type == "application/pdf" else ".html"
    return name[:120]


# --- listing ------------------------------------------------------------------------------------

def source_rows(session: Session) -> list[dict[str, Any]]:
    """Every monitored source with its state, for `monitor list` and the admin page."""
    from sqlalchemy import func

    counts: dict[tuple[int, str], int] = {
        (m, st): n for m, st, n in session.execute(
            select(MonitorItem.monitor_id, MonitorItem.status, func.count())
            .group_by(MonitorItem.monitor_id, MonitorItem.status))}
    rows = []
    for src in session.scalars(select(MonitoredSource).order_by(MonitoredSource.id)):
        rows.append({
            "id": src.id, "location": src.location, "kind": src.kind, "title": src.title,
            "every_seconds": src.every_seconds, "language": src.language, "active": src.active,
            "next_due": src.next_due, "last_checked": src.last_checked,
            "last_success": src.last_success, "last_status": src.last_status,
            "failures": src.failures, "last_error": src.last_error,
            "ingested": counts.get((src.id, "ingested"), 0), "known": counts.get((src.id, "known"), 0),
            "item_errors": counts.get((src.id, "error"), 0),
        })
    return rows


def item_errors(session: Session, monitor_id: int, limit: int = 20) -> list[MonitorItem]:
    return list(session.scalars(select(MonitorItem).where(MonitorItem.monitor_id == monitor_id,
                                                          MonitorItem.status == "error")
                                .order_by(MonitorItem.updated_at.desc()).limit(limit)))


def remove_source(session: Session, ref: str) -> MonitoredSource:
    src = find_source(session, ref)
    if src is None:
        raise MonitorError(f"no monitored source {ref!r}")
    session.delete(src)
    return src


def every_text(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


