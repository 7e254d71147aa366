"""Join the three schema branches written side by side (monitor, search, sessions).

Revision ID: 0007_merge_heads
Revises: 0006_monitor, 0006_search, 0006_sessions
"""

revision = "0007_merge_heads"
down_revision = ("0006_monitor", "0006_search", "0006_sessions")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # nothing to change: a store at any of the three heads reaches this one as it is


def downgrade() -> None:
    pass
