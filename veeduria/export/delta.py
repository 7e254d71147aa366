"""Deltas: what changed since a time, so downstream tools (newsroom databases, Aleph,
spreadsheets) can stay in sync without full exports. Claims and entities carry
`updated_at` (UTC); a finding counts as changed when any of its evidence did."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from veeduria.store.models import Claim, Entity

BATCH = 1000


def parse_since(value: str | dt.datetime | None) -> dt.datetime | None:
    """An ISO 8601 date or timestamp ('2026-12-01', '2026-12-01T08:00:00Z', with an offset)
    as naive UTC, the way the store keeps times. ValueError names the bad value."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        when = value
    else:
        text = str(value).strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            when = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"--since {value!r}: expected an ISO date or timestamp such as "
                             "2026-12-01 or 2026-12-01T08:00:00Z") from None
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when


def iso_utc(when: dt.datetime | None) -> str | None:
    return when.replace(microsecond=0).isoformat() + "Z" if when else None


def entity_to_dict(ent: Entity) -> dict[str, Any]:
    return {"id": ent.id, "schema": ent.schema, "name": ent.name,
            "aliases": [n.name for n in ent.names if n.name != ent.name],
            "country": ent.country, "sector": ent.sector, "foreign": ent.foreign,
            "state_linkage": ent.state_linkage, "merged_into": ent.merged_into,
            "description": ent.description, "updated_at": iso_utc(ent.updated_at)}


def iter_entities(session: Session, since: dt.datetime | None = None) -> Iterator[Entity]:
    last = ""
    while True:
        q = (select(Entity).where(Entity.id > last).order_by(Entity.id).limit(BATCH)
             .options(selectinload(Entity.names)))
        if since is not None:
            q = q.where(Entity.updated_at >= since)
        batch = list(session.scalars(q))
        if not batch:
            return
        yield from batch
        last = batch[-1].id
        session.expunge_all()


def write_entities_jsonl(session: Session, out: IO[str], since: dt.datetime | None = None) -> int:
    n = 0
    for ent in iter_entities(session, since):
        out.write(json.dumps(entity_to_dict(ent), ensure_ascii=False) + "\n")
        n += 1
    return n


def changed_claims(session: Session, ids: Iterable[str], since: dt.datetime) -> set[str]:
    """Which of these claims were written or changed at or after `since`."""
    ids = sorted(set(ids))
    out: set[str] = set()
    for i in range(0, len(ids), 500):
        out.update(session.scalars(select(Claim.id).where(Claim.id.in_(ids[i:i + 500]),
                                                          Claim.updated_at >= since)))
    return out


def findings_since(session: Session, findings: list[Any], since: dt.datetime | None) -> list[Any]:
    """The findings (objects with `claim_ids`, or dicts with `evidence`) some of whose
    evidence changed at or after `since`."""
    if since is None:
        return findings

    def ids(f: Any) -> list[str]:
        if isinstance(f, dict):
            return [x if isinstance(x, str) else (x.get("claim") or x.get("id") or "") for x in f.get("evidence") or []]
        return list(f.claim_ids)

    changed = changed_claims(session, [c for f in findings for c in ids(f)], since)
    return [f for f in findings if changed.intersection(ids(f))]
