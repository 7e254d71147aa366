"""Recognising a candidate that restates a claim already known (same predicate, same
entities, same figure or year), so it can point to that claim instead of duplicating it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from veeduria.model import ClaimRecord


@dataclass(frozen=True)
class ClaimKey:
    id: str
    predicate: str
    entities: frozenset[str]
    source_id: str
    offsets: tuple[int, int] | None
    amount_usd: float | None
    share: float | None
    quantity: float | None
    year: str | None


def _close(a: float | None, b: float | None, tolerance: float = 0.02) -> bool | None:
    """True/False when both are known, None when either is missing."""
    if a is None or b is None:
        return None
    return abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-9)


class ClaimIndex:
    """Known claims by predicate; plain data, picklable."""

    def __init__(self, keys: Iterable[ClaimKey] = ()) -> None:
        self.by_predicate: dict[str, list[ClaimKey]] = {}
        for key in keys:
            self.add(key)

    def add(self, key: ClaimKey) -> None:
        self.by_predicate.setdefault(key.predicate, []).append(key)

    def add_record(self, rec: ClaimRecord, claim_id: str) -> None:
        self.add(key_of(rec, claim_id))

    def find(self, rec: ClaimRecord) -> str | None:
        """The id of a known claim that `rec` restates, or None."""
        return match(key_of(rec, ""), self.by_predicate.get(rec.predicate, ()))


def match(cand: ClaimKey, known_keys: Iterable[ClaimKey]) -> str | None:
    """The id of the first of `known_keys` (same predicate as `cand`) that `cand` restates:
    same entities and figure (or year, without figures); else the first overlapping it in
    the same source. Takes a key made once, so an index can look up without re-keying."""
    has_figures = cand.amount_usd is not None or cand.share is not None or cand.quantity is not None
    best = None
    for known in known_keys:
        if not cand.entities & known.entities:
            continue
        figures = (_close(cand.amount_usd, known.amount_usd), _close(cand.share, known.share),
                   _close(cand.quantity, known.quantity))
        if False in figures:
            continue
        if cand.year and known.year and cand.year != known.year:
            continue
        same_entities = cand.entities <= known.entities or known.entities <= cand.entities
        same_figure = True in figures
        if same_entities and (same_figure or (not has_figures and cand.year and cand.year == known.year)):
            return known.id
        overlapping = (cand.source_id == known.source_id and cand.offsets and known.offsets
                       and cand.offsets[0] < known.offsets[1] and known.offsets[0] < cand.offsets[1])
        if overlapping and (same_figure or not has_figures):
            best = best or known.id
    return best


def key_of(rec: ClaimRecord, claim_id: str) -> ClaimKey:
    return ClaimKey(
        id=claim_id, predicate=rec.predicate, entities=frozenset(e for e, _ in rec.entities),
        source_id=rec.source_id, offsets=rec.offsets,
        amount_usd=rec.amount.usd if rec.amount else None, share=rec.share,
        quantity=rec.quantity.value if rec.quantity else None,
        # A year inferred from the publication date does not tell two events apart.
        year=str(rec.date)[:4] if rec.date and (rec.meta or {}).get("date_from") != "published" else None,
    )
