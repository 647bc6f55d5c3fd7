"""Tallies the coaching report reads instead of a million contacts, kept by database triggers.

Every insert, change or delete of an interaction (and, through `survey_score`, of a survey
answer) appends rows of +1 / -1 to both tables: a trigger in the database does it
(migration 0005), so no writer can forget. Appending never waits for another transaction.
Summing the rows by key gives exactly what grouping the contacts gives; `coaching.tallies`
folds the appended rows into one row per key after bulk writes.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class ReportTally(Base):
    """Contacts and answers per (agent, touchpoint, topic, preference, style, matched)."""

    __tablename__ = "report_tallies"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int]  # agents.id; no foreign key, the agent's contacts hold that
    touchpoint: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(64))
    customer_preference: Mapped[str | None] = mapped_column(String(16))
    agent_style: Mapped[str | None] = mapped_column(String(16))
    matched: Mapped[bool | None]
    interactions: Mapped[int]
    promoters: Mapped[int]
    passives: Mapped[int]
    detractors: Mapped[int]


class ReportWeekTally(Base):
    """Contacts and answers per (ISO week's Monday in UTC, agent, touchpoint, matched)."""

    __tablename__ = "report_week_tallies"

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[date]
    agent_id: Mapped[int]
    touchpoint: Mapped[str] = mapped_column(String(16))
    matched: Mapped[bool | None]
    interactions: Mapped[int]
    promoters: Mapped[int]
    passives: Mapped[int]
    detractors: Mapped[int]
