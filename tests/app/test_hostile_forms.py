"""NUL characters and lone surrogates in the pages' forms, query strings and paths: a clear
422 (or 404 for a path), never a 500, and nothing stored. Runs on SQLite and on PostgreSQL,
which refuses such text with an error of its own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, CoachingNote, FollowUp, Interaction, PlaybookEntry, User
from app.text_input import unstorable_text
from tests.conftest import csrf_token, login

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
KEY = "da-chat-rel-opening-1"
NUL = "nul\x00byte"


@pytest.fixture(scope="module")
def one_playbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first two entries of the Danish chat playbook: enough to edit, quick to sync."""
    folder = tmp_path_factory.mktemp("playbooks")
    (folder / "da").mkdir()
    text = (PLAYBOOKS / "da" / "chat.yaml").read_text(encoding="utf-8")
    (folder / "da" / "chat.yaml").write_text(text[: text.index("- id: da-chat-rel-clarifying-1")])
    return folder


@pytest.fixture()
def world(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient, make_user, one_playbook: Path
) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Users of every role, a contact C-1 of agent A-07 with a detractor answer, a playbook."""
    app.config["PLAYBOOK_DIR"] = str(one_playbook)
    assert runner.invoke(args=["playbooks", "sync"]).exit_code == 0
    for role in ("agent", "lead", "trainer", "admin"):
        make_user(role, f"{role}@example.com", agent_id="A-07" if role == "agent" else None)
    tokens = {
        role: runner.invoke(args=["create-token", f"{role}@example.com"]).output.strip().splitlines()[-1]
        for role in ("agent", "lead")
    }
    created = client.post(
        "/api/v1/interactions",
        headers={"Authorization": f"Bearer {tokens['agent']}"},
        json={"interaction_id": "C-1", "touchpoint": "chat", "language": "da", "customer_ref": "K-1"},
    )
    assert created.status_code == 201, created.get_json()
    answered = client.post(
        "/api/v1/surveys",
        headers={"Authorization": f"Bearer {tokens['lead']}"},
        json={"interaction_id": "C-1", "score": 2, "responded_at": datetime.now(UTC).isoformat()},
    )
    assert answered.status_code == 201, answered.get_json()
    with app.app_context():
        return {"followup": db.session.scalar(select(FollowUp.id)) or 0}


def _counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (AuditEvent, User, CoachingNote, Interaction, PlaybookEntry)
        }


# (role, path, form): every page form, each field filled with a NUL where a user types text.
FORMS = [
    (None, "/login", {"email": NUL, "password": "whatever-it-is"}),
    (None, "/login", {"email": "admin@example.com", "password": NUL}),
    ("admin", "/admin/users", {"email": "x@example.com", "password": NUL * 3, "role": "trainer"}),
    ("admin", "/admin/users", {"email": "x@example.com", "password": "a-long-enough-secret", "role": NUL}),
    (
        "admin",
        "/admin/users",
        {"email": "x@e.com", "password": "a-long-enough-secret", "role": "lead", "team": NUL},
    ),
    ("admin", "/admin/privacy/erase", {"customer_ref": "K-1\x00", "confirm": "yes"}),
    ("admin", "/admin/privacy/purge", {"confirm": "yes\x00"}),
    ("trainer", "/playbooks/new", {"text": NUL, "phrases": "hej", "note": "n", "language": "da"}),
    (
        "trainer",
        f"/playbooks/entries/{KEY}",
        {"base_version": "1", "text": "Hej", "phrases": NUL, "note": "n"},
    ),
    (
        "trainer",
        f"/playbooks/entries/{KEY}",
        {"base_version": "1", "text": "Hej", "phrases": "hej", "note": NUL},
    ),
    ("trainer", "/playbooks/preview", {"text": NUL, "phrases": "hej", "note": "n"}),
    ("lead", "/coaching/agents/A-07/notes", {"body": NUL, "focus_preference": "factual"}),
    ("lead", "/coaching/agents/A-07/notes", {"body": "Agreed.", "follow_up_on": "2026-01-01\x00"}),
    ("lead", "/followups/{followup}", {"action": "closed", "outcome": NUL}),
    ("lead", "/followups/{followup}", {"action": "\x00"}),
    ("agent", "/assist/", {"touchpoint": "chat", "customer_ref": NUL}),
    ("agent", "/assist/C-1/utterances", {"speaker": "customer", "text": NUL}),
    ("lead", "/imports/", {"kind": "surveys", "map_score": NUL}),
    ("admin", "/admin/users", {NUL: "a field whose name holds a NUL"}),
]


@pytest.mark.parametrize(("role", "path", "form"), FORMS)
def test_a_nul_in_any_form_field_is_refused_clearly_and_nothing_is_stored(
    app: Flask, client: FlaskClient, world: dict[str, int], role: str | None, path: str, form: dict[str, str]
) -> None:
    if role is not None:
        login(client, f"{role}@example.com")
    before = _counts(app)
    token = csrf_token(client, "/login" if role is None else "/")
    for htmx in (False, True):
        headers = {"HX-Request": "true", "X-CSRFToken": token} if htmx else {}
        response = client.post(path.format(**world), data={**form, "csrf_token": token}, headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 422, body
        assert "contains a NUL character" in body and "form field" in body
        assert ("<html" in body) is not htmx  # an htmx form gets the fragment it can swap
    assert _counts(app) == before


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("lead", "/coaching/?team=%00"),
        ("lead", "/followups/?closed=%00"),
        ("trainer", "/playbooks/?q=a%00b"),
        ("admin", "/admin/audit?actor=%00"),
        ("admin", "/admin/audit.csv?action=x%00"),
        ("agent", "/assist/C-1?since=%00"),
    ],
)
def test_a_nul_in_a_query_string_is_refused_clearly(
    client: FlaskClient, world: dict[str, int], role: str, path: str
) -> None:
    login(client, f"{role}@example.com")
    response = client.get(path)
    assert response.status_code == 422
    assert "query parameter" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("agent", "/assist/C-1%00"),
        ("lead", "/coaching/agents/A-07%00"),
        ("trainer", f"/playbooks/entries/{KEY}%00"),
    ],
)
def test_a_nul_in_a_path_is_no_such_page(
    client: FlaskClient, world: dict[str, int], role: str, path: str
) -> None:
    login(client, f"{role}@example.com")
    response = client.get(path)
    assert response.status_code == 404
    assert "No such page" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "path", "body"),
    [
        ("lead", "/coaching/agents/A-07/notes", b"body=lone+%ED%A0%80+surrogate"),
        ("lead", "/coaching/agents/A-07/notes", b"body=raw+\xed\xa0\x80+bytes"),
        ("agent", "/assist/C-1/utterances", b"speaker=customer&text=%ED%A0%80"),
        ("trainer", "/playbooks/new", b"text=%ED%B0%80&phrases=hej&note=n&language=da&touchpoint=chat"),
    ],
)
def test_surrogates_in_a_form_never_reach_the_database_as_such(
    app: Flask, client: FlaskClient, world: dict[str, int], role: str, path: str, body: bytes
) -> None:
    """The form decoder keeps undecodable escapes as they are and drops raw bytes that are not
    UTF-8, so a lone surrogate cannot arrive; whatever arrives is stored as valid text or refused."""
    login(client, f"{role}@example.com")
    token = csrf_token(client, "/")
    response = client.post(
        path,
        data=body + b"&csrf_token=" + token.encode(),
        content_type="application/x-www-form-urlencoded",
    )
    # 400: raw bytes that are not UTF-8 drop the whole form, the CSRF token with it
    assert response.status_code in {200, 303, 400, 422}, response.get_data(as_text=True)
    with app.app_context():
        notes = db.session.scalars(select(CoachingNote.body)).all()
        texts = db.session.scalars(select(PlaybookEntry.text)).all()
    assert not any(unstorable_text(text) for text in [*notes, *texts])


def test_unstorable_text_names_the_problem() -> None:
    assert unstorable_text("fine, æøå") is None
    assert "NUL" in (unstorable_text("a\x00b") or "")
    assert "surrogate" in (unstorable_text("a\ud800b") or "")
    assert "NUL" in (unstorable_text({"outer": ["ok", {"inner": "\x00"}]}) or "")
