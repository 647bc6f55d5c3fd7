"""Reading coaching figures from the database: it aggregates, Python only sees the groups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Date, Select, case, cast, func, literal, literal_column, select, tuple_, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.coaching import stats
from app.models import Agent, Interaction, ReportTally, ReportWeekTally, Team

COUNTS = ("interactions", "promoters", "passives", "detractors")
# In the order of the index ix_interactions_report, so the database groups along the index.
_KEY_COLUMNS = (
    Interaction.agent_id.label("agent_id"),
    Interaction.touchpoint,
    Interaction.topic,
    Interaction.customer_preference,
    Interaction.agent_style,
    Interaction.matched,
)
_KEY_NAMES = [key.name for key in _KEY_COLUMNS]
_OTHER_KEYS = ("agent_id", "team", "touchpoint", "topic", "customer_preference", "agent_style")
_WEEK = timedelta(days=7)
_WEEKS_PER_QUERY = 100  # SQLite allows 500 SELECTs in one UNION ALL


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    team: str | None = None
    touchpoint: str | None = None
    agent_id: str | None = None

    def as_args(self) -> dict[str, str]:
        values = {
            "from": self.date_from,
            "to": self.date_to,
            "team": self.team,
            "touchpoint": self.touchpoint,
        }
        return {key: str(value) for key, value in values.items() if value}

    def span(self) -> tuple[datetime | None, datetime | None]:
        """The first instant in range and the first one after it (UTC), None when open."""
        start = datetime.combine(self.date_from, time(), UTC) if self.date_from else None
        stop = datetime.combine(self.date_to + timedelta(days=1), time(), UTC) if self.date_to else None
        return start, stop


def _where(
    query: Select[Any],
    filters: Filters,
    dates: bool = True,
    agent: ColumnElement[int] = Interaction.agent_id,
    touchpoint: ColumnElement[str] = Interaction.touchpoint,
) -> Select[Any]:
    """The filters, on the rows' own columns (teams and agents by id: no join per row)."""
    start, stop = filters.span() if dates else (None, None)
    if start:
        query = query.where(Interaction.started_at >= start)
    if stop:
        query = query.where(Interaction.started_at < stop)
    if filters.team:
        team_agents = select(Agent.id).join(Team, Agent.team_id == Team.id).where(Team.name == filters.team)
        query = query.where(agent.in_(team_agents))
    if filters.touchpoint:
        query = query.where(touchpoint == filters.touchpoint)
    if filters.agent_id:
        query = query.where(agent.in_(select(Agent.id).where(Agent.external_id == filters.agent_id)))
    return query


def _answer_counts() -> list[ColumnElement[int]]:
    """Promoters, passives and detractors among the contacts grouped (their copied survey score)."""
    score = Interaction.survey_score
    return [
        func.count(case((score >= 9, 1))).label("promoters"),
        func.count(case(((score >= 7) & (score <= 8), 1))).label("passives"),
        func.count(case((score <= 6, 1))).label("detractors"),
    ]


def _frame(session: Session, query: Select[Any], columns: list[str]) -> pd.DataFrame:
    """The rows of `query` as a frame; as plain tuples, since pandas inspects each Row slowly."""
    return pd.DataFrame([tuple(row) for row in session.execute(query)], columns=columns)


def _key_counts(session: Session, filters: Filters) -> pd.DataFrame:
    """Contacts and answers per (agent, touchpoint, topic, preference, style, matched).

    One GROUP BY along the covering index ix_interactions_report, which holds each contact's
    survey score (migration 0004): no join, no sort, no visit to the table.
    """
    keys = list(_KEY_COLUMNS)
    by_key = [literal_column(str(i + 1)) for i in range(len(keys))]
    query = _where(
        select(*keys, func.count().label("interactions"), *_answer_counts()).group_by(*by_key), filters
    )
    return _named(session, _frame(session, query, [*_KEY_NAMES, *COUNTS]))


def _named(session: Session, frame: pd.DataFrame) -> pd.DataFrame:
    """Counts as integers, unknown matches as None, agents' row ids as their ids and teams."""
    for column in COUNTS:
        frame[column] = frame[column].fillna(0).astype("int64")
    frame["matched"] = frame["matched"].astype("object").where(frame["matched"].notna(), None)
    names_by_id = {row[0]: row[1] for row in session.execute(select(Agent.id, Agent.external_id))}
    teams = {
        row[0]: row[1]
        for row in session.execute(select(Agent.id, Team.name).join(Team, Agent.team_id == Team.id))
    }
    frame.insert(1, "team", frame["agent_id"].map(teams))
    frame["agent_id"] = frame["agent_id"].map(names_by_id)
    return frame


def _monday(moment: datetime) -> datetime:
    """00:00 UTC on the Monday of the ISO week that holds `moment` (naive means UTC)."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    day = datetime.combine(moment.date(), time(), UTC)
    return day - timedelta(days=day.weekday())


def _week_tallies(matched: str = "matched") -> list[ColumnElement[int]]:
    """Contacts, those with a known match, matched ones (labelled `matched`), and the answers."""
    return [
        func.count().label("interactions"),
        func.count(Interaction.matched).label("labelled"),
        func.count(case((Interaction.matched.is_(True), 1))).label(matched),
        *_answer_counts(),
    ]


_WEEK_COUNTS = ["interactions", "labelled", "matched", *COUNTS[1:]]


def _sqlite_weeks(session: Session, filters: Filters) -> pd.DataFrame:
    """Contacts, known matches, matches and answers per ISO week with any contact.

    One range of started_at per week instead of a week computed for every row and sorted:
    each range is read in order from the covering index ix_interactions_week, and the
    boundaries are exact instants (SQLite's date functions round to the millisecond).
    """
    first = session.scalar(_where(select(func.min(Interaction.started_at)), filters))
    last = session.scalar(_where(select(func.max(Interaction.started_at)), filters))
    start, stop = filters.span()
    columns = ["week", *_WEEK_COUNTS]
    if first is None or last is None:
        return pd.DataFrame(columns=columns)
    mondays = []
    monday = _monday(first)
    while monday <= last:
        mondays.append(monday)
        monday += _WEEK
    branches = []
    for number, monday in enumerate(mondays):
        lower = max(monday, start) if start else monday
        upper = min(monday + _WEEK, stop) if stop else monday + _WEEK
        branch = select(literal(number).label("week"), *_week_tallies()).where(
            Interaction.started_at >= lower, Interaction.started_at < upper
        )
        # `agent_id + 0`: with a team or agent filter SQLite would otherwise take the index
        # (agent_id, started_at) and read every contact's row for `matched`.
        branches.append(_where(branch, filters, dates=False, agent=Interaction.agent_id + 0))
    parts = []
    for chunk in range(0, len(branches), _WEEKS_PER_QUERY):
        part = branches[chunk : chunk + _WEEKS_PER_QUERY]
        parts.append(_frame(session, union_all(*part) if len(part) > 1 else part[0], columns))
    frame = pd.concat(parts, ignore_index=True)
    frame["week"] = [mondays[number] for number in frame["week"]]
    return frame.loc[frame["interactions"] > 0]


def _day(session: Session) -> ColumnElement[Any]:
    """The UTC day of started_at, without rounding the time."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(Interaction.started_at, Date)
    # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff'; date() would round 23:59:59.9995 up to the next day.
    return func.substr(Interaction.started_at, 1, 10)


def _by_week(days: pd.DataFrame) -> pd.DataFrame:
    """Sums of the counts per ISO week (its Monday) from rows per UTC day."""
    weeks = days.assign(week=[_monday(datetime.fromisoformat(str(day))) for day in days["day"]])
    return weeks.groupby("week", as_index=False)[_WEEK_COUNTS].sum()


def _weeks(weekly: pd.DataFrame) -> pd.DataFrame:
    """The frame stats.weekly_trend reads: contact rows by (week, match) and answer rows by week.

    `weekly`: week, interactions, labelled (known match), matched and the answer counts.
    """
    unknown = weekly["interactions"] - weekly["labelled"]
    mismatched = weekly["labelled"] - weekly["matched"]
    parts = [
        pd.DataFrame({"week": weekly["week"], "matched": flag, "interactions": counts})
        for flag, counts in ((True, weekly["matched"]), (False, mismatched), (None, unknown))
    ]
    parts.append(weekly[["week", *COUNTS[1:]]].assign(matched=None, interactions=0))
    frame = pd.concat(parts, ignore_index=True)
    counts = frame[list(COUNTS)].fillna(0).astype("int64")
    kept = counts.sum(axis=1).to_numpy() > 0
    return pd.DataFrame(
        {
            **{column: "all" for column in _OTHER_KEYS},
            "started_at": pd.to_datetime(frame["week"], utc=True),
            "matched": frame["matched"].astype("object").where(frame["matched"].notna(), None),
            **{column: counts[column] for column in COUNTS},
        }
    ).loc[kept]


def _sqlite_counts(session: Session, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """By keys and by week: one scan of each covering index, the weeks as ranges of the second."""
    return _key_counts(session, filters), _weeks(_sqlite_weeks(session, filters))


def _postgresql_counts(session: Session, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """By keys and by day in one scan of the contacts (GROUPING SETS, hashed)."""
    day = _day(session).label("day")
    keys = list(_KEY_COLUMNS)
    query = _where(
        select(*keys, day, func.grouping(day).label("by_keys"), *_week_tallies("matched_contacts")).group_by(
            func.grouping_sets(tuple_(*keys), tuple_(day))
        ),
        filters,
    )
    tallies = ["interactions", "labelled", "matched_contacts", *COUNTS[1:]]
    rows = _frame(session, query, [*_KEY_NAMES, "day", "by_keys", *tallies])
    by_keys = rows.loc[rows["by_keys"] == 1, [*_KEY_NAMES, *COUNTS]].reset_index(drop=True)
    days = rows.loc[rows["by_keys"] == 0, ["day", *tallies]].rename(columns={"matched_contacts": "matched"})
    return _named(session, by_keys), _weeks(_by_week(days))


def _tally_counts(session: Session, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """By keys and by week from the tallies the triggers keep (migration 0005): no contact is read.

    Only without a date filter: the tallies by key have no time, and those by week cannot
    split a week at a filter's first or last day.
    """
    keys = [ReportTally.__table__.c[name] for name in _KEY_NAMES]
    sums = [func.sum(ReportTally.__table__.c[count]).label(count) for count in COUNTS]
    by_keys = _where(
        select(*keys, *sums).group_by(*keys).having(func.sum(ReportTally.interactions) > 0),
        filters,
        dates=False,
        agent=ReportTally.agent_id,
        touchpoint=ReportTally.touchpoint,
    )
    week, matched = ReportWeekTally.week, ReportWeekTally.matched
    week_sums = [func.sum(ReportWeekTally.__table__.c[count]).label(count) for count in COUNTS]
    by_week = _where(
        select(week, matched, *week_sums)
        .group_by(week, matched)
        .having(func.sum(ReportWeekTally.interactions) > 0),
        filters,
        dates=False,
        agent=ReportWeekTally.agent_id,
        touchpoint=ReportWeekTally.touchpoint,
    )
    main = _named(session, _frame(session, by_keys, [*_KEY_NAMES, *COUNTS]))
    rows = _frame(session, by_week, ["week", "matched", *COUNTS])
    known = rows["matched"].notna()
    weekly = (
        rows.assign(
            week=[datetime.combine(day, time(), UTC) for day in rows["week"]],
            labelled=rows["interactions"].where(known, 0),
            matched=rows["interactions"].where(known & rows["matched"].eq(True), 0),
        )
        .groupby("week", as_index=False)[_WEEK_COUNTS]
        .sum()
    )
    return main, _weeks(weekly)


def report(session: Session, filters: Filters) -> dict[str, Any]:
    """The coaching report from a few small aggregates: by every key but the week, and by week.

    Without a date filter both come from the tallies the triggers keep (no contact is read).
    With one, the contacts in range are grouped: grouping by week inside the main query would
    multiply its rows (a 1.2M-contact database gives ~320k groups), so it is split in two;
    PostgreSQL computes both groupings in one scan (GROUPING SETS, hashed), SQLite reads its
    covering indexes in order instead.
    """
    if not (filters.date_from or filters.date_to):
        main, weeks = _tally_counts(session, filters)
    elif session.get_bind().dialect.name == "postgresql":
        main, weeks = _postgresql_counts(session, filters)
    else:
        main, weeks = _sqlite_counts(session, filters)
    main["started_at"] = pd.Timestamp("1970-01-05", tz="UTC")  # one week: the real trend comes next
    figures = stats.report(main)
    figures["weekly_trend"] = stats.weekly_trend(weeks)
    return figures
