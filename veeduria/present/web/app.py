"""The FastAPI application: sessions, CSRF, security headers, error handling, routers."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from veeduria.present.web import i18n
from veeduria.present.web.auth import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    LoginThrottle,
    SessionData,
    SessionSigner,
    close_web_session,
    csrf_ok,
    new_session,
    open_web_session,
    web_session_valid,
)
from veeduria.present.web.data import TTLCache
from veeduria.present.web.jobs import JobRunner
from veeduria.present.web.models import User
from veeduria.present.web.settings import Settings
from veeduria.store.busy import StoreBusyError, busy_message, is_busy
from veeduria.store.db import Store

HERE = Path(__file__).parent
log = logging.getLogger("veeduria.web")
STATIC_VERSION = "3"

# Scripts only from our own files: no inline script can run, whatever a document contains.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class WebError(HTTPException):
    """An HTTP error whose message is meant for the user."""


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


# --- per-request helpers (used by both routers) -------------------------------------------

def state_of(request: Request) -> Any:
    return request.app.state


def db(request: Request) -> Iterator[Session]:
    session = state_of(request).store.reader()
    try:
        yield session
    finally:
        session.close()


def session_data(request: Request) -> SessionData:
    return request.state.session


def current_user(request: Request) -> User | None:
    if "user" in request.state._state:
        return request.state.user
    user = None
    data = session_data(request)
    if data.user_id is not None:
        with state_of(request).store.reader() as s:
            # The server-side row decides: a cookie kept after logout is no login.
            if web_session_valid(s, data.token, data.user_id):
                user = s.get(User, data.user_id)
            if user is not None and not user.active:
                user = None
    request.state.user = user
    return user


def require_role(request: Request, role: str) -> User:
    user = current_user(request)
    lang = request.state.lang
    if user is None:
        raise WebError(401, i18n.translate(lang, "login_required"))
    if not user.can(role):
        raise WebError(403, i18n.translate(lang, "forbidden"))
    return user


def editor(request: Request) -> User:
    return require_role(request, "editor")


def admin(request: Request) -> User:
    return require_role(request, "admin")


def upload_guard(request: Request) -> User:
    """Uploads: the editor's login and the CSRF token (header, or the query string of the
    plain form's action) are checked before a byte of the body is read, so an anonymous or
    forged upload is refused without being spooled."""
    user = editor(request)
    given = request.headers.get(CSRF_HEADER) or request.query_params.get(CSRF_FIELD)
    if not csrf_ok(session_data(request).csrf, given):
        raise WebError(403, i18n.translate(request.state.lang, "csrf_failed"))
    return user


def sees_unreviewed(request: Request) -> bool:
    """Public by default means reviewed: candidate and rejected claims are for editors,
    unless the instance is served with open access."""
    if state_of(request).settings.open_access:
        return True
    user = current_user(request)
    return user is not None and user.can("editor")


def visible_statuses(request: Request) -> tuple[str, ...] | None:
    """The claim statuses the reader may see (None: all)."""
    return None if sees_unreviewed(request) else ("accepted",)


def need_unreviewed(request: Request) -> None:
    """Raise unless the reader may see candidate and rejected claims."""
    if not sees_unreviewed(request):
        require_role(request, "editor")


async def check_csrf(request: Request) -> None:
    """Every unsafe request carries the session's CSRF token, in a header (scripts) or a
    form field (plain forms)."""
    given = request.headers.get(CSRF_HEADER)
    if not given:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not csrf_ok(session_data(request).csrf, given):
        raise WebError(403, i18n.translate(request.state.lang, "csrf_failed"))


def client_address(request: Request) -> str:
    """The client's address. X-Forwarded-For is believed only from a proxy named in the
    settings (`--trusted-proxy`, $VEEDURIA_TRUSTED_PROXIES): the nearest address in it that
    is not itself a trusted proxy. Anyone else could write any address there."""
    peer = request.client.host if request.client else "-"
    trusted = state_of(request).settings.trusted_proxies
    if not trusted or not _in_networks(peer, trusted):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in_networks(hop, trusted):
            return hop[:64]
    return peer


def _in_networks(address: str, networks: tuple[str, ...]) -> bool:
    import ipaddress

    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


def start_session(request: Request, user_id: int | None) -> None:
    """A fresh session (new CSRF token) on login and logout. The old server-side session
    ends; a login opens a new one."""
    old = session_data(request)
    token = None
    with state_of(request).store.session() as s:
        close_web_session(s, old.token)
        if user_id is not None:
            token = open_web_session(s, user_id, state_of(request).settings.session_max_age,
                                     client_address(request))
    request.state.session = new_session(user_id, token)
    request.state.session_dirty = True
    request.state._state.pop("user", None)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths: never redirect to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def _unread(request: Request) -> int:
    """Unread alerts of the logged-in user's watchlists (shown in the navigation)."""
    user = current_user(request)
    if user is None:
        return 0
    from veeduria.present.web.watch import unread_for

    return unread_for(state_of(request).store, user)


def render(request: Request, name: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    lang = request.state.lang
    ctx = {
        "lang": lang,
        "t": lambda key, **kw: i18n.translate(lang, key, **kw),
        "tk": lambda prefix, key: i18n.term(lang, prefix, key),
        "user": current_user(request),
        "csrf": session_data(request).csrf,
        "languages": i18n.languages(),
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "quote_url": lambda s: quote(s, safe=""),
        "static_version": STATIC_VERSION,
        "inbox_unread": _unread(request),
        **(context or {}),
    }
    return state_of(request).templates.TemplateResponse(request, name, ctx, status_code=status_code)


# --- the factory ---------------------------------------------------------------------------

def create_app(store: Store, *, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    from veeduria.present.web import integrations

    settings.upload_types = integrations.upload_types(settings.upload_types)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        app.state.jobs.shutdown()
        if getattr(app.state, "reports", None) is not None:
            app.state.reports.shutdown()

    app = FastAPI(
        title="veeduria API",
        version="1",
        description="Sourced claims about foreign state-linked investment and influence: "
                    "entities, claims, sources, findings, indicators, network and exports.",
        docs_url=None, redoc_url=None, openapi_url="/openapi.json", lifespan=lifespan,
    )
    st = app.state
    st.store = store
    st.settings = settings
    st.signer = SessionSigner(settings.secret_key, settings.session_max_age)
    st.throttle = LoginThrottle()
    st.counts = TTLCache(settings.count_cache_seconds)
    st.cache = TTLCache(300.0)
    st.jobs = JobRunner(store, settings.upload_dir, settings.max_upload_bytes)

    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.autoescape = True  # every page, whatever the file name
    from veeduria.present.web import filters

    filters.install(templates.env)
    st.templates = templates

    def invalidate() -> None:
        st.counts.clear()
        st.cache.clear()

    st.invalidate = invalidate
    st.jobs.on_change.append(invalidate)

    @app.middleware("http")
    async def sessions_and_headers(request: Request, call_next):
        started = time.perf_counter()
        sess = st.signer.load(request.cookies.get(SESSION_COOKIE))
        request.state.session_dirty = sess is None
        request.state.session = sess or new_session()
        request.state.lang = i18n.pick(request.cookies.get(i18n.LANG_COOKIE), settings.default_lang)
        response: Response = await call_next(request)
        if request.state.session_dirty:
            response.set_cookie(SESSION_COOKIE, st.signer.dump(request.state.session),
                                max_age=settings.session_max_age, httponly=True,
                                samesite="lax", secure=settings.secure_cookies)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if request.url.path.startswith("/api/") and "cache-control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        # Time spent in the app (for benchmarks and browser dev tools).
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if is_api(request):
            return JSONResponse({"error": {"status": exc.status_code, "message": message}},
                                status_code=exc.status_code, headers=getattr(exc, "headers", None))
        if exc.status_code == 401:
            return RedirectResponse(f"/login?next={quote(safe_next(request.url.path), safe='/')}",
                                    status_code=303)
        return render(request, "error.html", {"status": exc.status_code, "message": message},
                      status_code=exc.status_code)

    @app.exception_handler(StoreBusyError)
    @app.exception_handler(OperationalError)
    async def store_busy(request: Request, exc: Exception):
        # Another process holds the store's write lock (SQLite during a big ingest): say so,
        # with a hint when to retry, instead of a bare 500.
        if not is_busy(exc):
            log.error("store error on %s", request.url.path, exc_info=exc)
            status, message = 500, "internal error"
        else:
            status, message = 503, busy_message(exc)
        headers = {"Retry-After": "5"} if status == 503 else None
        if is_api(request):
            return JSONResponse({"error": {"status": status, "message": message}}, status_code=status,
                                headers=headers)
        page = render(request, "error.html", {"status": status, "message": message}, status_code=status)
        if headers:
            page.headers.update(headers)
        return page

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        details = [{"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
                   for e in exc.errors()]
        message = "; ".join(f"{d['where']}: {d['message']}" for d in details) or "invalid request"
        if is_api(request):
            return JSONResponse({"error": {"status": 422, "message": message, "details": details}},
                                status_code=422)
        return render(request, "error.html", {"status": 422, "message": message}, status_code=422)

    from veeduria.present.web.limits import BodyLimit

    # Outermost: bodies are bounded before any middleware or route reads them.
    app.add_middleware(BodyLimit, upload_limit=lambda: settings.max_upload_bytes)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    from veeduria.present.web import api, pages, reports, watch

    app.include_router(api.router)
    app.include_router(watch.router)
    app.include_router(pages.router)
    app.include_router(reports.router)
    return app
