"""Customers, interactions, their utterances and post-contact surveys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, one_of, utcnow
from app.models.people import Agent
from app.vocabulary import LABEL_SOURCES, PREFERENCES, SPEAKERS, TOUCHPOINTS

_PROBABILITY_COLUMNS = (
    "customer_p_relational",
    "customer_p_action_oriented",
    "customer_p_factual",
    "agent_p_relational",
    "agent_p_action_oriented",
    "agent_p_factual",
    "match_score",
)


class Customer(Base):
    """A pseudonymous customer: only the reference another system gave us, never a name."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Interaction(Base):
    __tablename__ = "interactions"
    __table_args__ = (
        one_of("touchpoint", TOUCHPOINTS),
        one_of("customer_preference", PREFERENCES),
        one_of("agent_style", PREFERENCES),
        one_of("label_source", LABEL_SOURCES),
        *(CheckConstraint(f"{col} >= 0 AND {col} <= 1", name=f"{col}_range") for col in _PROBABILITY_COLUMNS),
        Index("ix_interactions_started_at", "started_at"),
        Index("ix_interactions_agent_started", "agent_id", "started_at"),
        # Covers the coaching report's GROUP BY, so the database groups along the index.
        Index(
            "ix_interactions_report",
            "agent_id",
            "touchpoint",
            "topic",
            "customer_preference",
            "agent_style",
            "matched",
            "started_at",
            "survey_score",
        ),
        # Covers the weekly trend: one range of started_at per week, read in order, with the
        # columns the report filters by, so no row of the table is visited.
        Index("ix_interactions_week", "started_at", "matched", "agent_id", "touchpoint", "survey_score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    touchpoint: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    topic: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    customer_preference: Mapped[str | None] = mapped_column(String(16))
    customer_p_relational: Mapped[float | None]
    customer_p_action_oriented: Mapped[float | None]
    customer_p_factual: Mapped[float | None]
    agent_style: Mapped[str | None] = mapped_column(String(16))
    agent_p_relational: Mapped[float | None]
    agent_p_action_oriented: Mapped[float | None]
    agent_p_factual: Mapped[float | None]
    match_score: Mapped[float | None]
    matched: Mapped[bool | None]
    preference_shift: Mapped[bool] = mapped_column(default=False)
    label_source: Mapped[str] = mapped_column(String(16), default="predicted")
    model_version: Mapped[str | None] = mapped_column(String(64))
    # The score of this contact's survey answer (None without one), copied by triggers on
    # `surveys` (migration 0004) so the report reads contacts and answers in one index scan.
    # The database writes it; the application only reads it.
    survey_score: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    agent: Mapped[Agent] = relationship()
    customer: Mapped[Customer | None] = relationship()
    utterances: Mapped[list[Utterance]] = relationship(
        back_populates="interaction", order_by="Utterance.seq", cascade="all, delete-orphan"
    )
    survey: Mapped[Survey | None] = relationship(back_populates="interaction")


class Utterance(Base):
    """One turn; its text has been through the privacy filter before it gets here."""

    __tablename__ = "utterances"
    __table_args__ = (
        UniqueConstraint("interaction_id", "seq", name="uq_utterances_interaction_seq"),
        one_of("speaker", SPEAKERS),
        one_of("preference", PREFERENCES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"))
    seq: Mapped[int]
    speaker: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)  # None once purged by retention or erasure
    spoken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    preference: Mapped[str | None] = mapped_column(String(16))
    p_relational: Mapped[float | None]
    p_action_oriented: Mapped[float | None]
    p_factual: Mapped[float | None]
    # The cues its classification found, as JSON (a customer turn's; None where not stored):
    # any worker can show them without classifying the turn again. They quote the text.
    cues: Mapped[str | None] = mapped_column(Text)

    interaction: Mapped[Interaction] = relationship(back_populates="utterances")


class Survey(Base):
    """The post-contact NPS answer for one interaction."""

    __tablename__ = "surveys"
    __table_args__ = (CheckConstraint("score >= 0 AND score <= 10", name="score_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), unique=True
    )
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    interaction: Mapped[Interaction] = relationship(back_populates="survey")
