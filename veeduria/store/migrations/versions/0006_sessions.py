"""Server-side web sessions, so logging out (or deactivating a user) ends a session at once

The signed cookie carries a random session token; the store keeps its SHA-256 (a copy of
the table gives no usable cookie) with the user and the expiry. A logged-in request is only
honoured while its row exists.

Revision ID: 0006_sessions
Revises: 0005_claim_indexes
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_sessions"
down_revision = "0005_claim_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_web_sessions_user_id_users",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_web_sessions"),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_web_sessions_user_id", table_name="web_sessions")
    op.drop_table("web_sessions")
