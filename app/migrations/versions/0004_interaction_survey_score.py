"""each interaction carries its survey answer's score, kept by database triggers

The coaching report groups a million contacts with their answers. Joining the answers to
their contacts for every report cost more than the rest of it; with the score on the
contact, one index scan of `interactions` gives contacts and answers together. The
database keeps the copy exact, whoever writes a survey (imports, API, erasure, purge,
restore, raw SQL): a trigger on `surveys` sets or clears the score on insert, on a change
of score or interaction, and on delete. A survey is unique per interaction, so clearing
on delete is exact.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 19:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

REPORT_COLUMNS = ["agent_id", "touchpoint", "topic", "customer_preference", "agent_style", "matched"]
WEEK_COLUMNS = ["started_at", "matched", "agent_id", "touchpoint"]

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER tr_surveys_score_insert AFTER INSERT ON surveys BEGIN
        UPDATE interactions SET survey_score = NEW.score WHERE id = NEW.interaction_id;
    END""",
    """CREATE TRIGGER tr_surveys_score_update AFTER UPDATE OF score, interaction_id ON surveys BEGIN
        UPDATE interactions SET survey_score = NULL
            WHERE id = OLD.interaction_id AND OLD.interaction_id IS NOT NEW.interaction_id;
        UPDATE interactions SET survey_score = NEW.score WHERE id = NEW.interaction_id;
    END""",
    """CREATE TRIGGER tr_surveys_score_delete AFTER DELETE ON surveys BEGIN
        UPDATE interactions SET survey_score = NULL WHERE id = OLD.interaction_id;
    END""",
)

_POSTGRESQL_FUNCTION = """
CREATE FUNCTION surveys_copy_score() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.interaction_id IS DISTINCT FROM NEW.interaction_id) THEN
        UPDATE interactions SET survey_score = NULL WHERE id = OLD.interaction_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE interactions SET survey_score = NEW.score WHERE id = NEW.interaction_id;
    END IF;
    RETURN NULL;
END
$$
"""
_POSTGRESQL_TRIGGER = """
CREATE TRIGGER tr_surveys_copy_score AFTER INSERT OR DELETE OR UPDATE OF score, interaction_id
ON surveys FOR EACH ROW EXECUTE FUNCTION surveys_copy_score()
"""


def upgrade() -> None:
    op.add_column("interactions", sa.Column("survey_score", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE interactions SET survey_score = surveys.score FROM surveys "
        "WHERE surveys.interaction_id = interactions.id"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRESQL_FUNCTION)
        op.execute(_POSTGRESQL_TRIGGER)
    else:
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)
    # The report's two covering indexes now carry the score too.
    op.drop_index("ix_interactions_report", table_name="interactions")
    op.create_index(
        "ix_interactions_report",
        "interactions",
        [*REPORT_COLUMNS, "started_at", "survey_score"],
        unique=False,
    )
    op.drop_index("ix_interactions_week", table_name="interactions")
    op.create_index("ix_interactions_week", "interactions", [*WEEK_COLUMNS, "survey_score"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_interactions_week", table_name="interactions")
    op.create_index("ix_interactions_week", "interactions", WEEK_COLUMNS, unique=False)
    op.drop_index("ix_interactions_report", table_name="interactions")
    op.create_index("ix_interactions_report", "interactions", [*REPORT_COLUMNS, "started_at"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER tr_surveys_copy_score ON surveys")
        op.execute("DROP FUNCTION surveys_copy_score()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER tr_surveys_score_{name}")
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("survey_score")
