"""Reading coaching figures from the database: it aggregates, Python only sees the groups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Date, Select, case, cast, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.coaching import stats
from app.models import Agent, Interaction, Survey, Team

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


def _week_start(session: Session) -> ColumnElement[object]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("week", Interaction.started_at), Date)
    # SQLite: move to the coming Sunday (or stay on one), then back six days: that week's Monday.
    return func.date(Interaction.started_at, "weekday 0", "-6 days")


def _where(query: Select[Any], filters: Filters) -> Select[Any]:
    """The filters, on interactions' own columns (teams and agents by id: no join per row)."""
    if filters.date_from:
        query = query.where(Interaction.started_at >= datetime.combine(filters.date_from, time()))
    if filters.date_to:
        day_after = datetime.combine(filters.date_to + timedelta(days=1), time())
        query = query.where(Interaction.started_at < day_after)
    if filters.team:
        team_agents = select(Agent.id).join(Team, Agent.team_id == Team.id).where(Team.name == filters.team)
        query = query.where(Interaction.agent_id.in_(team_agents))
    if filters.touchpoint:
        query = query.where(Interaction.touchpoint == filters.touchpoint)
    if filters.agent_id:
        agent = select(Agent.id).where(Agent.external_id == filters.agent_id)
        query = query.where(Interaction.agent_id.in_(agent))
    return query


def _counts(session: Session, filters: Filters, keys: list[ColumnElement[Any]]) -> pd.DataFrame:
    """Interactions and promoter/passive/detractor counts grouped by `keys`, filters applied.

    Two GROUP BYs instead of one outer join: contacts along the covering index, and the
    (far fewer) survey answers joined to their contacts. The `+ 0` keeps SQLite from
    looking up a survey for each of a million contacts and drives the join from surveys.
    """
    names = [key.name for key in keys]  # type: ignore[attr-defined]
    by_key = [literal_column(str(i + 1)) for i in range(len(keys))]
    score = Survey.score
    contacts = _where(select(*keys, func.count().label("interactions")).group_by(*by_key), filters)
    answers = _where(
        select(
            *keys,
            func.sum(case((score >= 9, 1), else_=0)).label("promoters"),
            func.sum(case(((score >= 7) & (score <= 8), 1), else_=0)).label("passives"),
            func.sum(case((score <= 6, 1), else_=0)).label("detractors"),
        )
        .select_from(Survey)
        .join(Interaction, Interaction.id == Survey.interaction_id + 0)
        .group_by(*by_key),
        filters,
    )
    frame = pd.DataFrame(session.execute(contacts).all(), columns=[*names, "interactions"])
    answered = pd.DataFrame(session.execute(answers).all(), columns=[*names, *COUNTS[1:]])
    return frame.merge(answered, on=names, how="left")  # pandas matches None keys with None keys


def _frame(session: Session, frame: pd.DataFrame) -> pd.DataFrame:
    for column in COUNTS:
        frame[column] = frame[column].fillna(0).astype("int64")
    frame["matched"] = frame["matched"].astype("object").where(frame["matched"].notna(), None)
    if "agent_id" in frame:  # grouped by the agents' row ids: name them (and their team) here
        names = {row[0]: row[1] for row in session.execute(select(Agent.id, Agent.external_id))}
        teams = {
            row[0]: row[1]
            for row in session.execute(select(Agent.id, Team.name).join(Team, Agent.team_id == Team.id))
        }
        frame.insert(1, "team", frame["agent_id"].map(teams))
        frame["agent_id"] = frame["agent_id"].map(names)
    return frame


def report(session: Session, filters: Filters) -> dict[str, Any]:
    """The coaching report, in two small queries: by every key but the week, and by week.

    Grouping by week inside the main query multiplies its rows (a 1.2M-contact database gives
    ~320k groups); split, the main query returns tens of thousands at most.
    """
    main = _frame(session, _counts(session, filters, list(_KEY_COLUMNS)))
    main["started_at"] = pd.Timestamp("1970-01-05", tz="UTC")  # one week: the real trend comes next
    figures = stats.report(main)
    weeks = _frame(
        session, _counts(session, filters, [Interaction.matched, _week_start(session).label("started_at")])
    )
    weeks["started_at"] = pd.to_datetime(weeks["started_at"], utc=True)
    for column in ("agent_id", "team", "touchpoint", "topic", "customer_preference", "agent_style"):
        weeks[column] = "all"
    figures["weekly_trend"] = stats.weekly_trend(weeks)
    return figures
