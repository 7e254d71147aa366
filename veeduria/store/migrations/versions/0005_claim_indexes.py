"""Drop claim indexes no query needs

Every claim insert maintains every index of `claims`; ingest at scale pays for each. The
web, API, screening and report queries filter on status first (the default is accepted
claims), so the status-led composite indexes serve them; these five were left unused:
country (one or two values per store), date_sort and (domain, date_sort) (covered by the
status-led date indexes), (sector, date_sort) (covered by (status, sector, date_sort, id)),
and created_at (covered by (status, created_at)).

Revision ID: 0005_claim_indexes
Revises: 0004_search_prune
"""
from alembic import op

revision = "0005_claim_indexes"
down_revision = "0004_search_prune"
branch_labels = None
depends_on = None

DROPPED = {
    "ix_claims_country": ["country"],
    "ix_claims_date_sort": ["date_sort"],
    "ix_claims_domain_date": ["domain", "date_sort"],
    "ix_claims_web_sector_date": ["sector", "date_sort"],
    "ix_claims_created_at": ["created_at"],
}


def upgrade() -> None:
    for name in DROPPED:
        op.drop_index(name, table_name="claims")


def downgrade() -> None:
    for name, cols in DROPPED.items():
        op.create_index(name, "claims", cols)
