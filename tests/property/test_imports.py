"""The importers on any lines: they never raise; a file with problems writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.classification import get_classifier
from app.extensions import db
from app.imports.service import import_interactions, import_surveys
from app.models import Agent, Customer, Interaction, Survey, Team, Utterance

TABLES = (Agent, Team, Customer, Interaction, Utterance, Survey)
DB_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
KNOWN_IDS = ("C-1", "C-2")

_valid = {
    "interaction_id": "X-1",
    "agent_id": "A-07",
    "touchpoint": "chat",
    "started_at": "2026-03-02T09:14:00Z",
    "utterances": [{"speaker": "customer", "text": "Why did my bill go up?"}],
}
_odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**20),
    st.floats(allow_nan=False),
    st.text(max_size=80),
    st.sampled_from(
        [
            "chat",
            "phone",
            "da",
            "factual",
            "relational",
            "2026-03-02T09:14:00Z",
            "2026-02-30",
            "x" * 70,
            "\x00",
            "A\x00B",
            " ",
            "customer",
            "agent",
        ]
    ),
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "speaker": st.sampled_from(["customer", "agent", "x", None]),
                "text": st.one_of(st.text(max_size=30), st.integers()),
                "spoken_at": st.text(max_size=25),
            },
        ),
        max_size=3,
    ),
)
_fields = st.sampled_from(
    [
        *_valid,
        "ended_at",
        "language",
        "customer_preference",
        "agent_style",
        "team",
        "agent_name",
        "customer_ref",
        "topic",
    ]
)


@st.composite
def interaction_lines(draw: st.DrawFn) -> str | bytes:
    kind = draw(st.sampled_from(["mutated", "mutated", "text", "bytes"]))
    if kind == "text":
        return draw(st.text(max_size=60))
    if kind == "bytes":
        return draw(st.binary(max_size=60))
    line: dict[str, Any] = dict(_valid, interaction_id=draw(st.sampled_from(["X-1", "X-2", "X-3"])))
    for name, value in draw(st.dictionaries(_fields, _odd_values, max_size=3)).items():
        line[name] = value
    for name in draw(st.lists(_fields, max_size=2)):
        line.pop(name, None)
    return json.dumps(line)


def _counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in TABLES
    }


@pytest.fixture()
def known(app: Flask) -> Flask:
    """Two interactions the surveys may refer to, committed before any example runs."""
    with app.app_context():
        lines = [json.dumps(dict(_valid, interaction_id=i)) for i in KNOWN_IDS]
        assert import_interactions(db.session, lines, get_classifier()).ok
        db.session.commit()
    return app


def _check_all_or_nothing(report: Any, before: dict[str, int], lines: list[Any]) -> None:
    db.session.flush()
    after = _counts()
    if report.ok:
        assert report.created + report.updated >= 1
        assert after["interactions" if report.kind == "interactions" else "surveys"] == (
            before["interactions" if report.kind == "interactions" else "surveys"] + report.created
        )
    else:
        assert after == before, f"a refused file wrote rows: {report.problems}"
        assert not db.session.new and not db.session.dirty
        assert all(str(problem) for problem in report.problems)


@DB_SETTINGS
@given(st.lists(interaction_lines(), max_size=6))
@example([json.dumps(dict(_valid, utterances=[{"speaker": "customer", "text": "nul\x00byte"}]))])
@example([json.dumps(dict(_valid, utterances=[{"speaker": "customer", "text": "lone \ud800 surrogate"}]))])
@example([json.dumps(dict(_valid, topic="a\x00b"))])
@example([json.dumps(dict(_valid, started_at="2026-03-02T09:14:00+25:00"))])
@example([json.dumps(dict(_valid, interaction_id=10**30))])
@example(["[" * 100_000])
def test_interaction_import_never_raises_and_is_all_or_nothing(app: Flask, lines: list[str | bytes]) -> None:
    with app.app_context():
        before = _counts()
        try:
            report = import_interactions(db.session, lines, get_classifier())
            _check_all_or_nothing(report, before, lines)
        finally:
            db.session.rollback()


_cells = st.one_of(
    st.sampled_from(
        [
            *KNOWN_IDS,
            "C-9",
            "",
            "0",
            "10",
            "11",
            "-1",
            "+7",
            "٣",
            "2026-03-03T10:00:00Z",
            "yes",
            "\x00",
            "a\x00b",
            '"',
            "\ufeff",
        ]
    ),
    st.text(max_size=20),
)


@st.composite
def survey_files(draw: st.DrawFn) -> list[str | bytes]:
    header = draw(
        st.sampled_from(
            [
                "interaction_id,score,responded_at,comment",
                "interaction_id;score;responded_at",
                "\ufeffinteraction_id,score,responded_at",
                "score,interaction_id",
            ]
        )
        | st.text(max_size=30)
    )
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    rows = draw(st.lists(st.lists(_cells, min_size=0, max_size=5).map(delimiter.join), max_size=5))
    lines: list[str | bytes] = [header + "\n", *(row + "\n" for row in rows)]
    if draw(st.booleans()):
        lines.append(draw(st.binary(max_size=20)))
    return lines


@DB_SETTINGS
@given(survey_files())
@example(["interaction_id,score,responded_at,comment\n", "C-1,9,2026-03-03T10:00:00Z,ok\n"])
@example(["interaction_id,score,responded_at,comment\n", "C-1,9,2026-03-03T10:00:00Z,nul\x00byte\n"])
@example(["interaction_id,score,responded_at\n", "C-1,9,2026-03-03T10:00:00+99:00\n"])
@example(["interaction_id,score,responded_at\n", "C-1,9,9999-12-31T23:59:59-01:00\n"])
@example(["interaction_id,score,responded_at\n", 'C-1,"9\n'])
def test_survey_import_never_raises_and_is_all_or_nothing(known: Flask, lines: list[str | bytes]) -> None:
    with known.app_context():
        before = _counts()
        try:
            report = import_surveys(db.session, lines)
            _check_all_or_nothing(report, before, lines)
        finally:
            db.session.rollback()
