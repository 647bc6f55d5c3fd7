"""Live assist through the API and the page: turns in, preference, match and suggestions out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import inspect, select

from app.assist.service import interaction_with_turns, load_turns
from app.extensions import db
from app.models import Interaction, SuggestionEvent, Utterance
from tests.conftest import csrf_token, login

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"


@pytest.fixture()
def synced(app: Flask, runner: FlaskCliRunner) -> None:
    app.config["PLAYBOOK_DIR"] = str(PLAYBOOKS)
    result = runner.invoke(args=["playbooks", "sync"])
    assert result.exit_code == 0, result.output
    assert "648 entries read; 648 new" in result.output


@pytest.fixture()
def agent_token(runner: FlaskCliRunner, make_user) -> str:  # type: ignore[no-untyped-def]
    make_user("agent", "sofie@example.com", agent_id="A-07")
    result = runner.invoke(args=["create-token", "sofie@example.com"])
    return result.output.strip().splitlines()[-1]


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_api_live_contact_end_to_end(client: FlaskClient, synced: None, agent_token: str) -> None:
    created = client.post(
        "/api/v1/interactions",
        json={"interaction_id": "C-1001", "touchpoint": "phone", "language": "da", "customer_ref": "K-55012"},
        headers=_auth(agent_token),
    )
    assert created.status_code == 201 and created.get_json() == {"interaction_id": "C-1001"}
    added = client.post(
        "/api/v1/interactions/C-1001/utterances",
        json={"speaker": "customer", "text": "Hej, min pakke er forsinket igen. Ring mig på 20 30 40 50."},
        headers=_auth(agent_token),
    )
    assert added.status_code == 201
    body = added.get_json()
    for key in ("customer_preference", "probabilities", "cues", "agent_style", "match_score", "suggestions"):
        assert key in body
    assert 1 <= len(body["suggestions"]) <= 3
    for suggestion in body["suggestions"]:
        assert suggestion["language"] == "da" and suggestion["touchpoint"] == "phone"
        assert {"entry_id", "text", "preference", "situation"} <= set(suggestion)
    assisted = client.get("/api/v1/interactions/C-1001/assist", headers=_auth(agent_token))
    assert assisted.status_code == 200
    with client.application.app_context():
        stored = db.session.scalar(select(Utterance))
        assert stored is not None and "[PHONE]" in (stored.text or "") and "20 30" not in (stored.text or "")
        assert db.session.scalars(select(SuggestionEvent)).all()


def test_api_errors_are_json_with_the_right_status(
    client: FlaskClient, synced: None, agent_token: str
) -> None:
    headers = _auth(agent_token)
    assert client.get("/api/v1/interactions/NOPE/assist", headers=headers).status_code == 404
    bad_touchpoint = client.post("/api/v1/interactions", json={"touchpoint": "fax"}, headers=headers)
    assert bad_touchpoint.status_code == 422 and "touchpoint" in bad_touchpoint.get_json()["error"]["message"]
    not_json = client.post(
        "/api/v1/interactions", data="x", headers={**headers, "Content-Type": "text/plain"}
    )
    assert not_json.status_code == 415
    client.post("/api/v1/interactions", json={"interaction_id": "C-9", "touchpoint": "chat"}, headers=headers)
    again = client.post(
        "/api/v1/interactions", json={"interaction_id": "C-9", "touchpoint": "chat"}, headers=headers
    )
    assert again.status_code == 409
    too_long = client.post(
        "/api/v1/interactions/C-9/utterances",
        json={"speaker": "customer", "text": "x" * 20001},
        headers=headers,
    )
    assert too_long.status_code == 413
    bad_speaker = client.post(
        "/api/v1/interactions/C-9/utterances", json={"speaker": "bot", "text": "hi"}, headers=headers
    )
    assert bad_speaker.status_code == 422


def test_agent_cannot_open_another_agents_contact(
    client: FlaskClient, synced: None, agent_token: str, runner: FlaskCliRunner, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("agent", "other@example.com", agent_id="A-99")
    other = runner.invoke(args=["create-token", "other@example.com"]).output.strip().splitlines()[-1]
    client.post(
        "/api/v1/interactions",
        json={"interaction_id": "C-2", "touchpoint": "chat"},
        headers=_auth(agent_token),
    )
    assert client.get("/api/v1/interactions/C-2/assist", headers=_auth(other)).status_code == 404
    spoof = client.post(
        "/api/v1/interactions", json={"touchpoint": "chat", "agent_id": "A-07"}, headers=_auth(other)
    )
    assert spoof.status_code == 403


def test_assist_page_flow_with_htmx(client: FlaskClient, synced: None, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("agent", "sofie@example.com", agent_id="A-07")
    login(client, "sofie@example.com")
    token = csrf_token(client, "/assist/")
    started = client.post("/assist/", data={"touchpoint": "chat", "language": "sv", "csrf_token": token})
    assert started.status_code == 303
    page_url = started.headers["Location"]
    external_id = page_url.rstrip("/").split("/")[-1]
    added = client.post(
        f"/assist/{external_id}/utterances",
        data={
            "speaker": "customer",
            "text": "Varför har min räkning höjts med 200 kronor?",
            "csrf_token": token,
        },
        headers={"HX-Request": "true", "HX-Target": "live-turns", "X-CSRFToken": token},
    )
    assert added.status_code == 200
    assert added.headers["HX-Trigger"] == "utterance-added"
    html = added.get_data(as_text=True)
    assert "<html" not in html and 'id="live"' in html and 'id="live-panel"' in html
    assert "Suggested replies" in html and 'lang="sv"' in html
    unchanged = client.get(f"/assist/{external_id}?since=1", headers={"HX-Request": "true"})
    assert unchanged.status_code == 204
    full = client.get(f"/assist/{external_id}")
    assert "<html" in full.get_data(as_text=True) and "HX-Request" in full.headers["Vary"]
    empty = client.post(
        f"/assist/{external_id}/utterances", data={"speaker": "customer", "text": " ", "csrf_token": token}
    )
    assert empty.status_code == 422


def test_export_of_synced_playbooks_round_trips_identically(
    app: Flask, synced: None, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(args=["playbooks", "export", str(tmp_path)])
    assert result.exit_code == 0, result.output
    originals = sorted(PLAYBOOKS.glob("*/*.yaml"))
    assert len(originals) == 18
    for original in originals:
        exported = tmp_path / original.parent.name / original.name
        assert exported.read_bytes() == original.read_bytes(), original


def test_invalid_playbook_names_file_and_line(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    (tmp_path / "da").mkdir()
    (tmp_path / "da" / "chat.yaml").write_text(
        "entries:\n- id: x\n  touchpoint: chat\n  preference: grumpy\n  situation: opening\n  language: da\n"
        "  text: Hej\n  phrases: [hej]\n  note: n\n"
    )
    app.config["PLAYBOOK_DIR"] = str(tmp_path)
    result = runner.invoke(args=["playbooks", "sync"])
    assert result.exit_code != 0
    assert "chat.yaml:2: preference 'grumpy'" in result.output


def test_openapi_describes_every_api_route(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    described = {(path, method) for path, item in spec["paths"].items() for method in item}
    routes = {
        (rule.rule.removeprefix("/api/v1").replace("<external_id>", "{interaction_id}"), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and not rule.rule.endswith("openapi.json")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes <= described, routes - described
    for item in spec["paths"].values():
        for operation in item.values():
            responses = operation["responses"]
            assert "401" in responses and ("200" in responses or "201" in responses)


def test_a_writer_reads_the_interaction_and_turns_a_query_would_give(
    client: FlaskClient, synced: None, agent_token: str
) -> None:
    """On PostgreSQL a writer takes the row lock and the turns in one pipelined round trip and
    builds the Interaction itself: the same values, loaded and clean, as the ORM's query gives."""
    turns = [
        ("customer", "Hvornår kommer min pakke? Jeg har ventet en uge."),
        ("agent", "Jeg kan se den er afsendt i går."),
        ("customer", "Godt, tak for hjælpen."),
    ]
    body = {"interaction_id": "C-7", "touchpoint": "chat", "language": "da", "customer_ref": "K-1"}
    assert client.post("/api/v1/interactions", json=body, headers=_auth(agent_token)).status_code == 201
    for speaker, text in turns:
        turn = {"speaker": speaker, "text": text}
        posted = client.post("/api/v1/interactions/C-7/utterances", json=turn, headers=_auth(agent_token))
        assert posted.status_code == 201
    columns = [c.key for c in Interaction.__table__.columns]
    with client.application.app_context():
        found = interaction_with_turns(db.session, "C-7", for_writing=True)
        assert found is not None
        written, written_turns = found
        state = inspect(written)
        assert state.persistent and not state.modified and db.session.get(Interaction, written.id) is written
        values = {key: getattr(written, key) for key in columns}
        db.session.rollback()
        db.session.close()
        loaded = db.session.scalar(select(Interaction).where(Interaction.external_id == "C-7"))
        assert loaded is not None
        assert values == {key: getattr(loaded, key) for key in columns}
        assert values["started_at"].tzinfo is not None and values["customer_preference"] is not None
        spoken = db.session.scalars(select(Utterance.spoken_at).where(Utterance.interaction_id == loaded.id))
        for moment in [values["updated_at"], *spoken]:  # stored as UTC by every path
            assert abs(datetime.now(UTC) - moment) < timedelta(minutes=5)
        assert written_turns == load_turns(db.session, loaded)
        assert [t.text for t in written_turns] == [text for _, text in turns]
        assert interaction_with_turns(db.session, "C-404", for_writing=True) is None
