"""Ingest: read a file, store it as a source and store its candidate claims, all in ONE
transaction, so a failure anywhere leaves the document either fully in or not at all."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from veeduria.extract import METHOD, ClaimIndex, DocMeta, Gazetteer, extract
from veeduria.extract.dedupe import key_of
from veeduria.extract.from_store import claim_index_from_store, gazetteer_from_store
from veeduria.extract.gazetteer import EntityInfo
from veeduria.model import ClaimRecord
from veeduria.sources.document import DEFAULT_MAX_BYTES, Document, DocumentError
from veeduria.sources.language import detect_language
from veeduria.sources.readers import read_document, supported
from veeduria.sources.store_docs import UnknownSourceError, store_document
from veeduria.store import Store
from veeduria.store.audit import record as audit
from veeduria.store.models import AuditEvent, Claim, ClaimEntity, Entity, SearchDoc, Source, utcnow
from veeduria.store.search import index_entities
from veeduria.store.writer import claim_values, upsert_entity
from veeduria.text import parse_partial_date

META_FIELDS = ("title", "author", "publisher", "published", "url", "language", "kind")


@dataclass
class IngestResult:
    path: str
    source_id: str | None = None
    outcome: str = "error"  # created | updated | unchanged | error
    words: int = 0
    claims: int = 0  # candidate claims written (new)
    duplicates: int = 0  # of those, how many restate a known claim (duplicate_of set)
    entities: int = 0  # new candidate entities
    located: int = 0  # quotes of claims already citing this source, located in its text
    language: str | None = None
    extracted: bool = False
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class Ingestor:
    """Ingests many files with one gazetteer and one index of known claims, refreshed with
    what each committed document adds."""

    def __init__(self, store: Store, *, actor: str, max_bytes: int = DEFAULT_MAX_BYTES,
                 extract: bool = True) -> None:
        self.store = store
        self.actor = actor
        self.max_bytes = max_bytes
        self.extract = extract
        self._gazetteer: Gazetteer | None = None
        self._index: ClaimIndex | None = None

    def _context(self, session: Session) -> tuple[Gazetteer, ClaimIndex]:
        if self._gazetteer is None or self._index is None:
            self._gazetteer = gazetteer_from_store(session)
            self._index = claim_index_from_store(session)
        return self._gazetteer, self._index

    def ingest_path(self, path: Path, meta: dict[str, Any] | None = None) -> IngestResult:
        result = IngestResult(str(path))
        try:
            doc = read_document(path, max_bytes=self.max_bytes)
        except DocumentError as exc:
            result.errors.append(str(exc))
            return result
        return self.ingest_document(doc, meta or {}, result)

    def ingest_document(self, doc: Document, meta: dict[str, Any],
                        result: IngestResult | None = None) -> IngestResult:
        result = result or IngestResult(doc.filename or "(document)")
        label = result.path
        try:
            _apply_meta(doc, meta)
        except ValueError as exc:
            result.errors.append(f"{label}: {exc}")
            return result
        result.words = len(doc.text.split())
        pending_entities: list[EntityInfo] = []
        pending_claims: list[tuple[Any, str]] = []
        try:
            with self.store.session() as session:
                stored = store_document(session, doc, self.actor, source_id=meta.get("source"))
                result.source_id, result.outcome, result.located = stored.source_id, stored.outcome, stored.located
                result.warnings.extend(f"{label}: quote not found for claim {cid}" for cid, _ in stored.missing_quotes)
                src = session.get(Source, stored.source_id)
                result.language = src.language
                if self.extract and meta.get("extract", True):
                    self._extract_into(session, src, doc, result, pending_entities, pending_claims)
        except UnknownSourceError as exc:
            result.errors.append(f"{label}: {exc}")
            result.outcome = "error"
        except Exception as exc:  # noqa: BLE001 - the transaction rolled back; report and go on
            result.errors.append(f"{label}: not stored ({exc.__class__.__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''})")
            result.outcome = "error"
        if result.ok:
            # Only after the commit: the batch context learns this document's names and claims.
            if self._gazetteer is not None:
                for info in pending_entities:
                    self._gazetteer.add_entity(info)
            if self._index is not None:
                for rec, claim_id in pending_claims:
                    self._index.add(key_of(rec, claim_id))
        else:
            result.claims = result.duplicates = result.entities = 0
            result.source_id = None
        return result

    def _extract_into(self, session: Session, src: Source, doc: Document, result: IngestResult,
                      pending_entities: list[EntityInfo], pending_claims: list[tuple[Any, str]]) -> None:
        marker = (src.meta or {}).get("extraction") or {}
        if marker.get("content_hash") == doc.content_hash and marker.get("method") == METHOD:
            return  # this very text was extracted already: ingesting it again changes nothing
        gazetteer, index = self._context(session)
        meta = DocMeta(source_id=src.id, published=src.published, language=src.language,
                       country=_case_country(session, src), case_id=src.case_id, pages=doc.pages)
        found = extract(doc.text, meta, gazetteer)
        result.extracted = True
        new_ids = []
        for rec in found.new_entities:
            if session.get(Entity, rec.id) is None:
                upsert_entity(session, rec, self.actor)
                new_ids.append(rec.id)
                pending_entities.append(EntityInfo(rec.id, rec.name, rec.schema))
        session.flush()
        valid = []
        for rec in found.claims:
            problems = rec.problems()
            if problems:
                result.warnings.append(f"{result.path}: candidate skipped: {'; '.join(problems)}")
                continue
            valid.append((rec.fingerprint(), rec))
        stored_ids = _existing_claim_ids(session, [cid for cid, _ in valid])
        names = {ent_id: info.name for ent_id, info in gazetteer.entities.items()}
        names.update((rec.id, rec.name) for rec in found.new_entities)
        rows = _CandidateRows(self.actor)
        written = []
        for claim_id, rec in valid:
            if claim_id in stored_ids:
                continue  # already stored (and perhaps reviewed): never overwrite
            stored_ids.add(claim_id)
            duplicate_of = index.find(rec)
            if duplicate_of == claim_id:
                duplicate_of = None
            rows.add(claim_id, rec, duplicate_of, names)
            if duplicate_of:
                result.duplicates += 1
            else:
                index.add(key_of(rec, claim_id))
                pending_claims.append((rec, claim_id))
            written.append(claim_id)
        session.flush()  # the source and new entities first: claims refer to them
        rows.insert(session)
        session.flush()
        src.meta = {**(src.meta or {}), "extraction": {
            "method": METHOD, "content_hash": doc.content_hash, "claims": len(written)}}
        flag_modified(src, "meta")
        index_entities(session, new_ids)
        result.claims, result.entities = len(written), len(new_ids)


def _existing_claim_ids(session: Session, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(ids), 500):
        found.update(session.scalars(select(Claim.id).where(Claim.id.in_(ids[i:i + 500]))))
    return found


class _CandidateRows:
    """New candidate claims as plain rows (claims, roles, search documents, audit events),
    inserted with one executemany per table inside the document's transaction: the same
    rows insert_candidate + index_claims write, without an ORM object per row."""

    def __init__(self, actor: str) -> None:
        self.actor = actor
        self.claims: list[dict[str, Any]] = []
        self.roles: list[dict[str, Any]] = []
        self.search: list[dict[str, Any]] = []
        self.audit: list[dict[str, Any]] = []

    def add(self, claim_id: str, rec: ClaimRecord, duplicate_of: str | None, names: dict[str, str]) -> None:
        # veeduria.scale.work builds the same rows for the bulk writer (and imports this module).
        from veeduria.scale.work import claim_row

        now = utcnow()
        row = claim_row(rec, names)
        values = {k: v for k, v in row.values.items() if k != "id"}
        self.claims.append({"id": claim_id, **values, "duplicate_of": duplicate_of,
                            "created_at": now, "updated_at": now})
        self.roles.extend({"claim_id": claim_id, "entity_id": e, "role": r, "position": p}
                          for e, r, p in row.roles)
        title, body = row.search
        self.search.append({"kind": "claim", "ref_id": claim_id, "title": title, "body": body})
        changes = {k: v for k, v in values.items() if v is not None and k != "meta"}
        if duplicate_of:
            changes["duplicate_of"] = duplicate_of
        self.audit.append({"at": now, "actor": self.actor, "action": "create", "object_type": "claim",
                           "object_id": claim_id, "changes": changes, "note": None})

    def insert(self, session: Session) -> None:
        if not self.claims:
            return
        conn = session.connection()
        for table, rows in ((Claim.__table__, self.claims), (ClaimEntity.__table__, self.roles),
                            (SearchDoc.__table__, self.search), (AuditEvent.__table__, self.audit)):
            for i in range(0, len(rows), 1000):
                insert_rows(conn, table, rows[i:i + 1000])


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """One executemany (a module-level function so tests can make it fail half-way)."""
    conn.execute(insert(table), rows)


def insert_candidate(session: Session, claim_id: str, rec: ClaimRecord, actor: str,
                     duplicate_of: str | None) -> None:
    """Add a new candidate claim, its entities and its audit event without per-row look-ups
    (the caller knows the id is new). Same values and audit record as writer.upsert_claim."""
    values = claim_values(rec)
    claim = Claim(id=claim_id, duplicate_of=duplicate_of, **values)
    seen: set[tuple[str, str]] = set()
    for pos, (ent_id, role) in enumerate(rec.entities):
        if (ent_id, role) not in seen:
            seen.add((ent_id, role))
            claim.roles.append(ClaimEntity(entity_id=ent_id, role=role, position=pos))
    session.add(claim)
    changes = {k: v for k, v in values.items() if v is not None and k != "meta"}
    if duplicate_of:
        changes["duplicate_of"] = duplicate_of
    audit(session, actor, "create", "claim", claim_id, changes)


def _apply_meta(doc: Document, meta: dict[str, Any]) -> None:
    for key in META_FIELDS:
        if meta.get(key):
            setattr(doc, key, meta[key])
    if doc.published:
        try:
            parse_partial_date(str(doc.published))
        except ValueError:
            if meta.get("published"):
                raise
            doc.published = None  # an unusable date in the file's own metadata is dropped
    if not doc.language:
        doc.language = detect_language(doc.text)


def _case_country(session: Session, src: Source) -> str | None:
    if not src.case_id:
        return None
    return session.scalar(select(Claim.country).where(Claim.case_id == src.case_id,
                                                      Claim.country.is_not(None)).limit(1))


def ingest_file(store: Store, path: Path | str, *, meta: dict[str, Any] | None = None,
                actor: str, max_bytes: int = DEFAULT_MAX_BYTES,
                ingestor: Ingestor | None = None) -> IngestResult:
    """Read any supported file and store it with its candidate claims in one transaction.
    Never raises for bad input: problems come back in `result.errors`, one line each."""
    meta = dict(meta or {})
    ingestor = ingestor or Ingestor(store, actor=actor, max_bytes=max_bytes,
                                    extract=meta.get("extract", True))
    return ingestor.ingest_path(Path(path), meta)


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and supported files under directories named (recursively, sorted)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and supported(child) and not child.name.startswith("."):
                    yield child
        else:
            yield path
