"""Erasing one customer and purging old transcripts: free text goes, labels and scores stay.

Both functions change the session only; the caller commits (or rolls back). Each runs in a
SAVEPOINT, so a failure half-way leaves the session as it was: all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from app.audit import record
from app.coaching import tallies
from app.models import FollowUp, Interaction, Survey, User, Utterance, utcnow
from app.privacy import pseudonyms

ERASED = "customer_erased"
PURGED = "transcripts_purged"
ACTIONS = (ERASED, PURGED)
AUDIT_HASH_CHARS = 12  # enough to confirm a known erasure, too short to stand in for the ref


class UnknownCustomer(LookupError):
    """No customer is stored under the reference given."""


@dataclass(frozen=True)
class ErasureReport:
    interactions: int  # kept, now without a customer: labels, scores and aggregates unchanged
    utterances: int  # texts removed
    comments: int  # survey comments removed (the scores stay)
    outcomes: int  # follow-up outcomes removed
    audit_event_id: int


@dataclass(frozen=True)
class PurgeReport:
    cutoff: datetime
    interactions: int  # interactions that had text removed
    utterances: int
    comments: int
    outcomes: int
    audit_event_id: int


def _count(session: Session, statement: Any) -> int:
    """Run a bulk UPDATE, keeping loaded objects in step with it; the number of rows changed."""
    return int(session.execute(statement, execution_options={"synchronize_session": "fetch"}).rowcount)


def _strip_text(session: Session, interaction_ids: Select[tuple[int]]) -> tuple[int, int, int]:
    """NULL the utterance texts, survey comments and follow-up outcomes of these interactions."""
    survey_ids = select(Survey.id).where(Survey.interaction_id.in_(interaction_ids))
    utterances = _count(
        session,
        update(Utterance)
        .where(Utterance.interaction_id.in_(interaction_ids), Utterance.text.is_not(None))
        .values(text=None, cues=None),  # the cues quote the text
    )
    comments = _count(
        session,
        update(Survey)
        .where(Survey.interaction_id.in_(interaction_ids), Survey.comment.is_not(None))
        .values(comment=None),
    )
    outcomes = _count(
        session,
        update(FollowUp)
        .where(FollowUp.survey_id.in_(survey_ids), FollowUp.outcome.is_not(None))
        .values(outcome=None),
    )
    return utterances, comments, outcomes


def erase_customer(
    session: Session, ref: str, actor: User | None, *, key: pseudonyms.Key = pseudonyms.CONFIGURED
) -> ErasureReport:
    """Irreversibly remove one customer's personal data; interactions stay, anonymous.

    Utterance texts, survey comments and follow-up outcomes become NULL, the interactions
    lose their link to the customer and the customer row is deleted, so the reference (raw
    or hashed) is gone. Labels, probabilities, match scores and survey scores stay, so the
    coaching figures do not move. The audit record holds counts and, when references are
    keyed, a short prefix of the keyed hash: never the reference or any text.
    """
    secret = pseudonyms.resolve(key)
    with session.begin_nested():
        customer = pseudonyms.find_customer(session, ref, secret)
        if customer is None:
            raise UnknownCustomer(f"No customer is stored under the reference {ref!r}.")
        customer_id = customer.id
        interaction_ids = select(Interaction.id).where(Interaction.customer_id == customer_id)
        interactions = len(session.scalars(interaction_ids).all())
        utterances, comments, outcomes = _strip_text(session, interaction_ids)
        _count(
            session,
            update(Interaction).where(Interaction.customer_id == customer_id).values(customer_id=None),
        )
        session.delete(customer)
        detail: dict[str, Any] = {
            "interactions": interactions,
            "utterances": utterances,
            "comments": comments,
            "outcomes": outcomes,
        }
        if secret:
            detail["ref_hash"] = pseudonyms.pseudonym(ref, secret)[len(pseudonyms.PREFIX) :][
                :AUDIT_HASH_CHARS
            ]
        event = record(session, ERASED, target="customer", actor=actor, **detail)
        session.flush()
    return ErasureReport(interactions, utterances, comments, outcomes, event.id)


def purge(
    session: Session, older_than_days: int, now: datetime | None = None, actor: User | None = None
) -> PurgeReport:
    """Remove the free text of interactions started more than `older_than_days` days ago.

    Utterance texts, survey comments and follow-up outcomes become NULL; labels, scores and
    every aggregate stay. The audit record holds the cutoff and the counts.
    """
    if older_than_days < 1:
        raise ValueError("The retention period must be at least one day.")
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    with session.begin_nested():
        old = select(Interaction.id).where(Interaction.started_at < cutoff)
        interactions = len(
            session.scalars(
                select(Utterance.interaction_id)
                .where(Utterance.interaction_id.in_(old), Utterance.text.is_not(None))
                .distinct()
            ).all()
        )
        utterances, comments, outcomes = _strip_text(session, old)
        event = record(
            session,
            PURGED,
            target=f"older than {older_than_days} days",
            actor=actor,
            older_than_days=older_than_days,
            cutoff=cutoff.isoformat(),
            interactions=interactions,
            utterances=utterances,
            comments=comments,
            outcomes=outcomes,
        )
        session.flush()
    tallies.compact(session)  # the daily job also folds the report tallies the live API appended
    return PurgeReport(cutoff, interactions, utterances, comments, outcomes, event.id)
