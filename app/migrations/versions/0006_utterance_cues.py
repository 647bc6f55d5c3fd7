"""each customer turn keeps the cues its classification found

The assist panel shows the cues of the last two customer turns. They were kept only in a
worker's memory, so under several workers a turn classified by one worker was classified
again by the next worker that showed it (about 0.4 times per live request with two
workers). Stored with the turn, as JSON text beside its probabilities, any worker reads
them. NULL where a turn has none stored: agent turns, imported turns, turns rescored by a
newer model, and texts purged by retention or erasure (the cues quote the text).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 22:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("utterances") as batch:
        batch.add_column(sa.Column("cues", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("utterances") as batch:
        batch.drop_column("cues")
