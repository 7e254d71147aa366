"""Server-rendered pages (Jinja2). All text is escaped by the templates; scripts are static
files only (the CSP forbids inline scripts)."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any
from urllib.parse import quote

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
    need_unreviewed,
    render,
    safe_next,
    start_session,
    state_of,
    upload_guard,
    visible_statuses,
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
    source_year_counts,
    source_year_only,
    timeline,
)
from veeduria.present.web.searching import SearchForm, check_form, run_search, wants_unreviewed
from veeduria.query import find_entity, owners_of, ownership_chain, stats, subsidiaries_of
from veeduria.store.models import Claim, ClaimEntity, Entity, Source
from veeduria.store.search import RANK_WINDOW, mark_words, parse_query
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


def _cid(x: Any) -> str | None:
    cid = (x.get("claim") or x.get("claim_id") or x.get("id")) if isinstance(x, dict) else x
    return cid if isinstance(cid, str) else None


def _target_id(f: dict[str, Any]) -> str | None:
    target = f.get("target") or f.get("entity")
    return target.get("id") if isinstance(target, dict) else target


def group_by_evidence(findings: list[dict[str, Any]],
                      claims: dict[str, Claim]) -> list[list[dict[str, Any]]]:
    """Findings resting on the same evidence quotes, together (most severe group first):
    one quote read once instead of a dozen times."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for f in findings:
        ids = [_cid(x) for x in (f.get("evidence") or f.get("claims") or [])]
        quotes = frozenset((claims[i].quote if i in claims else i) for i in ids if i)
        groups.setdefault(quotes or f.get("id") or id(f), []).append(f)
    return list(groups.values())


@router.get("/findings", response_class=HTMLResponse)
def findings_page(request: Request, session: DB, severity: str | None = None,
                  rule: str | None = None, entity: str | None = None, domain: str | None = None,
                  offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> HTMLResponse:
    lang = request.state.lang
    findings = cached_findings(request, session, lang, None)
    items = by_severity(findings or [])
    if domain and domain not in domains():
        raise WebError(422, f"unknown domain {domain!r}")
    evidence = evidence_for(session, items) if items else {}
    # Each finding's domains are those of the claims it rests on.
    def domains_of(f: dict[str, Any]) -> set[str]:
        return {evidence[c].domain for c in map(_cid, f.get("evidence") or f.get("claims") or [])
                if c in evidence}
    options = {
        "rules": sorted({(str(f.get("rule")), str(f.get("title") or f.get("rule"))) for f in items
                         if f.get("rule")}, key=lambda r: r[1]),
        "entities": sorted({(t, (f.get("target") or {}).get("name", t) if isinstance(f.get("target"), dict) else t)
                            for f in items if (t := _target_id(f))}, key=lambda e: str(e[1]).casefold()),
        "domains": sorted({d for f in items for d in domains_of(f)}, key=lambda d: label("domain", d, lang)),
    }
    if rule:
        items = [f for f in items if f.get("rule") == rule]
    if entity:
        items = [f for f in items if _target_id(f) == entity]
    if domain:
        items = [f for f in items if domain in domains_of(f)]
    levels: dict[str, int] = {}
    for f in items:
        key = str(f.get("severity") or "info")
        levels[key] = levels.get(key, 0) + 1
    if severity:
        items = [f for f in items if str(f.get("severity") or "info") == severity]
    groups = group_by_evidence(items, evidence)
    page = groups[offset:offset + PAGE]
    return render(request, "findings.html", {
        "groups": page, "total": len(items), "n_groups": len(groups), "offset": offset,
        "page_size": PAGE, "severity": severity, "rule": rule, "entity": entity, "domain": domain,
        "levels": levels, "available": findings is not None, "options": options,
        "evidence": evidence_for(session, [f for g in page for f in g]),
        "filtered": bool(rule or entity or domain or severity),
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
                q: Annotated[str, Query(max_length=200)] = "", kind: str | None = None,
                domain: str | None = None, sector: str | None = None, country: str | None = None,
                date_from: str | None = None, date_to: str | None = None, source: str | None = None,
                status: str | None = None,
                offset: Annotated[int, Query(ge=0, lt=RANK_WINDOW)] = 0) -> HTMLResponse:
    """Grouped by kind: a few hits of each, or one kind page by page (`kind=`)."""
    form = SearchForm(q=q, kinds=[kind] if kind else [], domain=domain, sector=sector,
                      country=country, date_from=date_from, date_to=date_to, source=source,
                      status=status, limit=PAGE if kind else 8, offset=offset if kind else 0)
    filters = check_form(form, visible_statuses(request))
    if wants_unreviewed(form):
        need_unreviewed(request)
    groups = run_search(session, form, filters, request.state.lang) if q.strip() else []
    source_title = None
    if form.source:
        src = session.get(Source, form.source)
        source_title = (src.title or src.id) if src else form.source
    return render(request, "search.html", {
        "q": q, "form": form, "groups": groups, "kind": kind, "page_size": form.limit,
        "domains": domains(), "sectors": sectors(), "source_title": source_title,
        "may_see_unreviewed": visible_statuses(request) is None,
        "filtered": bool(filters.fields() - {"status"}) or wants_unreviewed(form),
    })


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
def claim_page(request: Request, claim_id: str, session: DB) -> RedirectResponse:
    """A claim is shown where it is quoted: in its source's text."""
    claim = session.get(Claim, claim_id)
    visible = visible_statuses(request)
    if claim is None or (visible is not None and claim.status not in visible):
        raise WebError(404, f"no claim with id {claim_id!r}")
    return RedirectResponse(f"/source/{claim.source_id}#q-{claim.id}", status_code=303)


@router.get("/project/{entity_id}")
def project_page(entity_id: str) -> RedirectResponse:
    return RedirectResponse(f"/entity/{entity_id}", status_code=308)


@router.get("/source/{source_id}", response_class=HTMLResponse)
def source_page(request: Request, source_id: str, session: DB,
                q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    """The text with its claims' quotes highlighted; with `q` (a search that found this
    document), the search's words marked too, the first one the `#hit` anchor."""
    src = get_source(session, source_id)
    claims = source_claims(session, src.id, visible_statuses(request))
    text = src.text
    lang = request.state.lang
    # What each highlight says, for its tooltip: the claim written out, so that a denial
    # reads as one ("Xi Jinping did not visit Chancay").
    summaries = {c.id: claim_text(c, lang) for c in claims}
    segments = highlight(text, claims) if text else None
    query = parse_query(q) if q.strip() else None
    if segments and query:
        state: dict[str, bool] = {}
        for i, seg in enumerate(segments):
            seg.text = mark_words(seg.text.lstrip() if i == 0 else seg.text, query, state)
    return render(request, "source.html", {
        "s": src, "claims": claims, "segments": segments, "summaries": summaries, "q": q,
    })


@router.get("/timeline", response_class=HTMLResponse)
def timeline_page(request: Request, session: DB, domain: str | None = None) -> HTMLResponse:
    if domain and domain not in domains():
        raise WebError(404, f"unknown domain {domain!r}")
    claims = timeline(session, domain)
    years: dict[str, dict[str, list[Claim]]] = defaultdict(lambda: {"dated": [], "source_year": []})
    for c in claims:
        years[(c.date_sort or "")[:4]]["source_year" if source_year_only(c) else "dated"].append(c)
    faint = source_year_counts(session, domain)
    return render(request, "timeline.html", {
        "years": dict(years), "domain": domain, "per_year": claims_per_year(session, domain),
        "faint": faint, "n_source_year": sum(faint.values())})


def busiest_foreign_entity(session: Session) -> Entity | None:
    """Where the network starts when no entity is named: the foreign-state-linked entity
    named in the most accepted claims."""
    n = func.count(ClaimEntity.claim_id)
    row = session.execute(
        select(Entity, n).join(ClaimEntity, ClaimEntity.entity_id == Entity.id)
        .join(Claim, Claim.id == ClaimEntity.claim_id)
        .where(Claim.status == "accepted", Entity.foreign.is_(True), Entity.merged_into.is_(None))
        .group_by(Entity.id).order_by(n.desc(), Entity.id).limit(1)).first()
    return row[0] if row else None


@router.get("/network", response_class=HTMLResponse)
def network_page(request: Request, session: DB, entity: str | None = None,
                 hops: Annotated[int, Query(ge=1, le=2)] = 1,
                 whole: Annotated[bool, Query(alias="all")] = False) -> HTMLResponse:
    """An entity's neighbourhood first (the named one, else the busiest foreign-linked
    entity); the whole graph with `all=1`."""
    focus = None
    if entity:
        focus = find_entity(session, entity)
        if focus is None:
            raise WebError(404, f"no entity matching {entity!r}")
    elif not whole:
        focus = busiest_foreign_entity(session)
    src = "/api/network"
    if focus is not None:
        src += f"?entity={quote(focus.id, safe='')}&hops={hops}"
    return render(request, "network.html", {"entity": focus.id if focus else None, "focus": focus,
                                            "hops": hops, "src": src, "whole": focus is None})


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

