"""Merge the stage branches; full-text search per kind; drop claim indexes made redundant

Full-text search had one index over every kind of document, so a frequent word among a
million claims was ranked in full before the entity hits could be returned. Each kind now
has its own index (SQLite: one FTS5 table per kind; PostgreSQL: a stored tsvector with a
partial GIN index per kind), and searches rank a bounded set of candidates.

The single-column indexes on claims.domain, status, sector and source_id are prefixes of
composite indexes added since, and only slowed writes.

Revision ID: 0004_search_prune
Revises: 0002_resolve, 0002_users, 0003_scale
"""
from alembic import op

revision = "0004_search_prune"
down_revision = ("0002_resolve", "0002_users", "0003_scale")
branch_labels = None
depends_on = None

KINDS = ("entity", "claim", "source")
REDUNDANT = {
    "ix_claims_domain": ["domain"],
    "ix_claims_status": ["status"],
    "ix_claims_sector": ["sector"],
    "ix_claims_source_id": ["source_id"],
}


def _sqlite_fts(kind: str) -> list[str]:
    table = f"search_fts_{kind}"
    return [
        f"CREATE VIRTUAL TABLE {table} USING fts5(title, body, content='search_docs', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {table}_ai AFTER INSERT ON search_docs WHEN new.kind = '{kind}' BEGIN "
        f"INSERT INTO {table}(rowid, title, body) VALUES (new.id, new.title, new.body); END",
        f"CREATE TRIGGER {table}_ad AFTER DELETE ON search_docs WHEN old.kind = '{kind}' BEGIN "
        f"INSERT INTO {table}({table}, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
        f"CREATE TRIGGER {table}_au AFTER UPDATE ON search_docs BEGIN "
        f"INSERT INTO {table}({table}, rowid, title, body) SELECT 'delete', old.id, old.title, old.body "
        f"WHERE old.kind = '{kind}'; "
        f"INSERT INTO {table}(rowid, title, body) SELECT new.id, new.title, new.body "
        f"WHERE new.kind = '{kind}'; END",
        f"INSERT INTO {table}(rowid, title, body) SELECT id, title, body FROM search_docs WHERE kind = '{kind}'",
    ]


def upgrade() -> None:
    bind = op.get_bind()
    for name in REDUNDANT:
        op.drop_index(name, table_name="claims")
    if bind.dialect.name == "sqlite":
        for trig in ("search_docs_ai", "search_docs_ad", "search_docs_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trig}")
        op.execute("DROP TABLE IF EXISTS search_fts")
        for kind in KINDS:
            for statement in _sqlite_fts(kind):
                op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_docs_fts")
        op.execute(
            "ALTER TABLE search_docs ADD COLUMN tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || body)) STORED"
        )
        for kind in KINDS:
            op.execute(f"CREATE INDEX ix_search_docs_tsv_{kind} ON search_docs USING gin (tsv) "
                       f"WHERE kind = '{kind}'")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for kind in KINDS:
            table = f"search_fts_{kind}"
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}")
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_docs', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
        op.execute(
            "CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN "
            "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END"
        )
        op.execute(
            "CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, title, body) "
            "VALUES ('delete', old.id, old.title, old.body); END"
        )
        op.execute(
            "CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, title, body) "
            "VALUES ('delete', old.id, old.title, old.body); "
            "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END"
        )
    elif bind.dialect.name == "postgresql":
        for kind in KINDS:
            op.execute(f"DROP INDEX IF EXISTS ix_search_docs_tsv_{kind}")
        op.execute("ALTER TABLE search_docs DROP COLUMN IF EXISTS tsv")
        op.execute(
            "CREATE INDEX ix_search_docs_fts ON search_docs USING gin "
            "(to_tsvector('simple', title || ' ' || body))"
        )
    for name, cols in REDUNDANT.items():
        op.create_index(name, "claims", cols)
