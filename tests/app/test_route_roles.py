"""Every route × every role → the status it must answer, from one table.

A route that is not in the table fails the test, so a new route cannot ship without a
decision about who may use it. Allowed requests carry harmless bodies (mostly invalid ones),
so what the table shows is the role boundary: 302 to the login page or 401 for anonymous
visitors, 403 for a role that is not allowed, anything else for one that is. Rows with the
same route and other objects pin the team boundaries (another team's contact, agent,
follow-up: 404, as if it did not exist).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from app.auth.accounts import issue_token
from app.classification import get_classifier
from app.extensions import db
from app.followup.service import record_survey
from app.imports.service import import_interactions
from app.models import FollowUp, Interaction, Survey, User
from tests.conftest import csrf_token, login

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
KEY = "da-chat-rel-opening-1"
COLUMNS = ("anonymous", "agent", "lead", "trainer", "admin")

# (method, rule, url, body, statuses for anonymous, agent, lead, trainer, admin).
# {own_followup}, {other_followup} and {spare} are filled in from the world below. The agent
# user is agent A-07 of team Aarhus 1, the lead leads Aarhus 1; C-1 is A-07's contact, C-2 is a
# contact of B-01 in Malmö 1. A body of None means GET.
TABLE: list[tuple[str, str, str, dict[str, str] | None, tuple[int, int, int, int, int]]] = [
    ("GET", "/", "/", None, (302, 200, 200, 200, 200)),
    ("GET", "/healthz", "/healthz", None, (200, 200, 200, 200, 200)),
    ("GET", "/login", "/login", None, (200, 302, 302, 302, 302)),
    ("POST", "/login", "/login", {}, (401, 401, 401, 401, 401)),
    # assist: agents and leads (and admins), never trainers
    ("GET", "/assist/", "/assist/", None, (302, 200, 200, 403, 200)),
    ("POST", "/assist/", "/assist/", {"touchpoint": "fax"}, (302, 303, 303, 403, 303)),
    ("GET", "/assist/<external_id>", "/assist/C-1", None, (302, 200, 200, 403, 200)),
    ("GET", "/assist/<external_id>", "/assist/C-2", None, (302, 404, 404, 403, 200)),
    ("POST", "/assist/<external_id>/utterances", "/assist/C-1/utterances", {}, (302, 422, 422, 403, 422)),
    ("POST", "/assist/<external_id>/utterances", "/assist/C-2/utterances", {}, (302, 404, 404, 403, 422)),
    (
        "POST",
        "/assist/<external_id>/suggestions/<entry_key>/used",
        "/assist/C-1/suggestions/no-such-entry/used",
        {},
        (302, 404, 404, 403, 404),
    ),
    # coaching: leads their team, agents themselves, trainers nothing
    ("GET", "/coaching/", "/coaching/", None, (302, 302, 200, 403, 200)),
    ("GET", "/coaching/", "/coaching/?team=Malm%C3%B6+1", None, (302, 302, 403, 403, 200)),
    ("GET", "/coaching/agents/<agent_id>", "/coaching/agents/A-07", None, (302, 200, 200, 403, 200)),
    ("GET", "/coaching/agents/<agent_id>", "/coaching/agents/B-01", None, (302, 404, 404, 403, 200)),
    (
        "POST",
        "/coaching/agents/<agent_id>/notes",
        "/coaching/agents/A-07/notes",
        {},
        (302, 403, 303, 403, 303),
    ),
    (
        "POST",
        "/coaching/agents/<agent_id>/notes",
        "/coaching/agents/B-01/notes",
        {},
        (302, 403, 404, 403, 303),
    ),
    # follow-ups: leads of the contact's team
    ("GET", "/followups/", "/followups/", None, (302, 403, 200, 403, 200)),
    ("POST", "/followups/<int:followup_id>", "/followups/{own_followup}", {}, (302, 403, 303, 403, 303)),
    ("POST", "/followups/<int:followup_id>", "/followups/{other_followup}", {}, (302, 403, 404, 403, 303)),
    # imports: leads (their own team's data only, see test_imports) and admins
    ("GET", "/imports/", "/imports/", None, (302, 403, 200, 403, 200)),
    ("POST", "/imports/", "/imports/", {}, (302, 403, 422, 403, 422)),
    # playbooks: trainers
    ("GET", "/playbooks/", "/playbooks/", None, (302, 403, 403, 200, 200)),
    ("GET", "/playbooks/coverage", "/playbooks/coverage", None, (302, 403, 403, 200, 200)),
    ("GET", "/playbooks/new", "/playbooks/new", None, (302, 403, 403, 200, 200)),
    ("POST", "/playbooks/new", "/playbooks/new", {}, (302, 403, 403, 422, 422)),
    ("POST", "/playbooks/preview", "/playbooks/preview", {}, (302, 403, 403, 200, 200)),
    ("GET", "/playbooks/entries/<key>", f"/playbooks/entries/{KEY}", None, (302, 403, 403, 200, 200)),
    ("POST", "/playbooks/entries/<key>", f"/playbooks/entries/{KEY}", {}, (302, 403, 403, 422, 422)),
    (
        "POST",
        "/playbooks/entries/<key>/retire",
        f"/playbooks/entries/{KEY}/retire",
        {},
        (302, 403, 403, 409, 409),
    ),
    (
        "POST",
        "/playbooks/entries/<key>/revert/<int:version>",
        f"/playbooks/entries/{KEY}/revert/99",
        {},
        (302, 403, 403, 404, 404),
    ),
    # administration: admins only
    ("GET", "/admin/users", "/admin/users", None, (302, 403, 403, 403, 200)),
    ("POST", "/admin/users", "/admin/users", {}, (302, 403, 403, 403, 422)),
    (
        "POST",
        "/admin/users/<int:user_id>/role",
        "/admin/users/{spare}/role",
        {"role": "trainer"},
        (302, 403, 403, 403, 303),
    ),
    (
        "POST",
        "/admin/users/<int:user_id>/active",
        "/admin/users/{spare}/active",
        {},
        (302, 403, 403, 403, 303),
    ),
    (
        "POST",
        "/admin/users/<int:user_id>/tokens",
        "/admin/users/{spare}/tokens",
        {},
        (302, 403, 403, 403, 200),
    ),
    ("GET", "/admin/privacy/", "/admin/privacy/", None, (302, 403, 403, 403, 200)),
    ("POST", "/admin/privacy/erase", "/admin/privacy/erase", {}, (302, 403, 403, 403, 422)),
    ("POST", "/admin/privacy/purge", "/admin/privacy/purge", {}, (302, 403, 403, 403, 422)),
    ("GET", "/admin/audit", "/admin/audit", None, (302, 403, 403, 403, 200)),
    ("GET", "/admin/audit.csv", "/admin/audit.csv", None, (302, 403, 403, 403, 200)),
    # the API: bearer tokens carry their user's role
    ("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", None, (200, 200, 200, 200, 200)),
    ("POST", "/api/v1/classify", "/api/v1/classify", {}, (401, 422, 422, 422, 422)),
    ("POST", "/api/v1/interactions", "/api/v1/interactions", {}, (401, 422, 422, 403, 422)),
    (
        "GET",
        "/api/v1/interactions/<external_id>/assist",
        "/api/v1/interactions/C-1/assist",
        None,
        (401, 200, 200, 403, 200),
    ),
    (
        "GET",
        "/api/v1/interactions/<external_id>/assist",
        "/api/v1/interactions/C-2/assist",
        None,
        (401, 404, 404, 403, 200),
    ),
    (
        "POST",
        "/api/v1/interactions/<external_id>/utterances",
        "/api/v1/interactions/C-1/utterances",
        {},
        (401, 422, 422, 403, 422),
    ),
    (
        "POST",
        "/api/v1/interactions/<external_id>/utterances",
        "/api/v1/interactions/C-2/utterances",
        {},
        (401, 404, 404, 403, 422),
    ),
    ("POST", "/api/v1/surveys", "/api/v1/surveys", {}, (401, 403, 422, 403, 422)),
    ("GET", "/api/v1/surveys/eligibility", "/api/v1/surveys/eligibility", None, (401, 422, 422, 403, 422)),
    # last: logging out ends the session the rows above use
    ("POST", "/logout", "/logout", {}, (302, 302, 302, 302, 302)),
]  # fmt: skip


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_an_expectation_for_every_role(app: Flask) -> None:
    expected = {(method, rule) for method, rule, *_ in TABLE}
    assert _routes(app) - expected == set(), "routes without a row in TABLE: decide who may use them"
    assert expected - _routes(app) == set(), "rows for routes that no longer exist"
    assert all(len(statuses) == len(COLUMNS) for *_, statuses in TABLE)


def _one_playbook(folder: Path) -> Path:
    (folder / "da").mkdir(parents=True)
    text = (PLAYBOOKS / "da" / "chat.yaml").read_text(encoding="utf-8")
    (folder / "da" / "chat.yaml").write_text(text[: text.index("- id: da-chat-rel-clarifying-1")])
    return folder


def _line(external_id: str, agent_id: str, team: str) -> str:
    return json.dumps(
        {
            "interaction_id": external_id,
            "agent_id": agent_id,
            "team": team,
            "touchpoint": "chat",
            "started_at": "2026-03-02T09:14:00Z",
            "customer_preference": "factual",
            "agent_style": "factual",
        }
    )


@pytest.fixture()
def world(app: Flask, runner: FlaskCliRunner, make_user, tmp_path: Path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Users of every role, a spare user for the admin's forms, two teams' contacts with
    detractor answers (so each has a follow-up), one playbook, an API token per role."""
    app.config["PLAYBOOK_DIR"] = str(_one_playbook(tmp_path / "playbooks"))
    assert runner.invoke(args=["playbooks", "sync"]).exit_code == 0
    for role in COLUMNS[1:]:
        make_user(role, f"{role}@example.com", agent_id="A-07" if role == "agent" else None)
    spare = make_user("trainer", "spare@example.com")
    with app.app_context():
        report = import_interactions(
            db.session, [_line("C-1", "A-07", "Aarhus 1"), _line("C-2", "B-01", "Malmö 1")], get_classifier()
        )
        assert report.ok, report.problems
        followups = {}
        for external_id in ("C-1", "C-2"):
            interaction = db.session.scalar(select(Interaction).where(Interaction.external_id == external_id))
            record_survey(db.session, interaction, 2, datetime.now(UTC), None, 48)  # type: ignore[arg-type]
            db.session.flush()
            followups[external_id] = db.session.scalar(
                select(FollowUp.id).join(Survey).where(Survey.interaction_id == interaction.id)  # type: ignore[union-attr]
            )
        tokens = {
            role: issue_token(
                db.session, db.session.scalar(select(User).where(User.email == f"{role}@example.com"))
            )  # type: ignore[arg-type]
            for role in COLUMNS[1:]
        }
        db.session.commit()
    return {
        "ids": {"own_followup": followups["C-1"], "other_followup": followups["C-2"], "spare": spare.id},
        "tokens": tokens,
    }


@pytest.mark.parametrize("role", COLUMNS)
def test_each_role_gets_the_expected_status_on_every_route(
    app: Flask, world: dict[str, Any], role: str
) -> None:
    client = app.test_client()
    if role != "anonymous":
        login(client, f"{role}@example.com")
    token = csrf_token(client, "/login" if role == "anonymous" else "/")
    wrong = []
    for method, _rule, url, body, statuses in TABLE:
        expected = statuses[COLUMNS.index(role)]
        url = url.format(**world["ids"])
        if url.startswith("/api/"):
            headers = {"Authorization": f"Bearer {world['tokens'][role]}"} if role != "anonymous" else {}
            response = client.open(url, method=method, json=body, headers=headers)
        else:
            data = None if body is None else {**body, "csrf_token": token}
            response = client.open(url, method=method, data=data)
        got = response.status_code
        if expected == 302 and got == 302 and role == "anonymous":
            if not response.headers["Location"].startswith("/login"):
                got = -302  # a redirect, but not to the login page
        if got != expected:
            wrong.append(f"{method} {url}: expected {expected}, got {response.status_code}")
    assert wrong == [], f"{role}:\n" + "\n".join(wrong)


def test_a_session_cookie_is_no_api_token_and_a_token_is_no_session(
    app: Flask, world: dict[str, Any]
) -> None:
    """The API answers bearer tokens only (so a forged cross-site request with the cookie gets
    nowhere); the pages answer the login session only (so a leaked token opens no page)."""
    browser = app.test_client()
    login(browser, "admin@example.com")
    assert browser.get("/api/v1/interactions/C-1/assist").status_code == 401
    stranger = app.test_client()
    bearer = {"Authorization": f"Bearer {world['tokens']['admin']}"}
    response = stranger.get("/admin/users", headers=bearer)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_an_agents_token_cannot_do_lead_or_admin_things(app: Flask, world: dict[str, Any]) -> None:
    """What the table says for the agent column, spelled out with valid bodies: refused
    because of the role (403), not because the body was wrong; nothing is written."""
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {world['tokens']['agent']}"}
    survey = client.post(
        "/api/v1/surveys",
        headers=bearer,
        json={"interaction_id": "C-1", "score": 10, "responded_at": "2026-03-02T10:00:00Z"},
    )
    assert survey.status_code == 403 and "agent" in survey.get_json()["error"]["message"]
    for_colleague = client.post(
        "/api/v1/interactions",
        headers=bearer,
        json={"interaction_id": "C-9", "touchpoint": "chat", "agent_id": "B-01"},
    )
    assert for_colleague.status_code == 403
    other_team = client.post(
        "/api/v1/interactions/C-2/utterances", headers=bearer, json={"speaker": "agent", "text": "Hej"}
    )
    assert other_team.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Interaction).where(Interaction.external_id == "C-9")) is None
        c1 = db.session.scalar(select(Interaction).where(Interaction.external_id == "C-1"))
        assert db.session.scalar(select(Survey.score).where(Survey.interaction_id == c1.id)) == 2  # type: ignore[union-attr]
