"""Servers the monitor tests start on 127.0.0.1: a web server serving recorded feeds and
pages (with ETag/Last-Modified, 304s, failures and slow answers on demand), an SMTP
server that keeps what it receives, and a webhook receiver. Nothing leaves the machine."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay: float = 0.0
    etag: bool = True
    last_modified: str | None = "Wed, 02 Dec 2026 10:00:00 GMT"


@dataclass
class WebSite:
    routes: dict[str, Route] = field(default_factory=dict)
    log: list[tuple[str, int, dict[str, str]]] = field(default_factory=list)  # path, status, headers
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def put(self, path: str, body: str | bytes, **kw: Any) -> None:
        self.routes[path] = Route(body.encode() if isinstance(body, str) else body, **kw)

    def hits(self, path: str) -> list[tuple[int, dict[str, str]]]:
        return [(s, h) for p, s, h in self.log if p == path]


def _handler(site: WebSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?")[0]
            route = site.routes.get(path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            if route is None:
                status = 404
                self.send_response(404)
                self.end_headers()
                site.log.append((path, status, headers))
                return
            if route.delay:
                time.sleep(route.delay)
            etag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
            status = route.status
            if status == 200 and route.etag and headers.get("if-none-match") == etag:
                status = 304
            site.log.append((path, status, headers))
            try:
                self.send_response(status)
                if status == 304:
                    self.end_headers()
                    return
                body = route.body if status == 200 else b"server error"
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(body)))
                if route.etag and status == 200:
                    self.send_header("ETag", etag)
                if route.last_modified and status == 200:
                    self.send_header("Last-Modified", route.last_modified)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


def start_web(site: WebSite) -> Callable[[], None]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return stop


# --- webhook receiver --------------------------------------------------------------------------------

@dataclass
class Hook:
    calls: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 200
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


def start_hook(hook: Hook) -> Callable[[], None]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hook.calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(hook.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return stop


# --- SMTP ----------------------------------------------------------------------------------------------

@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    port: int = 0


async def _smtp_session(box: Mailbox, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Just enough of RFC 5321 for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""
    def say(line: str) -> None:
        writer.write((line + "\r\n").encode())

    say("220 127.0.0.1 test SMTP")
    sender, rcpts = "", []
    while True:
        raw = await reader.readline()
        if not raw:
            break
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        verb = line[:4].upper()
        if verb == "EHLO":
            say("250-127.0.0.1")
            say("250 8BITMIME")
        elif verb == "HELO":
            say("250 127.0.0.1")
        elif verb == "MAIL":
            sender, rcpts = line.split(":", 1)[1].strip().strip("<>").split(">")[0], []
            say("250 OK")
        elif verb == "RCPT":
            rcpts.append(line.split(":", 1)[1].strip().strip("<>"))
            say("250 OK")
        elif verb == "DATA":
            say("354 end with .")
            await writer.drain()
            data = bytearray()
            while True:
                chunk = await reader.readline()
                if chunk in (b".\r\n", b".\n", b""):
                    break
                data += chunk[1:] if chunk.startswith(b"..") else chunk
            box.messages.append(message_from_bytes(bytes(data)))
            box.envelopes.append((sender, rcpts))
            say("250 queued")
        elif verb == "QUIT":
            say("221 bye")
            await writer.drain()
            break
        elif verb in ("RSET", "NOOP"):
            say("250 OK")
        else:
            say("502 not implemented")
        await writer.drain()
    writer.close()


def start_smtp(box: Mailbox) -> Callable[[], None]:
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        server = await asyncio.start_server(lambda r, w: _smtp_session(box, r, w), "127.0.0.1", 0)
        box.port = server.sockets[0].getsockname()[1]
        holder["server"] = server
        ready.set()
        async with server:
            await server.serve_forever()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(main())
        except asyncio.CancelledError:
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(5)

    def stop() -> None:
        def cancel() -> None:
            for task in asyncio.all_tasks(loop):
                task.cancel()
        loop.call_soon_threadsafe(cancel)
        thread.join(5)

    return stop
