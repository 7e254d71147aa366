"""AEI's China Global Investment Tracker (CGIT): one claim per row.

Handles the published layouts: the 2019 workbook's sheets as CSV (investments: `Chinese
Entity` or `Investor`; construction: `Contractor`; troubled transactions; the combined
sheet), the 2018 `china_investments.csv` (BOM, integer years), its tidy `investdf`
(`chinese_entity`, `date`), and the 2021 edition (`Investor`, shares in percent)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from veeduria.importers.common import (
    ImportDataError,
    ImportReport,
    Row,
    csv_rows,
    dataset_record,
    dataset_source,
    datasets,
    decode,
    finish,
    known_rows,
    read_bytes,
    row_claim_id,
    verbatim,
    write_claim,
)
from veeduria.model import ClaimRecord, Money
from veeduria.resolve.resolver import Resolver
from veeduria.text import fold

# header (folded: lower case, "_" as space) -> field
COLUMNS = {
    "year": "year", "month": "month", "date": "date",
    "chinese entity": "investor", "investor": "investor", "contractor": "investor",
    "quantity in millions": "amount", "share size": "share", "transaction party": "party",
    "sector": "sector", "subsector": "subsector", "country": "country", "region": "region",
    "bri": "bri", "greenfield": "greenfield",
}
REQUIRED = ("investor", "amount", "country")
MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}
_LEGAL_TAIL = re.compile(r"^(ltd|limited|inc|co|corp|llc|plc|s\.?a)\b", re.I)


@dataclass
class CgitRow:
    row: Row
    investors: list[str]
    amount_musd: float | None
    shares: list[float]
    party: str | None
    sector: str | None
    subsector: str | None
    country: str | None
    date: str | None
    extra: dict[str, str] = field(default_factory=dict)


def _field_map(header: list[str]) -> dict[str, str]:
    out = {}
    for h in header:
        key = COLUMNS.get(h.lower().replace("_", " ").strip())
        if key and key not in out:
            out[key] = h
    missing = [f for f in REQUIRED if f not in out]
    if missing or not ({"year", "date"} & set(out)):
        raise ImportDataError(
            "not a China Global Investment Tracker table: missing column(s) "
            + ", ".join(missing or ["Year"]) + f" (header: {', '.join(header)})")
    return out


def split_investors(cell: str) -> list[str]:
    """"Minmetals, Suzhou Guoxin, and CITIC" -> three names; "X Co., Ltd." stays one."""
    parts: list[str] = []
    for piece in cell.split(","):
        piece = re.sub(r"^\s*and\s+", "", piece).strip()
        if not piece:
            continue
        if parts and _LEGAL_TAIL.match(piece):
            parts[-1] += ", " + piece
        else:
            parts.append(piece)
    return parts


def parse_shares(cell: str) -> list[float]:
    """"45%, 35%, 20%", "63, 22, 15%", "0.25", "1" (whole), "84.0" (percent) -> fractions."""
    if not cell.strip():
        return []
    percent = "%" in cell
    values = []
    for piece in re.split(r"[,;/]", cell):
        m = re.search(r"\d+(?:\.\d+)?", piece)
        if m:
            values.append(float(m.group(0)))
    if percent or any(v > 1 for v in values):
        values = [v / 100 for v in values]
    return [v for v in values if 0 <= v <= 1]


def _number(cell: str) -> float | None:
    cell = cell.replace(",", "").replace("$", "").strip()
    try:
        return float(cell) if cell else None
    except ValueError:
        return None


def _date(cells: dict[str, str], fmap: dict[str, str]) -> str | None:
    if "date" in fmap and cells.get(fmap["date"]):
        m = re.match(r"(\d{4})-(\d{2})", cells[fmap["date"]])
        return f"{m.group(1)}-{m.group(2)}" if m else None
    year = _number(cells.get(fmap.get("year", ""), ""))
    if year is None:
        return None
    month = MONTHS.get(cells.get(fmap.get("month", ""), "").strip().lower())
    return f"{int(year):04d}-{month:02d}" if month else f"{int(year):04d}"


def parse(path: Path, data: bytes | None = None) -> tuple[str, list[CgitRow]]:
    """The table kind (investment | construction | troubled) and its rows."""
    data = read_bytes(path) if data is None else data
    header, records = csv_rows(decode(data, path))
    fmap = _field_map(header)
    inv_header = fmap["investor"].lower()
    kind = ("construction" if inv_header == "contractor"
            else "troubled" if "troubled" in path.name.lower() else "investment")
    rows = []
    for row in records:
        c = row.cells

        def get(f: str, c: dict[str, str] = c) -> str:
            return c.get(fmap[f], "").strip() if f in fmap else ""

        rows.append(CgitRow(
            row=row, investors=split_investors(get("investor")), amount_musd=_number(get("amount")),
            shares=parse_shares(get("share")), party=get("party") or None,
            sector=get("sector") or None, subsector=get("subsector") or None,
            country=get("country") or None, date=_date(c, fmap),
            extra={k: get(k) for k in ("region", "bri", "greenfield") if get(k)}))
    return kind, rows


def _country_code(name: str | None) -> str | None:
    if not name:
        return None
    from followthemoney.types import registry

    return registry.country.clean(name)


def _sector(desc: dict, sector: str | None, subsector: str | None) -> str | None:
    table = desc.get("sectors", {})
    return table.get(f"{sector}/{subsector}") or table.get(sector or "")


def import_cgit(session: Session, path: Path, *, country: str | None = None, accept: bool = False,
                actor: str = "import:cgit") -> ImportReport:
    desc = datasets()["cgit"]
    data = read_bytes(path)
    kind, rows = parse(path, data)
    header, _ = csv_rows(decode(data, path))
    fmap = _field_map(header)
    report = ImportReport()
    report.source_id = dataset_source(session, "cgit", path, data, actor, desc)
    session.flush()
    resolver = Resolver(session, actor)
    stored: set[str] = set()
    want = country.lower() if country else None
    known = known_rows(session, "cgit")
    parties = {fold(k): v for k, v in (desc.get("parties") or {}).items()}
    for r in rows:
        code = _country_code(r.country)
        if want and code != want:
            continue
        report.rows += 1
        if not r.investors or r.amount_musd is None:
            report.skipped_rows += 1
            report.errors.append(f"line {r.row.number}: no investor or no amount")
            continue
        # The row a curated claim already quotes is that claim's evidence, not a new claim.
        held = [cid for quote, cid in known if quote in r.row.raw]
        if held:
            report.case_rows[r.row.number] = held
            report.unchanged += 1
            # Its names are still matched (for the report), but none is created.
            looker = Resolver(session, actor, create=False, matcher=resolver.matcher)
            for name in [*r.investors, *([r.party] if r.party else [])]:
                res = looker.resolve(name, schema="Company", origin="import:cgit",
                                     country=desc.get("investor_country") if name != r.party else None)
                if res.status == "matched" and res.entity_id:
                    report.matched[res.name] = res.entity_id
            continue
        context = {"line": r.row.number, "row": verbatim(r.row.raw)}
        entities: list[tuple[str, str]] = []
        investor_ids: list[str] = []
        for i, name in enumerate(r.investors):
            res = resolver.resolve(name, schema="Company", country=desc.get("investor_country"),
                                   context=context, source_id=report.source_id, origin="import:cgit")
            _note(report, res)
            # The first investor named leads; the others are its partners in the deal.
            entities.append((res.entity_id or "", "subject" if i == 0 else "partner"))
            investor_ids.append(res.entity_id or "")
        party_role = None
        if r.party:
            res = resolver.resolve(r.party, schema="Company", context=context,
                                   source_id=report.source_id, origin="import:cgit")
            _note(report, res)
            # The transaction party is the target only where datasets.yaml says so; a seller
            # or an unknown party is the counterparty.
            party_role = "object" if parties.get(fold(r.party)) == "target" else "counterparty"
            entities.append((res.entity_id or "", party_role))
        predicate = "builds" if kind == "construction" else "invests_in"
        qualifier = {"construction": "construction contract (CGIT)",
                     "troubled": "troubled transaction (CGIT)"}.get(kind, "investment (CGIT)")
        by_party = _shares_by_party(investor_ids, r.shares)
        share = r.shares[0] if r.shares and (by_party or len(r.shares) == 1) else None
        meta = {"dataset": "cgit", "table": kind, "line": r.row.number, "investors": r.investors,
                "shares": r.shares or None, "sector": r.sector, "subsector": r.subsector,
                "country_name": r.country, "party": r.party, "party_role": party_role, **r.extra,
                "record": dataset_record("cgit", path.name, r.row.raw, row=r.row.number,
                                         cells=r.row.cells, used=_used(r.row.cells, fmap))}
        if by_party:
            meta["shares_by_party"] = by_party
        rec = ClaimRecord(
            id=row_claim_id("cgit", report.source_id, r.row.raw), predicate=predicate,
            source_id=report.source_id, quote=verbatim(r.row.raw), entities=entities,
            domain="economy", sector=_sector(desc, r.sector, r.subsector),
            amount=Money(r.amount_musd * 1e6, "USD"), share=share, date=r.date,
            modality="planned" if kind == "troubled" else "actual", qualifier=qualifier,
            status="accepted" if accept else "candidate", method="import:cgit", confidence=0.7,
            country=code, meta=meta)
        write_claim(session, rec, actor, report, stored)
    finish(session, resolver, report, stored)
    return report


def _shares_by_party(investor_ids: list[str], shares: list[float]) -> dict[str, float] | None:
    """"63, 22, 15%" for three investors: each investor's share (None unless they pair up)."""
    if len(investor_ids) < 2 or len(shares) != len(investor_ids):
        return None
    return dict(zip(investor_ids, shares, strict=True))


def _used(cells: dict[str, str], fmap: dict[str, str]) -> tuple[str, ...]:
    """The columns the claim was read from."""
    return tuple(h for h in cells if h in fmap.values())


def _note(report: ImportReport, res) -> None:  # noqa: ANN001
    if res.status == "matched" and res.entity_id:
        report.matched[res.name] = res.entity_id
    elif res.status == "review":
        report.review.append(res.name)
