"""Building the extractor's inputs (gazetteer, index of known claims) from the store."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from veeduria.extract.dedupe import ClaimIndex, ClaimKey
from veeduria.extract.gazetteer import EntityInfo, Gazetteer
from veeduria.store.models import Claim, ClaimEntity, Entity, EntityName


def gazetteer_from_store(session: Session) -> Gazetteer:
    """Every entity name and alias; names of merged entities point to the survivor."""
    gz = Gazetteer(world=True)  # the world's state-linked actors the store does not hold
    merged: dict[str, str] = {}
    for ent in session.scalars(select(Entity)):
        if ent.merged_into:
            merged[ent.id] = ent.merged_into
            continue
        gz.add_entity(EntityInfo(ent.id, ent.name, ent.schema, ent.sector, ent.country, bool(ent.foreign)))
    for entity_id, name in session.execute(select(EntityName.entity_id, EntityName.name)):
        target = entity_id
        for _ in range(10):  # follow merge chains, bounded
            if target not in merged:
                break
            target = merged[target]
        if target in gz.entities:
            gz.add_name(name, target)
    return gz


def known_claim_keys(session: Session) -> Iterator[ClaimKey]:
    """Claims a candidate may restate: accepted or candidate, not rejected, not duplicates;
    streamed, so a store of millions of claims is read in batches."""
    roles: dict[str, set[str]] = {}
    for claim_id, entity_id in session.execute(
            select(ClaimEntity.claim_id, ClaimEntity.entity_id).execution_options(yield_per=50_000)):
        roles.setdefault(claim_id, set()).add(entity_id)
    rows = session.execute(
        select(Claim.id, Claim.predicate, Claim.source_id, Claim.offset_start, Claim.offset_end,
               Claim.amount_usd, Claim.share, Claim.quantity_value, Claim.date)
        .where(Claim.status != "rejected", Claim.duplicate_of.is_(None))
        .execution_options(yield_per=50_000)
    )
    for r in rows:
        yield ClaimKey(
            id=r.id, predicate=r.predicate, entities=frozenset(roles.get(r.id, ())),
            source_id=r.source_id,
            offsets=(r.offset_start, r.offset_end) if r.offset_start is not None else None,
            amount_usd=r.amount_usd, share=r.share, quantity=r.quantity_value,
            year=r.date[:4] if r.date else None,
        )


def claim_index_from_store(session: Session) -> ClaimIndex:
    index = ClaimIndex()
    for key in known_claim_keys(session):
        index.add(key)
    return index
