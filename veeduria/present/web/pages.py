"""Server-rendered pages (Jinja2). All text is escaped by the templates; scripts are static
files only (the CSP forbids inline scripts)."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from veeduria.present.web import geo, i18n, integrations
from veeduria.present.web.api import (
    _write,
    cached_findings,
    claim_filter,
    get_entity,
    get_source,
    login_user,
    receive_upload,
)
from veeduria.present.web.app import (
    WebError,
    admin,
    check_csrf,
    db,
    editor,
    render,
    safe_next,
    start_session,
    state_of,
    upload_guard,
)
from veeduria.present.web.data import (
    MAX_OFFSET,
    ClaimFilter,
    claim_counts_by_domain,
    claim_query,
    claim_text,
    claims_per_year,
    highlight,
    list_claims,
    source_claims,
    timeline,
)
from veeduria.query import owners_of, ownership_chain, stats, subsidiaries_of
from veeduria.store.models import Claim, ClaimEntity, Entity, Source
from veeduria.store.search import search as run_search
from veeduria.vocab import MODALITIES, domains, label, predicates, sectors

router = APIRouter(include_in_schema=False)
PAGE = 25
DB = Annotated[Session, Depends(db)]


SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}


def latest_claims(session: Session, n: int = 8) -> list[Claim]:
    """The most recent accepted claims by the date they speak of (what happened lately),
    newest loaded first among equals."""
    return list(session.scalars(
        select(Claim).where(Claim.status == "accepted", Claim.date_sort.is_not(None))
        .order_by(Claim.date_sort.desc(), Claim.created_at.desc(), Claim.id)
        .limit(n).options(selectinload(Claim.roles).selectinload(ClaimEntity.entity),
                          selectinload(Claim.source))))


def by_severity(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(findings, key=lambda f: SEVERITY_ORDER.get(str(f.get("severity") or f.get("level")), 9))


def evidence_ids(findings: list[dict[str, Any]], per_finding: int = 4) -> set[str]:
    ids: set[str] = set()
    for f in findings:
        for x in (f.get("evidence") or f.get("claims") or [])[:per_finding]:
            cid = (x.get("claim") or x.get("claim_id") or x.get("id")) if isinstance(x, dict) else x
            if isinstance(cid, str):
                ids.add(cid)
    return ids


def evidence_for(session: Session, *finding_lists: list[dict[str, Any]] | None) -> dict[str, Claim]:
    """The claims findings rest on, so pages show their quotes and sources, not raw ids."""
    ids: set[str] = set()
    for findings in finding_lists:
        ids |= evidence_ids(findings or [])
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(
        select(Claim).where(Claim.id.in_(sorted(ids))).options(selectinload(Claim.source)))}


def domain_rows(session: Session, indicators: Any, lang: str) -> tuple[list[dict[str, Any]], Any]:
    """One row per domain: accepted claims and, when screening is installed, its indicators."""
    counts = claim_counts_by_domain(session)
    rows_by_key = {}
    if isinstance(indicators, dict):
        rows_by_key = {r.get("key"): r for r in indicators.get("rows") or [] if isinstance(r, dict)}
    rows = []
    for key in domains():
        ind = rows_by_key.get(key, {})
        rows.append({"key": key, "label": label("domain", key, lang), "claims": counts.get(key, 0),
                     "firms": ind.get("foreign_firms"), "committed": ind.get("committed_usd"),
                     "invested": ind.get("invested_usd")})
    rows.sort(key=lambda r: (-r["claims"], r["label"]))
    return rows, rows_by_key.get("total")


def count_candidates(request: Request, session: Session) -> int | None:
    """Candidates waiting for review, for editors only."""
    from veeduria.present.web.app import current_user

    user = current_user(request)
    if user is None or not user.can("editor"):
        return None
    return session.scalar(select(func.count()).select_from(Claim).where(Claim.status == "candidate"))


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, session: DB) -> HTMLResponse:
    lang = request.state.lang
    findings = cached_findings(request, session, lang, None)
    top = by_severity(findings or [])[:6]
    indicators = integrations.indicators(session, lang)
    rows, total = domain_rows(session, indicators, lang)
    return render(request, "overview.html", {
        "stats": stats(session), "domain_rows": rows, "total": total,
        "top_claims": max((r["claims"] for r in rows), default=0),
        "per_year": claims_per_year(session), "latest": latest_claims(session),
        "findings": top, "n_findings": len(findings or []),
        "findings_available": findings is not None,
        "indicators": indicators,
        "indicators_available": isinstance(indicators, dict) and bool(indicators.get("rows")),
        "candidates": count_candidates(request, session),
    })


@router.get("/findings", response_class=HTMLResponse)
def findings_page(request: Request, session: DB, severity: str | None = None,
                  offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> HTMLResponse:
    lang = request.state.lang
    findings = cached_findings(request, session, lang, None)
    items = by_severity(findings or [])
    levels = {str(f.get("severity") or "info"): 0 for f in items}
    for f in items:
        levels[str(f.get("severity") or "info")] += 1
    if severity:
        items = [f for f in items if str(f.get("severity") or "info") == severity]
    page = items[offset:offset + PAGE]
    return render(request, "findings.html", {
        "findings": page, "total": len(items), "offset": offset, "page_size": PAGE,
        "severity": severity, "levels": levels, "available": findings is not None,
        "evidence": evidence_for(session, page),
    })


@router.get("/indicators", response_class=HTMLResponse)
def indicators_page(request: Request, session: DB) -> HTMLResponse:
    lang = request.state.lang
    return render(request, "indicators.html", {"tables": integrations.indicator_tables(session, lang)})


FIGURES = ("invested_usd", "committed_usd", "claims", "arbitration_cases")


@router.get("/indicators/{dim}/{key}/{figure}", response_class=HTMLResponse)
def indicator_claims_page(request: Request, dim: str, key: str, figure: str, session: DB) -> HTMLResponse:
    """The claims an indicator figure counted, each with the other claims of its event
    (told by other sources and counted once)."""
    compute = integrations.optional("veeduria.screen.indicators", "compute")
    if compute is None:
        raise WebError(404, "indicators are not available")
    if dim not in ("domain", "sector", "year", "total") or figure not in FIGURES:
        raise WebError(404, f"no indicator {dim}/{key}/{figure}")
    result = compute(session)
    bucket = result.total if dim == "total" else result.by[dim].get(key)
    if bucket is None:
        raise WebError(404, f"no indicator {dim}/{key}")
    fig = getattr(bucket, figure)
    ids = list(fig.claim_ids)
    same = dict(fig.same_event)
    claims = {c.id: c for c in session.scalars(
        select(Claim).where(Claim.id.in_(ids + [x for v in same.values() for x in v]))
        .options(selectinload(Claim.roles).selectinload(ClaimEntity.entity), selectinload(Claim.source)))}
    rows = [{"claim": claims[i], "same_event": [claims[x] for x in same.get(i, []) if x in claims]}
            for i in ids if i in claims]
    lang = request.state.lang
    name = key if dim in ("year", "total") else label(dim, key, lang)
    return render(request, "indicator_claims.html", {
        "dim": dim, "key": key, "name": name, "figure": figure, "value": fig.value, "rows": rows})


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, session: DB,
                q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    groups: dict[str, list[Any]] = defaultdict(list)
    if q.strip():
        for hit in run_search(session, q, limit=60):
            groups[hit.kind].append(hit)
    # The records behind the hits, so results show what each one is, not only a title.
    ents = {e.id: e for e in session.scalars(
        select(Entity).where(Entity.id.in_([h.ref_id for h in groups["entity"]])))} if groups["entity"] else {}
    srcs = {x.id: x for x in session.scalars(
        select(Source).where(Source.id.in_([h.ref_id for h in groups["source"]])))} if groups["source"] else {}
    claims = {c.id: c for c in session.scalars(
        select(Claim).where(Claim.id.in_([h.ref_id for h in groups["claim"]]))
        .options(selectinload(Claim.roles).selectinload(ClaimEntity.entity), selectinload(Claim.source)))
    } if groups["claim"] else {}
    return render(request, "search.html", {"q": q, "groups": {k: v for k, v in groups.items() if v},
                                           "ents": ents, "srcs": srcs, "claims": claims})


def entity_place_texts(session: Session, ent: Entity, claims: list[Claim]) -> list[str]:
    texts = [n.name for n in ent.names] or [ent.name]
    for c in claims:
        if c.place:
            texts.append(c.place)
        for r in c.roles:
            if r.role == "location" and r.entity_id != ent.id:
                texts.extend(n.name for n in r.entity.names)
    return texts


def host_country(session: Session, ent: Entity, claims: list[Claim]) -> str | None:
    for iso in [c.country for c in claims if c.country] + [ent.country]:
        if iso and geo.country(iso):
            return iso.lower()
    return None


@router.get("/entity/{entity_id}", response_class=HTMLResponse)
def entity_page(request: Request, entity_id: str, session: DB) -> Response:
    ent = get_entity(session, entity_id)
    if ent.id != entity_id:
        return RedirectResponse(f"/entity/{ent.id}", status_code=301)
    lang = request.state.lang
    claims = list(session.scalars(
        claim_query(ClaimFilter(entity=ent.id)).order_by(Claim.domain, Claim.date_sort, Claim.id)
        .limit(2000).options(selectinload(Claim.roles).selectinload(ClaimEntity.entity),
                             selectinload(Claim.source))))
    by_domain: dict[str, list[Claim]] = defaultdict(list)
    for c in claims:
        by_domain[c.domain].append(c)
    for domain, items in by_domain.items():  # newest first, undated last
        dated = sorted((c for c in items if c.date_sort), key=lambda c: c.date_sort, reverse=True)
        by_domain[domain] = dated + [c for c in items if not c.date_sort]
    is_project = ent.schema in ("Project", "Asset")
    map_data = None
    if is_project:
        iso = host_country(session, ent, claims)
        if iso:
            places = geo.locate(iso, entity_place_texts(session, ent, claims))
            meta = ent.meta or {}
            if isinstance(meta.get("lat"), int | float) and isinstance(meta.get("lon"), int | float):
                places = [{"name": ent.name, "lat": meta["lat"], "lon": meta["lon"], "kind": "site"}]
            map_data = geo.svg_map(iso, places)
    found = cached_findings(request, session, lang, ent.id)
    findings = None if found is None else by_severity(found)
    card = integrations.scorecard(session, ent, lang) if is_project else None
    related = card.get("related_findings") if isinstance(card, dict) else None
    from veeduria.resolve.events import events_for_entities

    events = [ev for ev in events_for_entities(session, [ent.id]) if len(ev.members) > 1]
    return render(request, "entity.html", {
        "events": events, "claim_events": {cid: ev for ev in events for cid in ev.claim_ids}, "e": ent, "chain": ownership_chain(session, ent.id), "owners": owners_of(session, ent.id),
        "subsidiaries": [(s, c) for s, c in subsidiaries_of(session, ent.id) if s is not None],
        "by_domain": dict(sorted(by_domain.items(), key=lambda kv: (-len(kv[1]), kv[0]))), "n_claims": len(claims),
        "findings": findings or [], "findings_available": findings is not None,
        "is_project": is_project, "map": map_data,
        "scorecard": card, "evidence": evidence_for(session, findings, related),
        "scorecard_available": integrations.optional("veeduria.screen.scorecard", "scorecard") is not None,
    })


@router.get("/event/{event_id}", response_class=HTMLResponse)
def event_page(request: Request, event_id: str, session: DB) -> Response:
    from veeduria.present.web.data import event_context
    from veeduria.resolve.events import EventError, counted_rule, get_event

    try:
        ev = get_event(session, event_id)
    except EventError as exc:
        raise WebError(404, str(exc)) from None
    if ev.id != event_id:
        return RedirectResponse(f"/event/{ev.id}", status_code=301)
    return render(request, "event.html", {"ev": ev, "rule": counted_rule(ev),
                                          "claim_events": {cid: ev for cid in ev.claim_ids},
                                          **event_context(session, [ev])})


@router.get("/claim/{claim_id}")
def claim_page(claim_id: str, session: DB) -> RedirectResponse:
    """A claim is shown where it is quoted: in its source's text."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise WebError(404, f"no claim with id {claim_id!r}")
    return RedirectResponse(f"/source/{claim.source_id}#q-{claim.id}", status_code=303)


@router.get("/project/{entity_id}")
def project_page(entity_id: str) -> RedirectResponse:
    return RedirectResponse(f"/entity/{entity_id}", status_code=308)


@router.get("/source/{source_id}", response_class=HTMLResponse)
def source_page(request: Request, source_id: str, session: DB) -> HTMLResponse:
    src = get_source(session, source_id)
    claims = source_claims(session, src.id)
    text = src.text
    lang = request.state.lang
    # What each highlight says, for its tooltip: the claim written out, so that a denial
    # reads as one ("Xi Jinping did not visit Chancay").
    summaries = {c.id: claim_text(c, lang) for c in claims}
    return render(request, "source.html", {
        "s": src, "claims": claims, "segments": highlight(text, claims) if text else None,
        "summaries": summaries,
    })


@router.get("/timeline", response_class=HTMLResponse)
def timeline_page(request: Request, session: DB, domain: str | None = None) -> HTMLResponse:
    if domain and domain not in domains():
        raise WebError(404, f"unknown domain {domain!r}")
    claims = timeline(session, domain)
    years: dict[str, list[Claim]] = defaultdict(list)
    for c in claims:
        years[(c.date_sort or "")[:4]].append(c)
    return render(request, "timeline.html", {"years": dict(years), "domain": domain,
                                             "per_year": claims_per_year(session, domain)})


@router.get("/network", response_class=HTMLResponse)
def network_page(request: Request, entity: str | None = None) -> HTMLResponse:
    return render(request, "network.html", {"entity": entity})


@router.get("/docs", response_class=HTMLResponse)
def docs_page(request: Request) -> HTMLResponse:
    spec = request.app.openapi()
    ops = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            params = [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                       "description": p.get("description", ""),
                       "type": _schema_type(p.get("schema", {}))} for p in op.get("parameters", [])]
            body = op.get("requestBody", {}).get("content", {})
            ops.append({"path": path, "method": method.upper(), "summary": op.get("summary", ""),
                        "params": params, "body": ", ".join(body), "write": method != "get",
                        "try": method == "get" and "{" not in path and "export" not in path})
    return render(request, "docs.html", {"ops": ops, "title": spec["info"]["title"],
                                         "description": spec["info"].get("description", "")})


def _schema_type(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " | ".join(_schema_type(s) for s in schema["anyOf"] if s.get("type") != "null")
    if "enum" in schema:
        return " | ".join(map(str, schema["enum"]))
    if schema.get("type") == "array":
        return f"list of {_schema_type(schema.get('items', {}))}"
    return schema.get("type", "")


# --- language ---------------------------------------------------------------------------------

@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str | None = None) -> RedirectResponse:
    if code not in i18n.languages():
        raise WebError(404, f"no language {code!r}")
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(i18n.LANG_COOKIE, code, max_age=365 * 86400, samesite="lax",
                        secure=state_of(request).settings.secure_cookies)
    return response


# --- login ------------------------------------------------------------------------------------

@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", dependencies=[Depends(check_csrf)])
def login_submit(request: Request, username: Annotated[str, Form(max_length=64)],
                 password: Annotated[str, Form(max_length=1024)],
                 next: Annotated[str, Form()] = "/") -> Response:
    try:
        login_user(request, username, password)
    except WebError as exc:
        return render(request, "login.html", {"next": safe_next(next), "error": exc.detail,
                                              "username": username}, status_code=exc.status_code)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> RedirectResponse:
    start_session(request, None)
    return RedirectResponse("/", status_code=303)


# --- review -----------------------------------------------------------------------------------

@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request, session: DB, source: str | None = None,
                offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> HTMLResponse:
    editor(request)
    f = claim_filter(None, None, None, source, "candidate", None, None)
    total, rows = list_claims(session, f, 50, offset, None)
    return render(request, "review.html", {
        "claims": rows, "total": total, "offset": offset, "source": source,
        "vocab": {"domains": domains(), "sectors": sectors(), "predicates": predicates(),
                  "modalities": MODALITIES},
    })


def _back(request: Request, default: str = "/review") -> str:
    ref = request.headers.get("referer", "")
    base = str(request.base_url)
    return safe_next("/" + ref[len(base):] if ref.startswith(base) else None, default)


@router.post("/review/{claim_id}/accept", dependencies=[Depends(check_csrf)])
def review_accept(request: Request, claim_id: str) -> RedirectResponse:
    user = editor(request)
    _write(request, lambda s: integrations.accept(s, claim_id, user.username))
    return RedirectResponse(_back(request), status_code=303)


@router.post("/review/{claim_id}/reject", dependencies=[Depends(check_csrf)])
def review_reject(request: Request, claim_id: str) -> RedirectResponse:
    user = editor(request)
    _write(request, lambda s: integrations.reject(s, claim_id, user.username))
    return RedirectResponse(_back(request), status_code=303)


@router.post("/review/{claim_id}/edit", dependencies=[Depends(check_csrf)])
async def review_edit(request: Request, claim_id: str) -> RedirectResponse:
    user = editor(request)
    form = await request.form()
    changes = {k: str(form[k]) for k in integrations.EDITABLE if k in form}
    from starlette.concurrency import run_in_threadpool

    await run_in_threadpool(_write, request, lambda s: integrations.edit(s, claim_id, changes, user.username))
    return RedirectResponse(_back(request), status_code=303)


# --- upload -----------------------------------------------------------------------------------

@router.get("/upload", response_class=HTMLResponse)
def upload_page(request: Request) -> HTMLResponse:
    editor(request)
    settings = state_of(request).settings
    return render(request, "upload.html", {
        "types": ", ".join(settings.upload_types), "accept": ",".join(settings.upload_types),
        "max_mb": settings.max_upload_bytes // (1024 * 1024)})


@router.post("/upload")
async def upload_submit(request: Request, user: Annotated[Any, Depends(upload_guard)]) -> RedirectResponse:
    job = await receive_upload(request, user.username)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str) -> HTMLResponse:
    editor(request)
    job = state_of(request).jobs.get(job_id)
    if job is None:
        raise WebError(404, f"no job {job_id!r}")
    return render(request, "job.html", {"job": job})


# --- users (admin) ----------------------------------------------------------------------------

@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, session: DB, error: str | None = None) -> HTMLResponse:
    admin(request)
    from veeduria.present.web.models import ROLES, User

    users = list(session.scalars(select(User).order_by(User.username)))
    return render(request, "users.html", {"users": users, "roles": ROLES, "error": error})


@router.post("/users", dependencies=[Depends(check_csrf)])
def users_add(request: Request, username: Annotated[str, Form(max_length=64)],
              password: Annotated[str, Form(max_length=1024)],
              role: Annotated[str, Form()]) -> Response:
    user = admin(request)
    from veeduria.present.web.auth import UserError, add_user

    try:
        with state_of(request).store.session() as s:
            add_user(s, username, password, role, actor=user.username)
    except UserError as exc:
        with state_of(request).store.reader() as s:
            return users_page(request, s, error=str(exc))
    return RedirectResponse("/users", status_code=303)

