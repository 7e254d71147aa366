"""Search for the page and the API: validated filters, each kind's page of hits with the
records behind them and a highlighted snippet (escaped HTML)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from veeduria.present.web.app import WebError
from veeduria.store.models import Claim, ClaimEntity, Entity, Source
from veeduria.store.search import (
    KIND_ORDER,
    RANK_WINDOW,
    Filters,
    date_cover,
    parse_query,
    search_kinds,
    snippet,
)
from veeduria.vocab import domains, label, sectors

STATUSES = ("accepted", "candidate", "rejected")
MAX_PAGE = 100


@dataclass
class SearchForm:
    """What the reader asked for, checked."""

    q: str = ""
    kinds: list[str] = field(default_factory=list)
    domain: str | None = None
    sector: str | None = None
    country: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    source: str | None = None
    status: str | None = None  # accepted | candidate | rejected | any; None: what the reader may see
    limit: int = 10
    offset: int = 0

    def as_params(self, **changes: Any) -> dict[str, Any]:
        """Query parameters reproducing this search (with `changes`), empty ones left out."""
        values = {"q": self.q, "kind": self.kinds[0] if len(self.kinds) == 1 else None,
                  "domain": self.domain, "sector": self.sector, "country": self.country,
                  "date_from": self.date_from, "date_to": self.date_to, "source": self.source,
                  "status": self.status, "offset": self.offset or None}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def check_form(form: SearchForm, visible: tuple[str, ...] | None) -> Filters:
    """Filters for `form`, or a 422 naming what is wrong; a status the reader may not see
    is refused (403 is left to the caller: it knows how the reader is logged in)."""
    def blank(v: str | None) -> str | None:
        return v.strip() if v and v.strip() else None
    form.domain, form.sector, form.source = blank(form.domain), blank(form.sector), blank(form.source)
    form.country, form.date_from, form.date_to = blank(form.country), blank(form.date_from), blank(form.date_to)
    form.status = blank(form.status)
    for kind in form.kinds:
        if kind not in KIND_ORDER:
            raise WebError(422, f"unknown kind {kind!r}; one of: {', '.join(KIND_ORDER)}")
    if form.domain and form.domain not in domains():
        raise WebError(422, f"unknown domain {form.domain!r}; one of: {', '.join(domains())}")
    if form.sector and form.sector not in sectors():
        raise WebError(422, f"unknown sector {form.sector!r}; see /api/vocab")
    if form.country:
        if not re.fullmatch(r"[A-Za-z]{2}", form.country):
            raise WebError(422, f"bad country {form.country!r}: use a two-letter ISO code")
        form.country = form.country.upper()
    if form.status and form.status not in (*STATUSES, "any"):
        raise WebError(422, f"unknown status {form.status!r}; one of: {', '.join(STATUSES)}, any")
    if not 1 <= form.limit <= MAX_PAGE:
        raise WebError(422, f"limit must be between 1 and {MAX_PAGE}")
    if not 0 <= form.offset < RANK_WINDOW:
        raise WebError(422, f"offset must be between 0 and {RANK_WINDOW - 1}")
    try:
        date_cover(form.date_from, form.date_to)
    except ValueError as exc:
        raise WebError(422, str(exc)) from None
    if form.status in (None, "any"):
        statuses = visible
    else:
        statuses = (form.status,)
    return Filters(domain=form.domain, sector=form.sector, country=form.country,
                   date_from=form.date_from, date_to=form.date_to, source=form.source,
                   statuses=statuses)


def wants_unreviewed(form: SearchForm) -> bool:
    return form.status not in (None, "accepted")


@dataclass
class Item:
    kind: str
    id: str
    title: str
    url: str
    snippet: Markup | None
    record: Any = None
    at: int | None = None


@dataclass
class Group:
    kind: str
    total: int
    more: bool
    offset: int
    limit: int
    items: list[Item]


def run_search(session: Session, form: SearchForm, filters: Filters, lang: str) -> list[Group]:
    q = parse_query(form.q)
    if not q:
        return []
    results = search_kinds(session, q, kinds=form.kinds or None, filters=filters,
                           limit=form.limit, offset=form.offset)
    groups = []
    for kind in KIND_ORDER:
        res = results.get(kind)
        if res is None:
            continue
        ids = [h.ref_id for h in res.hits]
        records: dict[str, Any] = {}
        if ids and kind == "entity":
            records = {e.id: e for e in session.scalars(
                select(Entity).where(Entity.id.in_(ids)).options(selectinload(Entity.names)))}
        elif ids and kind == "source":
            records = {x.id: x for x in session.scalars(select(Source).where(Source.id.in_(ids)))}
        elif ids:
            records = {c.id: c for c in session.scalars(
                select(Claim).where(Claim.id.in_(ids)).options(
                    selectinload(Claim.roles).selectinload(ClaimEntity.entity), selectinload(Claim.source)))}
        items = []
        for h in res.hits:
            rec = records.get(h.ref_id)
            if rec is None:
                continue  # removed since it was indexed
            if kind == "claim":
                snip = (snippet(rec.quote, q) or snippet(rec.qualifier_in(lang), q)
                        or snippet(h.body, q))
                url = f"/claim/{rec.id}"
            elif kind == "entity":
                # What the entity is, in the reader's language, else which of its names matched.
                snip = (snippet(rec.description_in(lang), q)
                        or snippet(" · ".join(dict.fromkeys(n.name for n in rec.names)), q))
                url = f"/entity/{rec.id}"
            else:
                snip = snippet(h.body, q)
                # Found in the text: open it with the words marked, at the first of them.
                url = f"/source/{rec.id}" + (f"?q={quote(form.q)}#hit" if h.at is not None else "")
            items.append(Item(kind, h.ref_id, h.title, url, snip, rec, h.at))
        groups.append(Group(kind, res.total, res.more, form.offset, form.limit, items))
    return groups


def item_dict(item: Item, lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": item.kind, "id": item.id, "title": item.title, "url": item.url,
                           "snippet": str(item.snippet) if item.snippet else None}
    rec = item.record
    if item.kind == "entity":
        out.update(schema=rec.schema, country=rec.country, sector=rec.sector, foreign=rec.foreign)
    elif item.kind == "source":
        out.update(publisher=rec.publisher, published=rec.published, source_kind=rec.kind,
                   text_offset=item.at)
    else:
        out.update(predicate=rec.predicate, predicate_label=label("predicate", rec.predicate, lang),
                   status=rec.status, date=rec.date, date_precision=rec.date_precision,
                   domain=rec.domain, sector=rec.sector, source=rec.source_id,
                   entities=[{"id": r.entity_id, "name": r.entity.name, "role": r.role} for r in rec.roles])
    return out
