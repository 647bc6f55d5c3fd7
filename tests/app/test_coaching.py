"""Coaching pages and `matchpoint report`: on the demo contact centre, with its planted effect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import case, delete, func, select, update

from app.coaching import queries, stats, tallies
from app.coaching.queries import Filters
from app.extensions import db
from app.models import Agent, Interaction, ReportTally, ReportWeekTally, Survey, Team
from tests.app.test_stats import CONTRACT as CONTRACT_KEYS  # the report keys CONTRACTS.md pins
from tests.conftest import csrf_token, login


@pytest.fixture()
def demo(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["demo", "--interactions", "4000", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "4000 interactions" in result.output


def test_report_json_follows_the_contract_and_recovers_the_planted_effect(
    runner: FlaskCliRunner, demo: None
) -> None:
    result = runner.invoke(args=["report", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert CONTRACT_KEYS <= set(report)
    assert report["n_interactions"] == 4000
    effect = report["match_effect"]
    assert set(effect) >= {"naive", "adjusted", "ci_low", "ci_high", "p_value", "adjusted_for"}
    assert effect["adjusted_for"] == ["touchpoint", "topic"]
    assert effect["ci_low"] <= 20 <= effect["ci_high"]  # the demo plants +20 within touchpoint × topic
    assert len(report["matrix"]) == 9
    for agent in report["agents"]:
        assert agent["signal"] in {"above", "below", "within"}
        assert {"agent_id", "n_interactions", "n_surveys", "match_rate", "nps", "ci_low", "ci_high"} <= set(
            agent
        )


def test_report_filters(runner: FlaskCliRunner, demo: None) -> None:
    store = json.loads(runner.invoke(args=["report", "--json", "--touchpoint", "store"]).output)
    assert {tp["touchpoint"] for tp in store["touchpoints"]} == {"store"}
    team = json.loads(runner.invoke(args=["report", "--json", "--team", "Malmö 1"]).output)
    assert 0 < team["n_interactions"] < 4000
    nothing = json.loads(
        runner.invoke(args=["report", "--json", "--from", "2001-01-01", "--to", "2001-01-31"]).output
    )
    assert nothing["n_interactions"] == 0 and nothing["nps"]["n"] == 0
    bad = runner.invoke(args=["report", "--json", "--from", "yesterday"])
    assert bad.exit_code != 0 and "not a date" in bad.output


def test_demo_refuses_a_database_that_has_data(runner: FlaskCliRunner, demo: None) -> None:
    again = runner.invoke(args=["demo", "--interactions", "100"])
    assert again.exit_code != 0 and "already holds interactions" in again.output
    assert runner.invoke(args=["demo", "--if-empty"]).exit_code == 0


def test_lead_sees_own_team_with_filters_in_the_query_string(
    client: FlaskClient, demo: None, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("lead", "lena@example.com", team="Aarhus 1")
    login(client, "lena@example.com")
    page = client.get("/coaching/?touchpoint=phone")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Match effect, adjusted for touchpoint and topic" in body
    assert 'value="Aarhus 1" selected' in body and "A-01" in body and "A-03" not in body  # A-03 is in Malmö 1
    fragment = client.get("/coaching/?touchpoint=store", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="overview">')
    assert client.get("/coaching/?team=Malmö 1").status_code == 403
    assert client.get("/coaching/agents/A-03").status_code == 404


def test_the_review_shows_a_turns_stored_cues_without_classifying_it(
    client: FlaskClient, demo: None, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from app.coaching import sessions
    from app.models import Utterance
    from classifier.predict import Classifier

    make_user("lead", "lena@example.com", team="Aarhus 1")
    login(client, "lena@example.com")
    with client.application.app_context():
        agent = db.session.scalar(select(Agent).where(Agent.external_id == "A-01"))
        reviewed = sessions.contacts_to_review(db.session, agent)
        customer_turns = [u for i in reviewed for u in i.utterances if u.speaker == "customer" and u.text]
        stored = customer_turns[0]
        word = (stored.text or "").split()[0]
        cue = {"text": word, "preference": "relational", "weight": 1.0, "start": 0, "end": len(word)}
        db.session.execute(update(Utterance).where(Utterance.id == stored.id).values(cues=json.dumps([cue])))
        db.session.commit()
        customers = len(customer_turns)
    classified: list[str] = []
    real = Classifier.classify

    def counted(self: Classifier, text: str, side: str, lang: str | None = None) -> Any:
        classified.append(side)
        return real(self, text, side, lang)

    monkeypatch.setattr(Classifier, "classify", counted)
    body = client.get("/coaching/agents/A-01").get_data(as_text=True)
    assert f'<mark class="cue cue-relational" title="Relational cue">{word}</mark>' in body
    assert classified.count("customer") == customers - 1  # every customer turn but the stored one


def test_agent_page_and_coaching_note(client: FlaskClient, demo: None, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("lead", "lena@example.com", team="Aarhus 1")
    login(client, "lena@example.com")
    page = client.get("/coaching/agents/A-01")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    for heading in (
        "Match rate by what the customer wanted",
        "Natural style and delivered style",
        "Conversations to review together",
        "Coaching notes",
    ):
        assert heading in body
    token = csrf_token(client, "/coaching/agents/A-01")
    saved = client.post(
        "/coaching/agents/A-01/notes",
        data={
            "csrf_token": token,
            "body": "Open with a short personal acknowledgement.",
            "focus_preference": "relational",
            "follow_up_on": "2030-01-15",
        },
    )
    assert saved.status_code == 303
    assert "Open with a short personal acknowledgement." in client.get("/coaching/agents/A-01").get_data(
        as_text=True
    )
    empty = client.post("/coaching/agents/A-01/notes", data={"csrf_token": token, "body": " "})
    assert empty.status_code == 303 and "Write what you agreed" in client.get(
        "/coaching/agents/A-01"
    ).get_data(as_text=True)


def test_agent_sees_only_their_own_page(app: Flask, client: FlaskClient, demo: None, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("agent", "sofie@example.com", agent_id="A-01")
    login(client, "sofie@example.com")
    assert client.get("/coaching/").headers["Location"].endswith("/coaching/agents/A-01")
    assert client.get("/coaching/agents/A-01").status_code == 200
    assert client.get("/coaching/agents/A-06").status_code == 404
    token = csrf_token(client, "/coaching/agents/A-01")
    assert (
        client.post("/coaching/agents/A-01/notes", data={"csrf_token": token, "body": "x"}).status_code == 403
    )


def _odd_contacts() -> None:
    """Contacts the demo never makes: unknown labels and topic, no team, on week boundaries."""
    loner = Agent(external_id="A-99", name="No Team")
    team_agent = db.session.scalar(select(Agent).where(Agent.external_id == "A-01"))
    edges = [
        datetime(2026, 3, 2, 0, 0, 0),  # a Monday at midnight: the first instant of its week
        datetime(2026, 3, 1, 23, 59, 59, 999999),  # the Sunday before: the last of the previous week
        datetime(2026, 3, 8, 23, 59, 59, 999999),
        datetime(2026, 3, 9, 0, 0, 0, 1),
    ]
    for number, started in enumerate(edges * 2):
        interaction = Interaction(
            external_id=f"ODD-{number}",
            touchpoint="web" if number % 2 else "store",
            agent=loner if number < 4 else team_agent,
            started_at=started.replace(tzinfo=UTC),
            topic=None if number % 3 == 0 else "billing",
            customer_preference=None if number % 4 == 1 else "factual",
            agent_style=None if number % 4 == 1 else ("factual" if number % 2 else "relational"),
            matched=None if number % 4 == 1 else bool(number % 2),
        )
        db.session.add(interaction)
        if number % 3 != 2:
            db.session.add(
                Survey(interaction=interaction, score=number + 2, responded_at=started.replace(tzinfo=UTC))
            )
    db.session.commit()


def _rows_report(filters: Filters) -> dict[str, Any]:
    """The report computed from every contact's row: what the database's aggregates must equal."""
    query = (
        select(
            Interaction.external_id.label("interaction_id"),
            Agent.external_id.label("agent_id"),
            Team.name.label("team"),
            Interaction.touchpoint,
            Interaction.topic,
            Interaction.started_at,
            Interaction.customer_preference,
            Interaction.agent_style,
            Interaction.matched,
            Survey.score,
        )
        .join(Agent, Interaction.agent_id == Agent.id)
        .outerjoin(Team, Agent.team_id == Team.id)
        .outerjoin(Survey, Survey.interaction_id == Interaction.id)
    )
    if filters.date_from:
        query = query.where(Interaction.started_at >= datetime.combine(filters.date_from, time(), UTC))
    if filters.date_to:
        query = query.where(
            Interaction.started_at < datetime.combine(filters.date_to, time(), UTC) + timedelta(days=1)
        )
    if filters.team:
        query = query.where(Team.name == filters.team)
    if filters.touchpoint:
        query = query.where(Interaction.touchpoint == filters.touchpoint)
    if filters.agent_id:
        query = query.where(Agent.external_id == filters.agent_id)
    rows = pd.DataFrame(db.session.execute(query).all(), columns=list(query.selected_columns.keys()))
    rows["score"] = rows["score"].astype(float)
    rows["matched"] = rows["matched"].astype(object).where(rows["matched"].notna(), None)
    return stats.report(rows)


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(team="Malmö 1"),
        Filters(touchpoint="web"),
        Filters(agent_id="A-01"),
        Filters(agent_id="A-99"),
        Filters(date_from=date(2026, 3, 2), date_to=date(2026, 3, 8)),
        Filters(date_from=date(2026, 3, 1), team="Aarhus 1", touchpoint="store"),
        Filters(date_from=date(2001, 1, 1), date_to=date(2001, 1, 31)),
    ],
)
def test_report_from_database_aggregates_equals_report_from_rows(
    app: Flask, runner: FlaskCliRunner, demo: None, filters: Filters
) -> None:
    with app.app_context():
        _odd_contacts()
        assert queries.report(db.session, filters) == _rows_report(filters)


def _assert_copies_and_tallies_exact() -> None:
    """survey_score equals the joined answer's score; the tallies' sums equal grouping the contacts."""
    differing = db.session.scalar(
        select(func.count())
        .select_from(Interaction)
        .outerjoin(Survey, Survey.interaction_id == Interaction.id)
        .where(Interaction.survey_score.is_distinct_from(Survey.score))
    )
    assert differing == 0
    score = Interaction.survey_score
    answers = [
        func.count(case((score >= 9, 1))),
        func.count(case((score.between(7, 8), 1))),
        func.count(case((score <= 6, 1))),
    ]
    for table, columns in (
        (ReportTally.__table__, list(queries._KEY_NAMES)),
        (ReportWeekTally.__table__, ["agent_id", "touchpoint", "matched"]),
    ):
        keys = [table.c[name] for name in columns]
        sums = [func.sum(table.c[name]) for name in tallies.COUNTS]
        tallied = db.session.execute(
            select(*keys, *sums).group_by(*keys).having(func.sum(table.c.interactions) != 0)
        ).all()
        own = [Interaction.__table__.c[name] for name in columns]
        grouped = db.session.execute(select(*own, func.count(), *answers).group_by(*own)).all()
        assert sorted(map(tuple, tallied), key=repr) == sorted(map(tuple, grouped), key=repr)


def test_copied_scores_and_tallies_follow_every_write(app: Flask, runner: FlaskCliRunner, demo: None) -> None:
    """The database's triggers keep survey_score and the report tallies exact, whoever writes."""
    with app.app_context():
        _odd_contacts()
        contacts = db.session.scalars(select(Interaction).order_by(Interaction.id).limit(40)).all()
        answered = [c for c in contacts if c.survey is not None]
        silent = [c for c in contacts if c.survey is None]
        other_agent = db.session.scalar(select(Agent).where(Agent.external_id == "A-30"))
        answered[0].survey.score = 10 if answered[0].survey.score < 9 else 0  # a changed answer
        answered[1].survey.interaction_id = silent[0].id  # an answer moved to another contact
        db.session.delete(answered[2].survey)  # an answer withdrawn
        answered[3].matched = not answered[3].matched  # relabelled
        answered[3].customer_preference = None
        answered[4].touchpoint = "social"
        answered[5].started_at = answered[5].started_at - timedelta(days=9)  # into another week
        answered[6].agent = other_agent  # to another agent and team
        db.session.flush()
        gone = answered[7].id
        db.session.expunge_all()
        db.session.execute(delete(Interaction).where(Interaction.id == gone))  # its answer cascades
        db.session.execute(
            update(Survey).where(Survey.interaction_id == answered[8].id).values(score=Survey.score // 2)
        )
        db.session.commit()
        _assert_copies_and_tallies_exact()
        for filters in (Filters(), Filters(team="Malmö 1"), Filters(touchpoint="social")):
            assert queries.report(db.session, filters) == _rows_report(filters)
        tallies.compact(db.session)
        db.session.commit()
        _assert_copies_and_tallies_exact()
        keys = db.session.execute(select(func.count()).select_from(ReportTally)).scalar()
        groups = db.session.scalar(
            select(func.count()).select_from(
                select(*queries._KEY_COLUMNS).group_by(*queries._KEY_COLUMNS).subquery()
            )
        )
        assert keys == groups  # folded: one row per key, none for keys whose contacts left
        assert queries.report(db.session, Filters()) == _rows_report(Filters())


def test_report_stays_exact_through_imports_purge_and_rescore(
    app: Flask, runner: FlaskCliRunner, demo: None, tmp_path: Path
) -> None:
    with app.app_context():
        contacts = db.session.scalars(select(Interaction).order_by(Interaction.id).limit(60)).all()
        lines = ["interaction_id,score,responded_at"]
        lines += [f"{c.external_id},{(i * 7) % 11},2026-03-03T10:00:00Z" for i, c in enumerate(contacts)]
    surveys = tmp_path / "surveys.csv"
    surveys.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for args in (["import", "surveys", str(surveys)], ["purge", "--older-than", "30"], ["rescore"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        with app.app_context():
            _assert_copies_and_tallies_exact()
            for filters in (Filters(), Filters(team="Aarhus 1")):
                assert queries.report(db.session, filters) == _rows_report(filters)


def test_report_command_imports_no_machine_learning(database_url: str) -> None:
    """`matchpoint report` starts without scikit-learn or scipy: importing them outlasts the report."""
    code = (
        "import sys; from app.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('sklearn', 'skops', 'scipy', 'lingua', 'classifier.predict') "
        "if m in sys.modules]\n"
        "print('heavy:', ','.join(heavy), file=sys.stderr)\n"
    )
    environment = {**os.environ, "MATCHPOINT_DATABASE_URL": database_url, "MATCHPOINT_SECRET_KEY": "test"}
    done = subprocess.run(
        [sys.executable, "-c", code, "report", "--json"], env=environment, capture_output=True, text=True
    )
    assert json.loads(done.stdout.splitlines()[0])["n_interactions"] == 0, done.stderr
    assert "heavy: \n" in done.stderr, done.stderr
