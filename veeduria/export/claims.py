"""Claims in the JSON Lines interchange format (`shared/spec/claims-jsonl.md`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from veeduria.store.models import Claim, ClaimEntity

BATCH = 1000


def claim_to_dict(claim: Claim) -> dict[str, Any]:
    src = claim.source
    out: dict[str, Any] = {
        "id": claim.id,
        "source": {"id": src.id, "title": src.title, "url": src.url, "filename": src.filename,
                   "published": src.published, "publisher": src.publisher, "language": src.language},
        "quote": claim.quote,
        "offsets": [claim.offset_start, claim.offset_end] if claim.offset_start is not None else None,
        "predicate": claim.predicate,
        "entities": [{"id": r.entity.id, "name": r.entity.name, "schema": r.entity.schema, "role": r.role}
                     for r in claim.roles],
        "amount": ({"value": claim.amount_value, "currency": claim.amount_currency,
                    "usd": claim.amount_usd, "usd_basis": claim.amount_usd_basis}
                   if claim.amount_value is not None else None),
        "share": claim.share,
        "quantity": ({"value": claim.quantity_value, "unit": claim.quantity_unit}
                     if claim.quantity_value is not None else None),
        "date": claim.date,
        "domain": claim.domain,
        "sector": claim.sector,
        "status": claim.status,
        "method": claim.method,
        "confidence": claim.confidence,
        # Extensions beyond the required fields (the spec allows additions).
        "modality": claim.modality,
        # The amount is a running total up to `date` ("spent to date"), not a payment then.
        "cumulative": claim.cumulative,
        "qualifier": claim.qualifier,
        "place": claim.place,
        "country": claim.country,
    }
    return out


def add_event_fields(out: dict[str, Any], claim: Claim, event: Any | None) -> dict[str, Any]:
    """Extension fields (the spec allows additions): the claim's event, how many independent
    sources tell it, where they disagree, and a dataset row as a readable record."""
    from veeduria.importers.common import claim_record

    src = claim.source
    out["event"] = event.id if event is not None else None
    out["corroboration"] = event.corroboration if event is not None else 1
    out["conflicts"] = ([{"field": c.field, "values": [{"claim": v["claim_id"], "value": v["value"]}
                                                       for v in c.values]} for c in event.conflicts]
                        if event is not None else [])
    out["record"] = claim_record(claim.meta, src.kind, src.title, src.filename, claim.quote)
    return out


def iter_claims(session: Session, *, statuses: tuple[str, ...] | None = None,
                domain: str | None = None, since: Any = None) -> Iterator[Claim]:
    """All claims in id order, fetched in batches so millions fit in memory; with `since`
    (a datetime or ISO text, UTC), only those written or changed since then."""
    from veeduria.export.delta import parse_since

    since = parse_since(since)
    last = ""
    while True:
        q = (select(Claim).where(Claim.id > last).order_by(Claim.id).limit(BATCH)
             .options(selectinload(Claim.roles).selectinload(ClaimEntity.entity),
                      selectinload(Claim.source)))
        if statuses:
            q = q.where(Claim.status.in_(statuses))
        if domain:
            q = q.where(Claim.domain == domain)
        if since:
            q = q.where(Claim.updated_at >= since)
        batch = list(session.scalars(q))
        if not batch:
            return
        yield from batch
        last = batch[-1].id
        session.expunge_all()


def _iso(when: Any) -> str | None:
    return when.replace(microsecond=0).isoformat() + "Z" if when else None


def write_claims_jsonl(session: Session, out: IO[str], **filters: Any) -> int:
    events = _events_by_claim(session)
    n = 0
    for claim in iter_claims(session, **filters):
        row = add_event_fields(claim_to_dict(claim), claim, events.get(claim.id))
        # When it was written and last changed (UTC), for consumers of deltas (--since).
        row["created_at"] = _iso(claim.created_at)
        row["updated_at"] = _iso(claim.updated_at)
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
    return n


def _events_by_claim(session: Session) -> dict[str, Any]:
    try:
        from veeduria.resolve.events import all_events
    except ModuleNotFoundError:
        return {}
    return {cid: ev for ev in all_events(session, ("accepted", "candidate")) for cid in ev.claim_ids}
