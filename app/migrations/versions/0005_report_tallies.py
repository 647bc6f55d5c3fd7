"""tallies for the coaching report, appended by triggers on interactions

Grouping 1.2 M contacts costs PostgreSQL over a second whatever the plan (about 1 µs per
contact to hash or compare six keys); the report without a date filter needs only the
groups. Two tables hold them: by the report's keys, and by ISO week, agent, touchpoint
and match. A trigger on `interactions` appends -1 for the old values and +1 for the new
ones on every insert, relevant update (including `survey_score`, which the triggers of
migration 0004 set from `surveys`) and delete. Appending never waits on another
transaction's lock, so live writers and imports do not queue behind one another;
`app.coaching.tallies.compact` folds the rows per key after bulk writes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 19:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

KEYS = ["agent_id", "touchpoint", "topic", "customer_preference", "agent_style", "matched"]
WEEK_KEYS = ["week", "agent_id", "touchpoint", "matched"]
COUNTS = ["interactions", "promoters", "passives", "detractors"]
# Changes of these columns move a contact between tallies.
WATCHED = [
    "agent_id",
    "touchpoint",
    "topic",
    "customer_preference",
    "agent_style",
    "matched",
    "started_at",
    "survey_score",
]


def _week(dialect: str, started_at: str) -> str:
    """The Monday (UTC) of the ISO week of a naive-UTC timestamp column, as a date."""
    if dialect == "postgresql":
        return f"CAST(date_trunc('week', {started_at}) AS DATE)"
    # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff'; the day is cut from the text, never rounded.
    return f"date(substr({started_at}, 1, 10), 'weekday 0', '-6 days')"


def _counts(sign: str, score: str) -> str:
    return (
        f"{sign}1, "
        f"{sign}(CASE WHEN {score} >= 9 THEN 1 ELSE 0 END), "
        f"{sign}(CASE WHEN {score} BETWEEN 7 AND 8 THEN 1 ELSE 0 END), "
        f"{sign}(CASE WHEN {score} <= 6 THEN 1 ELSE 0 END)"
    )


def _appends(dialect: str, row: str, sign: str) -> str:
    """Two INSERTs: the contact `row` (NEW or OLD) counted with `sign` in both tallies."""
    values = ", ".join(f"{row}.{key}" for key in KEYS)
    week_values = ", ".join([_week(dialect, f"{row}.started_at"), *(f"{row}.{key}" for key in WEEK_KEYS[1:])])
    counts = _counts(sign, f"{row}.survey_score")
    return (
        f"INSERT INTO report_tallies ({', '.join([*KEYS, *COUNTS])}) VALUES ({values}, {counts});\n"
        f"INSERT INTO report_week_tallies ({', '.join([*WEEK_KEYS, *COUNTS])}) "
        f"VALUES ({week_values}, {counts});\n"
    )


def _backfill(dialect: str) -> list[str]:
    score = "survey_score"
    counts = (
        f"count(*), count(CASE WHEN {score} >= 9 THEN 1 END), "
        f"count(CASE WHEN {score} BETWEEN 7 AND 8 THEN 1 END), count(CASE WHEN {score} <= 6 THEN 1 END)"
    )
    return [
        f"INSERT INTO report_tallies ({', '.join([*KEYS, *COUNTS])}) "
        f"SELECT {', '.join(KEYS)}, {counts} FROM interactions GROUP BY {', '.join(KEYS)}",
        f"INSERT INTO report_week_tallies ({', '.join([*WEEK_KEYS, *COUNTS])}) "
        f"SELECT {_week(dialect, 'started_at')}, {', '.join(WEEK_KEYS[1:])}, {counts} FROM interactions "
        f"GROUP BY 1, {', '.join(WEEK_KEYS[1:])}",
    ]


def _postgresql_triggers() -> list[str]:
    changed = f"({', '.join(f'OLD.{c}' for c in WATCHED)}) IS DISTINCT FROM ({', '.join(f'NEW.{c}' for c in WATCHED)})"
    return [
        f"""CREATE FUNCTION interactions_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {_appends("postgresql", "OLD", "-")}
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {_appends("postgresql", "NEW", "+")}
    END IF;
    RETURN NULL;
END
$$""",
        "CREATE TRIGGER tr_interactions_tally AFTER INSERT OR DELETE ON interactions "
        "FOR EACH ROW EXECUTE FUNCTION interactions_tally()",
        f"CREATE TRIGGER tr_interactions_tally_update AFTER UPDATE OF {', '.join(WATCHED)} ON interactions "
        f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION interactions_tally()",
    ]


def _sqlite_triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)
    return [
        f"CREATE TRIGGER tr_interactions_tally_insert AFTER INSERT ON interactions BEGIN\n"
        f"{_appends('sqlite', 'NEW', '+')}END",
        f"CREATE TRIGGER tr_interactions_tally_update AFTER UPDATE OF {', '.join(WATCHED)} ON interactions "
        f"WHEN {changed} BEGIN\n{_appends('sqlite', 'OLD', '-')}{_appends('sqlite', 'NEW', '+')}END",
        f"CREATE TRIGGER tr_interactions_tally_delete AFTER DELETE ON interactions BEGIN\n"
        f"{_appends('sqlite', 'OLD', '-')}END",
    ]


def _columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("touchpoint", sa.String(length=16), nullable=False),
    ]


def _count_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "report_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        *_columns(),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("customer_preference", sa.String(length=16), nullable=True),
        sa.Column("agent_style", sa.String(length=16), nullable=True),
        sa.Column("matched", sa.Boolean(), nullable=True),
        *_count_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_tallies")),
    )
    op.create_table(
        "report_week_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        *_columns(),
        sa.Column("matched", sa.Boolean(), nullable=True),
        *_count_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_week_tallies")),
    )
    for statement in _backfill(dialect):
        op.execute(statement)
    for statement in _postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER tr_interactions_tally_update ON interactions")
        op.execute("DROP TRIGGER tr_interactions_tally ON interactions")
        op.execute("DROP FUNCTION interactions_tally()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER tr_interactions_tally_{name}")
    op.drop_table("report_week_tallies")
    op.drop_table("report_tallies")
