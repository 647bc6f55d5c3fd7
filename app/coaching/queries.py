"""Reading coaching figures from the database: it aggregates, Python only sees the groups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import Date, case, cast, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.models import Agent, Interaction, Survey, Team

KEYS = (
    "agent_id",
    "team",
    "touchpoint",
    "topic",
    "customer_preference",
    "agent_style",
    "matched",
    "started_at",
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


def aggregated(session: Session, filters: Filters) -> pd.DataFrame:
    """One row per (agent, team, touchpoint, topic, preference, style, matched, week) with counts."""
    week = _week_start(session).label("started_at")
    score = Survey.score
    query = (
        select(
            Agent.external_id.label("agent_id"),
            Team.name.label("team"),
            Interaction.touchpoint,
            Interaction.topic,
            Interaction.customer_preference,
            Interaction.agent_style,
            Interaction.matched,
            week,
            func.count(Interaction.id).label("interactions"),
            func.sum(case((score >= 9, 1), else_=0)).label("promoters"),
            func.sum(case(((score >= 7) & (score <= 8), 1), else_=0)).label("passives"),
            func.sum(case((score <= 6, 1), else_=0)).label("detractors"),
        )
        .join(Agent, Interaction.agent_id == Agent.id)
        .outerjoin(Team, Agent.team_id == Team.id)
        .outerjoin(Survey, Survey.interaction_id == Interaction.id)
        .group_by(*(literal_column(str(i + 1)) for i in range(len(KEYS))))
    )
    if filters.date_from:
        query = query.where(Interaction.started_at >= datetime.combine(filters.date_from, time()))
    if filters.date_to:
        query = query.where(
            Interaction.started_at < datetime.combine(filters.date_to + timedelta(days=1), time())
        )
    if filters.team:
        query = query.where(Team.name == filters.team)
    if filters.touchpoint:
        query = query.where(Interaction.touchpoint == filters.touchpoint)
    if filters.agent_id:
        query = query.where(Agent.external_id == filters.agent_id)
    rows = session.execute(query).all()
    frame = pd.DataFrame(
        rows, columns=[*KEYS[:-1], "started_at", "interactions", "promoters", "passives", "detractors"]
    )
    frame["started_at"] = pd.to_datetime(frame["started_at"], utc=True)
    for column in ("interactions", "promoters", "passives", "detractors"):
        frame[column] = frame[column].fillna(0).astype("int64")
    frame["matched"] = frame["matched"].astype("object").where(frame["matched"].notna(), None)
    return frame
