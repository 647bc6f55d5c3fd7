"""Constraints live in the database, not only in Python; the migration matches the models."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Agent, Base, Interaction, Survey, Team


@pytest.fixture(autouse=True)
def context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


def _interaction(external_id: str = "C-1", **values: object) -> Interaction:
    agent = db.session.query(Agent).first()
    if agent is None:
        agent = Agent(external_id="A-1", name="Sofie", team=Team(name="Aarhus 1"))
        db.session.add(agent)
    return Interaction(
        external_id=external_id,
        touchpoint=values.pop("touchpoint", "phone"),
        agent=agent,
        started_at=datetime(2026, 3, 2, 9, 14, tzinfo=UTC),
        **values,
    )


def test_migration_matches_models(app: Flask) -> None:
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_duplicate_external_id_is_refused(app: Flask) -> None:
    db.session.add(_interaction("C-1"))
    db.session.commit()
    db.session.add(_interaction("C-1"))
    with pytest.raises(IntegrityError):
        db.session.commit()


@pytest.mark.parametrize("score", [-1, 11])
def test_survey_score_out_of_range_is_refused_by_the_database(app: Flask, score: int) -> None:
    interaction = _interaction()
    db.session.add(interaction)
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(
            text("INSERT INTO surveys (interaction_id, score, responded_at) VALUES (:i, :s, :t)"),
            {"i": interaction.id, "s": score, "t": datetime(2026, 3, 3)},
        )


def test_unknown_label_and_touchpoint_are_refused(app: Flask) -> None:
    db.session.add(_interaction(customer_preference="grumpy"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(_interaction(touchpoint="fax"))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_timestamps_come_back_as_aware_utc(app: Flask) -> None:
    interaction = _interaction()
    db.session.add(interaction)
    db.session.add(
        Survey(interaction=interaction, score=9, responded_at=datetime(2026, 3, 3, 10, tzinfo=UTC))
    )
    db.session.commit()
    db.session.expire_all()
    survey = db.session.query(Survey).one()
    assert survey.responded_at == datetime(2026, 3, 3, 10, tzinfo=UTC)
