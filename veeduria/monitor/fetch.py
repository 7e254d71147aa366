"""Polite HTTP for the monitor: robots.txt honoured, one request at a time per host with a
minimum interval between them, a timeout, a size limit and conditional requests.

Standard library only (urllib): the monitor must not need more than the package does."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urljoin, urlsplit

DEFAULT_AGENT = "veeduria-monitor/0.1 (+https://github.com/veeduria)"
DEFAULT_TIMEOUT = 20.0
DEFAULT_INTERVAL = 2.0  # seconds between two requests to one host
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_CRAWL_DELAY = 60.0


class FetchError(Exception):
    """A request that gave no usable answer; `status` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Response:
    url: str
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class _NoRedirectToOtherSchemes(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise FetchError(f"{req.full_url}: redirect to {newurl!r} refused", code)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _headers(msg: Message | None) -> dict[str, str]:
    return {k.lower(): v for k, v in (msg.items() if msg is not None else [])}


class Fetcher:
    """One per poller run (robots.txt answers and per-host clocks are kept in memory)."""

    def __init__(self, *, user_agent: str = DEFAULT_AGENT, timeout: float = DEFAULT_TIMEOUT,
                 interval: float = DEFAULT_INTERVAL, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.interval = interval
        self.max_bytes = max_bytes
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._last: dict[str, float] = {}
        self._delay: dict[str, float] = {}
        self._lock = threading.Lock()
        self._opener = urllib.request.build_opener(_NoRedirectToOtherSchemes())
        self.requests = 0  # made, robots.txt included (for tests and logs)

    # -- public ----------------------------------------------------------------------------

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Response:
        """GET `url`. 304 comes back as a Response; other non-2xx answers, timeouts,
        robots.txt refusals and oversize bodies raise FetchError."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise FetchError(f"{url}: not an http(s) URL")
        if not self.allowed(url):
            raise FetchError(f"{url}: disallowed by robots.txt")
        headers = {"User-Agent": self.user_agent, "Accept": "*/*"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return self._request(url, headers)

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        if host not in self._robots:
            self._robots[host] = self._read_robots(host)
        rules = self._robots[host]
        if rules is None:  # robots.txt unreachable or failing: assume everything is disallowed
            return False
        return rules.can_fetch(self.user_agent, url)

    # -- internals -------------------------------------------------------------------------

    def _read_robots(self, host: str) -> urllib.robotparser.RobotFileParser | None:
        """RFC 9309: 4xx means no rules; 5xx or no answer means stay away for now."""
        parser = urllib.robotparser.RobotFileParser(urljoin(host, "/robots.txt"))
        try:
            resp = self._request(parser.url, {"User-Agent": self.user_agent})
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                parser.parse([])
                return parser
            return None
        parser.parse(resp.body.decode("utf-8", "replace").splitlines())
        delay = parser.crawl_delay(self.user_agent)
        if delay:
            self._delay[urlsplit(host).netloc] = min(float(delay), MAX_CRAWL_DELAY)
        return parser

    def _wait_turn(self, netloc: str) -> None:
        gap = max(self.interval, self._delay.get(netloc, 0.0))
        with self._lock:
            now = time.monotonic()
            wait = self._last.get(netloc, -1e9) + gap - now
            self._last[netloc] = now + max(0.0, wait)
        if wait > 0:
            time.sleep(wait)

    def _request(self, url: str, headers: dict[str, str]) -> Response:
        self._wait_turn(urlsplit(url).netloc)
        self.requests += 1
        req = urllib.request.Request(url, headers=headers, method="GET")
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                body = resp.read(self.max_bytes + 1)
                if len(body) > self.max_bytes:
                    raise FetchError(f"{url}: more than {self.max_bytes} bytes")
                return Response(resp.geturl(), resp.status, body, _headers(resp.headers))
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return Response(url, 304, b"", _headers(exc.headers))
            raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}", exc.code) from None
        except FetchError:
            raise
        except TimeoutError:
            raise FetchError(f"{url}: timed out after {self.timeout:g} s") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise FetchError(f"{url}: timed out after {self.timeout:g} s") from None
            raise FetchError(f"{url}: {reason}") from None
        except (OSError, ValueError) as exc:  # connection reset, bad status line, ...
            raise FetchError(f"{url}: {exc.__class__.__name__}: {exc}") from None
