"""Folding the report's tallies: the rows the triggers appended, summed into one row per key.

The sums never change, so the report is the same before and after; folding only keeps the
tables small (a bulk import appends two rows per contact and four per changed one). Bulk
writers fold at their end (demo, imports, rescore) and so does the daily purge, which
also folds what the live API appended. Runs in the caller's transaction; never commits.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, delete, func, insert, select, text
from sqlalchemy.orm import Session

from app.models import ReportTally, ReportWeekTally

COUNTS = ("interactions", "promoters", "passives", "detractors")


def _keys(table: Table) -> list[str]:
    return [column.name for column in table.columns if column.name not in ("id", *COUNTS)]


def _fold_postgresql(session: Session | Connection, table: Table) -> None:
    # One statement, one snapshot: exactly the rows it deletes are summed. Rows appended
    # meanwhile by other transactions are not visible to it and stay as they are.
    keys = ", ".join(_keys(table))
    sums = ", ".join(f"sum({count})" for count in COUNTS)
    session.execute(
        text(
            f"WITH gone AS (DELETE FROM {table.name} RETURNING {keys}, {', '.join(COUNTS)}) "
            f"INSERT INTO {table.name} ({keys}, {', '.join(COUNTS)}) "
            f"SELECT {keys}, {sums} FROM gone GROUP BY {keys} HAVING sum(interactions) <> 0"
        )
    )


def _fold_sqlite(session: Session | Connection, table: Table) -> None:
    # SQLite has one writer at a time: from this INSERT to the commit nobody else appends.
    # New rows take ids above every existing one (largest rowid + 1), so the old rows are
    # those up to the largest id minus the number just inserted.
    keys = [table.c[name] for name in _keys(table)]
    sums = [func.sum(table.c[count]) for count in COUNTS]
    folded = select(*keys, *sums).group_by(*keys).having(func.sum(table.c.interactions) != 0)
    inserted = session.execute(
        insert(table).from_select([*(key.name for key in keys), *COUNTS], folded)
    ).rowcount
    top = session.scalar(select(func.max(table.c.id))) or 0
    session.execute(delete(table).where(table.c.id <= top - inserted))


def compact(session: Session | Connection) -> None:
    """Sum each tally table's rows into one row per key (dropping keys whose contacts are gone)."""
    dialect = session.get_bind().dialect if isinstance(session, Session) else session.dialect
    fold = _fold_postgresql if dialect.name == "postgresql" else _fold_sqlite
    for model in (ReportTally, ReportWeekTally):
        fold(session, model.__table__)  # type: ignore[arg-type]
