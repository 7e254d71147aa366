"""Writing records to the store: upserts that leave an audit event for every change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from veeduria.model import ClaimRecord, EntityRecord
from veeduria.store.audit import record as audit
from veeduria.store.models import Claim, ClaimEntity, Entity, EntityIdentifier, EntityName, Source
from veeduria.text import fold, http_url, parse_partial_date


def _apply(obj: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Set attributes that differ; return {field: [old, new]} for those."""
    changes = {}
    for key, new in values.items():
        old = getattr(obj, key)
        if old != new:
            changes[key] = [old, new]
            setattr(obj, key, new)
    return changes


def upsert_source(session: Session, values: dict[str, Any], actor: str) -> tuple[Source, str]:
    """Create or update a source by id. Returns (source, 'created'|'updated'|'unchanged').
    A URL that is not http(s) raises ValueError (the last guard: callers check it first)."""
    if "url" in values:
        values = {**values, "url": http_url(values["url"])}
    src = session.get(Source, values["id"])
    if src is None:
        src = Source(**values)
        session.add(src)
        audit(session, actor, "create", "source", values["id"],
              {k: v for k, v in values.items() if k != "text"})
        return src, "created"
    changes = _apply(src, {k: v for k, v in values.items() if k != "id"})
    if changes:
        changes.pop("text", None)
        audit(session, actor, "update", "source", src.id, changes or {"text": "replaced"})
        return src, "updated"
    return src, "unchanged"


def upsert_entity(session: Session, rec: EntityRecord, actor: str, case_id: str | None = None) -> str:
    ent = session.get(Entity, rec.id)
    fields = {"schema": rec.schema, "name": rec.name, "country": rec.country, "sector": rec.sector,
              "description": rec.description, "foreign": rec.foreign, "meta": rec.meta,
              "case_id": case_id}
    outcome = "unchanged"
    if ent is None:
        ent = Entity(id=rec.id, **fields)
        session.add(ent)
        audit(session, actor, "create", "entity", rec.id, {k: v for k, v in fields.items() if v})
        outcome = "created"
    else:
        changes = _apply(ent, fields)
        if changes:
            outcome = "updated"
            audit(session, actor, "update", "entity", rec.id, changes)
    wanted = [(rec.name, None, "name")] + [(n, lang, "alias") for n, lang in rec.aliases if n != rec.name]
    have = {n.name: n for n in ent.names}
    seen = set()
    for name, lang, kind in wanted:
        if name in seen:
            continue
        seen.add(name)
        row = have.get(name)
        if row is None:
            ent.names.append(EntityName(name=name, lang=lang, kind=kind, normalized=fold(name)[:512]))
        elif (row.lang, row.kind) != (lang, kind):
            row.lang, row.kind = lang, kind
    stale = [n for n in ent.names if n.name not in seen]
    for n in stale:
        ent.names.remove(n)
    if stale or len(ent.names) != len(have):
        if outcome == "unchanged":
            outcome = "updated"
            audit(session, actor, "update", "entity", rec.id, {"names": sorted(seen)})
    want_ids = {(k, str(v)) for k, v in rec.identifiers.items()}
    have_ids = {(i.scheme, i.value): i for i in ent.identifiers}
    for key in want_ids - set(have_ids):
        ent.identifiers.append(EntityIdentifier(scheme=key[0], value=key[1]))
    for key in set(have_ids) - want_ids:
        ent.identifiers.remove(have_ids[key])
    return outcome


def claim_values(rec: ClaimRecord) -> dict[str, Any]:
    date, precision, date_sort = (None, None, None)
    if rec.date:
        date, precision, date_sort = parse_partial_date(str(rec.date))
    return {
        "predicate": rec.predicate, "source_id": rec.source_id, "quote": rec.quote,
        "offset_start": rec.offsets[0] if rec.offsets else None,
        "offset_end": rec.offsets[1] if rec.offsets else None,
        "amount_value": rec.amount.value if rec.amount else None,
        "amount_currency": rec.amount.currency if rec.amount else None,
        "amount_usd": rec.amount.usd if rec.amount else None,
        "amount_usd_basis": rec.amount.usd_basis if rec.amount else None,
        "share": rec.share,
        "quantity_value": rec.quantity.value if rec.quantity else None,
        "quantity_unit": rec.quantity.unit if rec.quantity else None,
        "date": date, "date_precision": precision, "date_sort": date_sort,
        "place": rec.place, "domain": rec.domain, "sector": rec.sector,
        "modality": rec.modality, "qualifier": rec.qualifier, "status": rec.status,
        "method": rec.method, "confidence": rec.confidence, "note": rec.note,
        "country": rec.country, "case_id": rec.case_id, "meta": rec.meta,
    }


def upsert_claim(session: Session, rec: ClaimRecord, actor: str) -> str:
    """Create or update a claim by id (its fingerprint when it has none)."""
    claim_id = rec.id or rec.fingerprint()
    values = claim_values(rec)
    claim = session.get(Claim, claim_id)
    outcome = "unchanged"
    if claim is None:
        claim = Claim(id=claim_id, **values)
        session.add(claim)
        audit(session, actor, "create", "claim", claim_id,
              {k: v for k, v in values.items() if v is not None and k != "meta"})
        outcome = "created"
    else:
        changes = _apply(claim, values)
        if changes:
            outcome = "updated"
            audit(session, actor, "update", "claim", claim_id, changes)
    wanted = [(e, r) for e, r in rec.entities]
    have = [(ce.entity_id, ce.role) for ce in claim.roles]
    if wanted != have:
        claim.roles.clear()
        session.flush()
        seen = set()
        for pos, (ent_id, role) in enumerate(wanted):
            if (ent_id, role) in seen:
                continue
            seen.add((ent_id, role))
            claim.roles.append(ClaimEntity(entity_id=ent_id, role=role, position=pos))
        if outcome == "unchanged":
            outcome = "updated"
            audit(session, actor, "update", "claim", claim_id, {"entities": [list(x) for x in wanted]})
    return outcome


def entity_ids(session: Session) -> set[str]:
    return set(session.scalars(select(Entity.id)))
