"""AidData's Global Chinese Development Finance data: one `finances` claim per project.

Layouts: the GCDF 2.0 full schema (the Huawei and Military Finance workbooks, or CSV cut
from them: `AidData TUFF Project ID`, `Funding Agencies`, `Receiving Agencies`, amounts
in original currency and nominal USD), the geocoded 2.0 `final_df` (`id`, the agencies,
constant 2017 USD, no description) and the reduced GCOF 1.1.1 `aiddf` (`id,year,...,funder,
usd_current`; one row per location, so a project repeats)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from veeduria.importers.common import (
    ImportDataError,
    ImportReport,
    Row,
    csv_rows,
    dataset_source,
    datasets,
    decode,
    finish,
    read_bytes,
    row_claim_id,
    verbatim,
    write_claim,
    xlsx_rows,
)
from veeduria.model import ClaimRecord, Money
from veeduria.resolve.resolver import Resolver

AGENCY_SCHEMA = {"government agency": "PublicBody", "state-owned company": "Company",
                 "state-owned bank": "Company", "private sector": "Company",
                 "state-owned policy bank": "Company", "state-owned commercial bank": "Company"}


@dataclass
class Project:
    row: Row
    project_id: str
    title: str
    year: str | None
    recipients: list[str]      # countries, as written
    funders: list[tuple[str, str | None]]     # (name, type)
    receivers: list[tuple[str, str | None]]
    implementers: list[tuple[str, str | None]]
    amount: Money | None
    flow: str | None
    intent: str | None
    sector: str | None
    status: str | None
    extra: dict[str, str] = field(default_factory=dict)


def _split(names: str, types: str = "") -> list[tuple[str, str | None]]:
    parts = [p.strip() for p in names.split("|") if p.strip()]
    kinds = [t.strip() for t in types.split("|")] if types else []
    return [(p, kinds[i] if i < len(kinds) and kinds[i] else None) for i, p in enumerate(parts)]


def _float(cell: str) -> float | None:
    try:
        return float(cell.replace(",", "")) if cell.strip() else None
    except ValueError:
        return None


def _layout(header: list[str]) -> str:
    h = set(header)
    if "AidData TUFF Project ID" in h and "Funding Agencies" in h:
        return "gcdf2" if "Amount (Original Currency)" in h else "gcdf2_geo"
    if {"id", "funder", "title", "year"} <= h:
        return "gcof"
    raise ImportDataError("not an AidData GCDF/GCOF table: expected 'AidData TUFF Project ID' and "
                          f"'Funding Agencies', or id/year/title/funder (header: {', '.join(header[:12])})")


def _project(layout: str, row: Row) -> Project:
    c = row.cells
    if layout == "gcof":
        funder, _, kind = c.get("funder", "").rpartition(", ")
        amount = _float(c.get("usd_current", ""))
        return Project(
            row=row, project_id=c["id"], title=c.get("title", ""), year=c.get("year") or None,
            recipients=[x.strip() for x in c.get("country", "").split(";")],
            funders=[(funder or kind, kind if funder else None)], receivers=[], implementers=[],
            amount=Money(amount, "USD", amount, "current USD") if amount is not None else None,
            flow=c.get("flow") or None, intent=c.get("intent") or None,
            sector=(c.get("sector") or "").upper() or None, status=None)
    pid = c.get("AidData TUFF Project ID") or c.get("id", "")
    if layout == "gcdf2":
        orig, cur = _float(c.get("Amount (Original Currency)", "")), c.get("Original Currency", "")
        nominal = _float(c.get("Amount (Nominal)", ""))
        amount = None
        if orig is not None and len(cur) == 3:
            amount = Money(orig, cur, nominal, "nominal USD" if nominal is not None else None)
            if amount.usd is None:
                amount = None if nominal is None else amount
        elif nominal is not None:
            amount = Money(nominal, "USD", nominal, "nominal USD")
    else:
        constant = _float(c.get("Amount (Constant USD2017)", ""))
        amount = Money(constant, "USD", constant, "constant 2017 USD") if constant is not None else None
    year = (c.get("Commitment Year") or "").split(".")[0] or None
    return Project(
        row=row, project_id=pid, title=c.get("Title", ""), year=year,
        recipients=[c.get("Recipient", "")],
        funders=_split(c.get("Funding Agencies", ""), c.get("Funding Agencies Type", "")),
        receivers=_split(c.get("Receiving Agencies", ""), c.get("Receiving Agencies Type", "")),
        implementers=_split(c.get("Implementing Agencies", ""), c.get("Implementing Agencies Type", "")),
        amount=amount, flow=c.get("Flow Type") or None, intent=c.get("Intent") or None,
        sector=c.get("AidData Sector Name") or None, status=c.get("Status") or None)


def parse(path: Path, data: bytes | None = None) -> tuple[str, list[Project]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        header, records = xlsx_rows(path)
    else:
        data = read_bytes(path) if data is None else data
        header, records = csv_rows(decode(data, path))
    layout = _layout(header)
    projects, seen = [], set()
    for row in records:
        p = _project(layout, row)
        if not p.project_id or p.project_id in seen:
            continue  # GCOF repeats a project once per location
        seen.add(p.project_id)
        projects.append(p)
    return layout, projects


def _country_codes(names: list[str]) -> set[str]:
    from followthemoney.types import registry

    return {code for n in names if (code := registry.country.clean(n.strip()))}


def import_aiddata(session: Session, path: Path, *, country: str | None = None,
                   accept: bool = False, actor: str = "import:aiddata") -> ImportReport:
    desc = datasets()["aiddata"]
    data = read_bytes(path)
    layout, projects = parse(path, data)
    report = ImportReport()
    report.source_id = dataset_source(session, "aiddata", path, data, actor, desc)
    session.flush()
    resolver = Resolver(session, actor)
    placeholders = desc.get("placeholders", {})
    stored: set[str] = set()
    want = country.lower() if country else None
    military = "military" in path.name.lower()
    for p in projects:
        codes = _country_codes(p.recipients)
        if want and want not in codes:
            continue
        report.rows += 1
        host = want or (next(iter(codes)) if len(codes) == 1 else None)
        context = {"line": p.row.number, "project": p.project_id, "title": p.title[:160]}
        entities: list[tuple[str, str]] = []
        for names, role, ctry in ((p.funders, "subject", desc.get("funder_country")),
                                  (p.receivers, "object", host),
                                  (p.implementers, "counterparty", None)):
            for name, kind in names:
                name = placeholders.get(name, name)
                schema = AGENCY_SCHEMA.get((kind or "").lower(), "Organization")
                res = resolver.resolve(name, schema=schema, country=ctry, context=context,
                                       source_id=report.source_id, origin="import:aiddata")
                if res.status == "matched" and res.entity_id:
                    report.matched[res.name] = res.entity_id
                elif res.status == "review":
                    report.review.append(res.name)
                if res.entity_id and (res.entity_id, role) not in entities:
                    entities.append((res.entity_id, role))
        if not any(r == "subject" for _, r in entities) or not p.title:
            report.skipped_rows += 1
            report.errors.append(f"row {p.row.number}: project {p.project_id} has no funder or title")
            continue
        is_military = military or (p.intent or "").lower() == "military"
        rec = ClaimRecord(
            id=row_claim_id("aiddata", report.source_id, p.project_id), predicate="finances",
            source_id=report.source_id, quote=verbatim(p.title), entities=entities,
            domain="military" if is_military else "economy",
            sector="defense" if is_military else desc.get("sectors", {}).get((p.sector or "").upper()),
            amount=p.amount, date=p.year, qualifier=", ".join(x for x in (p.flow, p.status) if x) or None,
            status="accepted" if accept else "candidate", method="import:aiddata", confidence=0.7,
            country=host,
            meta={"dataset": "aiddata", "layout": layout, "line": p.row.number,
                  "project_id": p.project_id, "deal_key": f"aiddata:{p.project_id}",
                  "intent": p.intent, "sector": p.sector})
        write_claim(session, rec, actor, report, stored)
    finish(session, resolver, report, stored)
    return report
