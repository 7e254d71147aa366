"""CSV export for spreadsheets: one row per claim (entities joined by role) or per entity."""

from __future__ import annotations

from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from veeduria.export.claims import iter_claims
from veeduria.export.csv_safe import SafeWriter
from veeduria.store.models import Entity

CLAIM_COLUMNS = [
    "id", "predicate", "subject", "object", "other_entities", "amount_value", "amount_currency",
    "amount_usd", "usd_basis", "share", "quantity_value", "quantity_unit", "date", "place",
    "domain", "sector", "modality", "cumulative", "qualifier", "status", "method", "confidence", "quote",
    "offset_start", "offset_end", "source_id", "source_title", "source_publisher",
    "source_published", "source_url",
]


def write_claims_csv(session: Session, out: IO[str], statuses: tuple[str, ...] | None = None) -> int:
    writer = SafeWriter(out)
    writer.writerow(CLAIM_COLUMNS)
    n = 0
    for c in iter_claims(session, statuses=statuses):
        by_role = {}
        for r in c.roles:
            by_role.setdefault(r.role, []).append(r.entity.name)
        others = "; ".join(f"{role}: {name}" for role, names in by_role.items()
                           if role not in ("subject", "object") for name in names)
        writer.writerow([
            c.id, c.predicate, "; ".join(by_role.get("subject", [])), "; ".join(by_role.get("object", [])),
            others, c.amount_value, c.amount_currency, c.amount_usd, c.amount_usd_basis, c.share,
            c.quantity_value, c.quantity_unit, c.date, c.place, c.domain, c.sector, c.modality,
            c.cumulative, c.qualifier, c.status, c.method, c.confidence, c.quote, c.offset_start, c.offset_end,
            c.source.id, c.source.title, c.source.publisher, c.source.published, c.source.url,
        ])
        n += 1
    return n


def write_entities_csv(session: Session, out: IO[str]) -> int:
    writer = SafeWriter(out)
    writer.writerow(["id", "schema", "name", "aliases", "country", "sector", "foreign",
                     "state_linkage", "description"])
    n = 0
    for e in session.scalars(select(Entity).order_by(Entity.id).options(selectinload(Entity.names))):
        aliases = " | ".join(x.name for x in e.names if x.name != e.name)
        writer.writerow([e.id, e.schema, e.name, aliases, e.country, e.sector, e.foreign,
                         e.state_linkage, e.description])
        n += 1
    return n
