"""Detractor follow-ups and survey eligibility: the rules, with no HTTP in them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.models import Agent, FollowUp, Interaction, PlaybookEntry, Survey, User, utcnow
from app.playbooks.ranking import playbook_language
from app.privacy import pseudonyms
from app.transcripts.redaction import redact

DETRACTOR_MAX = 6
RECENT_FOLLOWUP_DAYS = 7


class SurveyError(ValueError):
    """A survey answer that cannot be stored; `status` says how the API should answer."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def record_survey(
    session: Session,
    interaction: Interaction,
    score: int,
    responded_at: datetime,
    comment: str | None,
    due_hours: int,
) -> Survey:
    """Store one answer (comments redacted); a detractor gets a follow-up with a due time."""
    if not 0 <= score <= 10:
        raise SurveyError(f"score must be an integer from 0 to 10, not {score}")
    if session.scalar(select(Survey.id).where(Survey.interaction_id == interaction.id)):
        raise SurveyError(f"interaction {interaction.external_id} has a survey answer already", status=409)
    survey = Survey(
        interaction=interaction,
        score=score,
        responded_at=responded_at,
        comment=redact(comment) if comment else None,
    )
    session.add(survey)
    if score <= DETRACTOR_MAX:
        session.add(FollowUp(survey=survey, due_at=responded_at + timedelta(hours=due_hours), status="open"))
    return survey


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str


def eligibility(
    session: Session, customer_ref: str, touchpoint: str, cooldown_days: int, now: datetime | None = None
) -> Eligibility:
    """May this customer be asked for a survey now? Caps surveys and respects recent follow-ups."""
    now = now or utcnow()
    customer = pseudonyms.find_customer(session, customer_ref)  # hashes the ref as customer_for does
    if customer is None:
        return Eligibility(True, "no earlier contacts with this customer")
    last = session.execute(
        select(Survey.responded_at, Interaction.touchpoint)
        .join(Interaction, Survey.interaction_id == Interaction.id)
        .where(Interaction.customer_id == customer.id)
        .order_by(Survey.responded_at.desc())
        .limit(1)
    ).first()
    if last is not None and last[0] > now - timedelta(days=cooldown_days):
        days = max(1, (now - last[0]).days)
        return Eligibility(
            False, f"answered a survey {days} day(s) ago ({last[1]}); at most one per {cooldown_days} days"
        )
    followed = session.scalar(
        select(FollowUp.closed_at)
        .join(Survey, FollowUp.survey_id == Survey.id)
        .join(Interaction, Survey.interaction_id == Interaction.id)
        .where(
            Interaction.customer_id == customer.id,
            FollowUp.status != "open",
            FollowUp.closed_at > now - timedelta(days=RECENT_FOLLOWUP_DAYS),
        )
        .limit(1)
    )
    if followed is not None:
        return Eligibility(
            False, f"was called back after a low score within the last {RECENT_FOLLOWUP_DAYS} days"
        )
    return Eligibility(True, f"no survey in the last {cooldown_days} days")


def queue(session: Session, user: User, include_closed: bool = False) -> list[FollowUp]:
    query = (
        select(FollowUp)
        .join(Survey, FollowUp.survey_id == Survey.id)
        .join(Interaction, Survey.interaction_id == Interaction.id)
        .join(Agent, Interaction.agent_id == Agent.id)
        .options(joinedload(FollowUp.survey).joinedload(Survey.interaction).joinedload(Interaction.agent))
        .order_by(FollowUp.due_at)
    )
    if not include_closed:
        query = query.where(FollowUp.status != "closed")
    if user.role == "lead":
        query = query.where(Agent.team_id == user.team_id)
    return list(session.scalars(query).unique())


def opening_for(session: Session, followup: FollowUp) -> PlaybookEntry | None:
    """The playbook's detractor follow-up line for this customer's preference and channel."""
    interaction = followup.survey.interaction
    if interaction.customer_preference is None:
        return None
    return session.scalar(
        select(PlaybookEntry)
        .where(
            PlaybookEntry.situation == "detractor_followup",
            PlaybookEntry.preference == interaction.customer_preference,
            PlaybookEntry.touchpoint
            == ("phone" if interaction.touchpoint in {"social", "web"} else interaction.touchpoint),
            PlaybookEntry.language == playbook_language(interaction.language),
            PlaybookEntry.retired.is_(False),
        )
        .order_by(PlaybookEntry.key)
        .limit(1)
    )


def update(followup: FollowUp, user: User, action: str, outcome: str | None) -> None:
    if action == "claim":
        followup.owner_id = user.id
    elif action in {"contacted", "closed"}:
        if not outcome:
            raise SurveyError("Write what came of the call or message.")
        followup.status = action
        followup.outcome = redact(outcome)
        followup.owner_id = followup.owner_id or user.id
        followup.closed_at = utcnow()
    else:
        raise SurveyError(f"unknown action '{action}'")
