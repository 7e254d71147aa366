"""The data-exposure matrix: firm x data category x legal obligation, with evidence.

Rows come from the findings of the `data_access` rules (packaged or the user's): each
finding's `activity` claims give the data categories (by sector, taxonomy.yaml) and its
other claims give the obligations (the foreign law, or the state's control of the data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from veeduria.screen.engine import Finding, load_rules, needed_predicates, screen_facts
from veeduria.screen.facts import Facts, load_facts
from veeduria.screen.rules import Rule
from veeduria.screen.taxonomy import data_category

CATEGORY = "data_access"
ACTIVITY_CLAUSE = "activity"


@dataclass
class ExposureRow:
    firm_id: str
    firm_name: str
    category: str               # data category key (telecom_traffic, trip_data, ...)
    category_label: dict[str, str]
    sectors: list[str]
    obligations: list[dict[str, Any]]  # {text, claim_id}
    activity_claims: list[str]
    obligation_claims: list[str]
    finding_id: str
    evidence: list[str] = field(default_factory=list)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {"firm": {"id": self.firm_id, "name": self.firm_name}, "category": self.category,
                "category_label": self.category_label.get(lang) or self.category_label.get("en"),
                "sectors": self.sectors,
                "obligations": [{"text": o["text"][lang], "claim_id": o["claim_id"]}
                                for o in self.obligations],
                "evidence": self.evidence, "finding": self.finding_id}


def exposure_rows(facts: Facts, findings: list[Finding]) -> list[ExposureRow]:
    rows: dict[tuple[str, str], ExposureRow] = {}
    for f in findings:
        if f.category != CATEGORY:
            continue
        activity = f.clause_claims.get(ACTIVITY_CLAUSE, [])
        obligation_ids = [c for name, ids in f.clause_claims.items() if name != ACTIVITY_CLAUSE
                          for c in ids]
        obligations = [{"claim_id": c, "text": {lang: facts.sentence(facts.by_id[c], lang)
                                                for lang in ("en", "es")}}
                       for c in obligation_ids if c in facts.by_id]
        for cid in activity:
            claim = facts.by_id.get(cid)
            if claim is None:
                continue
            sectors = [s for s in (claim.sector, facts.entity(f.target_id).sector) if s]
            cat = next((data_category(s) for s in sectors if data_category(s)), None)
            key = cat["key"] if cat else "other"
            row = rows.get((f.target_id, key))
            if row is None:
                row = rows[(f.target_id, key)] = ExposureRow(
                    firm_id=f.target_id, firm_name=f.target_name, category=key,
                    category_label={k: v for k, v in (cat or {"en": "Other data", "es": "Otros datos"}).items()
                                    if k != "key"},
                    sectors=[], obligations=obligations, activity_claims=[],
                    obligation_claims=obligation_ids, finding_id=f.id)
            row.activity_claims.append(cid)
            row.sectors = list(dict.fromkeys([*row.sectors, *sectors[:1]]))
    out = sorted(rows.values(), key=lambda r: (r.firm_name.casefold(), r.category))
    for r in out:
        r.evidence = list(dict.fromkeys([*r.obligation_claims, *r.activity_claims]))
    return out


def data_exposure(session: Session, rules: list[Rule] | None = None) -> list[ExposureRow]:
    """Exposure rows over the store's accepted claims."""
    rules = [r for r in (load_rules() if rules is None else rules) if r.category == CATEGORY]
    if not rules:
        return []
    facts = load_facts(session, predicates=needed_predicates(rules))
    return exposure_rows(facts, screen_facts(facts, rules))
