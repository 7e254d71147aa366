"""Exposure indicators per domain, sector and year: claims, foreign firms, money committed and
invested (USD), stated shares and arbitration counts, each figure with its source claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from veeduria.screen import fmt
from veeduria.screen.facts import ClaimView, Facts, load_facts
from veeduria.screen.taxonomy import taxonomy
from veeduria.vocab import is_negative, label

DIMENSIONS = ("domain", "sector", "year")
FIRM_SCHEMATA = {"Company", "Organization", "LegalEntity"}
UNKNOWN = "(none)"


@dataclass
class Figure:
    value: float = 0.0
    claim_ids: list[str] = field(default_factory=list)
    # claim counted -> the other claims of its event (told by other sources, not added)
    same_event: dict[str, list[str]] = field(default_factory=dict)

    def add(self, value: float, claim_id: str, others: list[str] | None = None) -> None:
        # A claim counts once per bucket even if visited twice.
        if claim_id not in self._seen:
            self.value += value
            self._seen.add(claim_id)
            self.claim_ids.append(claim_id)
            if others:
                self.same_event[claim_id] = others

    def __post_init__(self) -> None:
        self._seen = set(self.claim_ids)


@dataclass
class Bucket:
    key: str
    claims: Figure = field(default_factory=Figure)
    firms: dict[str, list[str]] = field(default_factory=dict)  # firm id -> claim ids
    committed_usd: Figure = field(default_factory=Figure)
    invested_usd: Figure = field(default_factory=Figure)
    arbitration_cases: Figure = field(default_factory=Figure)
    shares: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        fig = lambda f: {"value": f.value, "claims": f.claim_ids,  # noqa: E731
                         **({"same_event": f.same_event} if f.same_event else {})}
        return {
            "key": self.key, "claims": fig(self.claims),
            "foreign_firms": {"value": len(self.firms), "firms": sorted(self.firms),
                              "claims": sorted({c for ids in self.firms.values() for c in ids})},
            "committed_usd": fig(self.committed_usd), "invested_usd": fig(self.invested_usd),
            "arbitration_cases": fig(self.arbitration_cases), "shares": self.shares,
        }


@dataclass
class Indicators:
    by: dict[str, dict[str, Bucket]]
    total: Bucket
    country: str | None = None
    since: str | None = None

    def buckets(self, by: str = "domain") -> list[Bucket]:
        if by not in DIMENSIONS:
            raise ValueError(f"unknown dimension {by!r}; expected one of {', '.join(DIMENSIONS)}")
        table = self.by[by]
        return [table[k] for k in sorted(table, key=lambda k: (k == UNKNOWN, k))]

    def rows(self, by: str = "domain", lang: str = "en") -> list[dict[str, Any]]:
        """Flat rows for tables and CSV: one per key, figures with their claim ids."""
        out = []
        for b in [*self.buckets(by), self.total]:
            key = b.key if by == "year" or b.key in (UNKNOWN, "total") else label(by, b.key, lang)
            out.append({
                by: key, "key": b.key, "claims": int(b.claims.value),
                "foreign_firms": len(b.firms),
                "committed_usd": b.committed_usd.value, "invested_usd": b.invested_usd.value,
                "arbitration_cases": int(b.arbitration_cases.value),
                "shares": "; ".join(f"{fmt.share(s['share'], lang)} {s['qualifier'] or ''} "
                                    f"[{s['claim_id']}]".replace("  ", " ") for s in b.shares),
                "committed_claims": " ".join(b.committed_usd.claim_ids),
                "invested_claims": " ".join(b.invested_usd.claim_ids),
                "invested_same_event": " ".join(f"{k}={'+'.join(v)}" for k, v in b.invested_usd.same_event.items()),
                "arbitration_claims": " ".join(b.arbitration_cases.claim_ids),
            })
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"country": self.country, "since": self.since, "total": self.total.to_dict(),
                **{f"by_{d}": [b.to_dict() for b in self.buckets(d)] for d in DIMENSIONS}}


def _add(bucket: Bucket, claim: ClaimView, facts: Facts) -> None:
    money = taxonomy()["money"]
    bucket.claims.add(1, claim.id)
    if is_negative(claim.modality):
        return  # counted as a claim, but "did not invest" is no presence, money or share
    for eid, _ in claim.roles:
        ent = facts.entity(eid)
        if ent.schema in FIRM_SCHEMATA and facts.is_foreign(eid):
            bucket.firms.setdefault(eid, []).append(claim.id)
    # Each event counts once: only the claim its counting rule picks adds its amount
    # (docs/events.md); the event's other claims are cited with it.
    if claim.predicate in money["investment_predicates"] and claim.amount_usd is not None \
            and facts.counts_money(claim):
        others = facts.same_event(claim)
        if claim.modality in money["committed_modalities"]:
            bucket.committed_usd.add(claim.amount_usd, claim.id, others)
        elif claim.modality in money["invested_modalities"] or facts.is_cumulative(claim):
            bucket.invested_usd.add(claim.amount_usd, claim.id, others)
    if claim.predicate == "arbitration":
        bucket.arbitration_cases.add(claim.quantity_value or 1, claim.id)
    if claim.share is not None and claim.predicate != "owns":
        bucket.shares.append({"share": claim.share, "qualifier": claim.qualifier,
                              "subject": [facts.name(e) for e in claim.entities("subject")],
                              "date": claim.date, "claim_id": claim.id})


def compute_facts(facts: Facts, *, country: str | None = None, since: str | None = None) -> Indicators:
    by: dict[str, dict[str, Bucket]] = {d: {} for d in DIMENSIONS}
    total = Bucket("total")
    for claim in facts.claims:
        if since and (claim.date_sort or "") < since:
            continue
        keys = {"domain": claim.domain or UNKNOWN, "sector": claim.sector or UNKNOWN,
                "year": claim.year or UNKNOWN}
        for dim, key in keys.items():
            _add(by[dim].setdefault(key, Bucket(key)), claim, facts)
        _add(total, claim, facts)
    return Indicators(by=by, total=total, country=country, since=since)


def compute(session: Session, *, country: str | None = None, since: str | None = None) -> Indicators:
    """Indicators over accepted claims (about `country`, dated on or after `since`)."""
    # Every claim is read (ownership chains decide who is foreign); only those dated on or
    # after `since` are counted.
    facts = load_facts(session, country=country)
    return compute_facts(facts, country=country, since=since)
