"""Ingest: read files, store each as a source with its candidate claims.

Documents are written in batches: one transaction per batch (a commit costs more than
writing a small document), with a SAVEPOINT per document, so each document is still all
or nothing: a document that fails rolls back to its savepoint and the batch goes on, and a
crash before the batch commits leaves none of its documents (each is fully in or not at
all; running the ingest again stores them)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, bindparam, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from veeduria.extract import METHOD, DocMeta, Gazetteer
from veeduria.extract.dedupe import key_of
from veeduria.extract.from_store import gazetteer_from_store
from veeduria.extract.gazetteer import EntityInfo
from veeduria.model import ClaimRecord, EntityRecord
from veeduria.scale.claim_index import EntityClaimIndex, entity_claim_index_from_store
from veeduria.scale.work import claim_search_doc, entity_row, source_row
from veeduria.sources.bulk import bulk_insert
from veeduria.sources.chunks import MAX_CANDIDATES, count_words, extract_chunked
from veeduria.sources.document import DEFAULT_MAX_BYTES, Document, DocumentError, encoding_warning
from veeduria.sources.meta import META_FIELDS, apply_meta
from veeduria.sources.readers import read_document, supported
from veeduria.sources.store_docs import UnknownSourceError, store_document
from veeduria.store import Store
from veeduria.store.busy import busy_message, is_busy, with_retry
from veeduria.store.models import (
    AuditEvent,
    Claim,
    ClaimEntity,
    Entity,
    EntityName,
    SearchDoc,
    Source,
    utcnow,
)
from veeduria.store.search import index_entities, source_docs
from veeduria.store.writer import claim_values, upsert_entity

__all__ = ["META_FIELDS", "IngestResult", "Ingestor", "ingest_file", "insert_rows", "iter_files"]
_apply_meta = apply_meta  # older name, used by callers outside this package

DEFAULT_BATCH_DOCS = 50  # documents per transaction
DEFAULT_BATCH_WORDS = 200_000  # ... or fewer, so a transaction stays short with big files


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

    def fail(self, message: str) -> None:
        self.errors.append(message)
        self.outcome = "error"
        self.claims = self.duplicates = self.entities = self.located = 0
        self.source_id = None


class Ingestor:
    """Ingests many files with one gazetteer and one index of known claims, which learn
    each stored document's new names and claims before the next document is extracted."""

    def __init__(self, store: Store, *, actor: str, max_bytes: int = DEFAULT_MAX_BYTES,
                 extract: bool = True, batch_docs: int = DEFAULT_BATCH_DOCS,
                 batch_words: int = DEFAULT_BATCH_WORDS, busy_seconds: float = 600.0) -> None:
        self.store = store
        # How long a batch waits for the store while another process writes (then it fails
        # with a "store is busy" error and nothing of it is stored).
        self.busy_seconds = busy_seconds
        self.actor = actor
        self.max_bytes = max_bytes
        self.extract = extract
        self.batch_docs = max(1, batch_docs)
        self.batch_words = batch_words
        self._gazetteer: Gazetteer | None = None
        self._index: EntityClaimIndex | None = None

    def _context(self, session: Session) -> tuple[Gazetteer, EntityClaimIndex]:
        if self._gazetteer is None or self._index is None:
            self._gazetteer = gazetteer_from_store(session)
            self._index = entity_claim_index_from_store(session)
        return self._gazetteer, self._index

    def _forget(self) -> None:
        """A batch did not commit: what it taught the context is not in the store."""
        self._gazetteer = self._index = None

    # -- entry points -------------------------------------------------------------------

    def ingest_path(self, path: Path, meta: dict[str, Any] | None = None) -> IngestResult:
        return next(self.ingest_paths([path], meta))

    def ingest_document(self, doc: Document, meta: dict[str, Any],
                        result: IngestResult | None = None) -> IngestResult:
        return next(self._batches(iter([(result or IngestResult(doc.filename or "(document)"), doc)]),
                                  meta or {}))

    def ingest_paths(self, paths: Iterable[Path], meta: dict[str, Any] | None = None) -> Iterator[IngestResult]:
        """Results in the order of `paths`, each yielded once its batch is committed."""
        return self._batches(((IngestResult(str(p)), Path(p)) for p in paths), meta or {})

    # -- batches --------------------------------------------------------------------------
    # Each new document is read and extracted first, with no write lock held (reads only),
    # into the rows it will write; a batch of such documents is then written in one short
    # transaction. Writers waiting on the store (a review, an editor) wait for one batch's
    # inserts, never for an extraction.

    def _batches(self, items: Iterator[tuple[IngestResult, Path | Document]],
                 meta: dict[str, Any]) -> Iterator[IngestResult]:
        pending: list[_Prepared] = []
        keys: set[str] = set()  # content hashes and source ids of the pending documents
        entities: set[str] = set()  # entity ids the pending documents create
        words = 0
        for result, item in items:
            doc = self._read(result, item, meta)
            if doc is not None and (meta.get("source") is not None or doc.content_hash in keys
                                    or doc.source_id in keys or self._is_known(doc)):
                # A source already known (or written by this batch): its text is attached and
                # quotes located through the store, so the batch goes in first.
                yield from self._flush(pending)
                pending, keys, entities, words = [], set(), set(), 0
                self._write_known(result, doc, meta)
                yield result
                continue
            prepared = _Prepared(result)
            if doc is not None:
                self._prepare_new(doc, meta, prepared, entities)
                if prepared.rows is not None:
                    keys.update((doc.content_hash, doc.source_id))
            pending.append(prepared)
            words += result.words
            if len(pending) >= self.batch_docs or words >= self.batch_words:
                yield from self._flush(pending)
                pending, keys, entities, words = [], set(), set(), 0
        yield from self._flush(pending)

    def _read(self, result: IngestResult, item: Path | Document, meta: dict[str, Any]) -> Document | None:
        if isinstance(item, Document):
            doc = item
        else:
            try:
                doc = read_document(item, max_bytes=self.max_bytes)
            except DocumentError as exc:
                result.errors.append(str(exc))
                return None
        label = result.path
        note = encoding_warning(label, (doc.meta or {}).get("encoding"))
        if note:
            result.warnings.append(note)
        try:
            apply_meta(doc, meta)
        except ValueError as exc:
            result.errors.append(f"{label}: {exc}")
            return None
        result.words = count_words(doc.text)
        return doc

    def _is_known(self, doc: Document) -> bool:
        with self.store.reader() as session:
            return _known(session, doc)

    def _prepare_new(self, doc: Document, meta: dict[str, Any], prepared: _Prepared,
                     batch_entities: set[str]) -> None:
        """Build a new document's rows (and extract its claims) outside any write transaction.
        The gazetteer learns its new names at once, so the next document of the batch
        recognises them (they are written, in order, before that document's claims)."""
        want_extract = self.extract and meta.get("extract", True)
        result = prepared.result
        try:
            with self.store.reader() as session:
                gazetteer, index = self._context(session)
                prepared.mark = index.mark()
                prepared.rows = self._store_new(session, doc, result, prepared.learned, want_extract,
                                                batch_entities)
        except Exception as exc:  # noqa: BLE001 - a bug or a store error on one document: report, go on
            prepared.rows = None
            result.fail(f"{result.path}: not stored ({_one_line(exc)})")
            self._forget()
            return
        batch_entities.update(info.id for info in prepared.learned)
        for info in prepared.learned:
            gazetteer.add_entity(info)

    def _flush(self, pending: list[_Prepared]) -> Iterator[IngestResult]:
        """Write the prepared documents in one transaction, a savepoint each; retried while
        the store is busy (nothing is written until it commits)."""
        todo = [p for p in pending if p.rows is not None and p.result.ok]
        if todo:
            failed = False
            try:
                failed = with_retry(lambda: self._write_batch(todo), self.busy_seconds)
            except Exception as exc:  # noqa: BLE001 - the commit failed: nothing of the batch is in
                self._forget()
                for p in todo:
                    if p.result.ok:
                        p.result.fail(f"{p.result.path}: not stored (the batch did not commit: "
                                      f"{_one_line(exc)})")
            except BaseException:
                self._forget()
                raise
            if failed:
                # What the failed documents taught the context is not in the store.
                self._forget()
        yield from (p.result for p in pending)

    def _write_batch(self, todo: list[_Prepared]) -> bool:
        failed = False
        with self.store.session() as session:
            _begin(session)
            for p in todo:
                if not p.result.ok:
                    continue
                try:
                    with session.begin_nested():
                        # The savepoint is opened when the session hands out its connection.
                        p.rows.insert(session.connection())
                except Exception as exc:  # noqa: BLE001 - rolled back to the savepoint; report and go on
                    if is_busy(exc):
                        raise
                    p.result.fail(f"{p.result.path}: not stored ({_one_line(exc)})")
                    failed = True
        return failed

    def _write_known(self, result: IngestResult, doc: Document, meta: dict[str, Any]) -> None:
        """A document whose source is already stored, in its own transaction."""
        label = result.path
        learned: list[EntityInfo] = []
        try:
            with self.store.session() as session:
                _begin(session)
                gazetteer, index = self._context(session)
                mark = index.mark()
                try:
                    with session.begin_nested():
                        self._store(session, doc, meta, result, learned)
                except UnknownSourceError as exc:
                    index.rollback(mark)
                    result.fail(f"{label}: {exc}")
                    return
                except Exception as exc:  # noqa: BLE001 - rolled back to the savepoint; report and go on
                    index.rollback(mark)
                    result.fail(f"{label}: not stored ({_one_line(exc)})")
                    return
        except Exception as exc:  # noqa: BLE001 - the commit failed
            self._forget()
            if result.ok:
                result.fail(f"{label}: not stored ({busy_message(exc) if is_busy(exc) else _one_line(exc)})")
            return
        except BaseException:
            self._forget()
            raise
        for info in learned:
            gazetteer.add_entity(info)

    def _store(self, session: Session, doc: Document, meta: dict[str, Any], result: IngestResult,
               learned: list[EntityInfo]) -> None:
        want_extract = self.extract and meta.get("extract", True)
        if meta.get("source") is None and not _known(session, doc):
            self._store_new(session, doc, result, learned, want_extract)
            return
        # A source already known (same content, or named with --source): attach the text,
        # locate the quotes citing it, and extract unless this very text was extracted.
        stored = store_document(session, doc, self.actor, source_id=meta.get("source"))
        result.source_id, result.outcome, result.located = stored.source_id, stored.outcome, stored.located
        result.warnings.extend(f"{result.path}: quote not found for claim {cid}" for cid, _ in stored.missing_quotes)
        src = session.get(Source, stored.source_id)
        result.language = src.language
        if not want_extract:
            return
        marker = (src.meta or {}).get("extraction") or {}
        if marker.get("content_hash") == doc.content_hash and marker.get("method") == METHOD:
            return
        found = self._extract(session, doc, src.id, src.published, src.language,
                              _case_country(session, src), src.case_id, result)
        rows = _Rows(self.actor)
        new_ids = []
        for rec in found.new_entities:
            if session.get(Entity, rec.id) is None:
                upsert_entity(session, rec, self.actor)
                new_ids.append(rec.id)
                learned.append(EntityInfo(rec.id, rec.name, rec.schema))
        session.flush()
        written = self._claims(session, found.claims, found.new_entities, rows, result)
        rows.insert(session.connection())
        src.meta = {**(src.meta or {}), "extraction": _marker(doc.content_hash, written),
                    "mentions": found.mention_table}
        flag_modified(src, "meta")
        index_entities(session, new_ids)
        result.entities = len(new_ids)

    def _store_new(self, session: Session, doc: Document, result: IngestResult,
                   learned: list[EntityInfo], want_extract: bool, batch_entities: set[str]) -> _Rows:
        """A document not in the store: every row is built here, to be inserted with one
        executemany per table (no ORM objects, no look-ups but the existing ids)."""
        source = source_row(doc)
        rows = _Rows(self.actor)
        rows.event("source", source["id"], {k: v for k, v in source.items() if k != "text"})
        rows.search.extend(source_docs(source, source["text"]))
        written = None
        mentions: list[list[Any]] | None = None
        if want_extract:
            found = self._extract(session, doc, source["id"], doc.published, doc.language, None, None, result)
            stored = _existing(session, Entity.id, [rec.id for rec in found.new_entities]) | batch_entities
            for rec in found.new_entities:
                if rec.id in stored:
                    continue
                stored.add(rec.id)
                rows.add_entity(rec)
                learned.append(EntityInfo(rec.id, rec.name, rec.schema))
            result.entities = len(learned)
            # Claim ids hash the source id, and this source is new: none can be stored yet.
            written = self._claims(session, found.claims, found.new_entities, rows, result,
                                   new_source=True)
            mentions = found.mention_table
        now = utcnow()
        meta = source["meta"]
        if written is not None:
            meta = {**(meta or {}), "extraction": _marker(doc.content_hash, written), "mentions": mentions}
        rows.sources.append({**source, "meta": meta, "case_id": None, "created_at": now, "updated_at": now})
        result.source_id, result.outcome, result.language = source["id"], "created", doc.language
        return rows

    def _extract(self, session: Session, doc: Document, source_id: str, published: str | None,
                 language: str | None, country: str | None, case_id: str | None,
                 result: IngestResult):  # noqa: ANN202
        gazetteer, _ = self._context(session)
        meta = DocMeta(source_id=source_id, published=published, language=language,
                       country=country, case_id=case_id, pages=doc.pages)
        # In bounded pieces: memory stays flat however long the text (see sources.chunks).
        found, capped = extract_chunked(doc.text, meta, gazetteer)
        if capped:
            result.warnings.insert(0, f"{result.path}: extraction stopped at {MAX_CANDIDATES} candidate "
                                      "claims (the limit per document); split the document to get more")
        return found

    def _claims(self, session: Session, claims: list[ClaimRecord], new_entities: list[EntityRecord],
                rows: _Rows, result: IngestResult, *, new_source: bool = False) -> int:
        gazetteer, index = self._context(session)
        valid = []
        for rec in claims:
            problems = rec.problems()
            if problems:
                result.warnings.append(f"{result.path}: candidate skipped: {'; '.join(problems)}")
                continue
            valid.append((rec.fingerprint(), rec))
        stored_ids = set() if new_source else _existing(session, Claim.id, [cid for cid, _ in valid])
        names = {e: gazetteer.entities[e].name for _, rec in valid for e, _ in rec.entities
                 if e in gazetteer.entities}
        names.update((rec.id, rec.name) for rec in new_entities)
        result.extracted = True
        written = 0
        for claim_id, rec in valid:
            if claim_id in stored_ids:
                continue  # already stored (and perhaps reviewed): never overwrite
            stored_ids.add(claim_id)
            duplicate_of = index.find(rec)
            if duplicate_of == claim_id:
                duplicate_of = None
            rows.add_claim(claim_id, rec, duplicate_of, names)
            if duplicate_of:
                result.duplicates += 1
            else:
                # Later candidates (of this document too) that restate this one link to it.
                index.add(key_of(rec, claim_id))
            written += 1
        result.claims = written
        return written


@dataclass
class _Prepared:
    """A new document read and extracted, waiting for its batch to be written."""

    result: IngestResult
    rows: _Rows | None = None
    learned: list[EntityInfo] = field(default_factory=list)
    mark: Any = None


def _begin(session: Session) -> None:
    """Open the batch's transaction. SQLite: BEGIN IMMEDIATE explicitly, which also makes
    the documents' SAVEPOINTs nest in it (pysqlite only opens a transaction before a write,
    and a SAVEPOINT outside one would be released as a commit)."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        driver = conn.connection.driver_connection
        if not driver.in_transaction:
            # A bigger page cache: a batch touches many index pages of claims and search.
            conn.exec_driver_sql("PRAGMA cache_size=-65536")
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _known(session: Session, doc: Document) -> bool:
    """Is there a source with this content (or this document's id) already?"""
    # A Core statement on the session's connection: the ORM's per-statement set-up costs
    # more than the query, and this runs once per document.
    return session.connection().execute(_KNOWN_SOURCE, {"hash": doc.content_hash, "id": doc.source_id}
                                        ).first() is not None


_KNOWN_SOURCE = select(Source.__table__.c.id).where(or_(
    Source.__table__.c.content_hash == bindparam("hash"), Source.__table__.c.id == bindparam("id"))).limit(1)


def _existing(session: Session, column: Any, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(ids), 500):
        found.update(session.scalars(select(column).where(column.in_(ids[i:i + 500]))))
    return found


def _marker(content_hash: str, claims: int) -> dict[str, Any]:
    return {"method": METHOD, "content_hash": content_hash, "claims": claims}


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{exc.__class__.__name__}: {text}"


class _Rows:
    """One document's new rows (sources, entities and their names, claims, roles, search
    documents, audit events), inserted with one executemany per table: the same rows
    upsert_source / upsert_entity / upsert_claim and the search indexer write, without an
    ORM object per row."""

    def __init__(self, actor: str) -> None:
        self.actor = actor
        self.now = utcnow()
        self.sources: list[dict[str, Any]] = []
        self.entities: list[dict[str, Any]] = []
        self.names: list[dict[str, Any]] = []
        self.claims: list[dict[str, Any]] = []
        self.roles: list[dict[str, Any]] = []
        self.search: list[dict[str, Any]] = []
        self.audit: list[dict[str, Any]] = []

    def event(self, kind: str, obj_id: str, changes: dict[str, Any]) -> None:
        self.audit.append({"at": self.now, "actor": self.actor, "action": "create", "object_type": kind,
                           "object_id": obj_id, "changes": changes, "note": None})

    def add_entity(self, rec: EntityRecord) -> None:
        row = entity_row(rec)
        self.entities.append({**row.values, "state_linkage": None, "merged_into": None,
                              "created_at": self.now, "updated_at": self.now})
        self.names.extend(row.names)
        self.search.append(row.search)
        self.event("entity", rec.id, {k: v for k, v in row.values.items() if v and k != "id"})

    def add_claim(self, claim_id: str, rec: ClaimRecord, duplicate_of: str | None, names: dict[str, str]) -> None:
        # The rows claim_row (veeduria.scale.work) builds, with the fingerprint the caller
        # already computed (claim_row would hash the record a second time).
        values = claim_values(rec)
        values.pop("id", None)
        self.claims.append({"id": claim_id, **values, "duplicate_of": duplicate_of,
                            "created_at": self.now, "updated_at": self.now})
        seen: set[tuple[str, str]] = set()
        role_names = []
        for pos, (ent_id, role) in enumerate(rec.entities):
            if (ent_id, role) not in seen:
                seen.add((ent_id, role))
                self.roles.append({"claim_id": claim_id, "entity_id": ent_id, "role": role, "position": pos})
                role_names.append(names.get(ent_id, ent_id))
        self.search.append(claim_search_doc({"id": claim_id, **values}, role_names))
        changes = {k: v for k, v in values.items() if v is not None and k != "meta"}
        if duplicate_of:
            changes["duplicate_of"] = duplicate_of
        self.event("claim", claim_id, changes)

    def insert(self, conn: Connection) -> None:
        for table, rows in ((Source.__table__, self.sources), (Entity.__table__, self.entities),
                            (EntityName.__table__, self.names), (Claim.__table__, self.claims),
                            (ClaimEntity.__table__, self.roles), (SearchDoc.__table__, self.search),
                            (AuditEvent.__table__, self.audit)):
            for i in range(0, len(rows), 1000):
                insert_rows(conn, table, rows[i:i + 1000])


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """One executemany (a module-level function so tests can make it fail half-way)."""
    bulk_insert(conn, table, rows)


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
