"""The index of known claims, bucketed by (predicate, entity) so that a look-up costs the
claims sharing an entity with the candidate, not every claim with the same predicate
(which, at a million claims, is hundreds of thousands per look-up). Same answers as
veeduria.extract.dedupe.ClaimIndex: only known claims sharing an entity can match, and they
are tried in the order they were added."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from veeduria.extract.dedupe import ClaimKey, key_of, match
from veeduria.model import ClaimRecord
from veeduria.store.models import Claim, ClaimEntity


class EntityClaimIndex:
    def __init__(self, keys: Iterable[ClaimKey] = ()) -> None:
        self._keys: list[ClaimKey] = []
        # (predicate, entity) -> year (or None) -> sequence numbers in the order added. A
        # candidate with a year can only restate claims of that year or without one.
        self._buckets: dict[tuple[str, str], dict[str | None, list[int]]] = {}
        for key in keys:
            self.add(key)

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: ClaimKey) -> None:
        seq = len(self._keys)
        self._keys.append(key)
        for ent in key.entities:
            self._buckets.setdefault((key.predicate, ent), {}).setdefault(key.year, []).append(seq)

    def find(self, rec: ClaimRecord) -> str | None:
        cand = key_of(rec, "")
        seqs: set[int] = set()
        for ent in cand.entities:
            by_year = self._buckets.get((rec.predicate, ent))
            if not by_year:
                continue
            if cand.year:
                seqs.update(by_year.get(cand.year, ()))
                seqs.update(by_year.get(None, ()))
            else:
                for part in by_year.values():
                    seqs.update(part)
        if not seqs:
            return None
        # The reference index's own matching, over these keys only, in the order added.
        keys = self._keys
        return match(cand, [keys[i] for i in sorted(seqs)])

    def mark(self) -> int:
        return len(self._keys)

    def rollback(self, mark: int) -> None:
        """Forget keys added since `mark` (their batch was not stored)."""
        for key in self._keys[mark:]:
            for ent in key.entities:
                part = self._buckets[(key.predicate, ent)][key.year]
                while part and part[-1] >= mark:
                    part.pop()
        del self._keys[mark:]


def entity_claim_index_from_store(session: Session) -> EntityClaimIndex:
    """Claims a candidate may restate (not rejected, not duplicates), as
    veeduria.extract.from_store.claim_index_from_store selects them, streamed."""
    roles: dict[str, set[str]] = {}
    for claim_id, entity_id in session.execute(
            select(ClaimEntity.claim_id, ClaimEntity.entity_id).execution_options(yield_per=50_000)):
        roles.setdefault(claim_id, set()).add(entity_id)
    index = EntityClaimIndex()
    rows = session.execute(
        select(Claim.id, Claim.predicate, Claim.source_id, Claim.offset_start, Claim.offset_end,
               Claim.amount_usd, Claim.share, Claim.quantity_value, Claim.date)
        .where(Claim.status != "rejected", Claim.duplicate_of.is_(None))
        .execution_options(yield_per=50_000)
    )
    for r in rows:
        index.add(ClaimKey(
            id=r.id, predicate=r.predicate, entities=frozenset(roles.get(r.id, ())),
            source_id=r.source_id,
            offsets=(r.offset_start, r.offset_end) if r.offset_start is not None else None,
            amount_usd=r.amount_usd, share=r.share, quantity=r.quantity_value,
            year=r.date[:4] if r.date else None,
        ))
    return index
