"""The facts screening works on: plain views of claims and entities, read from the store or
built in memory (a what-if deal). Rules never touch the database, so the same engine screens
the store and a proposed deal without writing anything."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from veeduria.store.models import Claim, ClaimEntity, Entity, EntityName
from veeduria.text import fold
from veeduria.vocab import is_cumulative

CHUNK = 500


@dataclass
class EntityView:
    id: str
    name: str
    schema: str = "LegalEntity"
    country: str | None = None
    sector: str | None = None
    foreign: bool = False
    state_linkage: str | None = None
    names: dict[str, str] = field(default_factory=dict)  # lang -> name in that language


@dataclass(eq=False)  # identity equality: one view per claim, usable in sets
class ClaimView:
    id: str
    predicate: str
    roles: list[tuple[str, str]]  # (entity_id, role), in claim order
    domain: str = ""
    sector: str | None = None
    modality: str = "actual"
    qualifier: str | None = None
    translations: dict[str, str] = field(default_factory=dict)
    quote: str = ""
    note: str | None = None
    place: str | None = None
    date: str | None = None
    date_sort: str | None = None
    amount_value: float | None = None
    amount_currency: str | None = None
    amount_usd: float | None = None
    share: float | None = None
    quantity_value: float | None = None
    quantity_unit: str | None = None
    source_id: str | None = None
    country: str | None = None
    cumulative: bool = False  # the amount is a running total up to `date`
    method: str = "curated"
    status: str = "accepted"
    confidence: float = 0.9
    amount_usd_basis: str | None = None

    def qualifier_in(self, lang: str) -> str | None:
        return self.translations.get(f"qualifier_{lang}") or self.qualifier

    def entities(self, role: str) -> list[str]:
        return [eid for eid, r in self.roles if r == role]

    @functools.cached_property
    def text(self) -> str:
        """Folded text that keyword patterns look in."""
        return fold(" ".join(x for x in (self.qualifier, self.quote, self.note, self.place) if x))

    @property
    def year(self) -> str | None:
        return (self.date_sort or self.date or "")[:4] or None


@dataclass
class Facts:
    claims: list[ClaimView] = field(default_factory=list)
    entities: dict[str, EntityView] = field(default_factory=dict)

    judgements: list = field(default_factory=list)  # event judgements (merge, split, decide)

    def __post_init__(self) -> None:
        self._index()

    def events(self) -> dict[str, Any]:
        """claim id -> its event (veeduria/resolve/events.py), for claims of event families."""
        if self._events is None:
            from veeduria.resolve.events import Member, build_events, family_of

            members = [Member(
                id=c.id, predicate=c.predicate, roles=list(c.roles), modality=c.modality,
                date=c.date, date_sort=c.date_sort, amount_usd=c.amount_usd,
                amount_value=c.amount_value, amount_currency=c.amount_currency,
                amount_basis=c.amount_usd_basis, share=c.share, source_id=c.source_id or "",
                source_key=c.source_id or "", method=c.method, status=c.status,
                confidence=c.confidence, note=c.note, quote=c.quote, qualifier=c.qualifier,
                names={e: self.name(e) for e, _ in c.roles})
                for c in self.claims if family_of(c.predicate) is not None]

            def related(a: str, b: str) -> bool:
                return a == b or b in self.chain(a) or a in self.chain(b)

            self._events = {cid: ev for ev in build_events(members, related, self.judgements)
                            for cid in ev.claim_ids}
        return self._events

    def counts_money(self, claim: ClaimView) -> bool:
        """Whether an aggregate adds this claim's amount: yes unless another claim of its
        event is the one counted (each event counts once)."""
        ev = self.events().get(claim.id)
        return ev is None or ev.counted is None or ev.counted.id == claim.id

    def is_cumulative(self, claim: ClaimView) -> bool:
        ev = self.events().get(claim.id)
        return bool(ev is not None and any(m.id == claim.id and m.cumulative for m in ev.members))

    def same_event(self, claim: ClaimView) -> list[str]:
        """The other claims of the claim's event."""
        ev = self.events().get(claim.id)
        return [c for c in ev.claim_ids if c != claim.id] if ev is not None else []

    def _index(self) -> None:
        self.by_predicate: dict[str, list[ClaimView]] = defaultdict(list)
        self.by_entity: dict[str, list[ClaimView]] = defaultdict(list)
        self.by_id: dict[str, ClaimView] = {}
        for c in self.claims:
            self.by_id[c.id] = c
            self.by_predicate[c.predicate].append(c)
            for eid in dict.fromkeys(e for e, _ in c.roles):
                self.by_entity[eid].append(c)
        self._chains: dict[str, list[str]] = {}
        self._foreign: dict[str, bool] = {}
        self._events: dict[str, Any] | None = None
        self.__dict__.pop("_by_country", None)

    def add(self, claims: Iterable[ClaimView], entities: Iterable[EntityView] = ()) -> None:
        for e in entities:
            self.entities[e.id] = e
        self.claims.extend(claims)
        self._index()

    def entity(self, eid: str) -> EntityView:
        return self.entities.get(eid) or EntityView(eid, eid)

    def name(self, eid: str, lang: str = "en") -> str:
        """The entity's name, in `lang` when it has a name or alias in that language."""
        ent = self.entity(eid)
        return ent.names.get(lang, ent.name) if lang != "en" else ent.name

    def owners(self, eid: str) -> list[str]:
        """Direct owners (subjects of `owns` claims whose object is the entity), largest first."""
        links = [(c.share if c.share is not None else 1.0, c.entities("subject"))
                 for c in self.by_entity.get(eid, ()) if c.predicate == "owns"
                 and eid in c.entities("object")]
        links.sort(key=lambda x: -x[0])
        return [o for _, subjects in links for o in subjects if o != eid]

    def chain(self, eid: str, max_depth: int = 12) -> list[str]:
        """Controlling owners up to the ultimate one (the entity itself excluded)."""
        if eid not in self._chains:
            out: list[str] = []
            seen, current = {eid}, eid
            for _ in range(max_depth):
                owners = [o for o in self.owners(current) if o not in seen]
                if not owners:
                    break
                current = owners[0]
                seen.add(current)
                out.append(current)
            self._chains[eid] = out
        return self._chains[eid]

    def is_foreign(self, eid: str) -> bool:
        """Flagged foreign itself or controlled (through `owns`) by a flagged entity."""
        if eid not in self._foreign:
            self._foreign[eid] = self.entity(eid).foreign or any(
                self.entity(o).foreign for o in self.chain(eid))
        return self._foreign[eid]

    def entities_of_country(self, country: str) -> list[str]:
        """Entities of that country, or owned (up the chain) by one of that country."""
        if not hasattr(self, "_by_country"):
            table: dict[str, list[str]] = defaultdict(list)
            for eid in self.entities:
                for c in self.countries(eid):
                    table[c].append(eid)
            self._by_country = table
        return self._by_country.get(country, [])

    def countries(self, eid: str) -> set[str]:
        """The entity's country and its owners' countries (where its state can reach it)."""
        ids = [eid, *self.chain(eid)]
        return {c for c in (self.entity(i).country for i in ids) if c}


def claim_view(c: Claim) -> ClaimView:
    return claim_view_from_rows(c, [(r.entity_id, r.role) for r in c.roles])


def entity_view(e: Entity) -> EntityView:
    return EntityView(id=e.id, name=e.name, schema=e.schema, country=e.country, sector=e.sector,
                      foreign=bool(e.foreign), state_linkage=e.state_linkage)


def load_facts(session: Session, *, predicates: Iterable[str] | None = None,
               statuses: tuple[str, ...] = ("accepted",), country: str | None = None,
               since: str | None = None) -> Facts:
    """Claims (optionally only these predicates; `owns` always, for chains) and every entity
    they mention. Merged entities are read as their survivors."""
    q = select(Claim).where(Claim.status.in_(statuses), Claim.duplicate_of.is_(None))
    if predicates is not None:
        q = q.where(Claim.predicate.in_(sorted(set(predicates) | {"owns"})))
    if country:
        q = q.where((Claim.country == country.lower()) | Claim.country.is_(None))
    if since:
        q = q.where(Claim.date_sort >= since)
    claims = {c.id: c for c in session.scalars(q.order_by(Claim.id))}
    roles: dict[str, list[tuple[str, str]]] = defaultdict(list)
    ids = list(claims)
    for i in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(ClaimEntity.claim_id, ClaimEntity.entity_id, ClaimEntity.role)
            .where(ClaimEntity.claim_id.in_(ids[i:i + CHUNK]))
            .order_by(ClaimEntity.claim_id, ClaimEntity.position)
        )
        for cid, eid, role in rows:
            roles[cid].append((eid, role))
    entity_ids = sorted({eid for rs in roles.values() for eid, _ in rs})
    entities: dict[str, EntityView] = {}
    merged: dict[str, str] = {}
    for i in range(0, len(entity_ids), CHUNK):
        for e in session.scalars(select(Entity).where(Entity.id.in_(entity_ids[i:i + CHUNK]))):
            entities[e.id] = entity_view(e)
            if e.merged_into:
                merged[e.id] = e.merged_into
    for old, new in list(merged.items()):
        target = session.get(Entity, new)
        while target is not None and target.merged_into:
            target = session.get(Entity, target.merged_into)
        if target is not None:
            entities[target.id] = entity_view(target)
            merged[old] = target.id
    _add_language_names(session, entities)
    from veeduria.resolve.events import event_judgements

    judgements = event_judgements(session)
    views = []
    for cid, c in claims.items():
        v = claim_view_from_rows(c, [(merged.get(e, e), r) for e, r in roles.get(cid, [])])
        views.append(v)
    return Facts(views, entities, judgements)


def _add_language_names(session: Session, entities: dict[str, EntityView]) -> None:
    ids = sorted(entities)
    for i in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(EntityName.entity_id, EntityName.lang, EntityName.name)
            .where(EntityName.entity_id.in_(ids[i:i + CHUNK]), EntityName.lang.is_not(None),
                   EntityName.lang != "en", EntityName.kind.in_(("name", "alias")))
            .order_by(EntityName.id))
        for eid, lang, name in rows:
            entities[eid].names.setdefault(lang, name)


def claim_view_from_rows(c: Claim, roles: list[tuple[str, str]]) -> ClaimView:
    v = ClaimView(id=c.id, predicate=c.predicate, roles=roles)
    for name in ("domain", "sector", "modality", "qualifier", "quote", "note", "place", "date",
                 "date_sort", "amount_value", "amount_currency", "amount_usd", "share",
                 "quantity_value", "quantity_unit", "source_id", "country", "method", "status",
                 "confidence", "amount_usd_basis"):
        setattr(v, name, getattr(c, name))
    v.translations = {k: val for k, val in (c.meta or {}).items() if k.startswith("qualifier_")}
    v.cumulative = is_cumulative(c.meta)
    return v
