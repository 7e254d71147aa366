"""Web users (login and roles) and indexes for the API's claim lists

Revision ID: 0002_users
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_users"
down_revision = "0001"
branch_labels = None
depends_on = None

# Claim lists are filtered by status / sector / source and ordered by date; these let the
# database walk an index in order instead of sorting large result sets.
CLAIM_INDEXES = {
    "ix_claims_web_status_date": ["status", "date_sort", "id"],
    "ix_claims_web_sector_date": ["sector", "date_sort"],
    "ix_claims_web_source_date": ["source_id", "date_sort"],
}


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    for name, cols in CLAIM_INDEXES.items():
        op.create_index(name, "claims", cols)


def downgrade() -> None:
    for name in CLAIM_INDEXES:
        op.drop_index(name, table_name="claims")
    op.drop_table("users")
