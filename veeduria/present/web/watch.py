"""Watchlists, the alerts inbox, per-watchlist Atom feeds and the admin page of monitored
sources. Pages need a login (the monitor page: an admin); a feed needs only its token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from veeduria.monitor.alerts import alert_dict, alerts_of, mark_read, unread_counts
from veeduria.monitor.deliver import atom_feed
from veeduria.monitor.models import Watchlist
from veeduria.monitor.poll import (
    MonitorError,
    add_source,
    every_text,
    item_errors,
    remove_source,
    source_rows,
)
from veeduria.monitor.watch import WatchError, add_target, describe, ensure_watchlist, remove_target
from veeduria.present.web.app import WebError, admin, check_csrf, db, render, require_role, state_of
from veeduria.present.web.data import MAX_OFFSET
from veeduria.present.web.models import User

router = APIRouter()
DB = Annotated[Session, Depends(db)]


def _visible(session: Session, user: User) -> list[Watchlist]:
    """The user's watchlists; an admin also sees those made on the command line."""
    q = select(Watchlist).order_by(Watchlist.name, Watchlist.id)
    if user.can("admin"):
        q = q.where((Watchlist.user_id == user.id) | Watchlist.user_id.is_(None))
    else:
        q = q.where(Watchlist.user_id == user.id)
    return list(session.scalars(q))


def unread_for(store: Any, user: User) -> int:
    with store.reader() as s:
        return sum(unread_counts(s, [w.id for w in _visible(s, user)]).values())


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# --- inbox ---------------------------------------------------------------------------------------

@router.get("/inbox", response_class=HTMLResponse, include_in_schema=False)
def inbox_page(request: Request, session: DB, unread: bool = False, watchlist: int | None = None,
               offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> HTMLResponse:
    user = require_role(request, "viewer")
    lists = _visible(session, user)
    ids = [w.id for w in lists if watchlist is None or w.id == watchlist]
    rows = alerts_of(session, ids, unread=unread, limit=50, offset=offset)
    return render(request, "inbox.html", {
        "alerts": rows, "lists": {w.id: w for w in lists}, "counts": unread_counts(session, [w.id for w in lists]),
        "unread_only": unread, "watchlist": watchlist, "offset": offset})


@router.post("/inbox/read", dependencies=[Depends(check_csrf)], include_in_schema=False)
def inbox_read(request: Request, alert: Annotated[int | None, Form()] = None) -> Response:
    user = require_role(request, "viewer")
    with state_of(request).store.session() as s:
        mark_read(s, [w.id for w in _visible(s, user)], [alert] if alert is not None else None)
    return RedirectResponse("/inbox", status_code=303)


@router.get("/api/alerts", summary="Alerts of the logged-in user's watchlists (newest first)")
def api_alerts(request: Request, session: DB, unread: bool = False,
               limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> dict[str, Any]:
    user = require_role(request, "viewer")
    lists = _visible(session, user)
    names = {w.id: w.name for w in lists}
    rows = alerts_of(session, list(names), unread=unread, limit=limit, offset=offset)
    return {"unread": sum(unread_counts(session, list(names)).values()),
            "items": [{**alert_dict(a, _base(request)), "watchlist": names[a.watchlist_id]} for a in rows]}


# --- watchlists ----------------------------------------------------------------------------------

@router.get("/watch", response_class=HTMLResponse, include_in_schema=False)
def watch_page(request: Request, session: DB, error: str | None = None) -> HTMLResponse:
    user = require_role(request, "viewer")
    lists = [w for w in _visible(session, user) if w.user_id == user.id]
    from veeduria.vocab import domains

    return render(request, "watch.html", {
        "lists": lists, "describe": lambda t: describe(session, t), "error": error,
        "base": _base(request), "domains": domains()})


@router.post("/watch", dependencies=[Depends(check_csrf)], include_in_schema=False)
def watch_add(request: Request, name: Annotated[str, Form(max_length=200)] = "mine",
              entity: Annotated[str, Form(max_length=300)] = "",
              chain: Annotated[str | None, Form()] = None, owners: Annotated[str | None, Form()] = None,
              rule: Annotated[str, Form(max_length=128)] = "", domain: Annotated[str, Form(max_length=64)] = "",
              country: Annotated[str, Form(max_length=8)] = "",
              email: Annotated[str | None, Form(max_length=300)] = None) -> Response:
    # Webhooks are set on the command line only: a URL typed here would make the server
    # POST wherever a web user asks (including inside its own network).
    user = require_role(request, "viewer")
    try:
        with state_of(request).store.session() as s:
            # An empty e-mail field leaves the address as it was.
            wl = ensure_watchlist(s, name or "mine", user_id=user.id, email=email.strip() if email else None)
            if entity.strip():
                add_target(s, wl, "entity", entity, owned=bool(chain), owners=bool(owners))
            for kind, value in (("rule", rule), ("domain", domain), ("country", country)):
                if value.strip():
                    add_target(s, wl, kind, value)
    except WatchError as exc:
        with state_of(request).store.reader() as s:
            return watch_page(request, s, error=str(exc))
    return RedirectResponse("/watch", status_code=303)


def _own(session: Session, user: User, wl_id: int) -> Watchlist:
    wl = session.get(Watchlist, wl_id)
    if wl is None or wl.user_id != user.id:
        raise WebError(404, "no such watchlist")
    return wl


@router.post("/watch/{wl_id}/remove", dependencies=[Depends(check_csrf)], include_in_schema=False)
def watch_remove(request: Request, wl_id: int, value: Annotated[str | None, Form(max_length=300)] = None) -> Response:
    user = require_role(request, "viewer")
    try:
        with state_of(request).store.session() as s:
            wl = _own(s, user, wl_id)
            if value:
                remove_target(s, wl, value)
            else:
                s.delete(wl)
    except WatchError as exc:
        with state_of(request).store.reader() as s:
            return watch_page(request, s, error=str(exc))
    return RedirectResponse("/watch", status_code=303)


@router.get("/watch/feed/{token}.atom", include_in_schema=False)
def watch_feed(request: Request, token: str, session: DB) -> Response:
    wl = session.scalar(select(Watchlist).where(Watchlist.token == token)) if len(token) >= 16 else None
    if wl is None:
        raise WebError(404, "no such feed")
    return Response(atom_feed(session, wl, _base(request)), media_type="application/atom+xml",
                    headers={"Cache-Control": "private, max-age=60"})


# --- monitored sources (admin) --------------------------------------------------------------------

@router.get("/admin/monitor", response_class=HTMLResponse, include_in_schema=False)
def monitor_page(request: Request, session: DB, error: str | None = None) -> HTMLResponse:
    admin(request)
    rows = source_rows(session)
    for r in rows:
        r["every"] = every_text(r["every_seconds"])
        r["failed_items"] = item_errors(session, r["id"], 5) if r["item_errors"] else []
    return render(request, "monitor.html", {"sources": rows, "error": error})


@router.post("/admin/monitor", dependencies=[Depends(check_csrf)], include_in_schema=False)
def monitor_add(request: Request, location: Annotated[str, Form(max_length=1000)],
                every: Annotated[str, Form(max_length=16)] = "1h",
                language: Annotated[str, Form(max_length=8)] = "") -> Response:
    admin(request)
    try:
        with state_of(request).store.session() as s:
            add_source(s, location, every=every, language=language.strip() or None)
    except MonitorError as exc:
        with state_of(request).store.reader() as s:
            return monitor_page(request, s, error=str(exc))
    return RedirectResponse("/admin/monitor", status_code=303)


@router.post("/admin/monitor/{source_id}/remove", dependencies=[Depends(check_csrf)], include_in_schema=False)
def monitor_remove(request: Request, source_id: int) -> Response:
    admin(request)
    try:
        with state_of(request).store.session() as s:
            remove_source(s, str(source_id))
    except MonitorError as exc:
        raise WebError(404, str(exc)) from None
    return RedirectResponse("/admin/monitor", status_code=303)
