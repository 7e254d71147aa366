"""Indexes for stores of millions of claims (see docs/scale.md for the queries they serve)

Revision ID: 0003_scale
Revises: 0001
"""
from alembic import op

revision = "0003_scale"
down_revision = "0001"
branch_labels = None
depends_on = None

# name -> (table, columns). Each was chosen from EXPLAIN on SQLite and PostgreSQL at
# 1,000,000 claims (benchmarks/bench_scale_queries.py --explain).
INDEXES = {
    # "Claims naming entity X": the semi-join reads claim ids straight from the index
    # (no visit to claim_entities rows).
    "ix_claim_entities_entity_claim": ("claim_entities", ["entity_id", "claim_id"]),
    # Claim lists by domain / sector, newest first, and their totals: walked in order,
    # counted from the index alone.
    "ix_claims_status_domain_date": ("claims", ["status", "domain", "date_sort", "id"]),
    "ix_claims_status_sector_date": ("claims", ["status", "sector", "date_sort", "id"]),
    # Counts by domain and sector (stats, dashboards) from the index alone.
    "ix_claims_status_domain_sector": ("claims", ["status", "domain", "sector"]),
    # Entity and source lists sorted by name / date.
    "ix_entities_name": ("entities", ["name", "id"]),
    "ix_sources_published": ("sources", ["published", "id"]),
}


def upgrade() -> None:
    for name, (table, cols) in INDEXES.items():
        op.create_index(name, table, cols)


def downgrade() -> None:
    for name, (table, _cols) in INDEXES.items():
        op.drop_index(name, table_name=table)
