"""A proposed deal described in a small YAML file (a user's what-if), screened in memory
together with what the store knows about its parties. Nothing is written to the store.

    deal:
      name: Lima-Ica fast train
      sector: rail
      procurement: government_to_government   # shorthand for a procurement_method fact
      amount: {value: 4.0e9, currency: USD}
      cost_borne_by: government-of-peru       # shorthand for a project_cost fact
      benefits_to: [crcc]
    parties:
      - {id: government-of-peru}              # found in the store (id or name)
      - {id: crcc, name: China Railway Construction Corp., schema: Company, country: cn,
         foreign: true, state_linkage: central_soe}
    facts:                                    # any predicate; "deal" names the deal itself
      - {predicate: sought_privilege, entities: {subject: crcc, counterparty: government-of-peru},
         qualifier: tax exemption for imported equipment}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from veeduria.model import ClaimRecord, EntityRecord, Money
from veeduria.query import find_entity
from veeduria.screen.engine import Finding, load_rules, needed_predicates, screen_facts
from veeduria.screen.facts import ClaimView, EntityView, Facts, entity_view, load_facts
from veeduria.screen.rules import Rule
from veeduria.screen.scorecard import build_scorecard
from veeduria.text import parse_partial_date, slugify

MAX_DEAL_BYTES = 1_000_000
DEAL_REF = "deal"
PROCUREMENT_PHRASES = {
    "government_to_government": "a government-to-government agreement, without competitive bidding",
    "direct_award": "a direct award, without competitive bidding",
    "competitive_tender": "an open tender",
}


class DealError(ValueError):
    """A deal file that cannot be screened; the message lists every problem."""


def read_deal(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_DEAL_BYTES:
            raise DealError(f"{path}: larger than {MAX_DEAL_BYTES} bytes; not a deal file")
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
    except OSError as exc:
        raise DealError(f"{path}: cannot read: {exc}") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DealError(f"{path}: not valid UTF-8 YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("deal"), dict):
        raise DealError(f"{path}: expected a mapping with a 'deal' section")
    return doc


def _party(session: Session | None, raw: Any, errs: list[str]) -> EntityView | None:
    if isinstance(raw, str):
        raw = {"id": raw}
    if not isinstance(raw, dict) or not (raw.get("id") or raw.get("name")):
        errs.append(f"party {raw!r}: needs an id or a name")
        return None
    stored = None
    if session is not None and "schema" not in raw:
        stored = find_entity(session, str(raw.get("id") or raw.get("name")))
    if stored is not None:
        return entity_view(stored)
    if "schema" not in raw:
        errs.append(f"party {raw.get('id') or raw.get('name')!r}: not in the store; give its "
                    "name and schema (and country, foreign)")
        return None
    rec = EntityRecord(id=str(raw.get("id") or slugify(str(raw["name"]))), schema=str(raw["schema"]),
                       name=str(raw.get("name") or raw["id"]),
                       country=str(raw["country"]).lower() if raw.get("country") else None,
                       sector=raw.get("sector"), foreign=bool(raw.get("foreign", False)))
    errs.extend(f"party {rec.id!r}: {m}" for m in rec.problems())
    return EntityView(id=rec.id, name=rec.name, schema=rec.schema, country=rec.country,
                      sector=rec.sector, foreign=rec.foreign,
                      state_linkage=raw.get("state_linkage"))


def deal_facts(doc: dict[str, Any], session: Session | None = None) -> tuple[EntityView, list[EntityView], list[ClaimView]]:
    """(the deal as a project entity, its parties, its claims); DealError on any problem."""
    errs: list[str] = []
    d = doc["deal"]
    name = str(d.get("name") or "").strip()
    if not name:
        errs.append("deal: needs a name")
    deal_id = "deal:" + slugify(str(d.get("id") or name or "deal"))
    project = EntityView(id=deal_id, name=name or deal_id, schema="Project",
                         country=str(d["country"]).lower() if d.get("country") else None,
                         sector=d.get("sector"))
    parties: list[EntityView] = []
    ids: dict[str, str] = {}  # how the file refers to a party -> the party's id
    for raw in doc.get("parties") or []:
        party = _party(session, raw, errs)
        if party is None:
            continue
        parties.append(party)
        written = raw if isinstance(raw, str) else (raw.get("id") or raw.get("name"))
        for key in (written, party.id, party.name):
            ids[str(key)] = party.id
    ids[DEAL_REF] = deal_id
    known = set(ids.values())

    def resolve(ref: Any) -> str:
        return ids.get(str(ref), str(ref))

    base = {"domain": d.get("domain", "economy"), "sector": d.get("sector"),
            "date": str(d["date"]) if d.get("date") else None}
    raw_facts = list(doc.get("facts") or [])
    method = d.get("procurement")
    if method:
        phrase = PROCUREMENT_PHRASES.get(str(method), str(method).replace("_", " "))
        raw_facts.insert(0, {"predicate": "procurement_method", "qualifier": phrase,
                             "entities": {"object": DEAL_REF, **({"subject": d["contracting_party"]}
                                                                 if d.get("contracting_party") else {})}})
    if d.get("cost_borne_by"):
        ents: dict[str, Any] = {"subject": d["cost_borne_by"], "object": DEAL_REF}
        if d.get("benefits_to"):
            ents["beneficiary"] = d["benefits_to"]
        raw_facts.append({"predicate": "project_cost", "entities": ents, "amount": d.get("amount"),
                          "modality": "planned"})
    claims = []
    for i, raw in enumerate(raw_facts, 1):
        where = f"fact #{i}"
        if not isinstance(raw, dict):
            errs.append(f"{where}: expected a mapping")
            continue
        ents = raw.get("entities") or {}
        if not isinstance(ents, dict):
            errs.append(f"{where}: entities must map roles to parties")
            continue
        roles = [(resolve(e), str(role)) for role, refs in ents.items()
                 for e in (refs if isinstance(refs, list) else [refs])]
        try:
            amount = Money(float(raw["amount"]["value"]), str(raw["amount"].get("currency", "USD"))) \
                if raw.get("amount") else None
        except (KeyError, TypeError, ValueError, AttributeError):
            errs.append(f"{where}: amount needs a value and a currency")
            amount = None
        rec = ClaimRecord(predicate=str(raw.get("predicate", "")), source_id="deal",
                          quote=str(raw.get("quote") or f"what-if deal: {name}")[:160],
                          entities=roles, domain=str(raw.get("domain") or base["domain"]),
                          sector=raw.get("sector") or base["sector"], amount=amount,
                          share=float(raw["share"]) if raw.get("share") is not None else None,
                          date=str(raw["date"]) if raw.get("date") else base["date"],
                          modality=str(raw.get("modality", "planned")),
                          qualifier=raw.get("qualifier"))
        errs.extend(f"{where}: {m}" for m in rec.problems(known))
        date_sort = None
        if rec.date:
            try:
                date_sort = parse_partial_date(rec.date)[2]
            except ValueError:
                pass
        claims.append(ClaimView(
            id=f"{deal_id}:{i}", predicate=rec.predicate, roles=roles, domain=rec.domain,
            sector=rec.sector, modality=rec.modality, qualifier=rec.qualifier, quote=rec.quote,
            date=rec.date, date_sort=date_sort, share=rec.share,
            amount_value=amount.value if amount else None,
            amount_currency=amount.currency if amount else None,
            amount_usd=amount.usd if amount else None, source_id="deal"))
    if errs:
        raise DealError("the deal cannot be screened:\n" + "\n".join(f"  - {e}" for e in errs))
    return project, parties, claims


def screen_deal(doc: dict[str, Any], session: Session | None = None, *,
                rules: list[Rule] | None = None, lang: str = "en") -> dict[str, Any]:
    """Scorecard of the proposed deal: findings its own facts trigger (alone or with what
    the store knows), and the store's findings about its parties."""
    rules = load_rules() if rules is None else rules
    project, parties, claims = deal_facts(doc, session)
    facts = load_facts(session, predicates=needed_predicates(rules)) if session is not None else Facts()
    facts.add(claims, [project, *parties])
    findings = screen_facts(facts, rules)
    deal_claims = {c.id for c in claims}
    party_ids = {p.id for p in parties}
    card = build_scorecard(facts, project.id, [], [], lang)
    # Every finding the deal's own facts trigger belongs to the deal, whoever its target is.
    card["findings"] = [f.to_dict(lang) for f in findings if deal_claims & set(f.claim_ids)]
    card["party_findings"] = [f.to_dict(lang) for f in findings
                              if f.target_id in party_ids and not deal_claims & set(f.claim_ids)]
    card["parties"] = [{"id": p.id, "name": p.name, "schema": p.schema, "country": p.country,
                        "foreign": facts.is_foreign(p.id), "state_linkage": p.state_linkage}
                       for p in parties]
    card["deal"] = True
    return card


def deal_findings(doc: dict[str, Any], session: Session | None = None,
                  rules: list[Rule] | None = None) -> list[Finding]:
    rules = load_rules() if rules is None else rules
    project, parties, claims = deal_facts(doc, session)
    facts = load_facts(session, predicates=needed_predicates(rules)) if session is not None else Facts()
    facts.add(claims, [project, *parties])
    ids = {c.id for c in claims}
    return [f for f in screen_facts(facts, rules) if ids & set(f.claim_ids)]
