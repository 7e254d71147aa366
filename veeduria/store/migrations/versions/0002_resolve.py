"""Resolution: judgements (merge, split, match, no-match) and the review queue

Revision ID: 0002_resolve
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_resolve"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resolve_judgements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.String(length=128), nullable=False),
        sa.Column("other_id", sa.String(length=128), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("review_item_id", sa.Integer(), nullable=True),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undone_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_resolve_judgements_entity", "resolve_judgements", ["entity_id"])
    op.create_index("ix_resolve_judgements_other_id", "resolve_judgements", ["other_id"])
    op.create_table(
        "resolve_review_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("entity_id", sa.String(length=128), nullable=True),
        sa.Column("claim_id", sa.String(length=128), nullable=True),
        sa.Column("source_id", sa.String(length=128), nullable=True),
        sa.Column("candidates", sa.JSON(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_resolve_review_key"),
    )
    op.create_index("ix_resolve_review_items_kind", "resolve_review_items", ["kind"])
    op.create_index("ix_resolve_review_items_status", "resolve_review_items", ["status"])


def downgrade() -> None:
    op.drop_table("resolve_review_items")
    op.drop_table("resolve_judgements")
