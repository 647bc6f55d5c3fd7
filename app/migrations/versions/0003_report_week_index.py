"""covering index for the coaching report's weekly trend

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 17:20:00
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = ["started_at", "matched", "agent_id", "touchpoint"]


def upgrade() -> None:
    op.create_index("ix_interactions_week", "interactions", COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index("ix_interactions_week", table_name="interactions")
