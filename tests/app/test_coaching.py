"""Coaching pages and `matchpoint report`: on the demo contact centre, with its planted effect."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

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
