"""What a worker keeps between requests never outlives a change made through another worker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select, update

from app import create_app
from app.classification import RecentPredictions, ShownSuggestions, get_classifier, get_shown_suggestions
from app.extensions import db
from app.models import Interaction, PlaybookEntry, SuggestionEvent, User, Utterance
from app.playbooks import store
from classifier.predict import Classifier
from tests.conftest import csrf_token, login

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


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _start_contact(app: Flask, token: str) -> list[dict[str, str]]:
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    body = {"interaction_id": "C-1", "touchpoint": "chat", "language": "da"}
    assert client.post("/api/v1/interactions", json=body, headers=headers).status_code == 201
    turn = {"speaker": "customer", "text": "Hej, hvorfor er min regning steget igen?"}
    first = client.post("/api/v1/interactions/C-1/utterances", json=turn, headers=headers)
    assert first.status_code == 201
    shown: list[dict[str, str]] = first.get_json()["suggestions"]
    assert shown and _suggestions(app, token) == shown  # the worker's cache is warm now
    return shown


def test_a_trainers_save_through_another_worker_shows_once_the_recheck_interval_has_passed(
    app: Flask, other_worker: Flask, agent_token: str
) -> None:
    clock = Clock()
    app.extensions["matchpoint.live_playbook"] = store.LivePlaybook(1.0, clock)
    key = _start_contact(app, agent_token)[0]["entry_id"]

    save_through(other_worker, key, text="Ny tekst fra træneren.")
    clock.now += 0.5  # within the interval: the worker's shelf, unchecked
    assert {s["entry_id"]: s["text"] for s in _suggestions(app, agent_token)}[key] != "Ny tekst fra træneren."
    clock.now += 0.5
    assert {s["entry_id"]: s["text"] for s in _suggestions(app, agent_token)}[key] == "Ny tekst fra træneren."
    save_through(other_worker, key, retired=True)
    clock.now += 1.0
    assert key not in {s["entry_id"] for s in _suggestions(app, agent_token)}


def test_with_no_recheck_interval_a_save_through_another_worker_shows_at_once(
    app: Flask, other_worker: Flask, agent_token: str
) -> None:
    app.config["PLAYBOOK_RECHECK_SECONDS"] = 0
    key = _start_contact(app, agent_token)[0]["entry_id"]
    save_through(other_worker, key, text="Ny tekst fra træneren.")
    assert {s["entry_id"]: s["text"] for s in _suggestions(app, agent_token)}[key] == "Ny tekst fra træneren."


def test_a_trainers_save_through_the_same_worker_shows_at_once(
    app: Flask, agent_token: str, make_user
) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()  # never advances: only the save itself can refresh the shelf
    app.extensions["matchpoint.live_playbook"] = store.LivePlaybook(60.0, clock)
    key = _start_contact(app, agent_token)[0]["entry_id"]
    make_user("trainer", "tina@example.com")
    trainer = app.test_client()
    login(trainer, "tina@example.com")
    token = csrf_token(trainer, "/playbooks/")
    with app.app_context():
        row = db.session.scalar(select(PlaybookEntry).where(PlaybookEntry.key == key))
        base, phrases, note = row.version, "\n".join(row.phrases), row.note or "-"
    saved = trainer.post(
        f"/playbooks/entries/{key}",
        data={
            "csrf_token": token,
            "base_version": base,
            "text": "Gemt lige nu.",
            "phrases": phrases,
            "note": note,
        },
    )
    assert saved.status_code in (200, 303), saved.get_data(as_text=True)
    assert {s["entry_id"]: s["text"] for s in _suggestions(app, agent_token)}[key] == "Gemt lige nu."


def _events(app: Flask) -> int:
    with app.app_context():
        return len(db.session.scalars(select(SuggestionEvent)).all())


def test_each_suggestion_event_is_stored_once_and_a_rolled_back_one_is_offered_again(
    app: Flask, agent_token: str
) -> None:
    shown = _start_contact(app, agent_token)
    assert _events(app) == len(shown)  # the poll after the turn found them all noted
    with app.app_context():
        interaction = db.session.scalar(select(Interaction).where(Interaction.external_id == "C-1"))
        entry_ids = list(db.session.scalars(select(SuggestionEvent.entry_id)))
        memo = get_shown_suggestions()
        assert memo.unnoted(db.session, interaction, entry_ids) == []  # committed: remembered

        fresh = ShownSuggestions()
        assert fresh.unnoted(db.session, interaction, entry_ids[:2]) == entry_ids[:2]
        db.session.rollback()  # the note was never committed: still unnoted
        assert fresh.unnoted(db.session, interaction, entry_ids[:2]) == entry_ids[:2]
        db.session.commit()
        assert fresh.unnoted(db.session, interaction, entry_ids) == entry_ids[2:]
        successor = Interaction(id=interaction.id, created_at=interaction.created_at + timedelta(seconds=1))
        assert fresh.unnoted(db.session, successor, entry_ids) == entry_ids  # a reused id is another contact


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


def test_another_worker_shows_a_live_turns_stored_cues_without_classifying_it_again(
    app: Flask, other_worker: Flask, agent_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {"Authorization": f"Bearer {agent_token}"}
    _start_contact(app, agent_token)
    client = app.test_client()
    for speaker, text in (
        ("agent", "Det kigger jeg på med det samme."),
        ("customer", "Jeg vil bare have det ordnet nu, uden flere forklaringer."),
    ):
        turn = {"speaker": speaker, "text": text}
        answer = client.post("/api/v1/interactions/C-1/utterances", json=turn, headers=headers)
        assert answer.status_code == 201
    cues = answer.get_json()["cues"]
    assert cues  # the turns have cues worth showing, or this test could not tell

    with app.app_context():
        contact = select(Utterance).join(Interaction).where(Interaction.external_id == "C-1")
        stored = db.session.scalars(contact.order_by(Utterance.seq)).all()
        classifier = get_classifier()
        assert [u.cues is not None for u in stored] == [True, False, True]  # customer turns only
        for turn in stored[::2]:  # as classifying the stored (redacted) text again finds them
            again = classifier.classify(turn.text or "", "customer", "da").cues
            assert json.loads(turn.cues or "") == [cue.to_json() for cue in again]

    calls: list[int] = []
    real = Classifier.classify_many

    def counted(self: Classifier, texts: list[str], *args: object, **kwargs: object) -> object:
        calls.append(len(texts))
        return real(self, texts, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Classifier, "classify_many", counted)
    poll = other_worker.test_client().get("/api/v1/interactions/C-1/assist", headers=headers)
    assert poll.status_code == 200 and poll.get_json()["cues"] == cues
    assert calls == []  # a worker that never saw the turns read their cues

    with other_worker.app_context():  # an imported turn has no stored cues: it is classified once
        db.session.execute(update(Utterance).values(cues=None))
        db.session.commit()
    for _ in range(2):
        poll = other_worker.test_client().get("/api/v1/interactions/C-1/assist", headers=headers)
        assert poll.status_code == 200 and poll.get_json()["cues"] == cues
    assert calls == [2]  # the second poll found them in the worker's memo
