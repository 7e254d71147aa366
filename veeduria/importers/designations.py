"""Designations from public lists (US DoD 1260H, FCC Covered List, NDAA sections, the SASAC
central-SOE list, ...) as `designated` claims. Only entities the store already knows, and
that resolve confidently, are designated: a list does not flood the store with entities.
Each list is described in veeduria/resolve/data/lists.yaml."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from veeduria.importers.common import (
    ImportDataError,
    ImportReport,
    Row,
    csv_rows,
    dataset_source,
    decode,
    finish,
    read_bytes,
    row_claim_id,
    verbatim,
    write_claim,
)
from veeduria.model import ClaimRecord, EntityRecord
from veeduria.resolve.resolver import Resolver
from veeduria.store.models import Entity
from veeduria.store.writer import upsert_entity
from veeduria.text import link_url

LISTS_FILE = Path(__file__).resolve().parent.parent / "resolve" / "data" / "lists.yaml"


@cache
def lists() -> dict[str, Any]:
    with open(LISTS_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@dataclass
class Listing:
    row: Row
    names: list[str]          # the listed name first, then aliases
    date: str | None
    end_date: str | None = None
    section: str | None = None
    parent: str | None = None


_DATE_WORDS = re.compile(r"([A-Z][a-z]+ \d{1,2}, \d{4})")


def _iso(value: str) -> str | None:
    value = value.strip()
    if re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        return value
    m = _DATE_WORDS.search(value)
    if m:
        return dt.datetime.strptime(m.group(1), "%B %d, %Y").date().isoformat()
    return None


def _dod_1260h(rows: Iterator[Row]) -> Iterator[Listing]:
    for r in rows:
        c = r.cells
        names = [c.get("Clean Name") or c.get("Name", "")]
        names += [a for a in (c.get("Alias"), c.get("Previous Name")) if a]
        yield Listing(r, names, _iso(c.get("Start date", "")), _iso(c.get("End date", "")) or None,
                      parent=c.get("Parent Name") or None)


_FCC_BY = re.compile(r"(?:produced|provided|supplied)(?:,? directly or indirectly,)? by "
                     r"(.+?)(?:,| subject to| or any| and its| to the extent| including|$)")


def _fcc(rows: Iterator[Row]) -> Iterator[Listing]:
    for r in rows:
        text = r.cells.get("covered_equipment_or_services", "")
        m = _FCC_BY.search(text)
        if m:  # categories ("foreign-produced routers") name no entity
            yield Listing(r, [m.group(1).strip()], _iso(r.cells.get("date_of_inclusion_on_covered_list", "")))


def _special_legislation(rows: Iterator[Row]) -> Iterator[Listing]:
    for r in rows:
        c = r.cells
        names = [c.get("name", "")] + [a.strip() for a in c.get("aliases", "").split(";") if a.strip()]
        date = _iso(c.get("start-date", "")) or _iso(c.get("report-date", ""))
        yield Listing(r, names, date, _iso(c.get("end-date", "")))


def _sasac(rows: Iterator[Row]) -> Iterator[Listing]:
    for r in rows:
        c = r.cells
        yield Listing(r, [c.get("name_zh", "")], None, section=c.get("list_section"))


LAYOUTS = {
    "dod_1260h": (("Clean Name", "Start date"), _dod_1260h),
    "fcc_covered": (("covered_equipment_or_services", "date_of_inclusion_on_covered_list"), _fcc),
    "us_special_legislation": (("name", "program"), _special_legislation),
    "sasac_sections": (("list_section", "name_zh"), _sasac),
}


def _list_entity(session: Session, list_id: str, name: str, spec: dict[str, Any], actor: str) -> str:
    eid = f"list-{list_id}"
    if session.get(Entity, eid) is None:
        upsert_entity(session, EntityRecord(
            id=eid, schema="Organization", name=name,
            country=spec.get("country"), description=f"Published list: {name}; issued by "
            f"{spec.get('issuer')}.", meta={"list": list_id, "issuer": spec.get("issuer"),
                                            "url": link_url(spec.get("url"))}), actor)
        session.flush()
    return eid


def import_designations(session: Session, path: Path, list_id: str, *, accept: bool = False,
                        actor: str | None = None) -> ImportReport:
    spec = lists().get(list_id)
    if spec is None:
        raise ImportDataError(f"unknown list {list_id!r}; known: {', '.join(lists())}")
    actor = actor or f"import:{list_id}"
    data = read_bytes(path)
    header, rows = csv_rows(decode(data, path))
    needed, parser = LAYOUTS[spec["layout"]]
    missing = [h for h in needed if h not in header]
    if missing:
        raise ImportDataError(f"{path.name} does not look like the {list_id} list: missing column(s) "
                              f"{', '.join(missing)} (header: {', '.join(header[:10])})")
    report = ImportReport()
    report.source_id = dataset_source(session, f"list-{list_id}", path, data, actor,
                                      {**spec, "title": spec["name"]})
    session.flush()
    resolver = Resolver(session, actor, create=False)
    stored: set[str] = set()
    sections = spec.get("sections") or {}
    for listing in parser(rows):
        report.rows += 1
        if listing.section is not None:
            sub = sections.get(listing.section)
            if sub is None:
                report.skipped_rows += 1
                report.errors.append(f"line {listing.row.number}: unknown section {listing.section!r}")
                continue
            instrument = _list_entity(session, sub["id"], sub["name"], spec, actor)
        else:
            instrument = _list_entity(session, list_id, spec["name"], spec, actor)
        entity_id = None
        for name in listing.names:
            if not name:
                continue
            res = resolver.resolve(name, schema="Company", context={"line": listing.row.number},
                                   source_id=report.source_id)
            if res.status == "matched" and res.entity_id:
                entity_id = res.entity_id
                report.matched[name] = entity_id
                break
        if entity_id is None:
            report.unresolved.append(listing.names[0])
            continue
        date = listing.date or spec.get("default_date")
        rec = ClaimRecord(
            id=row_claim_id("designated", report.source_id, listing.row.raw, entity_id),
            predicate="designated", source_id=report.source_id, quote=verbatim(listing.row.raw),
            entities=[(entity_id, "subject"), (instrument, "instrument")], domain="foreign_policy",
            date=date, qualifier=spec["name"], status="accepted" if accept else "candidate",
            method=f"import:{list_id}", confidence=0.9,
            meta={"list": list_id, "instrument": instrument, "line": listing.row.number,
                  "listed_name": listing.names[0], "end_date": listing.end_date,
                  "parent": listing.parent, "section": listing.section})
        write_claim(session, rec, actor, report, stored)
    finish(session, resolver, report, stored)
    return report
