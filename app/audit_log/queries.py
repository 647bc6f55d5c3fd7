"""Reading the audit trail: filters from the query string, one page of events, all for export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.models import AuditEvent

PAGE_SIZE = 100
CSV_COLUMNS = ("id", "at", "actor", "action", "target", "detail")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula


@dataclass(frozen=True)
class AuditFilter:
    """Filters of the audit page; every one optional, all of them in the query string."""

    action: str = ""
    actor: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> AuditFilter:
        problems = []
        dates: dict[str, date | None] = {}
        for name in ("from", "to"):
            raw = (args.get(name) or "").strip()
            try:
                dates[name] = date.fromisoformat(raw) if raw else None
            except ValueError:
                dates[name] = None
                problems.append(f"'{raw}' is not a date such as 2026-03-02; the {name} filter is left out.")
        raw_page = (args.get("page") or "1").strip()
        page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 1_000_000 else 1
        return cls(
            action=(args.get("action") or "").strip()[:64],
            actor=(args.get("actor") or "").strip()[:254],
            date_from=dates["from"],
            date_to=dates["to"],
            page=page,
            problems=tuple(problems),
        )

    def query_args(self, **changes: object) -> dict[str, str]:
        """The filters as query-string arguments (for links to other pages and the export)."""
        values = {**asdict(self), **changes}
        args = {
            "action": values["action"],
            "actor": values["actor"],
            "from": values["date_from"].isoformat() if values["date_from"] else "",
            "to": values["date_to"].isoformat() if values["date_to"] else "",
            "page": str(values["page"]) if values["page"] != 1 else "",
        }
        return {key: value for key, value in args.items() if value}


def _filtered(filters: AuditFilter) -> Select[tuple[AuditEvent]]:
    query = select(AuditEvent)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor:
        query = query.where(
            func.lower(AuditEvent.actor_label).contains(filters.actor.lower(), autoescape=True)
        )
    if filters.date_from:
        query = query.where(AuditEvent.at >= datetime.combine(filters.date_from, time(), UTC))
    if filters.date_to:  # inclusive: the whole of that day
        query = query.where(
            AuditEvent.at < datetime.combine(filters.date_to + timedelta(days=1), time(), UTC)
        )
    return query


def actions(session: Session) -> list[str]:
    """Every action the trail holds, for the filter's choices."""
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def count(session: Session, filters: AuditFilter) -> int:
    return session.scalar(select(func.count()).select_from(_filtered(filters).subquery())) or 0


def page_of_events(session: Session, filters: AuditFilter) -> list[AuditEvent]:
    """One page of matching events, newest first."""
    query = _filtered(filters).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return list(session.scalars(query.offset((filters.page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas: a cell must not start with = + - @."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def csv_lines(session: Session, filters: AuditFilter) -> Iterator[str]:
    """The matching events as CSV text, header first, oldest first, streamed in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    query = _filtered(filters).order_by(AuditEvent.at, AuditEvent.id).execution_options(yield_per=500)
    for event in session.scalars(query):
        writer.writerow(
            [
                event.id,
                event.at.isoformat(),
                _cell(event.actor_label),
                _cell(event.action),
                _cell(event.target),
                _cell(json.dumps(event.detail, ensure_ascii=False, sort_keys=True, default=str)),
            ]
        )
        yield flush()
