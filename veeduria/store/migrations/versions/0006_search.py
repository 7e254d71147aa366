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
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0006_search"
down_revision = "0005_claim_indexes"
branch_labels = None
depends_on = None

GROUPS = {"entity": ("entity",), "claim": ("claim",), "source": ("source", "text")}


def _in(kinds: tuple[str, ...], alias: str | None) -> str:
    column = f"{alias}.kind" if alias else "kind"
    return f"{column} IN ({', '.join(repr(k) for k in kinds)})"


def _sqlite_fts(group: str, kinds: tuple[str, ...], columns: tuple[str, ...]) -> list[str]:
    table = f"search_fts_{group}"
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        f"CREATE VIRTUAL TABLE {table} USING fts5({cols}, content='search_docs', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {table}_ai AFTER INSERT ON search_docs WHEN {_in(kinds, 'new')} BEGIN "
        f"INSERT INTO {table}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER {table}_ad AFTER DELETE ON search_docs WHEN {_in(kinds, 'old')} BEGIN "
        f"INSERT INTO {table}({table}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER {table}_au AFTER UPDATE ON search_docs BEGIN "
        f"INSERT INTO {table}({table}, rowid, {cols}) SELECT 'delete', old.id, {old} "
        f"WHERE {_in(kinds, 'old')}; "
        f"INSERT INTO {table}(rowid, {cols}) SELECT new.id, {new} WHERE {_in(kinds, 'new')}; END",
        f"INSERT INTO {table}(rowid, {cols}) SELECT id, {cols} FROM search_docs d WHERE {_in(kinds, 'd')}",
    ]


def _drop_sqlite_fts() -> None:
    for group in GROUPS:
        table = f"search_fts_{group}"
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {table}")


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("search_docs", sa.Column("terms", sa.Text(), nullable=False, server_default=""))
    op.add_column("search_docs", sa.Column("tags", sa.Text(), nullable=False, server_default=""))
    if bind.dialect.name == "sqlite":
        _drop_sqlite_fts()
    elif bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE search_docs ALTER COLUMN ref_id TYPE varchar(160)")
        for group in GROUPS:
            op.execute(f"DROP INDEX IF EXISTS ix_search_docs_tsv_{group}")
        op.execute("ALTER TABLE search_docs DROP COLUMN IF EXISTS tsv")
    # Rebuild every document with the indexer of this version (fills terms and tags).
    from veeduria.store.search import reindex_all

    session = Session(bind=bind)
    try:
        reindex_all(session)
        session.flush()
    finally:
        session.close()
    if bind.dialect.name == "sqlite":
        for group, kinds in GROUPS.items():
            for statement in _sqlite_fts(group, kinds, ("title", "terms", "tags")):
                op.execute(statement)
    elif bind.dialect.name == "postgresql":
        # The text at weight D, the filter tags at A: queries restrict typed words to D.
        op.execute("ALTER TABLE search_docs ADD COLUMN tsv tsvector GENERATED ALWAYS AS "
                   "(to_tsvector('simple', terms) || setweight(to_tsvector('simple', tags), 'A')) STORED")
        for group, kinds in GROUPS.items():
            op.execute(f"CREATE INDEX ix_search_docs_tsv_{group} ON search_docs USING gin (tsv) "
                       f"WHERE {_in(kinds, None)}")


def downgrade() -> None:
    bind = op.get_bind()
    op.execute("DELETE FROM search_docs WHERE kind = 'text'")
    if bind.dialect.name == "sqlite":
        _drop_sqlite_fts()
        op.drop_column("search_docs", "terms")
        op.drop_column("search_docs", "tags")
        for group, kinds in (("entity", ("entity",)), ("claim", ("claim",)), ("source", ("source",))):
            for statement in _sqlite_fts(group, kinds, ("title", "body")):
                op.execute(statement)
    elif bind.dialect.name == "postgresql":
        for group in GROUPS:
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
