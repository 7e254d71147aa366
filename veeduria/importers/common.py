"""What every importer shares: reading tables with their raw lines, the dataset as a Source,
claims with stable ids, and the check against stored claims (duplicate or conflict)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
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
from veeduria.store.models import Claim, ClaimEntity, Source
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


def edition_of(kind: str, filename: str | None) -> dict[str, Any] | None:
    """The published edition a dataset file belongs to (datasets.yaml `editions`), by its
    name without folders, extension or a _PERU (subset) suffix."""
    if not filename:
        return None
    stem = Path(filename).name.rsplit(".", 1)[0]
    stem = re.sub(r"_PERU$", "", stem, flags=re.I)
    editions = (datasets().get(kind) or {}).get("editions") or {}
    return editions.get(stem)


def dataset_of(source_title: str | None, filename: str | None) -> str | None:
    """Which known dataset (datasets.yaml key) a source is, from its file name or title."""
    for kind, desc in datasets().items():
        if edition_of(kind, filename) or (source_title and desc.get("title") and
                                          source_title.startswith(desc["title"])):
            return kind
    return None


def dataset_record(kind: str, filename: str | None, quote: str, *, row: int | None = None,
                   cells: dict[str, str] | None = None,
                   used: tuple[str, ...] | None = None) -> dict[str, Any] | None:
    """A dataset claim's evidence as a record: dataset, edition, file, row, the fields used
    (from the row's cells, or read from a quoted row with the edition's columns) and the
    address of the copy read. None when the quote cannot be read as a row of a known edition."""
    desc = datasets().get(kind) or {}
    ed = edition_of(kind, filename) or {}
    if cells is None:
        columns = ed.get("columns") or []
        if not columns:
            return None
        try:
            values = next(csv.reader([quote]))
        except (csv.Error, StopIteration):
            return None
        cells = dict(zip(columns, values, strict=False))
    fields = {k: v for k, v in cells.items() if v and (used is None or k in used)}
    if not fields:
        return None
    return {"dataset": desc.get("title", kind), "edition": ed.get("edition"),
            "file": Path(filename).name if filename else None, "row": row, "fields": fields,
            "url": ed.get("url") or desc.get("url")}


def record_text(rec: dict[str, Any]) -> str:
    """'China Global Investment Tracker, 2019 Fall edition (file.csv), row 11: Year 2013;
    Month November; ... <address>'."""
    head = ", ".join(x for x in (rec.get("dataset"), rec.get("edition")) if x)
    if rec.get("file"):
        head += f" ({rec['file']})"
    if rec.get("row"):
        head += f", row {rec['row']}"
    body = "; ".join(f"{k} {v}" for k, v in (rec.get("fields") or {}).items())
    return f"{head}: {body}" + (f" <{rec['url']}>" if rec.get("url") else "")


def claim_record(meta: dict[str, Any] | None, source_kind: str | None, source_title: str | None,
                 filename: str | None, quote: str) -> dict[str, Any] | None:
    """The readable record behind a claim from a dataset (stored by the importer, or read
    from the quoted row of a known edition); None for a claim from a text."""
    if meta and isinstance(meta.get("record"), dict):
        return meta["record"]
    if source_kind != "dataset":
        return None
    kind = dataset_of(source_title, filename)
    return dataset_record(kind, filename, quote) if kind else None


def dataset_source(session: Session, kind: str, path: Path, data: bytes, actor: str,
                   descriptor: dict[str, Any]) -> str:
    """The file as a Source: one per file content (sha256), citing the publisher and the
    edition's address where datasets.yaml knows it."""
    digest = sha256_bytes(data)
    source_id = f"{kind}-{slugify(path.stem, 40)}-{digest[:8]}"
    ed = edition_of(kind, path.name) or {}
    title = descriptor["title"] + (f", {ed['edition']}" if ed.get("edition") else "")
    upsert_source(session, {
        "id": source_id, "kind": "dataset", "title": f"{title} ({path.name})",
        "author": None, "publisher": descriptor.get("publisher") or descriptor.get("issuer"),
        "url": ed.get("url") or descriptor.get("url"), "filename": path.name,
        "content_hash": digest, "published": ed.get("published"),
        "meta": {"citation": descriptor.get("citation", "").format(file=path.name),
                 "dataset": kind, "edition": ed.get("edition"), "home": descriptor.get("url")},
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
    # rows that are the very rows a stored (curated) claim quotes: line -> claim ids
    case_rows: dict[int, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        return (f"{self.rows} rows: {self.created} claims added, {self.unchanged} already stored, "
                f"{self.duplicates} restating other sources, {len(self.conflicts)} conflicts"
                + (f", {len(self.case_rows)} rows already held as curated claims" if self.case_rows else "")
                + "; "
                f"{len(self.matched)} names matched, {len(self.new_entities)} new candidate "
                f"entities, {len(self.review)} names for review"
                + (f", {len(self.unresolved)} not matched" if self.unresolved else "")
                + (f", {self.skipped_rows} rows skipped" if self.skipped_rows else ""))


def same_deal(session: Session, rec: ClaimRecord) -> tuple[str, Claim | None]:
    """('duplicate', claim) when another source already states this event with the same
    actor, amount, date and share; ('conflict', claim) when it states the same event
    differently; ('new', None). What "the same event" is: veeduria/resolve/events.py."""
    from veeduria.resolve.events import (
        Member,
        OwnershipRelations,
        close,
        config,
        member_from_claim,
        month_gap,
        same_event,
    )

    if rec.predicate not in DEAL_PREDICATES:
        return "new", None
    named = {e for e, r in rec.entities if r in ("subject", "object", "counterparty", "beneficiary")}
    deal_key = (rec.meta or {}).get("deal_key")
    rows = session.scalars(
        select(Claim).where(
            Claim.id.in_(select(ClaimEntity.claim_id).where(ClaimEntity.entity_id.in_(named))),
            Claim.predicate.in_(DEAL_PREDICATES),
            Claim.source_id != rec.source_id, Claim.status != "rejected",
            Claim.duplicate_of.is_(None))
        .options(selectinload(Claim.roles).selectinload(ClaimEntity.entity),
                 selectinload(Claim.source)).order_by(Claim.id)
    ).all()
    me = Member(id=rec.id or "", predicate=rec.predicate, roles=list(rec.entities),
                modality=rec.modality, date=rec.date, share=rec.share,
                amount_usd=rec.amount.usd if rec.amount else None,
                amount_basis=rec.amount.usd_basis if rec.amount else None,
                source_id=rec.source_id, quote=rec.quote, qualifier=rec.qualifier)
    related = OwnershipRelations(session)
    best: tuple[str, Claim | None] = ("new", None)
    for claim in rows:
        other_key = (claim.meta or {}).get("deal_key")
        if deal_key and other_key and deal_key != other_key:
            continue
        other = member_from_claim(claim)
        if not (deal_key and deal_key == other_key) and not same_event(me, other, related):
            continue
        gap = month_gap(rec.date, claim.date)
        # Amounts in different bases (nominal, constant 2017 USD) are not comparable.
        comparable = rec.amount is None or rec.amount.usd_basis == claim.amount_usd_basis
        shares_agree = (rec.share is None or claim.share is None
                        or abs(rec.share - claim.share) <= config()["share_tolerance"])
        if not gap and shares_agree and (not comparable or close(me.amount_usd, claim.amount_usd)):
            return "duplicate", claim
        if best[0] == "new":
            best = ("conflict", claim)
    return best


def known_rows(session: Session, kind: str) -> list[tuple[str, str]]:
    """(quote, claim id) of claims not made by an importer (a curated case's) that quote a
    row of this dataset, longest quote first: an imported row containing such a quote is
    that claim's row."""
    ids = [src.id for src in session.scalars(select(Source).where(Source.kind == "dataset"))
           if dataset_of(src.title, src.filename) == kind]
    if not ids:
        return []
    rows = session.execute(select(Claim.quote, Claim.id).where(
        Claim.source_id.in_(ids), Claim.method.not_like("import%"), Claim.status != "rejected"))
    return sorted(((q, cid) for q, cid in rows if q and len(q) >= 12), key=lambda x: (-len(x[0]), x[1]))


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
    if claim_ids:
        # Events the new claims join: their conflicts go to the review queue.
        from veeduria.resolve.events import events_for_entities, sync_conflicts

        named = set(session.scalars(select(ClaimEntity.entity_id).where(
            ClaimEntity.claim_id.in_(sorted(claim_ids)[:5000]))))
        sync_conflicts(session, events_for_entities(session, named, ("accepted", "candidate")))
