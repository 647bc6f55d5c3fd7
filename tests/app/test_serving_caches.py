"""What a worker keeps between requests never outlives a change made through another worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from app import create_app
from app.classification import RecentPredictions
from app.extensions import db
from app.models import PlaybookEntry, User, Utterance
from app.playbooks import store

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"


@pytest.fixture()
def other_worker(app: Flask) -> Iterator[Flask]:
    """A second app on the same database and model: another gunicorn worker, or another host."""
    other = create_app(dict(app.config))
    yield other
    with other.app_context():
        db.engine.dispose()


@pytest.fixture()
def agent_token(app: Flask, runner: FlaskCliRunner, make_user) -> str:  # type: ignore[no-untyped-def]
    app.config["PLAYBOOK_DIR"] = str(PLAYBOOKS)
    assert runner.invoke(args=["playbooks", "sync"]).exit_code == 0
    make_user("agent", "sofie@example.com", agent_id="A-07")
    return runner.invoke(args=["create-token", "sofie@example.com"]).output.strip().splitlines()[-1]


def _suggestions(app: Flask, token: str) -> list[dict[str, str]]:
    answer = app.test_client().get(
        "/api/v1/interactions/C-1/assist", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200
    return answer.get_json()["suggestions"]  # type: ignore[no-any-return]


def test_a_trainers_save_through_another_worker_shows_in_the_next_suggestions(
    app: Flask, other_worker: Flask, agent_token: str
) -> None:
    headers = {"Authorization": f"Bearer {agent_token}"}
    client = app.test_client()
    body = {"interaction_id": "C-1", "touchpoint": "chat", "language": "da"}
    assert client.post("/api/v1/interactions", json=body, headers=headers).status_code == 201
    turn = {"speaker": "customer", "text": "Hej, hvorfor er min regning steget igen?"}
    first = client.post("/api/v1/interactions/C-1/utterances", json=turn, headers=headers)
    assert first.status_code == 201
    shown = first.get_json()["suggestions"]
    assert shown and _suggestions(app, agent_token) == shown  # the first worker's cache is warm now

    key = shown[0]["entry_id"]
    save_through(other_worker, key, text="Ny tekst fra træneren.")
    assert {s["entry_id"]: s["text"] for s in _suggestions(app, agent_token)}[key] == "Ny tekst fra træneren."
    save_through(other_worker, key, retired=True)
    assert key not in {s["entry_id"] for s in _suggestions(app, agent_token)}


def save_through(worker: Flask, key: str, *, text: str | None = None, retired: bool | None = None) -> None:
    """A trainer's save of entry `key`, served by `worker`."""
    with worker.app_context():
        trainer = db.session.scalar(select(User).where(User.email == "sofie@example.com"))
        row = db.session.scalar(select(PlaybookEntry).where(PlaybookEntry.key == key))
        store.save_edit(
            db.session,
            row,
            base_version=row.version,
            text=text or row.text,
            phrases=list(row.phrases),
            note=row.note,
            author=trainer,
            retired=retired,
        )
        db.session.commit()


def test_recent_predictions_forget_the_oldest_and_a_changed_text(app: Flask) -> None:
    memo = RecentPredictions(size=2)
    turns = [Utterance(id=i, text=f"turn {i}") for i in range(3)]
    for turn in turns:
        memo.put(turn, f"prediction {turn.id}")  # type: ignore[arg-type]
    assert memo.get(turns[0]) is None
    assert memo.get(turns[2]) == "prediction 2"
    assert memo.get(Utterance(id=2, text=None)) is None  # purged text: classified afresh, never reused
