"""Playbook entries, their revision history, and the suggestions shown to agents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, one_of, utcnow
from app.vocabulary import PREFERENCES, SITUATIONS, TOUCHPOINTS


class PlaybookEntry(Base):
    """The current version of one response; `version` is the optimistic-locking counter."""

    __tablename__ = "playbook_entries"
    __table_args__ = (
        one_of("touchpoint", TOUCHPOINTS),
        one_of("preference", PREFERENCES),
        one_of("situation", SITUATIONS),
        Index("ix_playbook_cell", "touchpoint", "language", "preference", "situation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)  # stable id from the YAML
    touchpoint: Mapped[str] = mapped_column(String(16))
    preference: Mapped[str] = mapped_column(String(16))
    situation: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    retired: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __mapper_args__ = {"version_id_col": version}

    revisions: Mapped[list[PlaybookRevision]] = relationship(
        back_populates="entry", order_by="PlaybookRevision.version"
    )


class PlaybookRevision(Base):
    """A snapshot of an entry as saved; never updated, so history cannot be lost."""

    __tablename__ = "playbook_revisions"
    __table_args__ = (UniqueConstraint("entry_id", "version", name="uq_playbook_revisions_entry_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("playbook_entries.id", ondelete="CASCADE"))
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    retired: Mapped[bool] = mapped_column(default=False)
    action: Mapped[str] = mapped_column(String(16))  # created, edited, retired, restored, reverted, synced
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    entry: Mapped[PlaybookEntry] = relationship(back_populates="revisions")


class SuggestionEvent(Base):
    """A playbook entry shown to an agent during an interaction, and whether it was used."""

    __tablename__ = "suggestion_events"
    __table_args__ = (
        UniqueConstraint("interaction_id", "entry_id", name="uq_suggestion_events_interaction_entry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("playbook_entries.id", ondelete="CASCADE"))
    shown_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
