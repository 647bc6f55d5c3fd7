"""Closing the loop: survey answers through the API, detractor follow-ups, eligibility caps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from app.extensions import db
from app.models import FollowUp, Survey
from tests.conftest import csrf_token, login

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"


@pytest.fixture()
def tokens(app: Flask, runner: FlaskCliRunner, make_user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    app.config["PLAYBOOK_DIR"] = str(PLAYBOOKS)
    runner.invoke(args=["playbooks", "sync"])
    make_user("agent", "sofie@example.com", agent_id="A-07")
    make_user("lead", "lena@example.com")
    out = {}
    for role, email in (("agent", "sofie@example.com"), ("lead", "lena@example.com")):
        out[role] = runner.invoke(args=["create-token", email]).output.strip().splitlines()[-1]
    return out


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _contact(client: FlaskClient, token: str, external_id: str, customer: str = "K-1") -> None:
    response = client.post(
        "/api/v1/interactions",
        headers=_h(token),
        json={
            "interaction_id": external_id,
            "touchpoint": "phone",
            "language": "da",
            "customer_ref": customer,
            "utterances": [
                {"speaker": "customer", "text": "Hvorfor er min regning steget?"},
                {"speaker": "agent", "text": "Prisen steg fordi rabatten udløb."},
            ],
        },
    )
    assert response.status_code == 201, response.get_json()


def test_detractor_answer_opens_a_follow_up_that_a_lead_closes(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    _contact(client, tokens["agent"], "C-1")
    now = datetime.now(UTC).replace(microsecond=0)
    stored = client.post(
        "/api/v1/surveys",
        headers=_h(tokens["lead"]),
        json={
            "interaction_id": "C-1",
            "score": 3,
            "responded_at": now.isoformat(),
            "comment": "Ring mig på 20 30 40 50",
        },
    )
    assert stored.status_code == 201
    with app.app_context():
        survey = db.session.scalar(select(Survey))
        assert survey is not None and survey.comment == "Ring mig på [PHONE]"
        followup = db.session.scalar(select(FollowUp))
        assert followup is not None and followup.status == "open"
        assert followup.due_at == now + timedelta(hours=app.config["FOLLOWUP_DUE_HOURS"])
    login(client, "lena@example.com")
    page = client.get("/followups/").get_data(as_text=True)
    assert "Score 3" in page and "Suggested opening" in page
    token = csrf_token(client, "/followups/")
    refused = client.post(
        f"/followups/{followup.id}", data={"csrf_token": token, "action": "closed", "outcome": ""}
    )
    assert refused.status_code == 303
    done = client.post(
        f"/followups/{followup.id}",
        data={"csrf_token": token, "action": "closed", "outcome": "Apologised, credited 100 kr."},
    )
    assert done.status_code == 303
    with app.app_context():
        assert db.session.get(FollowUp, followup.id).status == "closed"


def test_survey_api_validation(client: FlaskClient, tokens: dict[str, str]) -> None:
    _contact(client, tokens["agent"], "C-2")
    h = _h(tokens["lead"])
    when = "2026-03-03T10:00:00Z"
    assert (
        client.post(
            "/api/v1/surveys", headers=h, json={"interaction_id": "C-2", "score": 11, "responded_at": when}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/surveys", headers=h, json={"interaction_id": "C-2", "score": "9", "responded_at": when}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/surveys", headers=h, json={"interaction_id": "C-2", "score": 9, "responded_at": "soon"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/surveys", headers=h, json={"interaction_id": "NOPE", "score": 9, "responded_at": when}
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/v1/surveys", headers=h, json={"interaction_id": "C-2", "score": 9, "responded_at": when}
        ).status_code
        == 201
    )
    again = client.post(
        "/api/v1/surveys", headers=h, json={"interaction_id": "C-2", "score": 9, "responded_at": when}
    )
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    assert client.post("/api/v1/surveys", headers=_h(tokens["agent"]), json={}).status_code == 403


def test_eligibility_caps_surveys_per_customer(client: FlaskClient, tokens: dict[str, str]) -> None:
    h = _h(tokens["agent"])
    fresh = client.get("/api/v1/surveys/eligibility?customer_ref=K-new&touchpoint=chat", headers=h).get_json()
    assert fresh == {"eligible": True, "reason": "no earlier contacts with this customer"}
    _contact(client, tokens["agent"], "C-3", customer="K-9")
    client.post(
        "/api/v1/surveys",
        headers=_h(tokens["lead"]),
        json={"interaction_id": "C-3", "score": 8, "responded_at": datetime.now(UTC).isoformat()},
    )
    capped = client.get("/api/v1/surveys/eligibility?customer_ref=K-9&touchpoint=phone", headers=h).get_json()
    assert capped["eligible"] is False and "at most one per 30 days" in capped["reason"]
    bad = client.get("/api/v1/surveys/eligibility?customer_ref=K-9&touchpoint=fax", headers=h)
    assert bad.status_code == 422
