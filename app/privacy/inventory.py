"""What personal data is stored, how much of it is past retention, and the privacy log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Customer, FollowUp, Interaction, Survey, Utterance
from app.privacy import pseudonyms
from app.privacy.erasure import ACTIONS


@dataclass(frozen=True)
class Inventory:
    customers: int
    unhashed_customers: int  # stored before a key was configured (or no key at all)
    interactions: int
    utterances_with_text: int
    surveys_with_comment: int
    outcomes: int
    oldest_transcript: datetime | None
    retention_days: int
    cutoff: datetime
    interactions_past_retention: int  # interactions that still hold text older than the cutoff
    utterances_past_retention: int
    keyed: bool


def _count(session: Session, query: object) -> int:
    return int(session.scalar(query) or 0)  # type: ignore[call-overload]


def inventory(session: Session, retention_days: int, now: datetime, keyed: bool) -> Inventory:
    cutoff = now - timedelta(days=retention_days)
    with_text = (
        select(Utterance.interaction_id, Interaction.started_at)
        .join(Interaction, Utterance.interaction_id == Interaction.id)
        .where(Utterance.text.is_not(None))
    )
    old = with_text.where(Interaction.started_at < cutoff)
    return Inventory(
        customers=_count(session, select(func.count(Customer.id))),
        unhashed_customers=_count(
            session, select(func.count(Customer.id)).where(Customer.ref.not_like(pseudonyms.PREFIX + "%"))
        ),
        interactions=_count(session, select(func.count(Interaction.id))),
        utterances_with_text=_count(session, select(func.count()).select_from(with_text.subquery())),
        surveys_with_comment=_count(
            session, select(func.count(Survey.id)).where(Survey.comment.is_not(None))
        ),
        outcomes=_count(session, select(func.count(FollowUp.id)).where(FollowUp.outcome.is_not(None))),
        oldest_transcript=session.scalar(select(func.min(with_text.subquery().c.started_at))),
        retention_days=retention_days,
        cutoff=cutoff,
        interactions_past_retention=_count(
            session, select(func.count(func.distinct(old.subquery().c.interaction_id)))
        ),
        utterances_past_retention=_count(session, select(func.count()).select_from(old.subquery())),
        keyed=keyed,
    )


def privacy_log(session: Session, limit: int = 50) -> list[AuditEvent]:
    """The latest erasures and purges, newest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(ACTIONS))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )
