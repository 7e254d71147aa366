"""The index of known claims, bucketed by (predicate, entity) so that a look-up costs the
claims sharing an entity with the candidate, not every claim with the same predicate
(which, at a million claims, is hundreds of thousands per look-up). Same answers as
veeduria.extract.dedupe.ClaimIndex: only known claims sharing an entity can match, and they
are tried in the order they were added."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from veeduria.extract.dedupe import ClaimKey, key_of, match
from veeduria.extract.from_store import known_claim_keys
from veeduria.model import ClaimRecord


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
    """Claims a candidate may restate, selected as veeduria.extract.from_store selects them."""
    return EntityClaimIndex(known_claim_keys(session))
