"""A scorecard for one project, firm or deal: findings (its own and those whose evidence
names it), the chain of owners up to the state, money in and out, and a dated timeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from veeduria.query import find_one, ownership_chain
from veeduria.screen import fmt
from veeduria.screen.engine import Finding, load_rules, screen_facts
from veeduria.screen.facts import Facts, load_facts
from veeduria.screen.rules import Rule
from veeduria.screen.taxonomy import taxonomy
from veeduria.store.models import Entity
from veeduria.vocab import is_negative, label

MONEY_PREDICATES = ("invests_in", "acquired", "donated_to", "project_cost", "arbitration",
                    "caused_loss")


def split_findings(findings: list[Finding], facts: Facts, entity_id: str) -> tuple[list[Finding], list[Finding]]:
    """(findings about the entity, other findings whose evidence names it)."""
    own = [f for f in findings if f.target_id == entity_id]
    related = [f for f in findings if f.target_id != entity_id
               and any(entity_id in {e for e, _ in facts.by_id[c].roles}
                       for c in f.claim_ids if c in facts.by_id)]
    return own, related


def money_flows(facts: Facts, entity_id: str, lang: str = "en") -> dict[str, Any]:
    """Money into the entity (it is the object or beneficiary) and out of it (it is the
    subject), in USD where known, split by modality, each event once (a running total "spent
    to date" absorbs the earlier figures it includes: docs/events.md). `cumulative` repeats
    the latest running total per counterpart, for display."""
    flows: dict[str, list[dict[str, Any]]] = {"in": [], "out": []}
    totals = {d: {} for d in flows}
    running: dict[str, dict[tuple[str, ...], tuple[str, float]]] = {d: {} for d in flows}
    for claim in facts.by_entity.get(entity_id, []):
        if claim.predicate not in MONEY_PREDICATES or claim.amount_value is None:
            continue
        direction = "out" if entity_id in claim.entities("subject") else "in"
        row = {"claim_id": claim.id, "predicate": claim.predicate, "modality": claim.modality,
               "cumulative": claim.cumulative,
               "amount": fmt.money(claim.amount_value, claim.amount_currency, lang),
               "usd": claim.amount_usd, "date": claim.date,
               "counterparts": [facts.name(e) for e, _ in claim.roles if e != entity_id],
               "text": fmt.sentence(claim, facts.name, lang),
               "counted": facts.counts_money(claim), "same_event": facts.same_event(claim)}
        ev = facts.events().get(claim.id)
        if ev is not None and len(ev.members) > 1:
            row["event"] = ev.id
        flows[direction].append(row)
        # Each event adds once: a figure to date and the parts it includes, or two sources
        # telling one purchase, are not summed (docs/events.md); "did not invest $X" adds to
        # no total.
        if claim.amount_usd is None or is_negative(claim.modality) or not row["counted"]:
            continue
        totals[direction][claim.modality] = totals[direction].get(claim.modality, 0.0) + claim.amount_usd
        if claim.cumulative and claim.modality in ("actual", "reported", "estimated"):
            key = tuple(sorted(e for e, _ in claim.roles if e != entity_id))
            when = claim.date_sort or ""
            if key not in running[direction] or when >= running[direction][key][0]:
                running[direction][key] = (when, claim.amount_usd)
    for direction, latest in running.items():
        if latest:
            totals[direction]["cumulative"] = sum(usd for _, usd in latest.values())
    committed = set(taxonomy()["money"]["committed_modalities"])
    return {**flows, "totals_usd": totals,
            "committed_usd": sum(v for d in totals.values() for m, v in d.items() if m in committed)}


def timeline(facts: Facts, entity_id: str, lang: str = "en") -> list[dict[str, Any]]:
    claims = sorted(facts.by_entity.get(entity_id, []),
                    key=lambda c: (c.date_sort is None, c.date_sort or "", c.id))
    return [{"date": c.date, "claim_id": c.id, "domain": c.domain,
             "predicate": label("predicate", c.predicate, lang), "modality": c.modality,
             "text": fmt.sentence(c, facts.name, lang), "quote": c.quote} for c in claims]


def _chain(session: Session, entity_id: str) -> list[dict[str, Any]]:
    return [{"owner": {"id": link.owner.id, "name": link.owner.name, "schema": link.owner.schema,
                       "country": link.owner.country},
             "owned": {"id": link.owned.id, "name": link.owned.name},
             "share": link.share, "date": link.claim.date, "claim_id": link.claim.id,
             "link": link.kind, "predicate": link.claim.predicate}
            for link in ownership_chain(session, entity_id)]


def entity_summary(facts: Facts, entity_id: str) -> dict[str, Any]:
    e = facts.entity(entity_id)
    return {"id": e.id, "name": e.name, "schema": e.schema, "country": e.country,
            "sector": e.sector, "foreign": facts.is_foreign(e.id), "state_linkage": e.state_linkage}


def build_scorecard(facts: Facts, entity_id: str, findings: list[Finding],
                    chain: list[dict[str, Any]], lang: str = "en") -> dict[str, Any]:
    own, related = split_findings(findings, facts, entity_id)
    state = next((link["owner"] for link in reversed(chain)
                  if link["owner"]["schema"] == "PublicBody"), None)
    return {
        "entity": entity_summary(facts, entity_id),
        "findings": [f.to_dict(lang) for f in own],
        "related_findings": [f.to_dict(lang) for f in related],
        "chain": chain,
        "state": state,
        "money": money_flows(facts, entity_id, lang),
        "timeline": timeline(facts, entity_id, lang),
        "lang": lang,
    }


def scorecard(session: Session, entity: Entity | str, *, lang: str = "en",
              rules: list[Rule] | None = None) -> dict[str, Any]:
    """The scorecard of a stored entity (an Entity, an id or a name). A name that fits
    several entities raises AmbiguousName (a LookupError listing them)."""
    if isinstance(entity, str):
        entity = find_one(session, entity)
    rules = load_rules() if rules is None else rules
    facts = load_facts(session)  # every claim: the timeline and money need them all
    facts.entities.setdefault(entity.id, _view(entity))
    findings = screen_facts(facts, rules)
    return build_scorecard(facts, entity.id, findings, _chain(session, entity.id), lang)


def _view(entity: Entity):  # noqa: ANN202
    from veeduria.screen.facts import entity_view

    return entity_view(entity)


