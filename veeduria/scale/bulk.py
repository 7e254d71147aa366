"""A fast writer for many documents at once: SQLAlchemy core executemany in batches, with
ON CONFLICT DO NOTHING (PostgreSQL and SQLite), search documents and audit events written
in the same transaction. It writes exactly the rows the sequential ingest would (same ids,
values, roles, search text, audit events), only in bulk; a batch is one transaction, so
a crash leaves each batch either fully in or not at all."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Connection, Table, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from veeduria.extract.dedupe import key_of
from veeduria.scale.claim_index import EntityClaimIndex
from veeduria.scale.work import DocResult, claim_search_doc, extraction_marker
from veeduria.store import Store
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


class BulkWriter:
    """Writes DocResults in document order. Keeps, for the whole job, the index of known
    claims (so a candidate restating one links to it), the content hashes and entity names
    already written."""

    def __init__(self, store: Store, index: EntityClaimIndex, entity_names: dict[str, str], *,
                 actor: str) -> None:
        self.store = store
        self.index = index
        self.entity_names = dict(entity_names)  # id -> stored name
        self.actor = actor
        self.hashes_written: set[str] = set()

    def write(self, results: Sequence[DocResult]) -> BatchCounts:
        counts = BatchCounts()
        fresh = []
        for res in results:
            if res.status != "new" or res.content_hash in self.hashes_written:
                counts.unchanged += res.status in ("new", "done")
                continue
            self.hashes_written.add(res.content_hash)
            fresh.append(res)
        if not fresh:
            return counts
        names_before = dict(self.entity_names)
        mark = self.index.mark()
        try:
            with self.store.engine.begin() as conn:
                rows = self._rows(conn, fresh, counts)
                for table, table_rows in rows:
                    insert_ignoring_conflicts(conn, table, table_rows)
        except BaseException:
            # Nothing of this batch is stored: forget what it taught the job.
            self.hashes_written.difference_update(r.content_hash for r in fresh)
            self.entity_names = names_before
            self.index.rollback(mark)
            raise
        return counts

    def _rows(self, conn: Connection, fresh: list[DocResult],
              counts: BatchCounts) -> list[tuple[Table, list[dict[str, Any]]]]:
        now = utcnow()
        stored_claims = existing_ids(conn, Claim.id, (c.id for r in fresh for c in r.claims))
        stored_entities = existing_ids(conn, Entity.id, (e.id for r in fresh for e in r.entities))
        sources, entities, names, claims, roles, search, audit = [], [], [], [], [], [], []

        def event(kind: str, obj_id: str, changes: dict[str, Any]) -> None:
            audit.append({"at": now, "actor": self.actor, "action": "create", "object_type": kind,
                          "object_id": obj_id, "changes": changes, "note": None})

        for res in fresh:
            src = dict(res.source)
            event("source", src["id"], {k: v for k, v in src.items() if k != "text"})
            for ent in res.entities:
                if ent.id in stored_entities or ent.id in self.entity_names:
                    continue
                self.entity_names[ent.id] = ent.values["name"]
                entities.append({**ent.values, "state_linkage": None, "merged_into": None,
                                 "created_at": now, "updated_at": now})
                names.extend(ent.names)
                search.append({"kind": "entity", "ref_id": ent.id, "title": ent.search[0],
                               "body": ent.search[1]})
                event("entity", ent.id, {k: v for k, v in ent.values.items()
                                         if v and k != "id"})
                counts.entities += 1
            written = 0
            for row in res.claims:
                if row.id in stored_claims:
                    continue
                stored_claims.add(row.id)
                values = dict(row.values)
                # Claims are added to the index as they go, as in the sequential ingest,
                # so a later candidate (even in the same batch) links to an earlier one.
                duplicate_of = self.index.find(row.record)
                if duplicate_of and duplicate_of != row.id:
                    values["duplicate_of"] = duplicate_of
                    counts.duplicates += 1
                else:
                    values["duplicate_of"] = None
                    self.index.add(key_of(row.record, row.id))
                claims.append({**values, "created_at": now, "updated_at": now})
                roles.extend({"claim_id": row.id, "entity_id": e, "role": r, "position": p}
                             for e, r, p in row.roles)
                title, body = row.search
                stored_names = [self.entity_names.get(e, n) for (e, _, _), n in zip(row.roles, row.role_names, strict=True)]
                if stored_names != row.role_names:  # an entity was first stored under another spelling
                    title, body = claim_search_doc(row.values, stored_names)
                search.append({"kind": "claim", "ref_id": row.id, "title": title, "body": body})
                changes = {k: v for k, v in row.values.items() if v is not None and k not in ("meta", "id")}
                if values["duplicate_of"]:
                    changes["duplicate_of"] = values["duplicate_of"]
                event("claim", row.id, changes)
                written += 1
            counts.claims += written
            src["meta"] = {**(src["meta"] or {}), "extraction": extraction_marker(res.content_hash, written)}
            sources.append({**src, "case_id": None, "created_at": now, "updated_at": now})
            search.append({"kind": "source", "ref_id": src["id"], "title": res.source_search[0],
                           "body": res.source_search[1]})
            counts.documents += 1
            counts.source_ids.append(src["id"])
        return [(Source.__table__, sources), (Entity.__table__, entities),
                (EntityName.__table__, names), (Claim.__table__, claims),
                (ClaimEntity.__table__, roles), (SearchDoc.__table__, search),
                (AuditEvent.__table__, audit)]
