"""What a coaching session looks at for one agent: delivered style, contacts to review, notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.models import Agent, CoachingNote, Interaction, PlaybookEntry, Survey, User
from app.playbooks.ranking import playbook_language
from app.vocabulary import PREFERENCES

REVIEW_LIMIT = 6


@dataclass(frozen=True)
class StyleMix:
    natural: dict[str, float] | None  # self-assessed, shares summing to 1
    delivered: dict[str, float]  # share of contacts by the style the classifier heard
    n: int


def style_mix(session: Session, agent: Agent) -> StyleMix:
    counts = {
        style: n
        for style, n in session.execute(
            select(Interaction.agent_style, func.count())
            .where(Interaction.agent_id == agent.id, Interaction.agent_style.is_not(None))
            .group_by(Interaction.agent_style)
        )
    }
    total = sum(counts.values())
    delivered = {p: (counts.get(p, 0) / total if total else 0.0) for p in PREFERENCES}
    return StyleMix(agent.natural_style, delivered, total)


def contacts_to_review(session: Session, agent: Agent) -> list[Interaction]:
    """Mismatched contacts followed by a low score first, then other mismatches with an answer."""
    low_first = (
        select(Interaction)
        .join(Survey, Survey.interaction_id == Interaction.id)
        .where(Interaction.agent_id == agent.id, Interaction.matched.is_(False))
        .order_by(Survey.score, Interaction.started_at.desc())
        .options(selectinload(Interaction.utterances), selectinload(Interaction.survey))
        .limit(REVIEW_LIMIT)
    )
    return list(session.scalars(low_first))


def practice_entries(session: Session, agent: Agent, preference: str) -> list[PlaybookEntry]:
    """Playbook entries for the preference the agent serves least, in their usual language and channel."""
    usual = session.execute(
        select(Interaction.language, Interaction.touchpoint, func.count().label("n"))
        .where(Interaction.agent_id == agent.id)
        .group_by(Interaction.language, Interaction.touchpoint)
        .order_by(func.count().desc())
        .limit(1)
    ).first()
    language = playbook_language(usual[0] if usual else None)
    touchpoint = usual[1] if usual else "phone"
    return list(
        session.scalars(
            select(PlaybookEntry)
            .where(
                PlaybookEntry.preference == preference,
                PlaybookEntry.language == language,
                PlaybookEntry.touchpoint == touchpoint,
                PlaybookEntry.retired.is_(False),
            )
            .order_by(PlaybookEntry.situation, PlaybookEntry.key)
            .limit(4)
        )
    )


def notes(session: Session, agent: Agent) -> list[CoachingNote]:
    return list(
        session.scalars(
            select(CoachingNote)
            .where(CoachingNote.agent_id == agent.id)
            .order_by(CoachingNote.created_at.desc())
        )
    )


def add_note(
    session: Session, agent: Agent, author: User, body: str, focus: str | None, follow_up_on: date | None
) -> CoachingNote:
    note = CoachingNote(
        agent=agent, author_id=author.id, body=body, focus_preference=focus, follow_up_on=follow_up_on
    )
    session.add(note)
    return note


def weakest(rates: dict[str, float | None]) -> str | None:
    known = {k: v for k, v in rates.items() if v is not None}
    return min(known, key=lambda k: known[k]) if known else None
