"""Judgements about identity: merge, split, match, no-match. Each is recorded with who,
when and why, keeps what it changed, and can be undone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from veeduria.resolve.models import Judgement, ReviewItem
from veeduria.store.audit import record as audit
from veeduria.store.models import ClaimEntity, Entity, EntityName, utcnow
from veeduria.store.search import index_claims, index_entities, unindex
from veeduria.text import fold, slugify


class JudgementError(ValueError):
    pass


def _live(session: Session, entity_id: str) -> Entity:
    ent = session.get(Entity, entity_id)
    if ent is None:
        raise JudgementError(f"no entity {entity_id!r}")
    if ent.merged_into:
        raise JudgementError(f"{entity_id!r} was merged into {ent.merged_into!r}")
    return ent


def _add_name(ent: Entity, name: str, kind: str = "alias") -> bool:
    if any(n.name == name for n in ent.names):
        return False
    ent.names.append(EntityName(name=name, kind=kind, normalized=fold(name)[:512]))
    return True


def merge(session: Session, keep_id: str, drop_id: str, actor: str, reason: str,
          *, score: float | None = None, review_item_id: int | None = None) -> Judgement:
    """Merge `drop` into `keep`: its claims and names move to `keep`, and `drop` points to
    `keep` through merged_into (look-ups by its id or names land on `keep`)."""
    if keep_id == drop_id:
        raise JudgementError("cannot merge an entity into itself")
    keep, drop = _live(session, keep_id), _live(session, drop_id)
    moved: list[int] = []
    deleted: list[dict[str, Any]] = []
    claims: set[str] = set()
    rows = list(session.scalars(select(ClaimEntity).where(ClaimEntity.entity_id == drop_id)))
    for ce in rows:
        claims.add(ce.claim_id)
        clash = session.scalar(select(ClaimEntity).where(
            ClaimEntity.claim_id == ce.claim_id, ClaimEntity.entity_id == keep_id,
            ClaimEntity.role == ce.role))
        if clash is not None:
            deleted.append({"claim_id": ce.claim_id, "role": ce.role, "position": ce.position})
            session.delete(ce)
        else:
            ce.entity_id = keep_id
            moved.append(ce.id)
    added = [n.name for n in list(drop.names) if _add_name(keep, n.name)]
    drop.merged_into = keep_id
    session.flush()
    j = Judgement(kind="merge", entity_id=keep_id, other_id=drop_id, actor=actor, reason=reason,
                  score=score, review_item_id=review_item_id,
                  data={"moved_roles": moved, "deleted_roles": deleted, "names_added": added})
    session.add(j)
    audit(session, actor, "merge", "entity", drop_id, {"merged_into": [None, keep_id]}, note=reason)
    session.flush()
    index_entities(session, [keep_id, drop_id])
    index_claims(session, sorted(claims))
    return j


def split(session: Session, entity_id: str, name: str, actor: str, reason: str,
          *, new_id: str | None = None, claim_ids: list[str] | None = None) -> Judgement:
    """Take a name (and optionally some claims) away from an entity into a new entity: the
    remedy when two different things were recorded as one."""
    ent = _live(session, entity_id)
    row = next((n for n in ent.names if n.name == name), None)
    if row is None:
        raise JudgementError(f"{entity_id!r} has no name {name!r}")
    if name == ent.name:
        raise JudgementError("cannot split off the primary name; rename the entity first")
    new_id = new_id or slugify(name, 60)
    if session.get(Entity, new_id) is not None:
        raise JudgementError(f"entity {new_id!r} exists already")
    new = Entity(id=new_id, schema=ent.schema, name=name, country=ent.country, sector=ent.sector,
                 foreign=ent.foreign, meta={"split_from": entity_id})
    session.add(new)
    new.names.append(EntityName(name=name, lang=row.lang, kind="name", normalized=row.normalized))
    ent.names.remove(row)
    moved = []
    for ce in session.scalars(select(ClaimEntity).where(ClaimEntity.entity_id == entity_id,
                                                        ClaimEntity.claim_id.in_(claim_ids or []))):
        ce.entity_id = new_id
        moved.append(ce.id)
    session.flush()
    j = Judgement(kind="split", entity_id=entity_id, other_id=new_id, name=name, actor=actor,
                  reason=reason, data={"moved_roles": moved, "lang": row.lang})
    session.add(j)
    audit(session, actor, "split", "entity", entity_id, {"name": name, "new_entity": new_id},
          note=reason)
    session.flush()
    index_entities(session, [entity_id, new_id])
    return j


def judge_match(session: Session, name: str, entity_id: str, actor: str, reason: str,
                *, review_item_id: int | None = None) -> Judgement:
    """`name` refers to `entity_id`: the name becomes an alias, so it matches exactly."""
    ent = _live(session, entity_id)
    added = _add_name(ent, name)
    j = Judgement(kind="match", entity_id=entity_id, name=name, actor=actor, reason=reason,
                  review_item_id=review_item_id, data={"alias_added": added})
    session.add(j)
    audit(session, actor, "match", "entity", entity_id, {"name": name}, note=reason)
    session.flush()
    index_entities(session, [entity_id])
    return j


def judge_no_match(session: Session, name: str, entity_id: str, actor: str, reason: str,
                   *, review_item_id: int | None = None) -> Judgement:
    """`name` does not refer to `entity_id`: the matcher will not propose it again."""
    j = Judgement(kind="no_match", entity_id=entity_id, name=name, actor=actor, reason=reason,
                  review_item_id=review_item_id, data={})
    session.add(j)
    audit(session, actor, "no_match", "entity", entity_id, {"name": name}, note=reason)
    session.flush()
    return j


def undo(session: Session, judgement_id: int, actor: str, reason: str | None = None) -> Judgement:
    """Reverse a judgement; the judgement stays on record, marked undone."""
    j = session.get(Judgement, judgement_id)
    if j is None:
        raise JudgementError(f"no judgement {judgement_id}")
    if j.undone_at is not None:
        raise JudgementError(f"judgement {judgement_id} was undone already")
    # A later merge or split touching the entity this one created or merged away builds on it.
    later = session.scalar(select(Judgement).where(
        Judgement.id > j.id, Judgement.undone_at.is_(None), Judgement.kind.in_(("merge", "split")),
        (Judgement.entity_id == (j.other_id or "")) | (Judgement.other_id == (j.other_id or ""))))
    if later is not None and j.kind in ("merge", "split"):
        raise JudgementError(f"undo judgement {later.id} first: it builds on this one")
    data = j.data or {}
    if j.kind == "merge":
        _undo_merge(session, j, data)
    elif j.kind == "split":
        _undo_split(session, j, data)
    elif j.kind == "match":
        ent = session.get(Entity, j.entity_id)
        if ent is not None and data.get("alias_added"):
            row = next((n for n in ent.names if n.name == j.name and n.kind != "name"), None)
            if row is not None:
                ent.names.remove(row)
        index_entities(session, [j.entity_id])
    if j.review_item_id:
        item = session.get(ReviewItem, j.review_item_id)
        if item is not None:
            item.status, item.resolved_at, item.resolved_by = "open", None, None
    j.undone_at, j.undone_by = utcnow(), actor
    audit(session, actor, f"undo_{j.kind}", "judgement", str(j.id), None, note=reason)
    session.flush()
    return j


def _undo_merge(session: Session, j: Judgement, data: dict[str, Any]) -> None:
    keep, drop = session.get(Entity, j.entity_id), session.get(Entity, j.other_id)
    if drop is None or keep is None:
        raise JudgementError("an entity of this merge no longer exists")
    claims = set()
    for ce_id in data.get("moved_roles", []):
        ce = session.get(ClaimEntity, ce_id)
        if ce is not None and ce.entity_id == keep.id:
            ce.entity_id = drop.id
            claims.add(ce.claim_id)
    for row in data.get("deleted_roles", []):
        session.add(ClaimEntity(claim_id=row["claim_id"], entity_id=drop.id, role=row["role"],
                                position=row["position"]))
        claims.add(row["claim_id"])
    added = set(data.get("names_added", []))
    for n in [n for n in keep.names if n.name in added and n.kind != "name"]:
        keep.names.remove(n)
    drop.merged_into = None
    session.flush()
    audit(session, j.undone_by or "system", "unmerge", "entity", drop.id,
          {"merged_into": [keep.id, None]})
    index_entities(session, [keep.id, drop.id])
    index_claims(session, sorted(claims))


def _undo_split(session: Session, j: Judgement, data: dict[str, Any]) -> None:
    ent, new = session.get(Entity, j.entity_id), session.get(Entity, j.other_id)
    if ent is None or new is None:
        raise JudgementError("an entity of this split no longer exists")
    for ce_id in data.get("moved_roles", []):
        ce = session.get(ClaimEntity, ce_id)
        if ce is not None and ce.entity_id == new.id:
            ce.entity_id = ent.id
    _add_name(ent, j.name or new.name)
    remaining = session.scalar(select(ClaimEntity.id).where(ClaimEntity.entity_id == new.id).limit(1))
    if remaining is None:
        session.delete(new)
        session.flush()
        unindex(session, "entity", [new.id])
    else:
        new.merged_into = ent.id
    session.flush()
    index_entities(session, [ent.id])


def decide(session: Session, item_id: int, decision: str, actor: str, reason: str,
           entity_id: str | None = None, claim_id: str | None = None) -> list[Judgement]:
    """Settle a review item. For a name: `match` (with entity_id: the name's candidate entity
    is merged into it), `no_match` (none of the proposed entities; keeps it separate) or
    `dismiss`. For a conflict: `dismiss` (the stored claim stands) or `add` (the imported
    row is stored as a candidate claim next to it)."""
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise JudgementError(f"no review item {item_id}")
    if item.status != "open":
        raise JudgementError(f"review item {item_id} is {item.status}")
    made: list[Judgement] = []
    if item.kind == "match" and decision == "match":
        if not entity_id:
            raise JudgementError("a match needs the entity it matches")
        if item.entity_id and item.entity_id != entity_id and session.get(Entity, item.entity_id):
            made.append(merge(session, entity_id, item.entity_id, actor, reason,
                              review_item_id=item.id))
        else:
            made.append(judge_match(session, item.name or "", entity_id, actor, reason,
                                    review_item_id=item.id))
    elif item.kind == "match" and decision == "no_match":
        targets = [entity_id] if entity_id else [c["entity_id"] for c in item.candidates or []]
        for target in targets:
            if target != item.entity_id:
                made.append(judge_no_match(session, item.name or "", target, actor, reason,
                                           review_item_id=item.id))
    elif item.kind == "conflict" and decision == "choose":
        from veeduria.resolve.events import decide_conflict, get_event

        detail = item.detail or {}
        if not detail.get("event") or not claim_id:
            raise JudgementError("choose needs a conflict within an event and the claim whose value stands")
        ev = get_event(session, detail["event"], ("accepted", "candidate"))
        made.append(decide_conflict(session, ev, detail.get("field", ""), claim_id, actor, reason,
                                    review_item_id=item.id))
    elif item.kind == "conflict" and decision == "add":
        from veeduria.importers.common import store_claim_dict

        store_claim_dict(session, (item.detail or {}).get("claim") or {}, actor)
    elif decision != "dismiss":
        raise JudgementError(f"cannot {decision!r} a {item.kind} item")
    item.status = "dismissed" if decision == "dismiss" else "resolved"
    if decision == "choose":  # the judgement is the record; keep the item's fields in step
        item.status = "resolved"
    item.resolved_at, item.resolved_by, item.note = utcnow(), actor, reason
    session.flush()
    return made
