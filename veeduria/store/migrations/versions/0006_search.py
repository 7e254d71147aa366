"""Search with stems, filters and document text

Search documents gain `terms` (folded words in order, then their English and Spanish
Snowball stems, computed in Python for both databases) and `tags` (one token per filter
value: domain, sector, country, status, dates, source), and a new kind `text`: passages of
a source's stored text, searched with their source. The full-text indexes now cover
title, terms and tags (SQLite FTS5) or terms and tags (PostgreSQL tsvector, 'simple'
configuration: the stemming is already done; tags at weight A, so typed words, restricted
to weight D, never match them). Existing documents are rebuilt, which reads every entity,
claim and source once.

Revision ID: 0006_search
Revises: 0005_claim_indexes
"""
import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006_search"
down_revision = "0005_claim_indexes"
branch_labels = None
depends_on = None

GROUPS = {"entity": ("entity",), "claim": ("claim",), "source": ("source", "text")}
# Which rows each full-text index holds (`{a}` is the row alias). `public` holds accepted
# claims only: what readers without an editor login search, with no status filter to
# intersect (70% of the claims would be in its posting list).
WHERE = {
    "entity": "{a}kind = 'entity'",
    "claim": "{a}kind = 'claim'",
    "public": "{a}kind = 'claim' AND {a}tags LIKE '%zztaccepted%'",
    "source": "{a}kind IN ('source', 'text')",
}


def _in(kinds: tuple[str, ...], alias: str | None) -> str:
    column = f"{alias}.kind" if alias else "kind"
    return f"{column} IN ({', '.join(repr(k) for k in kinds)})"


def _where(group: str, alias: str | None) -> str:
    return WHERE[group].format(a=f"{alias}." if alias else "")


def _sqlite_fts(group: str, columns: tuple[str, ...], where: Any = None) -> list[str]:
    """An external-content FTS5 table over the rows `where(alias)` selects, kept in step by
    triggers."""
    where = where or (lambda alias: _where(group, alias))
    table = f"search_fts_{group}"
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        f"CREATE VIRTUAL TABLE {table} USING fts5({cols}, content='search_docs', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {table}_ai AFTER INSERT ON search_docs WHEN {where('new')} BEGIN "
        f"INSERT INTO {table}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER {table}_ad AFTER DELETE ON search_docs WHEN {where('old')} BEGIN "
        f"INSERT INTO {table}({table}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER {table}_au AFTER UPDATE ON search_docs BEGIN "
        f"INSERT INTO {table}({table}, rowid, {cols}) SELECT 'delete', old.id, {old} "
        f"WHERE {where('old')}; "
        f"INSERT INTO {table}(rowid, {cols}) SELECT new.id, {new} WHERE {where('new')}; END",
        f"INSERT INTO {table}(rowid, {cols}) SELECT id, {cols} FROM search_docs d WHERE {where('d')}",
    ]


def _drop_sqlite_fts() -> None:
    for group in WHERE:
        table = f"search_fts_{group}"
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {table}")


BATCH = 2000
DOCS = sa.table("search_docs", sa.column("kind"), sa.column("ref_id"), sa.column("title"),
                sa.column("body"), sa.column("terms"), sa.column("tags"))


def _json(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        return json.loads(value)
    return value


def _batches(conn: sa.Connection, sql: str) -> Iterator[list[Any]]:
    """Rows of `sql` (which selects `id` first and takes :after) in id order, a batch at a
    time: a big store is never read into memory at once."""
    after = ""
    while True:
        rows = conn.execute(sa.text(sql + " WHERE id > :after ORDER BY id LIMIT :n"),
                            {"after": after, "n": BATCH}).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def _rebuild(conn: sa.Connection) -> None:
    """Every search document again, with this version's builders. Reads only the columns
    that exist at this revision (plain SQL, not the ORM models, which may have moved on)."""
    from veeduria.store.search import claim_doc, entity_doc, source_docs

    conn.execute(sa.text("DELETE FROM search_docs"))
    for rows in _batches(conn, "SELECT id, name, description, meta, sector, country, schema FROM entities"):
        names: dict[str, list[str]] = {}
        for ent_id, name in conn.execute(
                sa.text("SELECT entity_id, name FROM entity_names WHERE entity_id IN :ids ORDER BY id")
                .bindparams(sa.bindparam("ids", expanding=True)), {"ids": [r[0] for r in rows]}):
            names.setdefault(ent_id, []).append(name)
        docs = [entity_doc(r[0], r[1], names.get(r[0], [r[1]]), description=r[2], meta=_json(r[3]),
                           sector=r[4], country=r[5], schema=r[6]) for r in rows]
        conn.execute(DOCS.insert(), docs)
    for rows in _batches(conn, "SELECT id, title, author, publisher, filename, published, text FROM sources"):
        docs = []
        for r in rows:
            docs.extend(source_docs({"id": r[0], "title": r[1], "author": r[2], "publisher": r[3],
                                     "filename": r[4], "published": r[5]}, r[6]))
        conn.execute(DOCS.insert(), docs)
    columns = ("id", "quote", "predicate", "qualifier", "place", "note", "domain", "sector", "country",
               "status", "date", "source_id", "meta")
    for rows in _batches(conn, f"SELECT {', '.join(columns)} FROM claims"):
        roles: dict[str, list[str]] = {}
        for claim_id, name in conn.execute(
                sa.text("SELECT ce.claim_id, e.name FROM claim_entities ce JOIN entities e ON e.id = ce.entity_id "
                        "WHERE ce.claim_id IN :ids ORDER BY ce.claim_id, ce.position, ce.id")
                .bindparams(sa.bindparam("ids", expanding=True)), {"ids": [r[0] for r in rows]}):
            roles.setdefault(claim_id, []).append(name)
        docs = []
        for r in rows:
            values = dict(zip(columns, r, strict=True))
            values["meta"] = _json(values["meta"])
            docs.append(claim_doc(values, roles.get(values["id"], [])))
        conn.execute(DOCS.insert(), docs)


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("search_docs", sa.Column("terms", sa.Text(), nullable=False, server_default=""))
    op.add_column("search_docs", sa.Column("tags", sa.Text(), nullable=False, server_default=""))
    if bind.dialect.name == "sqlite":
        _drop_sqlite_fts()
    elif bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE search_docs ALTER COLUMN ref_id TYPE varchar(160)")
        for group in WHERE:
            op.execute(f"DROP INDEX IF EXISTS ix_search_docs_tsv_{group}")
        op.execute("ALTER TABLE search_docs DROP COLUMN IF EXISTS tsv")
    _rebuild(bind)
    if bind.dialect.name == "sqlite":
        for group in WHERE:
            for statement in _sqlite_fts(group, ("title", "terms", "tags")):
                op.execute(statement)
    elif bind.dialect.name == "postgresql":
        # The text at weight D, the filter tags at A: queries restrict typed words to D.
        op.execute("ALTER TABLE search_docs ADD COLUMN tsv tsvector GENERATED ALWAYS AS "
                   "(to_tsvector('simple', terms) || setweight(to_tsvector('simple', tags), 'A')) STORED")
        for group in WHERE:
            op.execute(f"CREATE INDEX ix_search_docs_tsv_{group} ON search_docs USING gin (tsv) "
                       f"WHERE {_where(group, None)}")


def downgrade() -> None:
    bind = op.get_bind()
    op.execute("DELETE FROM search_docs WHERE kind = 'text'")
    if bind.dialect.name == "sqlite":
        _drop_sqlite_fts()
        op.drop_column("search_docs", "terms")
        op.drop_column("search_docs", "tags")
        for group in GROUPS:  # as revision 0004 made them
            for statement in _sqlite_fts(group, ("title", "body"),
                                         lambda alias, g=group: _in((g,), alias)):
                op.execute(statement)
    elif bind.dialect.name == "postgresql":
        for group in WHERE:
            op.execute(f"DROP INDEX IF EXISTS ix_search_docs_tsv_{group}")
        op.execute("ALTER TABLE search_docs DROP COLUMN IF EXISTS tsv")
        op.drop_column("search_docs", "terms")
        op.drop_column("search_docs", "tags")
        op.execute("ALTER TABLE search_docs ALTER COLUMN ref_id TYPE varchar(128)")
        op.execute("ALTER TABLE search_docs ADD COLUMN tsv tsvector "
                   "GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || body)) STORED")
        for kind in GROUPS:
            op.execute(f"CREATE INDEX ix_search_docs_tsv_{kind} ON search_docs USING gin (tsv) "
                       f"WHERE kind = '{kind}'")
