"""Changing a user's role on the admin users page: admin only, CSRF, never the last admin,
audited with who, what and when; the new role applies to the user's session and tokens."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from app.auth import accounts
from app.extensions import db
from app.models import AuditEvent, User
from tests.conftest import csrf_token, login


def _user(app: Flask, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        team, agent = user.team, user.agent  # loaded before detaching
        db.session.expunge_all()
        user.team, user.agent = team, agent
        return user


def _role_events(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "role_changed")))
        db.session.expunge_all()
        return events


def _change(client: FlaskClient, user_id: int, role: str, token: str | None, **fields: str):  # type: ignore[no-untyped-def]
    data = {"role": role, **fields}
    if token is not None:
        data["csrf_token"] = token
    return client.post(f"/admin/users/{user_id}/role", data=data)


def test_admin_changes_a_role_and_the_audit_says_who_what_when(
    app: Flask, client: FlaskClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "ada@example.com")
    tina = make_user("trainer", "tina@example.com")
    login(client, "ada@example.com")
    page = client.get("/admin/users").get_data(as_text=True)
    assert f'action="/admin/users/{tina.id}/role"' in page and "Change role" in page
    response = _change(client, tina.id, "lead", csrf_token(client, "/admin/users"), team="Malmö 1")
    assert response.status_code == 303
    changed = _user(app, "tina@example.com")
    assert changed.role == "lead" and changed.team is not None and changed.team.name == "Malmö 1"
    [event] = _role_events(app)
    assert event.actor_label == "ada@example.com" and event.target == "tina@example.com"
    assert event.detail["old_role"] == "trainer" and event.detail["new_role"] == "lead"
    assert event.detail["new_team"] == "Malmö 1" and event.at is not None
    assert "tina@example.com is now lead (was trainer)" in client.get("/admin/users").get_data(as_text=True)


def test_a_role_change_needs_the_csrf_token(app: Flask, client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "ada@example.com")
    tina = make_user("trainer", "tina@example.com")
    login(client, "ada@example.com")
    response = _change(client, tina.id, "admin", None)
    assert response.status_code == 400
    assert _user(app, "tina@example.com").role == "trainer" and _role_events(app) == []


def test_only_an_admin_may_change_roles(app: Flask, client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "ada@example.com")
    for role in ("agent", "lead", "trainer"):
        make_user(role, f"{role}@example.com")
    target = _user(app, "agent@example.com")
    for role in ("lead", "trainer", "agent"):
        login(client, f"{role}@example.com")
        token = csrf_token(client, "/")
        response = _change(client, target.id, "admin", token)
        assert response.status_code == 403, role
        client.post("/logout", data={"csrf_token": token})
    anonymous = _change(client, target.id, "admin", csrf_token(client, "/login"))
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")
    assert _user(app, "agent@example.com").role == "agent" and _role_events(app) == []


def test_the_last_active_admin_cannot_be_demoted(app: Flask, client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    ada = make_user("admin", "ada@example.com")
    old = make_user("admin", "old@example.com")
    with app.app_context():
        db.session.get(User, old.id).active = False  # a deactivated admin manages nothing
        db.session.commit()
    login(client, "ada@example.com")
    response = _change(client, ada.id, "trainer", csrf_token(client, "/admin/users"))
    assert response.status_code == 422
    assert "last active admin" in response.get_data(as_text=True)
    assert _user(app, "ada@example.com").role == "admin" and _role_events(app) == []


def test_with_two_admins_one_may_demote_the_other_but_not_then_itself(
    app: Flask, client: FlaskClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    ada = make_user("admin", "ada@example.com")
    bo = make_user("admin", "bo@example.com")
    login(client, "ada@example.com")
    token = csrf_token(client, "/admin/users")
    assert _change(client, bo.id, "trainer", token).status_code == 303
    assert _change(client, ada.id, "trainer", token).status_code == 422
    assert _user(app, "bo@example.com").role == "trainer"
    assert _user(app, "ada@example.com").role == "admin"
    assert [(e.target, e.detail["old_role"], e.detail["new_role"]) for e in _role_events(app)] == [
        ("bo@example.com", "admin", "trainer")
    ]


def test_roles_that_need_a_team_or_an_agent_say_so(app: Flask, client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "ada@example.com")
    tina = make_user("trainer", "tina@example.com")
    login(client, "ada@example.com")
    token = csrf_token(client, "/admin/users")
    no_team = _change(client, tina.id, "lead", token)
    assert no_team.status_code == 422 and "needs a team" in no_team.get_data(as_text=True)
    no_agent = _change(client, tina.id, "agent", token, team="Aarhus 1")
    assert no_agent.status_code == 422 and "needs an agent id" in no_agent.get_data(as_text=True)
    unknown = _change(client, tina.id, "owner", token)
    assert unknown.status_code == 422 and "Unknown role" in unknown.get_data(as_text=True)
    assert _user(app, "tina@example.com").role == "trainer" and _role_events(app) == []
    agent = _change(client, tina.id, "agent", token, team="Aarhus 1", agent_id="A-99")
    assert agent.status_code == 303
    changed = _user(app, "tina@example.com")
    assert changed.role == "agent" and changed.agent is not None and changed.agent.external_id == "A-99"
    same = _change(client, tina.id, "agent", token, team="Aarhus 1", agent_id="A-99")
    assert same.status_code == 303 and len(_role_events(app)) == 1  # nothing changed, nothing audited


def test_the_new_role_applies_to_the_users_session_and_api_tokens_at_once(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "ada@example.com")
    lena = make_user("lead", "lena@example.com")
    token = runner.invoke(args=["create-token", "lena@example.com"]).output.strip().splitlines()[-1]
    survey = {"interaction_id": "C-404", "score": 9, "responded_at": "2026-03-02T10:00:00Z"}
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/surveys", json=survey, headers=bearer).status_code == 404  # allowed
    lead_client = app.test_client()
    login(lead_client, "lena@example.com")
    assert lead_client.get("/imports/").status_code == 200
    login(client, "ada@example.com")
    changed = _change(client, lena.id, "trainer", csrf_token(client, "/admin/users"))
    assert changed.status_code == 303
    refused = client.post("/api/v1/surveys", json=survey, headers=bearer)
    assert refused.status_code == 403 and "trainer" in refused.get_json()["error"]["message"]
    assert lead_client.get("/imports/").status_code == 403
    assert lead_client.get("/playbooks/").status_code == 200


def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    app: Flask, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Each request, once it has counted the admins, waits (up to a second) for the other to
    count too. Without the lock both would count two admins and both demotions would go
    through; with it the second count waits for the first commit and sees one admin left."""
    ada, bo = make_user("admin", "ada@example.com"), make_user("admin", "bo@example.com")
    counted = threading.Barrier(2)
    real = accounts.active_admins

    def count_then_wait(session: Any) -> set[int]:
        found = real(session)
        try:
            counted.wait(timeout=1)
        except threading.BrokenBarrierError:
            pass  # the other request is waiting for our lock: go on and commit
        return found

    monkeypatch.setattr(accounts, "active_admins", count_then_wait)
    clients = []
    for email in ("ada@example.com", "bo@example.com"):
        client = app.test_client()
        login(client, email)
        clients.append((client, csrf_token(client, "/admin/users")))
    start = threading.Barrier(2)
    statuses: list[int] = [0, 0]

    def demote(index: int, other_id: int) -> None:
        client, token = clients[index]
        start.wait(timeout=10)
        statuses[index] = _change(client, other_id, "trainer", token).status_code

    threads = [
        threading.Thread(target=demote, args=(0, bo.id)),
        threading.Thread(target=demote, args=(1, ada.id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [303, 422], statuses
    with app.app_context():
        admins = db.session.scalars(select(User.email).where(User.role == "admin")).all()
    assert len(admins) == 1
    assert len(_role_events(app)) == 1
