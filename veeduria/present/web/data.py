"""Read-side queries for the API and pages: filtered claim lists with totals, entity
summaries, the timeline, the influence network and a source's highlighted text."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from veeduria.export.claims import claim_to_dict
from veeduria.lang import Mention, claim_sentence, mention, sentence
from veeduria.store.models import AuditEvent, Claim, ClaimEntity, Entity, Source
from veeduria.text import parse_partial_date
from veeduria.vocab import NEGATIVE_MODALITIES, label, modality_word

MAX_LIMIT = 500
# Deeper pages than this are refused (422): the databases take 64-bit offsets at most, and
# skipping millions of rows is a scan, not a page.
MAX_OFFSET = 10_000_000


@dataclass(frozen=True)
class ClaimFilter:
    domain: str | None = None
    sector: str | None = None
    entity: str | None = None
    source: str | None = None
    status: str | None = "accepted"
    date_from: str | None = None
    date_to: str | None = None
    predicate: str | None = None
    # Only claims written or changed at or after this time (naive UTC): deltas.
    since: dt.datetime | None = None

    def bounds(self) -> tuple[str | None, str | None]:
        """Sortable date bounds; a partial `date_to` covers its whole year or month."""
        low = parse_partial_date(self.date_from)[2] if self.date_from else None
        high = None
        if self.date_to:
            value, precision, sortable = parse_partial_date(self.date_to)
            high = {"year": f"{value[:4]}-12-31", "month": f"{value[:7]}-31"}.get(precision, sortable)
        return low, high


def entity_claim_ids(entity_id: str):
    """Distinct ids of the claims naming an entity, as a subquery to join: the database then
    starts from the entity's few claims instead of testing every claim (an IN-list made
    SQLite scan the status index)."""
    return select(ClaimEntity.claim_id).where(ClaimEntity.entity_id == entity_id).distinct().subquery("ec")


def claim_query(f: ClaimFilter):
    q = select(Claim)
    if f.status:
        q = q.where(Claim.status == f.status)
    if f.domain:
        q = q.where(Claim.domain == f.domain)
    if f.sector:
        q = q.where(Claim.sector == f.sector)
    if f.source:
        q = q.where(Claim.source_id == f.source)
    if f.predicate:
        q = q.where(Claim.predicate == f.predicate)
    if f.entity:
        ids = entity_claim_ids(f.entity)
        q = q.join(ids, Claim.id == ids.c.claim_id)
    low, high = f.bounds()
    if low:
        q = q.where(Claim.date_sort >= low)
    if high:
        q = q.where(Claim.date_sort <= high)
    if f.since is not None:
        q = q.where(Claim.updated_at >= f.since)
    return q


class TTLCache:
    """Small thread-safe cache; the app clears it after its own writes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._data: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            hit = self._data.get(key)
        if hit and time.monotonic() - hit[0] < self.seconds:
            return hit[1]
        return None

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            if len(self._data) > 2048:
                self._data.clear()
            self._data[key] = (time.monotonic(), value)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def list_claims(session: Session, f: ClaimFilter, limit: int, offset: int,
                counts: TTLCache | None = None) -> tuple[int, list[Claim]]:
    """(total matching, one page of claims newest first)."""
    total = counts.get(f) if counts else None
    if total is None:
        total = session.scalar(claim_query(f).with_only_columns(func.count(), maintain_column_froms=True).order_by(None)) or 0
        if counts:
            counts.put(f, total)
    rows = session.scalars(
        claim_query(f).order_by(Claim.date_sort.desc(), Claim.id.desc()).limit(limit).offset(offset)
        .options(selectinload(Claim.roles).selectinload(ClaimEntity.entity), selectinload(Claim.source))
    )
    return total, list(rows)


_CLAIM_COLS = list(Claim.__table__.c)  # meta too: translated qualifiers and places for the sentence
# The one meta flag a list shows (a JSON path is read the same on both databases).
_CUMULATIVE = Claim.__table__.c.meta["cumulative"].as_boolean().label("cumulative")
_SOURCE_COLS = ("title", "url", "filename", "published", "publisher", "language")


def claim_page(session: Session, f: ClaimFilter, limit: int, offset: int, lang: str = "en",
               counts: TTLCache | None = None) -> tuple[int, list[dict[str, Any]]]:
    """Like list_claims + claim_dict, but read with three plain queries and no ORM objects:
    a page of ids from the index, the rows, their entities (several times faster)."""
    total = counts.get(f) if counts else None
    if total is None:
        total = session.scalar(claim_query(f).with_only_columns(func.count(), maintain_column_froms=True)
                               .order_by(None)) or 0
        if counts:
            counts.put(f, total)
    ids = list(session.scalars(
        claim_query(f).with_only_columns(Claim.id, maintain_column_froms=True)
        .order_by(Claim.date_sort.desc(), Claim.id.desc()).limit(limit).offset(offset)))
    if not ids:
        return total, []
    src = Source.__table__.c
    rows = {r.id: r for r in session.execute(
        select(*_CLAIM_COLS, _CUMULATIVE, *(src[k].label(f"source_{k}") for k in _SOURCE_COLS))
        .join_from(Claim, Source, Claim.source_id == Source.id).where(Claim.id.in_(ids)))}
    roles: dict[str, list[dict[str, Any]]] = {}
    mentions: dict[str, list[tuple[str, Mention]]] = {}
    for r in session.execute(
            select(ClaimEntity.claim_id, ClaimEntity.role, Entity.id, Entity.name, Entity.schema, Entity.meta)
            .join(Entity, Entity.id == ClaimEntity.entity_id).where(ClaimEntity.claim_id.in_(ids))
            .order_by(ClaimEntity.claim_id, ClaimEntity.position, ClaimEntity.id)):
        roles.setdefault(r.claim_id, []).append({"id": r.id, "name": r.name, "schema": r.schema, "role": r.role})
        mentions.setdefault(r.claim_id, []).append((r.role, mention(r.name, r.meta, lang)))
    return total, [row_dict(rows[i], roles.get(i, []), lang, mentions.get(i, [])) for i in ids if i in rows]


class _RowClaim:
    """A plain claim row seen as the sentence engine reads a claim."""

    def __init__(self, r: Any) -> None:
        self.r = r
        self.meta = r.meta or {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.r, name)

    def qualifier_in(self, lang: str) -> str | None:
        return self.meta.get(f"qualifier_{lang}") or self.r.qualifier


def row_dict(r: Any, roles: list[dict[str, Any]], lang: str,
             mentions: list[tuple[str, Mention]] | None = None) -> dict[str, Any]:
    """The same shape as claim_dict, from a plain row."""
    return {
        "id": r.id,
        "source": {"id": r.source_id, **{k: getattr(r, f"source_{k}") for k in _SOURCE_COLS}},
        "quote": r.quote,
        "offsets": [r.offset_start, r.offset_end] if r.offset_start is not None else None,
        "predicate": r.predicate,
        "entities": roles,
        "amount": ({"value": r.amount_value, "currency": r.amount_currency, "usd": r.amount_usd,
                    "usd_basis": r.amount_usd_basis} if r.amount_value is not None else None),
        "share": r.share,
        "quantity": ({"value": r.quantity_value, "unit": r.quantity_unit}
                     if r.quantity_value is not None else None),
        "date": r.date, "domain": r.domain, "sector": r.sector, "status": r.status,
        "method": r.method, "confidence": r.confidence, "modality": r.modality,
        "modality_label": modality_word(r.modality, lang), "cumulative": bool(r.cumulative),
        "qualifier": r.qualifier, "place": r.place, "country": r.country,
        "predicate_label": label("predicate", r.predicate, lang),
        "domain_label": label("domain", r.domain, lang),
        "sector_label": label("sector", r.sector, lang) if r.sector else None,
        "date_sort": r.date_sort,
        "text": sentence(_RowClaim(r), mentions or [], lang).text,
    }


def claim_dict(claim: Claim, lang: str = "en") -> dict[str, Any]:
    out = claim_to_dict(claim)
    out["predicate_label"] = label("predicate", claim.predicate, lang)
    out["domain_label"] = label("domain", claim.domain, lang)
    out["sector_label"] = label("sector", claim.sector, lang) if claim.sector else None
    out["date_sort"] = claim.date_sort
    out["modality_label"] = modality_word(claim.modality, lang)
    # The claim written out in the reader's language: the same sentence as reports give.
    out["text"] = claim_sentence(claim, lang).text
    return out


def claim_text(claim: Claim, lang: str = "en") -> str:
    """The claim written out with its modality ("Xi Jinping did not visit Chancay")."""
    return claim_sentence(claim, lang if lang in ("en", "es") else "en").text


def entity_dict(ent: Entity) -> dict[str, Any]:
    return {"id": ent.id, "schema": ent.schema, "name": ent.name, "country": ent.country,
            "sector": ent.sector, "description": ent.description, "foreign": ent.foreign,
            "state_linkage": ent.state_linkage, "merged_into": ent.merged_into}


def data_version(session: Session) -> int:
    """Changes whenever anything is written through the writer (audit events)."""
    return session.scalar(select(func.max(AuditEvent.id))) or 0


def claim_counts_by_domain(session: Session, entity_id: str | None = None) -> dict[str, int]:
    q = select(Claim.domain, func.count()).where(Claim.status == "accepted").group_by(Claim.domain)
    if entity_id:
        ids = entity_claim_ids(entity_id)
        q = q.join(ids, Claim.id == ids.c.claim_id)
    return dict(session.execute(q).all())


def claims_per_year(session: Session, domain: str | None = None) -> list[tuple[str, int]]:
    year = func.substr(Claim.date_sort, 1, 4)
    # Events per year: a claim that something did not happen is listed, never counted.
    q = (select(year, func.count()).where(Claim.status == "accepted", Claim.date_sort.is_not(None),
                                          Claim.modality.not_in(NEGATIVE_MODALITIES))
         .group_by(year).order_by(year))
    if domain:
        q = q.where(Claim.domain == domain)
    return [(y, n) for y, n in session.execute(q).all() if y]


def source_year_only(claim: Claim) -> bool:
    """Dated only by its source's year: the year is all the claim says (precision `year`)
    and it equals the year the source was published, so the date is likely when it was
    reported, not when it happened. Extraction marks such dates itself (meta
    `date_from: published`)."""
    if (claim.meta or {}).get("date_from") == "published":
        return True
    published = (claim.source.published or "")[:4] if claim.source is not None else ""
    return (claim.date_precision == "year" and bool(published)
            and (claim.date or "")[:4] == published)


def source_year_counts(session: Session, domain: str | None = None) -> dict[str, int]:
    """Accepted claims dated only by their source's year (precision `year`, same year as
    the source's publication), by year; counted in the database, as claims_per_year."""
    year = func.substr(Claim.date_sort, 1, 4)
    same_year = (Claim.date_precision == "year") & (year == func.substr(Source.published, 1, 4))
    inferred = Claim.meta["date_from"].as_string() == "published"
    q = (select(year, func.count()).join(Source, Source.id == Claim.source_id)
         .where(Claim.status == "accepted", same_year | inferred)
         .group_by(year))
    if domain:
        q = q.where(Claim.domain == domain)
    return {y: n for y, n in session.execute(q).all() if y}


def timeline(session: Session, domain: str | None = None, limit: int = 1000) -> list[Claim]:
    q = (select(Claim).where(Claim.status == "accepted", Claim.date_sort.is_not(None))
         .order_by(Claim.date_sort, Claim.id).limit(limit)
         .options(selectinload(Claim.roles).selectinload(ClaimEntity.entity), selectinload(Claim.source)))
    if domain:
        q = q.where(Claim.domain == domain)
    return list(session.scalars(q))


def build_network(session: Session, max_nodes: int = 250, entity_id: str | None = None,
                  hops: int = 1) -> dict[str, Any]:
    """Entities linked by accepted claims that name two or more of them: each claim links
    its first entity (the main actor) to each other one (a denial links no one). With
    `entity_id`, its neighbourhood: the claims naming it (hops=1) and those naming its
    neighbours (hops=2); each node carries `hop`, its distance from the entity."""
    q = (select(ClaimEntity.claim_id, ClaimEntity.entity_id, Claim.predicate, Claim.domain)
         .join(Claim, Claim.id == ClaimEntity.claim_id)
         .where(Claim.status == "accepted", Claim.modality.not_in(NEGATIVE_MODALITIES))
         .order_by(ClaimEntity.claim_id, ClaimEntity.position))
    hop: dict[str, int] = {}
    if entity_id:
        hop[entity_id] = 0
        ring = {entity_id}
        for distance in range(1, max(1, hops) + 1):
            nearby = select(ClaimEntity.claim_id).join(Claim, Claim.id == ClaimEntity.claim_id).where(
                ClaimEntity.entity_id.in_(sorted(ring)), Claim.status == "accepted")
            found = set(session.scalars(select(ClaimEntity.entity_id).where(
                ClaimEntity.claim_id.in_(nearby)).distinct().limit(max_nodes * 4)))
            ring = found - set(hop)
            for e in ring:
                hop[e] = distance
            if not ring or len(hop) >= max_nodes:
                break
        inner = [e for e, d in hop.items() if d < max(1, hops)]
        q = q.where(ClaimEntity.claim_id.in_(
            select(ClaimEntity.claim_id).where(ClaimEntity.entity_id.in_(sorted(inner)))))
    by_claim: dict[str, list[tuple[str, str, str]]] = {}
    for claim_id, ent_id, predicate, domain in session.execute(q.limit(200_000)):
        by_claim.setdefault(claim_id, []).append((ent_id, predicate, domain))
    edges: Counter[tuple[str, str, str]] = Counter()
    degree: Counter[str] = Counter()
    for members in by_claim.values():
        head = members[0][0]
        for other, predicate, _ in members[1:]:
            if other != head:
                edges[(head, other, predicate)] += 1
                degree[head] += 1
                degree[other] += 1
    if entity_id:  # nearest first, then the best connected
        order = sorted((e for e in degree if e in hop), key=lambda e: (hop[e], -degree[e], e))
        keep = set(order[:max_nodes]) | {entity_id}
    else:
        keep = {e for e, _ in degree.most_common(max_nodes)}
    ents = {e.id: e for e in session.scalars(select(Entity).where(Entity.id.in_(sorted(keep))))}
    nodes = [{"id": e.id, "name": e.name, "schema": e.schema, "foreign": e.foreign,
              "country": e.country, "degree": degree[e.id], "hop": hop.get(e.id)}
             for e in sorted(ents.values(), key=lambda e: e.id)]
    links = [{"source": a, "target": b, "predicate": p, "label": label("predicate", p), "weight": n}
             for (a, b, p), n in edges.items() if a in ents and b in ents]
    return {"nodes": nodes, "edges": links}


@dataclass
class Segment:
    text: str
    claims: list[str] = field(default_factory=list)
    status: str | None = None
    starts: list[str] = field(default_factory=list)  # claims whose quote begins here


def highlight(text: str, claims: list[Claim]) -> list[Segment]:
    """The text cut at claim offsets: each segment knows which claims quote it. The caller
    escapes the text (templates autoescape)."""
    spans = sorted(
        ((c.offset_start, c.offset_end, c) for c in claims
         if c.offset_start is not None and c.offset_end is not None
         and 0 <= c.offset_start < c.offset_end <= len(text)),
        key=lambda span: (span[0], span[1], span[2].id))
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    segments = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        covering = [c for s, e, c in spans if s <= a and b <= e]
        status = None
        if covering:
            status = "accepted" if any(c.status == "accepted" for c in covering) else covering[0].status
        segments.append(Segment(text[a:b], [c.id for c in covering], status,
                                [c.id for s, _, c in spans if s == a]))
    return segments


def source_claims(session: Session, source_id: str,
                  statuses: tuple[str, ...] | None = None) -> list[Claim]:
    """The source's claims (of `statuses`; None: all)."""
    q = select(Claim).where(Claim.source_id == source_id)
    if statuses is not None:
        q = q.where(Claim.status.in_(statuses))
    return list(session.scalars(q.order_by(Claim.offset_start, Claim.id)
                                .options(selectinload(Claim.roles).selectinload(ClaimEntity.entity))))


def source_dict(src: Source, with_text: bool = False) -> dict[str, Any]:
    out = {"id": src.id, "kind": src.kind, "title": src.title, "author": src.author,
           "publisher": src.publisher, "published": src.published, "url": src.url,
           "filename": src.filename, "language": src.language, "content_hash": src.content_hash,
           "text_length": src.text_length, "case_id": src.case_id}
    # Where to find it: the reason there is no address, the publisher's site, edition, date.
    locator = {k: v for k, v in (src.meta or {}).items()
               if k in ("no_url_reason", "publisher_url", "edition", "retrieved")}
    out.update(locator)
    if with_text:
        out["text"] = src.text
    return out


def event_context(session: Session, events: list[Any]) -> dict[str, Any]:
    """What event pages and blocks show besides the events: the claims (for quotes and
    source links) and each dataset claim's readable record."""
    from veeduria.importers.common import claim_record, record_text

    ids = sorted({cid for ev in events for cid in ev.claim_ids})
    claims = {c.id: c for c in session.scalars(
        select(Claim).where(Claim.id.in_(ids)).options(
            selectinload(Claim.roles).selectinload(ClaimEntity.entity), selectinload(Claim.source)))} if ids else {}
    records = {}
    for c in claims.values():
        rec = claim_record(c.meta, c.source.kind, c.source.title, c.source.filename, c.quote)
        if rec:
            records[c.id] = {"text": record_text(rec), "url": rec.get("url")}
    return {"event_claims": claims, "records": records}


def event_api_dict(ev: Any, ctx: dict[str, Any]) -> dict[str, Any]:
    out = ev.to_dict()
    out["claim_details"] = [
        {"id": m.id, "date": m.date, "subjects": sorted(m.name(e) for e in m.subjects),
         "amount_usd": m.amount_usd, "share": m.share, "source": {"id": m.source_id, "title": m.source_title},
         "quote": m.quote, "record": ctx["records"].get(m.id), "note": m.note,
         "part_of": ev.parts.get(m.id)} for m in ev.members]
    return out
