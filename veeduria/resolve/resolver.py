"""Resolving names against the store: a Matcher built from the store's entities, and the
decision for each name (take the match, queue it for review, or create a flagged
candidate entity)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from veeduria.model import EntityRecord
from veeduria.resolve.matcher import Candidate, Matcher
from veeduria.resolve.models import Judgement, ReviewItem
from veeduria.store.models import Entity, EntityName
from veeduria.store.writer import upsert_entity
from veeduria.text import slugify


def matcher_from_store(session: Session) -> Matcher:
    """Index every live (not merged-away) entity by all its names, and honour recorded
    no-match judgements."""
    m = Matcher()
    rows = session.execute(
        select(Entity.id, Entity.schema, Entity.country, Entity.name, EntityName.name)
        .join(EntityName, EntityName.entity_id == Entity.id, isouter=True)
        .where(Entity.merged_into.is_(None))
        .order_by(Entity.id, EntityName.id)
    ).all()
    names: dict[str, list[str]] = {}
    info: dict[str, tuple[str, str | None]] = {}
    for eid, schema, country, primary, alias in rows:
        lst = names.setdefault(eid, [primary])
        if alias and alias not in lst:
            lst.append(alias)
        info[eid] = (schema, country)
    for eid, lst in names.items():
        m.add(eid, lst, info[eid][0], info[eid][1])
    for j in session.scalars(select(Judgement).where(Judgement.kind == "no_match",
                                                     Judgement.undone_at.is_(None))):
        if j.name:
            m.reject(j.name, j.entity_id)
    return m


@dataclass
class Resolution:
    name: str
    entity_id: str | None
    status: str  # matched | review | created | unresolved
    candidates: list[Candidate] = field(default_factory=list)
    review_item: int | None = None


def review_key(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]


def queue_item(session: Session, key: str, **values: Any) -> tuple[ReviewItem, bool]:
    """Add a review item unless one with the same key exists. Returns (item, created)."""
    item = session.scalar(select(ReviewItem).where(ReviewItem.key == key))
    if item is not None:
        return item, False
    item = ReviewItem(key=key, **values)
    session.add(item)
    session.flush()
    return item, True


def _free_id(session: Session, base: str) -> str:
    candidate, n = base, 2
    while session.get(Entity, candidate) is not None:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


class Resolver:
    """Resolves names for one import run; newly created entities join the matcher at once
    so that a name repeated in the file resolves to the same new entity."""

    def __init__(self, session: Session, actor: str, *, create: bool = True,
                 matcher: Matcher | None = None) -> None:
        self.session = session
        self.actor = actor
        self.create = create
        self.matcher = matcher or matcher_from_store(session)
        self.created: list[str] = []
        self.queued: list[int] = []

    def resolve(self, name: str, *, schema: str = "Company", country: str | None = None,
                context: dict[str, Any] | None = None, source_id: str | None = None,
                origin: str = "import") -> Resolution:
        name = " ".join(name.split())
        cands = self.matcher.match(name, schema=schema, country=country)
        verdict, top = self.matcher.decide(cands)
        if verdict == "auto" and top is not None:
            return Resolution(name, top.entity_id, "matched", cands)
        if not self.create:
            return Resolution(name, None, "review" if verdict == "review" else "unresolved", cands)
        eid = self._create(name, schema, country, origin, source_id)
        res = Resolution(name, eid, "created", cands)
        if verdict == "review":
            item, created = queue_item(
                self.session, review_key("match", name, eid), kind="match", name=name,
                entity_id=eid, source_id=source_id,
                candidates=[{"entity_id": c.entity_id, "score": c.score, "reason": c.reason}
                            for c in cands],
                detail=context or {})
            res.status, res.review_item = "review", item.id
            if created:
                self.queued.append(item.id)
        return res

    def _create(self, name: str, schema: str, country: str | None, origin: str,
                source_id: str | None) -> str:
        eid = _free_id(self.session, slugify(name, 60))
        rec = EntityRecord(id=eid, schema=schema, name=name, country=country,
                           meta={"candidate": True, "created_by": origin, "source": source_id})
        upsert_entity(self.session, rec, self.actor)
        self.session.flush()
        self.matcher.add(eid, [name], schema, country)
        self.created.append(eid)
        return eid
