"""A fast writer for many documents at once, run by whoever processed them (a Dask worker
with its own connection, or this process): COPY / executemany with ON CONFLICT DO NOTHING
(PostgreSQL and SQLite), search documents and audit events in the same transaction. It
writes exactly the rows the sequential ingest would (same ids, values, roles, search
text, audit events), only in bulk; a task's documents are one transaction, so a crash
leaves each of them either fully in or not at all.

Several writers may run at once (one per worker): a document's content hash is locked
(PostgreSQL advisory lock, SQLite BEGIN IMMEDIATE) before checking it is not stored yet,
and an entity found by two writers is inserted by whichever commits first (INSERT ... ON
CONFLICT DO NOTHING RETURNING tells each writer which entities are its own to describe)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Connection, Table, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError

from veeduria.extract.dedupe import key_of
from veeduria.model import ClaimRecord
from veeduria.scale.claim_index import EntityClaimIndex
from veeduria.scale.work import DocResult, extraction_marker
from veeduria.store import Store
from veeduria.store.busy import is_busy
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

# Below SQLite's and PostgreSQL's limits on bound parameters per statement.
ID_CHUNK = 900


def insert_ignoring_conflicts(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys); rows whose key is already there are left
    alone. PostgreSQL: COPY into a temporary table, then one INSERT ... SELECT ... ON
    CONFLICT DO NOTHING (an order of magnitude cheaper than one INSERT per row, for the
    client and the server); SQLite: executemany of INSERT ... ON CONFLICT DO NOTHING."""
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "postgresql" and _copyable(conn):
        _copy_insert(conn, table, rows)
        return
    if dialect == "postgresql":
        stmt = pg_insert(table).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite_insert(table).on_conflict_do_nothing()
    else:
        stmt = insert(table)
    conn.execute(stmt, list(rows))


def _copyable(conn: Connection) -> bool:
    return hasattr(conn.connection.driver_connection, "pipeline")  # psycopg 3


def _copy_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    cols = list(rows[0])
    json_cols = {c for c in cols if isinstance(table.c[c].type, JSON)}
    col_list = ", ".join(f'"{c}"' for c in cols)
    staging = f"staging_{table.name}"
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{staging}" ON COMMIT DELETE ROWS AS '
                    f'SELECT * FROM "{table.name}" WITH NO DATA')
        with cur.copy(f'COPY "{staging}" ({col_list}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([_json(row[c]) if c in json_cols else row[c] for c in cols])
        cur.execute(f'INSERT INTO "{table.name}" ({col_list}) SELECT {col_list} FROM "{staging}" '
                    f"ON CONFLICT DO NOTHING")
        cur.execute(f'TRUNCATE "{staging}"')
    finally:
        cur.close()


def _json(value: Any) -> str | None:
    # The same text SQLAlchemy's JSON type writes (a None becomes JSON null, as there).
    return json.dumps(value)


def existing_ids(conn: Connection, column: Any, ids: Iterable[str]) -> set[str]:
    ids = sorted(set(ids))
    found: set[str] = set()
    for i in range(0, len(ids), ID_CHUNK):
        found.update(conn.scalars(select(column).where(column.in_(ids[i:i + ID_CHUNK]))))
    return found


@dataclass
class BatchCounts:
    documents: int = 0  # new documents stored
    unchanged: int = 0  # already stored (same content), nothing written
    claims: int = 0
    duplicates: int = 0  # claims that restate a known claim (duplicate_of set)
    entities: int = 0
    source_ids: list[str] = field(default_factory=list)

    def add(self, other: BatchCounts) -> None:
        self.documents += other.documents
        self.unchanged += other.unchanged
        self.claims += other.claims
        self.duplicates += other.duplicates
        self.entities += other.entities
        self.source_ids.extend(other.source_ids)


@dataclass
class WrittenClaim:
    """A claim a writer inserted, with the duplicate link it gave it (the client checks
    the links in document order: see dask_ingest)."""

    id: str
    record: ClaimRecord
    duplicate_of: str | None


def write_results(store: Store, results: Sequence[DocResult], index: EntityClaimIndex,
                  known_names: dict[str, str], *, actor: str, stored: frozenset[str] | None = None,
                  attempts: int = 3, busy_seconds: float = 600.0) -> tuple[BatchCounts, list[WrittenClaim]]:
    """Write the new documents of `results` in one transaction. `index` (known claims)
    learns the claims written; on failure it is rolled back. `known_names`: the names of
    the entities the job's gazetteer started with; `stored`: the ids of those in the store
    (default: all of them). Another writer holding the store (SQLite) is waited for, with
    backoff, up to `busy_seconds`."""
    stored = frozenset(known_names) if stored is None else stored
    deadline = time.monotonic() + busy_seconds
    attempt = 0
    while True:
        mark = index.mark()
        try:
            with store.engine.begin() as conn:
                return _write(conn, results, index, stored, known_names, actor)
        except OperationalError as exc:
            index.rollback(mark)
            attempt += 1
            # Two writers waiting on each other's entities: PostgreSQL aborts one; retry it.
            if attempt < attempts and "deadlock" in str(exc).lower():
                time.sleep(0.05 * attempt)
                continue
            if is_busy(exc) and time.monotonic() < deadline:
                time.sleep(min(2.0, 0.05 * 2 ** min(attempt, 6)))
                continue
            raise
        except BaseException:
            index.rollback(mark)
            raise
    raise AssertionError("unreachable")


def _lock_hashes(conn: Connection, hashes: list[str]) -> None:
    if conn.dialect.name == "postgresql":
        # Held to the end of the transaction; taken in sorted order so writers never wait
        # on each other in a cycle.
        conn.execute(text("SELECT count(pg_advisory_xact_lock(hashtextextended(h, 0))) FROM "
                          "(SELECT h FROM unnest(CAST(:hs AS text[])) AS h ORDER BY h) AS s"),
                     {"hs": hashes})
    elif conn.dialect.name == "sqlite" and not conn.connection.driver_connection.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # one writer at a time, from the first read on


def _write(conn: Connection, results: Sequence[DocResult], index: EntityClaimIndex,
           stored: frozenset[str], known_names: dict[str, str], actor: str) -> tuple[BatchCounts, list[WrittenClaim]]:
    counts = BatchCounts()
    fresh: list[DocResult] = []
    seen_hashes: set[str] = set()
    for res in results:
        if res.status != "new" or res.content_hash in seen_hashes:
            counts.unchanged += res.status == "new"  # the same text twice in this task
            continue
        seen_hashes.add(res.content_hash)
        fresh.append(res)
    if not fresh:
        return counts, []
    _lock_hashes(conn, sorted(seen_hashes))
    stored_hashes = existing_ids(conn, Source.content_hash, seen_hashes)
    if stored_hashes:  # written meanwhile by another writer (the same text in another file)
        counts.unchanged += sum(r.content_hash in stored_hashes for r in fresh)
        fresh = [r for r in fresh if r.content_hash not in stored_hashes]
    now = utcnow()
    audit: list[dict[str, Any]] = []

    def event(kind: str, obj_id: str, changes: dict[str, Any]) -> None:
        audit.append({"at": now, "actor": actor, "action": "create", "object_type": kind,
                      "object_id": obj_id, "changes": changes, "note": None})

    # Entities first: which of them this writer inserts decides who describes them.
    candidates: dict[str, Any] = {}
    for res in fresh:
        for ent in res.entities:
            if ent.id not in stored:
                candidates.setdefault(ent.id, ent)
    mine = _insert_entities(conn, [candidates[k] for k in sorted(candidates)], now)
    names, search = [], []
    for ent_id in sorted(mine):
        ent = candidates[ent_id]
        names.extend(ent.names)
        search.append(ent.search)
        event("entity", ent.id, {k: v for k, v in ent.values.items() if v and k != "id"})
    counts.entities = len(mine)

    stored_claims = existing_ids(conn, Claim.id, (c.id for r in fresh for c in r.claims))
    sources, claims, roles, written = [], [], [], []
    for res in fresh:
        src = dict(res.source)
        event("source", src["id"], {k: v for k, v in src.items() if k != "text"})
        n_written = 0
        for row in res.claims:
            if row.id in stored_claims:
                continue
            stored_claims.add(row.id)
            values = dict(row.values)
            # Claims join the index as they go, as in the sequential ingest, so a later
            # candidate (even of the same document) links to an earlier one.
            duplicate_of = index.find(row.record)
            if duplicate_of and duplicate_of != row.id:
                values["duplicate_of"] = duplicate_of
                counts.duplicates += 1
            else:
                values["duplicate_of"] = None
                index.add(key_of(row.record, row.id))
            written.append(WrittenClaim(row.id, row.record, values["duplicate_of"]))
            claims.append({**values, "created_at": now, "updated_at": now})
            roles.extend({"claim_id": row.id, "entity_id": e, "role": r, "position": p}
                         for e, r, p in row.roles)
            # The worker named the roles as the sequential ingest does (the document's own
            # spelling for its new entities, else the gazetteer's, which learned in order).
            search.append(row.search)
            changes = {k: v for k, v in row.values.items() if v is not None and k not in ("meta", "id")}
            if values["duplicate_of"]:
                changes["duplicate_of"] = values["duplicate_of"]
            event("claim", row.id, changes)
            n_written += 1
        counts.claims += n_written
        src["meta"] = {**(src["meta"] or {}), "extraction": extraction_marker(res.content_hash, n_written),
                       "mentions": res.mentions}
        sources.append({**src, "case_id": None, "created_at": now, "updated_at": now})
        search.extend(res.source_search or [])
        counts.documents += 1
        counts.source_ids.append(src["id"])
    for table, rows in ((Source.__table__, sources), (EntityName.__table__, names),
                        (Claim.__table__, claims), (ClaimEntity.__table__, roles),
                        (SearchDoc.__table__, search), (AuditEvent.__table__, audit)):
        insert_ignoring_conflicts(conn, table, rows)
    return counts, written


def _insert_entities(conn: Connection, entities: list[Any], now: Any) -> set[str]:
    """Insert new entities (in id order), returning the ids this call inserted."""
    if not entities:
        return set()
    rows = [{**e.values, "state_linkage": None, "merged_into": None, "created_at": now, "updated_at": now}
            for e in entities]
    dialect = conn.dialect.name
    if dialect == "postgresql":
        stmt = pg_insert(Entity.__table__).values(rows).on_conflict_do_nothing()
    else:
        stmt = sqlite_insert(Entity.__table__).values(rows).on_conflict_do_nothing()
    return set(conn.scalars(stmt.returning(Entity.__table__.c.id)))
