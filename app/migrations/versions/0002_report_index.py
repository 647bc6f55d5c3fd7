"""covering index for the coaching report

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 11:04:00
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = ["agent_id", "touchpoint", "topic", "customer_preference", "agent_style", "matched", "started_at"]


def upgrade() -> None:
    op.create_index("ix_interactions_report", "interactions", COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index("ix_interactions_report", table_name="interactions")
