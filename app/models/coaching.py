"""Coaching notes from sessions and detractor follow-ups (closing the loop)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, one_of, utcnow
from app.models.contacts import Survey
from app.models.people import Agent, User
from app.vocabulary import FOLLOWUP_STATUSES, PREFERENCES


class CoachingNote(Base):
    __tablename__ = "coaching_notes"
    __table_args__ = (one_of("focus_preference", PREFERENCES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    focus_preference: Mapped[str | None] = mapped_column(String(16))
    follow_up_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    agent: Mapped[Agent] = relationship()
    author: Mapped[User | None] = relationship()


class FollowUp(Base):
    """A detractor's follow-up: who calls back, by when, and what came of it."""

    __tablename__ = "followups"
    __table_args__ = (one_of("status", FOLLOWUP_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="open")
    outcome: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    survey: Mapped[Survey] = relationship()
    owner: Mapped[User | None] = relationship()
