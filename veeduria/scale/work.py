"""What a worker does with one document: read it, extract candidate claims, and turn them
into plain rows ready for the bulk writer (values, roles, search text). Pure functions over
picklable inputs, so the same code runs in-process or on any Dask worker; all CPU-heavy
work (parsing, language detection, extraction, text folding for search) happens here and
the writer only inserts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veeduria.extract import METHOD, DocMeta, EntityInfo, Gazetteer
from veeduria.model import ClaimRecord, EntityRecord
from veeduria.scale.claim_index import EntityClaimIndex
from veeduria.sources.chunks import MAX_CANDIDATES, count_words, extract_chunked
from veeduria.sources.document import DEFAULT_MAX_BYTES, Document, DocumentError, encoding_warning
from veeduria.sources.meta import apply_meta as _apply_meta
from veeduria.sources.readers import read_document
from veeduria.store.search import claim_doc, entity_doc, source_docs
from veeduria.store.writer import claim_values
from veeduria.text import fold, link_url

DONE = "done"  # a source with this content hash was already extracted by this method
KNOWN = "known"  # a source with this content hash exists but was not extracted (curated)


def claim_search_doc(values: dict[str, Any], role_names: list[str]) -> dict[str, Any]:
    """A claim's search document, as index_claims would write it."""
    return claim_doc(values, role_names)


@dataclass
class ClaimRow:
    id: str
    record: ClaimRecord  # kept for the index of known claims (duplicate detection)
    values: dict[str, Any]
    roles: list[tuple[str, str, int]]  # (entity_id, role, position)
    role_names: list[str]  # entity names the search text was built with
    search: dict[str, Any]


@dataclass
class EntityRow:
    id: str
    values: dict[str, Any]
    names: list[dict[str, Any]]
    search: dict[str, Any]


@dataclass
class DocResult:
    """One document's outcome: `status` is new | done | known | error."""

    path: str
    status: str
    content_hash: str | None = None
    words: int = 0
    source: dict[str, Any] | None = None
    source_search: list[dict[str, Any]] | None = None  # the source's and its passages'
    claims: list[ClaimRow] = field(default_factory=list)
    entities: list[EntityRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    mentions: list[list[Any]] = field(default_factory=list)  # written to the source's meta
    learned: list[EntityInfo] = field(default_factory=list)  # new entities, for the gazetteer


@dataclass
class WorkContext:
    """Shared by every task of a job; built once by the client and scattered to workers."""

    gazetteer: Gazetteer
    known_hashes: dict[str, str]  # content hash -> DONE | KNOWN
    max_bytes: int = DEFAULT_MAX_BYTES
    meta: dict[str, Any] = field(default_factory=dict)  # metadata given for every document
    # Known claims at the start of the job; each writer adds the claims it writes.
    claim_index: EntityClaimIndex = field(default_factory=EntityClaimIndex)
    store_url: str | None = None  # where workers write (each opens its own engine)
    actor: str = "ingest"
    # Entity ids in the store at the start of the job. The gazetteer also knows entities
    # that are not stored (the states: `state-colombia` is recognised before any document
    # names Colombia), so "known to the gazetteer" is not "stored".
    stored_entities: frozenset[str] = frozenset()

    def known_names(self) -> dict[str, str]:
        names = self.__dict__.get("_names")
        if names is None:  # once per process that received this context
            names = {ent_id: info.name for ent_id, info in self.gazetteer.entities.items()}
            self.__dict__["_names"] = names
        return names


def entity_row(rec: EntityRecord) -> EntityRow:
    """Rows for a new entity, as upsert_entity + index_entities would write them."""
    values = {"id": rec.id, "schema": rec.schema, "name": rec.name, "country": rec.country,
              "sector": rec.sector, "description": rec.description, "foreign": rec.foreign,
              "meta": rec.meta, "case_id": None}
    names, seen = [], set()
    for name, lang, kind in [(rec.name, None, "name")] + [(n, lg, "alias") for n, lg in rec.aliases
                                                          if n != rec.name]:
        if name in seen:
            continue
        seen.add(name)
        names.append({"entity_id": rec.id, "name": name, "lang": lang, "kind": kind,
                      "normalized": fold(name)[:512]})
    doc = entity_doc(rec.id, rec.name, [n["name"] for n in names], description=rec.description,
                     meta=rec.meta, sector=rec.sector, country=rec.country, schema=rec.schema)
    return EntityRow(rec.id, values, names, doc)


def claim_row(rec: ClaimRecord, names: dict[str, str]) -> ClaimRow:
    claim_id = rec.fingerprint()
    values = {"id": claim_id, **claim_values(rec)}
    roles, seen = [], set()
    for pos, (ent_id, role) in enumerate(rec.entities):
        if (ent_id, role) not in seen:
            seen.add((ent_id, role))
            roles.append((ent_id, role, pos))
    role_names = [names.get(ent_id, ent_id) for ent_id, _, _ in roles]
    return ClaimRow(claim_id, rec, values, roles, role_names, claim_search_doc(values, role_names))


def source_row(doc: Document) -> dict[str, Any]:
    """A new source's values, as store_document writes them for a document not yet known."""
    return {"id": doc.source_id, "kind": doc.kind, "filename": doc.filename,
            "content_hash": doc.content_hash, "text": doc.text, "text_length": len(doc.text),
            "meta": doc.meta or None, "title": doc.title, "author": doc.author,
            "publisher": doc.publisher, "published": doc.published, "url": link_url(doc.url),
            "language": doc.language}


def process_document(path: str, ctx: WorkContext, gazetteer: Gazetteer | None = None) -> DocResult:
    """Read and extract one file with `gazetteer` (default: the job's). Never raises for bad
    input: the error comes back."""
    gazetteer = gazetteer or ctx.gazetteer
    try:
        doc = read_document(Path(path), max_bytes=ctx.max_bytes)
    except DocumentError as exc:
        return DocResult(path, "error", error=str(exc))
    state = ctx.known_hashes.get(doc.content_hash)
    if state is not None:
        return DocResult(path, state, content_hash=doc.content_hash)
    try:
        _apply_meta(doc, ctx.meta)
        result = DocResult(path, "new", content_hash=doc.content_hash, words=count_words(doc.text))
        note = encoding_warning(path, (doc.meta or {}).get("encoding"))
        if note:
            result.warnings.append(note)
        source = source_row(doc)
        result.source = source
        result.source_search = source_docs(source, source["text"])
        meta = DocMeta(source_id=source["id"], published=doc.published, language=doc.language,
                       pages=doc.pages)
        found, capped = extract_chunked(doc.text, meta, gazetteer)
        if capped:
            result.warnings.append(f"{path}: extraction stopped at {MAX_CANDIDATES} candidate claims "
                                   "(the limit per document); split the document to get more")
        result.mentions = found.mention_table
    except Exception as exc:  # noqa: BLE001 - one bad document must not stop the job
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        return DocResult(path, "error", error=f"{path}: not processed ({exc.__class__.__name__}: {first})")
    names = {ent_id: info.name for ent_id, info in gazetteer.entities.items()}
    for rec in found.new_entities:
        # Every new entity not stored when the job began (states included); the writer
        # inserts those not stored meanwhile, so claims never name a missing entity.
        if rec.id not in ctx.stored_entities:
            result.entities.append(entity_row(rec))
            result.learned.append(EntityInfo(rec.id, rec.name, rec.schema))
    # As the sequential ingest: a document's own spelling of the entities it found new.
    names.update((rec.id, rec.name) for rec in found.new_entities)
    for rec in found.claims:
        problems = rec.problems()
        if problems:
            result.warnings.append(f"{path}: candidate skipped: {'; '.join(problems)}")
            continue
        result.claims.append(claim_row(rec, names))
    return result


def process_batch(paths: list[str], ctx: WorkContext, gazetteer: Gazetteer | None = None) -> list[DocResult]:
    """Several documents in order, each extracted with the names the earlier ones taught
    the gazetteer, as the sequential ingest does (see learn)."""
    gazetteer = gazetteer or ctx.gazetteer
    results = []
    for path in paths:
        res = process_document(path, ctx, gazetteer)
        learn(gazetteer, res.learned, taught=set())
        results.append(res)
    return results


def learn(gazetteer: Gazetteer, infos: list[EntityInfo], taught: set[str]) -> None:
    """Teach `gazetteer` a document's new entities, as the sequential ingest does once the
    document is stored: each entity once (the first document that found it)."""
    for info in infos:
        if info.id not in taught:
            taught.add(info.id)
            gazetteer.add_entity(info)


def discover_names(paths: list[str], ctx: WorkContext) -> list[list[EntityInfo]]:
    """First pass of a parallel job: each document's new entities, extracted with the
    job's gazetteer. The client orders them so that every task starts from the names the
    documents before it would have taught a sequential run (see dask_ingest)."""
    return [process_document(p, ctx).learned for p in paths]


@dataclass
class TaskReport:
    """What a task sends back: each document's outcome without its rows, what was written."""

    results: list[DocResult]
    counts: Any  # bulk.BatchCounts
    written: list[Any]  # bulk.WrittenClaim, in document order


_STORES: dict[str, Any] = {}


def _store_for(url: str) -> Any:
    """One engine per worker process and database, opened on first use."""
    from veeduria.store import open_store

    if url not in _STORES:
        _STORES[url] = open_store(url, migrate_schema=False)
    return _STORES[url]


def process_and_write(paths: list[str], ctx: WorkContext, store: Any = None,
                      before: list[EntityInfo] | None = None) -> TaskReport:
    """One task: read and extract `paths`, then write them to the store in one
    transaction, from this process (a Dask worker opens its own connection to
    ctx.store_url). The client does no per-row work.

    In this process (`before` None) the job's gazetteer learns as it goes, exactly as in
    the sequential ingest. On a worker, `before` lists the names the job's earlier
    documents teach: the task starts from a copy of the job's gazetteer that knows them,
    and learns its own documents' names in order."""
    import copy

    from veeduria.scale.bulk import write_results

    gazetteer = ctx.gazetteer
    if before is not None:
        gazetteer = copy.deepcopy(ctx.gazetteer)  # the scattered context is shared by tasks
        learn(gazetteer, before, taught=set())
    results = process_batch(paths, ctx, gazetteer)
    counts, written = write_results(store or _store_for(ctx.store_url), results, ctx.claim_index,
                                    ctx.known_names(), actor=ctx.actor, stored=ctx.stored_entities)
    for res in results:  # the rows are in the store: send back only the outcome
        res.claims, res.entities, res.source, res.source_search = [], [], None, None
        res.learned = []
    return TaskReport(results, counts, written)


def extraction_marker(content_hash: str, claims: int) -> dict[str, Any]:
    """What the sequential ingest records in a source's meta after extracting it."""
    return {"method": METHOD, "content_hash": content_hash, "claims": claims}
