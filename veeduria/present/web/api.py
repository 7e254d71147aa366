"""The JSON API under /api. Reads are public; writes need an editor login and the CSRF token."""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from veeduria.present.web import geo, integrations
from veeduria.present.web.app import (
    WebError,
    check_csrf,
    client_address,
    current_user,
    db,
    editor,
    need_unreviewed,
    session_data,
    start_session,
    state_of,
    upload_guard,
    visible_statuses,
)
from veeduria.present.web.auth import authenticate
from veeduria.present.web.data import (
    MAX_LIMIT,
    MAX_OFFSET,
    ClaimFilter,
    build_network,
    claim_counts_by_domain,
    claim_dict,
    claim_page,
    claim_text,
    claims_per_year,
    data_version,
    entity_dict,
    source_claims,
    source_dict,
)
from veeduria.present.web.searching import (
    MAX_PAGE,
    SearchForm,
    check_form,
    item_dict,
    run_search,
    wants_unreviewed,
)
from veeduria.query import owners_of, ownership_chain, stats, subsidiaries_of
from veeduria.store.busy import wait_budget, with_retry
from veeduria.store.models import Claim, ClaimEntity, Entity, Source
from veeduria.store.search import RANK_WINDOW
from veeduria.store.search import search as text_search
from veeduria.text import http_url, visible_name
from veeduria.vocab import domains, label, predicates, sectors

router = APIRouter(prefix="/api")
DB = Annotated[Session, Depends(db)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")]
Status = Literal["candidate", "accepted", "rejected", "any"]


# Seconds an editor's write waits for a busy store (an ingest writing) before a 503.
WRITE_WAIT = 10.0


def lang_of(request: Request, lang: str | None = None) -> str:
    return lang if lang in ("en", "es") else request.state.lang


def get_entity(session: Session, entity_id: str) -> Entity:
    ent = session.get(Entity, entity_id)
    seen = set()
    while ent is not None and ent.merged_into and ent.id not in seen:
        seen.add(ent.id)
        ent = session.get(Entity, ent.merged_into)
    if ent is None:
        raise WebError(404, f"no entity with id {entity_id!r}")
    return ent


def get_claim(session: Session, claim_id: str) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise WebError(404, f"no claim with id {claim_id!r}")
    return claim


def get_source(session: Session, source_id: str) -> Source:
    src = session.get(Source, source_id)
    if src is None:
        raise WebError(404, f"no source with id {source_id!r}")
    return src


def parse_since(since: str | None) -> Any:
    from veeduria.export.delta import parse_since as parse

    try:
        return parse(since)
    except ValueError as exc:
        raise WebError(422, str(exc).replace("--since", "since")) from None


Since = Annotated[str | None, Query(description="Only what was written or changed since this ISO "
                                                "date or time (UTC unless an offset is given)")]


def claim_filter(domain: str | None, sector: str | None, entity: str | None, source: str | None,
                 status: Status, date_from: str | None, date_to: str | None,
                 predicate: str | None = None, since: str | None = None) -> ClaimFilter:
    if domain and domain not in domains():
        raise WebError(422, f"unknown domain {domain!r}; one of: {', '.join(domains())}")
    if sector and sector not in sectors():
        raise WebError(422, f"unknown sector {sector!r}; see /api/vocab")
    if predicate and predicate not in predicates():
        raise WebError(422, f"unknown predicate {predicate!r}; see /api/vocab")
    f = ClaimFilter(domain, sector, entity, source, None if status == "any" else status,
                    date_from, date_to, predicate, parse_since(since))
    try:
        f.bounds()
    except ValueError as exc:
        raise WebError(422, str(exc)) from None
    return f


def page(total: int, limit: int, offset: int, items: list[Any]) -> dict[str, Any]:
    return {"total": total, "limit": limit, "offset": offset, "items": items}


# --- vocabulary and stats --------------------------------------------------------------

@router.get("/stats", summary="Counts of claims by domain, sector and status")
def api_stats(session: DB) -> dict[str, Any]:
    return stats(session)


@router.get("/vocab", summary="Domains, sectors and predicates with their labels")
def api_vocab() -> dict[str, Any]:
    return {"domains": domains(), "sectors": sectors(),
            "predicates": {k: {"roles": v["roles"], "en": v["en"]["label"], "es": v["es"]["label"]}
                           for k, v in predicates().items()}}


# --- entities ----------------------------------------------------------------------------

@router.get("/entities", summary="Search or list entities")
def api_entities(session: DB, q: str | None = None, schema: str | None = None,
                 limit: Limit = 20, offset: Offset = 0, since: Since = None) -> dict[str, Any]:
    since_at = parse_since(since)
    if q and since_at is not None:
        raise WebError(422, "q and since cannot be combined")
    if q:
        hits = text_search(session, q, kinds=["entity"], limit=limit, offset=offset)
        ents = {e.id: e for e in session.scalars(select(Entity).where(Entity.id.in_([h.ref_id for h in hits])))}
        items = [entity_dict(ents[h.ref_id]) for h in hits if h.ref_id in ents]
        if schema:
            items = [i for i in items if i["schema"] == schema]
        return page(offset + len(items) + (1 if len(hits) == limit else 0), limit, offset, items)
    base = select(Entity).where(Entity.merged_into.is_(None))
    if since_at is not None:  # merged entities too: downstream copies must learn of merges
        base = select(Entity).where(Entity.updated_at >= since_at)
    if schema:
        base = base.where(Entity.schema == schema)
    total = session.scalar(base.with_only_columns(func.count(), maintain_column_froms=True)) or 0
    rows = session.scalars(base.order_by(Entity.name, Entity.id).limit(limit).offset(offset))
    return page(total, limit, offset, [entity_dict(e) for e in rows])


def link_dict(link: Any) -> dict[str, Any]:
    c = link.claim
    return {"owner": {"id": link.owner.id, "name": link.owner.name, "schema": link.owner.schema},
            "owned": {"id": link.owned.id, "name": link.owned.name, "schema": link.owned.schema},
            "share": link.share, "date": c.date, "claim": c.id, "quote": c.quote,
            # owner | supervisor | operator | concessionaire (a project starts at its operator)
            "link": link.kind, "predicate": c.predicate,
            "source": {"id": c.source_id, "title": c.source.title if c.source else None},
            "offsets": [c.offset_start, c.offset_end] if c.offset_start is not None else None}


def chain_from(session: Session, entity_id: str, owners: list[Any]) -> list[Any]:
    """ownership_chain, reusing the entity's owners already looked up (saves a query round)."""
    if not owners:
        return []
    chain, seen = [owners[0]], {entity_id, owners[0].owner.id}
    for link in ownership_chain(session, owners[0].owner.id, max_depth=11):
        if link.owner.id in seen:
            break
        chain.append(link)
        seen.add(link.owner.id)
    return chain


@router.get("/entities/{entity_id}", summary="An entity's profile: names, chain of owners, claim counts")
def api_entity(entity_id: str, session: DB) -> dict[str, Any]:
    ent = get_entity(session, entity_id)
    session.refresh(ent, ["names", "identifiers"])
    out = entity_dict(ent)
    out["names"] = [{"name": n.name, "lang": n.lang, "kind": n.kind} for n in ent.names]
    out["identifiers"] = [{"scheme": i.scheme, "value": i.value} for i in ent.identifiers]
    owners = owners_of(session, ent.id)
    out["chain"] = [link_dict(lk) for lk in chain_from(session, ent.id, owners)]
    out["owners"] = [link_dict(lk) for lk in owners]
    out["subsidiaries"] = [{"id": sub.id, "name": sub.name, "share": c.share, "claim": c.id}
                           for sub, c in subsidiaries_of(session, ent.id) if sub is not None]
    out["claims_by_domain"] = claim_counts_by_domain(session, ent.id)
    from veeduria.resolve.events import events_for_entities

    events = [ev for ev in events_for_entities(session, [ent.id]) if len(ev.members) > 1]
    out["events"] = [{"id": ev.id, "title": ev.title(), "corroboration": ev.corroboration,
                      "claims": ev.claim_ids} for ev in events]
    out["conflicts"] = [{"event": ev.id, **c.to_dict()} for ev in events for c in ev.conflicts]
    if entity_id != ent.id:
        out["merged_from"] = entity_id
    return out


@router.get("/events", summary="Events: claims of several sources grouped as one event")
def api_events(session: DB, entity: str | None = None, conflicts: bool = False,
               single: bool = False, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    from veeduria.resolve.events import all_events, events_for_entities

    if entity:
        found = events_for_entities(session, [get_entity(session, entity).id])
    else:
        found = all_events(session)
    if not single:
        found = [ev for ev in found if len(ev.members) > 1]
    if conflicts:
        found = [ev for ev in found if ev.conflicts]
    return page(len(found), limit, offset, [ev.to_dict() for ev in found[offset:offset + limit]])


@router.get("/events/{event_id}", summary="One event: its claims, why they were grouped, "
            "independent sources, the figure counted and where sources disagree")
def api_event(event_id: str, session: DB) -> dict[str, Any]:
    from veeduria.present.web.data import event_api_dict, event_context
    from veeduria.resolve.events import EventError, get_event

    try:
        ev = get_event(session, event_id)
    except EventError as exc:
        raise WebError(404, str(exc)) from None
    return event_api_dict(ev, event_context(session, [ev]))


class ConflictDecision(BaseModel):
    field: Literal["actor", "amount", "date", "share"]
    claim: str
    reason: str


@router.post("/events/{event_id}/decide", summary="Decide an event's conflict (editor)",
             dependencies=[Depends(check_csrf)])
def api_event_decide(request: Request, event_id: str, body: ConflictDecision) -> dict[str, Any]:
    user = editor(request)
    from veeduria.resolve.events import EventError, decide_conflict, get_event

    def act(session: Session) -> None:
        try:
            decide_conflict(session, get_event(session, event_id), body.field, body.claim,
                            user.username, body.reason)
        except EventError as exc:
            raise ValueError(str(exc)) from None

    _write(request, act)
    with state_of(request).store.reader() as session:
        return api_event(event_id, session)


@router.get("/entities/{entity_id}/chain", summary="The chain of controlling owners up to the ultimate owner")
def api_chain(entity_id: str, session: DB,
              at: Annotated[str | None, Query(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$",
                                              description="Date the chain holds at")] = None
              ) -> dict[str, Any]:
    ent = get_entity(session, entity_id)
    chain = ownership_chain(session, ent.id, at=at)
    return {"entity": entity_dict(ent), "at": at, "chain": [link_dict(lk) for lk in chain],
            "ultimate_owner": entity_dict(chain[-1].owner) if chain else None}


@router.get("/entities/{entity_id}/claims", summary="Claims naming the entity")
def api_entity_claims(request: Request, entity_id: str, session: DB,
                      domain: str | None = None, status: Status = "accepted",
                      limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    ent = get_entity(session, entity_id)
    if status != "accepted":
        need_unreviewed(request)
    f = claim_filter(domain, None, ent.id, None, status, None, None)
    total, items = claim_page(session, f, limit, offset, lang_of(request), state_of(request).counts)
    return page(total, limit, offset, items)


def cached_findings(request: Request, session: Session, lang: str,
                    target: str | None) -> list[dict[str, Any]] | None:
    cache = state_of(request).cache
    key = ("findings", data_version(session), lang, target)
    hit = cache.get(key)
    if hit is None:
        hit = ("ok", integrations.findings(session, lang, target_id=target))
        cache.put(key, hit)
    return hit[1]


@router.get("/entities/{entity_id}/findings", summary="Screening findings about the entity")
def api_entity_findings(request: Request, entity_id: str, session: DB,
                        lang: str | None = None) -> dict[str, Any]:
    ent = get_entity(session, entity_id)
    items = cached_findings(request, session, lang_of(request, lang), ent.id)
    return {"available": items is not None, "items": items or []}


@router.get("/entities/{entity_id}/scorecard", summary="The project's scorecard (screening)")
def api_scorecard(request: Request, entity_id: str, session: DB, lang: str | None = None) -> dict[str, Any]:
    ent = get_entity(session, entity_id)
    card = integrations.scorecard(session, ent, lang_of(request, lang))
    return {"available": card is not None, "scorecard": card}


# --- claims ------------------------------------------------------------------------------

@router.get("/claims", summary="Claims, filtered and paginated (newest first)")
def api_claims(request: Request, session: DB,
               domain: str | None = None, sector: str | None = None,
               entity: Annotated[str | None, Query(description="Entity id")] = None,
               source: Annotated[str | None, Query(description="Source id")] = None,
               status: Status = "accepted", predicate: str | None = None,
               date_from: Annotated[str | None, Query(description="YYYY, YYYY-MM or YYYY-MM-DD")] = None,
               date_to: Annotated[str | None, Query(description="YYYY, YYYY-MM or YYYY-MM-DD (inclusive)")] = None,
               limit: Limit = 50, offset: Offset = 0, lang: str | None = None,
               since: Since = None) -> dict[str, Any]:
    if status != "accepted":
        need_unreviewed(request)
    f = claim_filter(domain, sector, entity, source, status, date_from, date_to, predicate, since)
    total, items = claim_page(session, f, limit, offset, lang_of(request, lang), state_of(request).counts)
    return page(total, limit, offset, items)


@router.get("/claims/{claim_id}", summary="One claim with its entities, evidence and source")
def api_claim(request: Request, claim_id: str, session: DB) -> dict[str, Any]:
    claim = session.scalar(select(Claim).where(Claim.id == claim_id).options(
        selectinload(Claim.roles).selectinload(ClaimEntity.entity), selectinload(Claim.source)))
    visible = visible_statuses(request)
    if claim is None or (visible is not None and claim.status not in visible):
        raise WebError(404, f"no claim with id {claim_id!r}")
    out = claim_dict(claim, lang_of(request))
    out.update({"note": claim.note, "duplicate_of": claim.duplicate_of, "case_id": claim.case_id,
                "text": claim_text(claim, lang_of(request))})
    from veeduria.resolve.events import events_for_claims

    ev = events_for_claims(session, [claim.id], (claim.status,)).get(claim.id)
    out["event"] = ({"id": ev.id, "claims": ev.claim_ids, "conflicts": [c.to_dict() for c in ev.conflicts]}
                    if ev is not None else None)
    out["corroboration"] = ev.corroboration if ev is not None else 1
    return out


class Decision(BaseModel):
    note: str | None = None


class ClaimEdit(BaseModel):
    quote: str | None = None
    date: str | None = None
    place: str | None = None
    domain: str | None = None
    sector: str | None = None
    qualifier: str | None = None
    note: str | None = None
    modality: str | None = None
    predicate: str | None = None


def _write(request: Request, fn: Callable[[Session], None]) -> None:
    """One write transaction, retried for a while when the store is busy (then a 503)."""
    store = state_of(request).store

    def run() -> None:
        with store.session() as session:
            fn(session)

    try:
        with_retry(run, wait_budget(WRITE_WAIT))
    except LookupError as exc:
        raise WebError(404, str(exc).strip("'\"")) from None
    except ValueError as exc:
        raise WebError(422, str(exc)) from None
    state_of(request).invalidate()


@router.post("/claims/{claim_id}/accept", summary="Accept a candidate claim (editor)",
             dependencies=[Depends(check_csrf)])
def api_accept(request: Request, claim_id: str,
               body: Annotated[Decision | None, Body()] = None) -> dict[str, Any]:
    user = editor(request)
    _write(request, lambda s: integrations.accept(s, claim_id, user.username, body.note if body else None))
    return {"id": claim_id, "status": "accepted"}


@router.post("/claims/{claim_id}/reject", summary="Reject a candidate claim (editor)",
             dependencies=[Depends(check_csrf)])
def api_reject(request: Request, claim_id: str,
               body: Annotated[Decision | None, Body()] = None) -> dict[str, Any]:
    user = editor(request)
    _write(request, lambda s: integrations.reject(s, claim_id, user.username, body.note if body else None))
    return {"id": claim_id, "status": "rejected"}


@router.patch("/claims/{claim_id}", summary="Edit a claim's fields (editor)",
              dependencies=[Depends(check_csrf)])
def api_edit(request: Request, claim_id: str, body: ClaimEdit) -> dict[str, Any]:
    user = editor(request)
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise WebError(422, "nothing to change")
    _write(request, lambda s: integrations.edit(s, claim_id, changes, user.username))
    with state_of(request).store.reader() as session:
        return api_claim(request, claim_id, session)


@router.get("/review/candidates", summary="Candidate claims waiting for review")
def api_candidates(request: Request, session: DB, source: str | None = None,
                   limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    need_unreviewed(request)
    f = claim_filter(None, None, None, source, "candidate", None, None)
    total, items = claim_page(session, f, limit, offset, lang_of(request))
    return page(total, limit, offset, items)


# --- sources -----------------------------------------------------------------------------

@router.get("/sources", summary="Sources (documents and datasets)")
def api_sources(session: DB, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    total = session.scalar(select(func.count()).select_from(Source)) or 0
    rows = session.scalars(select(Source).order_by(Source.published.desc(), Source.id).limit(limit).offset(offset))
    return page(total, limit, offset, [source_dict(s) for s in rows])


@router.get("/sources/{source_id}", summary="A source's metadata and its claims' spans")
def api_source(request: Request, source_id: str, session: DB) -> dict[str, Any]:
    src = get_source(session, source_id)
    out = source_dict(src)
    out["has_text"] = src.text_length is not None
    out["claims"] = [{"id": c.id, "status": c.status, "offsets": [c.offset_start, c.offset_end]
                      if c.offset_start is not None else None, "quote": c.quote}
                     for c in source_claims(session, src.id, visible_statuses(request))]
    return out


@router.get("/sources/{source_id}/text", response_class=PlainTextResponse,
            summary="The source's stored text (plain text; claim offsets index into it)")
def api_source_text(source_id: str, session: DB) -> PlainTextResponse:
    src = get_source(session, source_id)
    if src.text is None:
        raise WebError(404, f"source {source_id!r} has no stored text; ingest its file")
    return PlainTextResponse(src.text, headers={"Content-Disposition": "inline"})


# --- screening -----------------------------------------------------------------------------

@router.get("/findings", summary="Screening findings (red flags with their evidence)")
def api_findings(request: Request, session: DB, lang: str | None = None,
                 limit: Limit = 100, offset: Offset = 0, since: Since = None) -> dict[str, Any]:
    since_at = parse_since(since)
    items = cached_findings(request, session, lang_of(request, lang), None)
    if items is None:
        return {"available": False, **page(0, limit, offset, [])}
    if since_at is not None:
        from veeduria.export.delta import findings_since

        items = findings_since(session, items, since_at)
    return {"available": True, **page(len(items), limit, offset, items[offset:offset + limit])}


@router.get("/indicators", summary="Indicators per domain")
def api_indicators(request: Request, session: DB, lang: str | None = None) -> dict[str, Any]:
    lang = lang_of(request, lang)
    data = integrations.indicators(session, lang)
    return {"available": data is not None, "indicators": data,
            "claims_by_domain": {k: {"label": label("domain", k, lang), "claims": v}
                                 for k, v in claim_counts_by_domain(session).items()},
            "claims_per_year": dict(claims_per_year(session))}


def network_data(request: Request, session: Session, entity: str | None, max_nodes: int,
                 hops: int = 1) -> dict[str, Any]:
    cache = state_of(request).cache
    key = ("network", data_version(session), entity, max_nodes, hops)
    hit = cache.get(key)
    if hit is None:
        graph = integrations.network_graph(session, max_nodes) if entity is None else None
        hit = graph if graph is not None else build_network(session, max_nodes, entity, hops)
        hit["builder"] = "screening" if graph is not None else "claims"
        cache.put(key, hit)
    return hit


@router.get("/network", summary="Influence network: entities linked by claims")
def api_network(request: Request, session: DB, entity: str | None = None,
                hops: Annotated[int, Query(ge=1, le=2, description="With entity: 1 or 2 hops")] = 1,
                max_nodes: Annotated[int, Query(ge=2, le=2000)] = 250) -> dict[str, Any]:
    if entity:
        entity = get_entity(session, entity).id
    return network_data(request, session, entity, max_nodes, hops)


@router.get("/search", summary="Full-text search over entities, sources (with their text) and claims")
def api_search(request: Request, session: DB, q: Annotated[str, Query(min_length=1, max_length=200)],
               kind: Annotated[list[str] | None, Query(description="entity, source or claim (repeatable)")] = None,
               domain: str | None = None, sector: str | None = None,
               country: Annotated[str | None, Query(description="ISO alpha-2")] = None,
               date_from: Annotated[str | None, Query(description="YYYY, YYYY-MM or YYYY-MM-DD")] = None,
               date_to: Annotated[str | None, Query(description="YYYY, YYYY-MM or YYYY-MM-DD (inclusive)")] = None,
               source: Annotated[str | None, Query(description="Source id")] = None,
               status: Annotated[str | None, Query(description="accepted, candidate, rejected or any (editors)")] = None,
               limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Hits per kind")] = 20,
               offset: Annotated[int, Query(ge=0, lt=RANK_WINDOW, description="Hits to skip in each kind")] = 0,
               lang: str | None = None) -> dict[str, Any]:
    """Each kind's hits (best first, among its 2,000 newest matches) with a snippet whose
    matching words are in <mark> (the rest is escaped HTML)."""
    form = SearchForm(q=q, kinds=list(kind or []), domain=domain, sector=sector, country=country,
                      date_from=date_from, date_to=date_to, source=source, status=status,
                      limit=limit, offset=offset)
    filters = check_form(form, visible_statuses(request))
    if wants_unreviewed(form):
        need_unreviewed(request)
    language = lang_of(request, lang)
    groups = run_search(session, form, filters, language)
    out_groups = [{"kind": g.kind, "total": g.total, "more": g.more, "limit": g.limit, "offset": g.offset,
                   "items": [item_dict(i, language) for i in g.items]} for g in groups]
    return {"q": q, "filters": form.as_params(q=None, offset=None),
            "groups": out_groups, "items": [i for g in out_groups for i in g["items"]]}


@router.get("/geo/{iso}", summary="The shipped map of a country (approximate outline and places)")
def api_geo(iso: str) -> dict[str, Any]:
    data = geo.country(iso)
    if data is None:
        raise WebError(404, f"no map for country {iso!r}; available: {', '.join(geo.available())}")
    return data


# --- exports -------------------------------------------------------------------------------

class _QueueWriter(io.TextIOBase):
    def __init__(self, q: queue.Queue, stop: threading.Event) -> None:
        self.q, self.stop, self.buf = q, stop, []
        self.size = 0

    def write(self, s: str) -> int:
        self.buf.append(s)
        self.size += len(s)
        if self.size > 65536:
            self.flush()
        return len(s)

    def flush(self) -> None:
        if self.buf:
            chunk = "".join(self.buf)
            self.buf, self.size = [], 0
            while not self.stop.is_set():
                try:
                    self.q.put(chunk, timeout=1)
                    return
                except queue.Full:
                    continue
            raise BrokenPipeError("client went away")


def stream(request: Request, write: Callable[[Session, IO[str]], Any]) -> Iterator[bytes]:
    """Run an export writer in a thread and stream what it writes."""
    q: queue.Queue = queue.Queue(maxsize=16)
    stop = threading.Event()
    store = state_of(request).store

    def work() -> None:
        out = _QueueWriter(q, stop)
        try:
            with store.reader() as session:
                write(session, out)
            out.flush()
        except BrokenPipeError:
            return
        except Exception as exc:  # noqa: BLE001 - reported inside the stream
            q.put(f"\n# export failed: {exc.__class__.__name__}: {exc}\n")
        q.put(None)

    threading.Thread(target=work, daemon=True).start()
    try:
        while True:
            chunk = q.get()
            if chunk is None:
                return
            yield chunk.encode("utf-8")
    finally:
        stop.set()


def export_statuses(request: Request, status: list[str] | None,
                    default: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """The statuses asked for, else the default; readers who may not see unreviewed
    claims get accepted ones by default and an error if they ask for others."""
    visible = visible_statuses(request)
    if status and visible is not None and set(status) - set(visible):
        need_unreviewed(request)
    if status:
        return tuple(status)
    return default if visible is None else visible


StatusList = Annotated[list[Literal["candidate", "accepted", "rejected"]] | None, Query()]


@router.get("/export/claims.jsonl", summary="Claims as JSON Lines (streamed)")
def export_claims(request: Request, status: StatusList = None, domain: str | None = None,
                  since: Since = None) -> StreamingResponse:
    from veeduria.export.claims import write_claims_jsonl

    if domain and domain not in domains():
        raise WebError(422, f"unknown domain {domain!r}")
    statuses = export_statuses(request, status, None)
    since_at = parse_since(since)
    return StreamingResponse(
        stream(request, lambda s, out: write_claims_jsonl(s, out, statuses=statuses, domain=domain,
                                                          since=since_at)),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="claims.jsonl"'})


@router.get("/export/ftm.jsonl", summary="FollowTheMoney entities as JSON Lines (streamed)")
def export_ftm(request: Request, status: StatusList = None) -> StreamingResponse:
    from veeduria.export.ftm import write_ftm

    statuses = export_statuses(request, status, ("accepted",))
    return StreamingResponse(stream(request, lambda s, out: write_ftm(s, out, statuses)),
                             media_type="application/x-ndjson",
                             headers={"Content-Disposition": 'attachment; filename="ftm.jsonl"'})


@router.get("/export/claims.csv", summary="Claims as CSV (streamed)")
def export_claims_csv(request: Request, status: StatusList = None) -> StreamingResponse:
    from veeduria.export.tables import write_claims_csv

    statuses = export_statuses(request, status, None)
    return StreamingResponse(stream(request, lambda s, out: write_claims_csv(s, out, statuses)),
                             media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="claims.csv"'})


@router.get("/export/entities.jsonl", summary="Entities as JSON Lines (streamed); ?since= for deltas")
def export_entities_jsonl(request: Request, since: Since = None) -> StreamingResponse:
    from veeduria.export.delta import write_entities_jsonl

    since_at = parse_since(since)
    return StreamingResponse(stream(request, lambda s, out: write_entities_jsonl(s, out, since_at)),
                             media_type="application/x-ndjson",
                             headers={"Content-Disposition": 'attachment; filename="entities.jsonl"'})


@router.get("/export/entities.csv", summary="Entities as CSV (streamed)")
def export_entities_csv(request: Request) -> StreamingResponse:
    from veeduria.export.tables import write_entities_csv

    return StreamingResponse(stream(request, write_entities_csv), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="entities.csv"'})


# --- sessions and uploads ---------------------------------------------------------------------

@router.get("/me", summary="The current user (or none) and the CSRF token for writes")
def api_me(request: Request) -> dict[str, Any]:
    user = current_user(request)
    return {"user": {"username": user.username, "role": user.role} if user else None,
            "csrf_token": session_data(request).csrf}


class Login(BaseModel):
    username: str
    password: str


@router.post("/login", summary="Log in (send the CSRF token from /api/me in X-CSRF-Token)",
             dependencies=[Depends(check_csrf)])
def api_login(request: Request, body: Login) -> dict[str, Any]:
    user = login_user(request, body.username, body.password)
    return {"user": {"username": user.username, "role": user.role},
            "csrf_token": session_data(request).csrf}


def login_user(request: Request, username: str, password: str) -> Any:
    from veeduria.present.web import i18n

    throttle = state_of(request).throttle
    address = client_address(request)
    if throttle.blocked(username, address):
        raise WebError(429, i18n.translate(request.state.lang, "login_blocked"))
    with state_of(request).store.session() as session:
        user = authenticate(session, username, password)
        if user is not None:
            session.flush()
            session.expunge(user)
    if user is None:
        throttle.failed(username, address)
        raise WebError(401, i18n.translate(request.state.lang, "login_failed"))
    throttle.succeeded(username, address)
    start_session(request, user.id)
    return user


@router.post("/logout", summary="Log out", dependencies=[Depends(check_csrf)])
def api_logout(request: Request) -> dict[str, Any]:
    start_session(request, None)
    return {"user": None, "csrf_token": session_data(request).csrf}


@router.post("/upload", summary="Upload a document to ingest in the background (editor; "
                               "CSRF token in X-CSRF-Token)", status_code=202)
async def api_upload(request: Request, user: Annotated[Any, Depends(upload_guard)]) -> dict[str, Any]:
    job = await receive_upload(request, user.username)
    return job.to_dict()


async def receive_upload(request: Request, actor: str) -> Any:
    """Check type and size, save the file, queue the ingest job."""
    settings = state_of(request).settings
    limit = settings.max_upload_bytes
    # The body limit (limits.BodyLimit) has refused a declared or streamed size over the
    # limit by now; the form parser never spools more than that.
    form = await request.form(max_files=1, max_fields=20)
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise WebError(422, "no file in the 'file' field")
    # Bidirectional controls could make "invoice\u202etxt.exe" show as "invoiceexe.txt".
    name = visible_name(Path(upload.filename.replace("\\", "/")).name)[:200]
    suffix = Path(name).suffix.lower()
    if suffix not in settings.upload_types:
        raise WebError(415, f"{name}: type {suffix or '(none)'} not accepted; "
                            f"accepted: {', '.join(settings.upload_types)}")
    jobs = state_of(request).jobs
    job_id = jobs.new_id()
    path = jobs.path_for(job_id, suffix)
    size = 0
    with open(path, "wb") as out:
        while chunk := await upload.read(1024 * 1024):
            size += len(chunk)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                raise WebError(413, f"{name}: over the {limit // (1024 * 1024)} MB limit")
            out.write(chunk)
    if size == 0:
        path.unlink(missing_ok=True)
        raise WebError(422, f"{name}: empty file")
    meta = {k: str(form.get(k)).strip()[:500] for k in ("title", "published", "url", "language")
            if isinstance(form.get(k), str) and str(form.get(k)).strip()}
    if meta.get("url"):
        try:
            http_url(meta["url"])
        except ValueError as exc:
            path.unlink(missing_ok=True)
            raise WebError(422, str(exc)) from None
    if meta.get("published"):
        from veeduria.text import parse_partial_date

        try:
            parse_partial_date(meta["published"])
        except ValueError as exc:
            path.unlink(missing_ok=True)
            raise WebError(422, str(exc)) from None
    return jobs.submit(job_id, path, name, meta, actor)


@router.get("/jobs/{job_id}", summary="State of an ingest job")
def api_job(request: Request, job_id: str) -> dict[str, Any]:
    need_unreviewed(request)  # a job lists the candidates it found
    job = state_of(request).jobs.get(job_id)
    if job is None:
        raise WebError(404, f"no job {job_id!r}")
    out = job.to_dict()
    src = out["result"].get("source_id") if isinstance(out["result"], dict) else None
    if src:
        with state_of(request).store.reader() as session:
            out["candidates"] = [claim_dict(c, request.state.lang) for c in source_claims(session, src)
                                 if c.status == "candidate"][:200]
    return out
