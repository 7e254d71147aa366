"""Request bodies bounded before anything reads them.

A plain ASGI middleware: a declared Content-Length over the limit is answered 413 at once;
a body without one (chunked) is counted as it streams in and cut off with a 413 as soon as
it passes the limit, so nothing (form parser, spool file) ever holds more than the limit."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

FORM_LIMIT = 1024 * 1024  # logins, reviews, edits: a few fields
UPLOAD_PATHS = ("/upload", "/api/upload")
UPLOAD_SLACK = 64 * 1024  # multipart headers and the small fields around the file


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: Any, *, upload_limit: Callable[[], int]) -> None:
        self.app = app
        self.upload_limit = upload_limit

    def limit_for(self, path: str) -> int:
        if path in UPLOAD_PATHS:
            return self.upload_limit() + UPLOAD_SLACK
        return FORM_LIMIT

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _too_large(scope, send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(scope, send, limit)
        except BaseExceptionGroup as group:  # raised inside a task group (middleware in between)
            _, rest = group.split(BodyTooLarge)
            if rest is not None:
                raise rest from None
            if not started:
                await _too_large(scope, send, limit)


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    message = f"request body is over the {limit // (1024 * 1024)} MB limit"
    if scope["path"].startswith("/api/"):
        body = json.dumps({"error": {"status": 413, "message": message}}).encode()
        ctype = b"application/json"
    else:
        body = message.encode()
        ctype = b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
