"""State linkage: classify foreign entities (central SOE, provincial SOE, state organ,
private, ...) by rules kept as data (data/state_linkage.yaml), with the evidence: the
claims of the ownership chain and of list designations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from veeduria.query import ownership_chain
from veeduria.resolve.normalize import normalize
from veeduria.store.audit import record as audit
from veeduria.store.models import Claim, ClaimEntity, Entity

DATA = Path(__file__).parent / "data" / "state_linkage.yaml"
CLASSES = ("central_soe", "central_financial_soe", "provincial_soe", "municipal_soe",
           "state_controlled_listed", "private", "state_organ", "state_media", "university",
           "unknown")


@cache
def linkage_rules() -> dict[str, Any]:
    with open(DATA, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    raw["_owner_names"] = {normalize(n): o for o in raw.get("state_owners", []) for n in o["names"]}
    for rule in raw["rules"]:
        if rule["class"] not in CLASSES:
            raise ValueError(f"{DATA.name}: unknown class {rule['class']!r}")
    return raw


@dataclass
class Facts:
    schema: str
    sector: str | None
    names: list[str]
    chain: list[Any] = field(default_factory=list)
    owner_level: str | None = None
    owner_financial: bool = False
    owner_id: str | None = None
    designated_on: dict[str, list[str]] = field(default_factory=dict)  # list id -> claim ids
    listed: bool = False
    evidence: list[str] = field(default_factory=list)

    @property
    def state_owned(self) -> bool:
        return self.owner_level is not None or bool(self.designated_on)


@dataclass
class Linkage:
    entity_id: str
    cls: str
    rule: int
    evidence: list[str]
    owner: str | None
    lists: list[str]


def _owner_profile(ent: Entity) -> dict[str, Any] | None:
    rules = linkage_rules()
    for n in ent.names or []:
        found = rules["_owner_names"].get(normalize(n.name))
        if found:
            return found
    found = rules["_owner_names"].get(normalize(ent.name))
    if found:
        return found
    for pat in rules.get("state_owner_patterns", []):
        if any(re.search(pat["pattern"], n, re.I) for n in [ent.name] + [x.name for x in ent.names]):
            return pat
    return None


def _designations(session: Session, entity_ids: list[str]) -> dict[str, dict[str, str]]:
    """entity id -> {list id: claim id} for non-rejected `designated` claims."""
    subj = ClaimEntity.__table__.alias("subj")
    inst = ClaimEntity.__table__.alias("inst")
    rows = session.execute(
        select(subj.c.entity_id, Claim.id, Entity.meta)
        .select_from(Claim)
        .join(subj, (subj.c.claim_id == Claim.id) & (subj.c.role == "subject"))
        .join(inst, (inst.c.claim_id == Claim.id) & (inst.c.role == "instrument"))
        .join(Entity, Entity.id == inst.c.entity_id)
        .where(Claim.predicate == "designated", Claim.status != "rejected",
               subj.c.entity_id.in_(entity_ids))
    ).all()
    out: dict[str, dict[str, str]] = {}
    for eid, claim_id, meta in rows:
        list_id = (meta or {}).get("list")
        if list_id:
            out.setdefault(eid, {}).setdefault(list_id, claim_id)
    return out


def facts_for(session: Session, ent: Entity, at: str | None = None) -> Facts:
    rules = linkage_rules()
    f = Facts(ent.schema, ent.sector, [ent.name] + [n.name for n in ent.names])
    f.chain = ownership_chain(session, ent.id, at)
    lineage = [ent.id] + [link.owner.id for link in f.chain]
    designations = _designations(session, lineage)
    for depth, link in enumerate(f.chain):
        profile = _owner_profile(link.owner)
        if profile is not None:
            f.owner_level, f.owner_financial = profile["level"], bool(profile.get("financial"))
            f.owner_id = link.owner.id
            f.evidence += [lk.claim.id for lk in f.chain[: depth + 1]]
            break
    for depth, eid in enumerate(lineage):
        for list_id, claim_id in designations.get(eid, {}).items():
            if list_id not in f.designated_on:
                f.designated_on[list_id] = [lk.claim.id for lk in f.chain[:depth]] + [claim_id]
    schemes = {s.lower() for s in rules.get("listed_identifiers", [])}
    f.listed = bool((ent.meta or {}).get("listed")) or any(
        i.scheme.lower() in schemes for i in ent.identifiers)
    return f


def _holds(cond: dict[str, Any], f: Facts) -> tuple[bool, list[str]]:
    evidence: list[str] = []
    rules = linkage_rules()
    for key, want in cond.items():
        if key == "schema" and f.schema not in want:
            return False, []
        if key == "sector" and f.sector not in want:
            return False, []
        if key == "name_matches":
            pats = rules.get(want, [])
            if not any(re.search(p, n, re.I) for p in pats for n in f.names):
                return False, []
        if key == "designated_on":
            hits = [f.designated_on[x] for x in want if x in f.designated_on]
            if not hits:
                return False, []
            evidence += hits[0]
        if key == "owner_level":
            if f.owner_level != want:
                return False, []
            evidence += f.evidence
        if key == "owner_financial" and f.owner_financial != bool(want):
            return False, []
        if key == "state_owned" and f.state_owned != bool(want):
            return False, []
        if key == "listed" and f.listed != bool(want):
            return False, []
        if key == "has_chain":
            if bool(f.chain) != bool(want):
                return False, []
            evidence += [lk.claim.id for lk in f.chain]
    if cond.get("state_owned") and not evidence:
        evidence = f.evidence or next(iter(f.designated_on.values()), [])
    return True, evidence


def classify(session: Session, ent: Entity, at: str | None = None) -> Linkage:
    f = facts_for(session, ent, at)
    for i, rule in enumerate(linkage_rules()["rules"]):
        ok, evidence = _holds(rule.get("when") or {}, f)
        if ok:
            seen: set[str] = set()
            evidence = [e for e in evidence if not (e in seen or seen.add(e))]
            return Linkage(ent.id, rule["class"], i, evidence, f.owner_id, sorted(f.designated_on))
    return Linkage(ent.id, "unknown", -1, [], None, [])


def classify_all(session: Session, actor: str, *, only_foreign: bool = True,
                 entity_ids: list[str] | None = None) -> list[Linkage]:
    """Classify entities and store the result (Entity.state_linkage, and the evidence in
    Entity.meta['state_linkage']). Lists themselves are skipped."""
    q = select(Entity).where(Entity.merged_into.is_(None))
    if only_foreign:
        q = q.where(Entity.foreign.is_(True))
    if entity_ids:
        q = q.where(Entity.id.in_(entity_ids))
    out = []
    for ent in session.scalars(q.order_by(Entity.id)).all():
        if (ent.meta or {}).get("list"):
            continue
        link = classify(session, ent)
        record = {"class": link.cls, "rule": link.rule, "evidence": link.evidence,
                  "owner": link.owner, "lists": link.lists}
        meta = dict(ent.meta or {})
        if ent.state_linkage != link.cls or meta.get("state_linkage") != record:
            audit(session, actor, "classify", "entity", ent.id,
                  {"state_linkage": [ent.state_linkage, link.cls]})
            meta["state_linkage"] = record
            ent.meta = meta
            ent.state_linkage = link.cls
        out.append(link)
    session.flush()
    return out
