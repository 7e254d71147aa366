"""What every importer shares: reading tables with their raw lines, the dataset as a Source,
claims with stable ids, and the check against stored claims (duplicate or conflict)."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from veeduria.model import ClaimRecord, Money, Quantity
from veeduria.resolve.resolver import Resolver, queue_item, review_key
from veeduria.safezip import ZipBombError, ZipLimits, check_zip
from veeduria.store.models import Claim, ClaimEntity
from veeduria.store.search import index_claims, index_entities, index_sources
from veeduria.store.writer import upsert_claim, upsert_source
from veeduria.text import sha256_bytes, slugify

MAX_BYTES = 500 * 1024 * 1024
DEAL_PREDICATES = ("invests_in", "acquired", "builds", "finances", "donated_to")
AMOUNT_TOLERANCE = 0.05
HERE = Path(__file__).parent


class ImportDataError(ValueError):
    """The file cannot be imported as asked; nothing was written."""


@cache
def datasets() -> dict[str, Any]:
    with open(HERE / "datasets.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@dataclass
class Row:
    number: int            # 1-based line (CSV) or row (spreadsheet) where the record starts
    raw: str               # the record as it appears in the file
    cells: dict[str, str]  # header -> cell text


def read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportDataError(f"cannot read {path}: {exc}") from None
    if size > MAX_BYTES:
        raise ImportDataError(f"{path} is {size / 1e6:.0f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB")
    return path.read_bytes()


def decode(data: bytes, path: Path) -> str:
    for enc in ("utf-8-sig",):
        try:
            return data.decode(enc)
        except UnicodeDecodeError as exc:
            raise ImportDataError(
                f"{path} is not UTF-8 text (byte {exc.start}): convert it to UTF-8 first") from None
    raise AssertionError("unreachable")


def csv_rows(text: str) -> tuple[list[str], Iterator[Row]]:
    """The header and the records of a CSV text, each with its raw line(s)."""
    buffer: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            buffer.append(line)
            yield line

    reader = csv.reader(lines())
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ImportDataError("the file is empty") from None
    except csv.Error as exc:
        raise ImportDataError(f"not a CSV file: {exc}") from None
    buffer.clear()

    def records() -> Iterator[Row]:
        line_no = 2
        try:
            for cells in reader:
                raw = "".join(buffer).rstrip("\r\n")
                buffer.clear()
                start, line_no = line_no, line_no + raw.count("\n") + 1
                if not any(c.strip() for c in cells):
                    continue
                yield Row(start, raw, dict(zip(header, (c.strip() for c in cells), strict=False)))
        except csv.Error as exc:
            raise ImportDataError(f"line {line_no}: malformed CSV: {exc}") from None

    return header, records()


# Whole datasets come as workbooks of hundreds of MB of sheet XML, which openpyxl streams.
XLSX_LIMITS = ZipLimits(entries=10_000, total=2 * 1024 ** 3, xml=2 * 1024 ** 3)


def xlsx_rows(path: Path, sheet: str | None = None) -> tuple[list[str], Iterator[Row]]:
    """Rows of a spreadsheet's first (or named) sheet; `raw` joins the cells with commas."""
    from openpyxl import load_workbook

    try:
        # Sheets are streamed (read-only mode), so real datasets may be large; the shared
        # strings and the compression ratio are what a bomb would abuse.
        check_zip(path, XLSX_LIMITS)
    except ZipBombError as exc:
        raise ImportDataError(f"{path}: refused: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - not an archive at all
        raise ImportDataError(f"{path} is not a readable .xlsx workbook: {exc}") from None
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on bad files
        raise ImportDataError(f"{path} is not a readable .xlsx workbook: {exc}") from None
    ws = wb[sheet] if sheet else wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    try:
        header = [str(h).strip() if h is not None else "" for h in next(it)]
    except StopIteration:
        raise ImportDataError(f"{path}: the sheet is empty") from None

    def cell(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()

    def records() -> Iterator[Row]:
        for n, values in enumerate(it, start=2):
            cells = [cell(v) for v in values]
            if any(cells):
                yield Row(n, ",".join(cells), dict(zip(header, cells, strict=False)))
        wb.close()

    return header, records()


def dataset_source(session: Session, kind: str, path: Path, data: bytes, actor: str,
                   descriptor: dict[str, Any]) -> str:
    """The file as a Source: one per file content (sha256), citing the publisher."""
    digest = sha256_bytes(data)
    source_id = f"{kind}-{slugify(path.stem, 40)}-{digest[:8]}"
    upsert_source(session, {
        "id": source_id, "kind": "dataset", "title": f"{descriptor['title']} ({path.name})",
        "author": None, "publisher": descriptor.get("publisher") or descriptor.get("issuer"),
        "url": descriptor.get("url"), "filename": path.name, "content_hash": digest,
        "meta": {"citation": descriptor.get("citation", "").format(file=path.name),
                 "dataset": kind},
    }, actor)
    return source_id


def verbatim(raw: str, limit: int = ClaimRecord.MAX_QUOTE) -> str:
    """A span of the row as written, at most `limit` characters."""
    raw = raw.replace("\r", " ").replace("\n", " ")
    return raw if len(raw) <= limit else raw[:limit].rstrip()


def row_claim_id(prefix: str, source_id: str, raw: str, extra: str = "") -> str:
    return f"{prefix}-" + hashlib.sha256(f"{source_id}\x1f{raw}\x1f{extra}".encode()).hexdigest()[:20]


@dataclass
class ImportReport:
    source_id: str = ""
    rows: int = 0
    skipped_rows: int = 0
    created: int = 0
    unchanged: int = 0
    duplicates: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    matched: dict[str, str] = field(default_factory=dict)      # name -> entity id
    new_entities: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)            # names queued for review
    unresolved: list[str] = field(default_factory=list)        # names not designated
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.rows} rows: {self.created} claims added, {self.unchanged} already stored, "
                f"{self.duplicates} restating other sources, {len(self.conflicts)} conflicts; "
                f"{len(self.matched)} names matched, {len(self.new_entities)} new candidate "
                f"entities, {len(self.review)} names for review"
                + (f", {len(self.unresolved)} not matched" if self.unresolved else "")
                + (f", {self.skipped_rows} rows skipped" if self.skipped_rows else ""))


def _year(claim_date: str | None) -> str | None:
    return claim_date[:4] if claim_date else None


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return True
    return abs(a - b) <= AMOUNT_TOLERANCE * max(abs(a), abs(b))


def same_deal(session: Session, rec: ClaimRecord) -> tuple[str, Claim | None]:
    """('duplicate', claim) when another source already states this deal with the same
    amount and year; ('conflict', claim) when it states it differently; ('new', None)."""
    if rec.predicate not in DEAL_PREDICATES:
        return "new", None
    subjects = {e for e, r in rec.entities if r == "subject"}
    objects = {e for e, r in rec.entities if r in ("object", "beneficiary")}
    deal_key = (rec.meta or {}).get("deal_key")
    by_subject = select(ClaimEntity.claim_id).where(
        ClaimEntity.entity_id.in_(subjects), ClaimEntity.role == "subject")
    rows = session.scalars(
        select(Claim).where(
            Claim.id.in_(by_subject), Claim.predicate.in_(DEAL_PREDICATES),
            Claim.source_id != rec.source_id, Claim.status != "rejected",
            Claim.duplicate_of.is_(None))
        .options(selectinload(Claim.roles)).order_by(Claim.id)
    ).all()
    rec_usd = rec.amount.usd if rec.amount else None
    best: tuple[str, Claim | None] = ("new", None)
    for claim in rows:
        other_objects = {r.entity_id for r in claim.roles if r.role in ("object", "beneficiary")}
        other_key = (claim.meta or {}).get("deal_key")
        if deal_key and other_key:
            if deal_key != other_key:
                continue
        elif objects and other_objects:
            if not objects & other_objects:
                continue
        elif objects or other_objects:
            continue
        elif (rec.date or "")[:7] != (claim.date or "")[:7]:
            continue  # no target on either side: only the same month is the same deal
        if rec.share is not None and claim.share is not None and abs(rec.share - claim.share) > 0.02:
            continue  # another tranche or another deal
        same_year = _year(rec.date) == _year(claim.date) or not rec.date or not claim.date
        # Amounts in different bases (nominal, constant 2017 USD) are not comparable.
        comparable = rec.amount is None or rec.amount.usd_basis == claim.amount_usd_basis
        if same_year and (not comparable or _close(rec_usd, claim.amount_usd)):
            return "duplicate", claim
        best = ("conflict", claim)
    return best


def claim_to_detail(rec: ClaimRecord) -> dict[str, Any]:
    return {
        "id": rec.id, "predicate": rec.predicate, "source_id": rec.source_id, "quote": rec.quote,
        "entities": [list(x) for x in rec.entities], "domain": rec.domain, "sector": rec.sector,
        "amount": ({"value": rec.amount.value, "currency": rec.amount.currency,
                    "usd": rec.amount.usd, "usd_basis": rec.amount.usd_basis} if rec.amount else None),
        "share": rec.share, "date": rec.date, "modality": rec.modality, "qualifier": rec.qualifier,
        "method": rec.method, "confidence": rec.confidence, "country": rec.country,
        "meta": rec.meta,
    }


def store_claim_dict(session: Session, d: dict[str, Any], actor: str) -> str:
    """Store a claim saved in a review item (as a candidate)."""
    amount = d.get("amount")
    rec = ClaimRecord(
        id=d["id"], predicate=d["predicate"], source_id=d["source_id"], quote=d["quote"],
        entities=[tuple(x) for x in d["entities"]], domain=d["domain"], sector=d.get("sector"),
        amount=Money(**amount) if amount else None, share=d.get("share"),
        quantity=Quantity(**d["quantity"]) if d.get("quantity") else None, date=d.get("date"),
        modality=d.get("modality", "actual"), qualifier=d.get("qualifier"), status="candidate",
        method=d.get("method", "import"), confidence=d.get("confidence", 0.7),
        country=d.get("country"), meta=d.get("meta"))
    upsert_claim(session, rec, actor)
    session.flush()
    index_claims(session, [rec.id or ""])
    return rec.id or ""


def write_claim(session: Session, rec: ClaimRecord, actor: str, report: ImportReport,
                stored_ids: set[str]) -> None:
    """Store one imported claim unless it is already stored; a disagreement with another
    source's claim goes to the review queue instead."""
    problems = rec.problems()
    if problems:
        report.errors.append(f"{rec.meta.get('line') if rec.meta else '?'}: {'; '.join(problems)}")
        return
    if session.get(Claim, rec.id) is not None:
        report.unchanged += 1
        return
    verdict, other = same_deal(session, rec)
    if verdict == "conflict" and other is not None:
        item, created = queue_item(
            session, review_key("conflict", rec.id, other.id), kind="conflict",
            claim_id=other.id, source_id=rec.source_id, name=rec.quote,
            detail={"claim": claim_to_detail(rec),
                    "stored": {"amount_usd": other.amount_usd, "date": other.date,
                               "share": other.share, "quote": other.quote}})
        report.conflicts.append({"row": rec.quote, "claim": other.id, "review_item": item.id,
                                 "new": created,
                                 "stored": f"{other.amount_usd} in {other.date}",
                                 "imported": f"{rec.amount.usd if rec.amount else None} in {rec.date}"})
        return
    if verdict == "duplicate" and other is not None:
        rec.meta = {**(rec.meta or {}), "restates": other.id}
        report.duplicates += 1
    upsert_claim(session, rec, actor)
    if verdict == "duplicate" and other is not None:
        session.flush()
        session.get(Claim, rec.id).duplicate_of = other.id
    report.created += 1
    stored_ids.add(rec.id or "")


def finish(session: Session, resolver: Resolver, report: ImportReport, claim_ids: set[str]) -> None:
    session.flush()
    index_sources(session, [report.source_id])
    index_entities(session, resolver.created)
    index_claims(session, sorted(claim_ids))
    report.new_entities = list(resolver.created)
