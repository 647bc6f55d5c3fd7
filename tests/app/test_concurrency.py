"""Two clients at once: utterances to one interaction, edits of one playbook entry, imports of
one file. No duplicate rows, no lost update, no corrupted order, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from app.classification import get_classifier
from app.extensions import db
from app.imports.service import import_file
from app.models import AuditEvent, Interaction, PlaybookEntry, PlaybookRevision, Utterance
from app.playbooks import store
from tests.conftest import csrf_token, login

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
KEY = "da-chat-rel-opening-1"
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet")


def _run_together(*jobs: Callable[[], Any]) -> list[Any]:
    """Run each job in its own thread, released at the same moment; results in job order."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = job()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    errors = [result for result in results if isinstance(result, BaseException)]
    assert not errors, errors
    return results


# --- Utterances from two clients --------------------------------------------------------------


@pytest.fixture()
def lead_token(app: Flask, runner: FlaskCliRunner, make_user) -> str:  # type: ignore[no-untyped-def]
    app.config["API_RATE_LIMIT"] = "100000 per minute"
    make_user("lead", "lead@example.com", team="Aarhus 1")
    result = runner.invoke(args=["create-token", "lead@example.com"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def test_two_clients_posting_utterances_at_once_lose_nothing_and_keep_order(
    app: Flask, lead_token: str
) -> None:
    headers = {"Authorization": f"Bearer {lead_token}"}
    created = app.test_client().post(
        "/api/v1/interactions",
        headers=headers,
        json={"interaction_id": "LIVE-1", "agent_id": "A-07", "touchpoint": "chat"},
    )
    assert created.status_code == 201, created.get_json()
    per_client = 8

    def client_posting(side: str) -> list[int]:
        client = app.test_client()
        statuses = []
        for word in WORDS[:per_client]:
            response = client.post(
                "/api/v1/interactions/LIVE-1/utterances",
                headers=headers,
                json={"speaker": side, "text": f"{side} says {word}"},
            )
            statuses.append(response.status_code)
        return statuses

    results = _run_together(lambda: client_posting("customer"), lambda: client_posting("agent"))
    assert results == [[201] * per_client, [201] * per_client]
    with app.app_context():
        interaction = db.session.scalar(select(Interaction).where(Interaction.external_id == "LIVE-1"))
        turns = db.session.scalars(
            select(Utterance).where(Utterance.interaction_id == interaction.id).order_by(Utterance.seq)
        ).all()
    assert [t.seq for t in turns] == list(range(1, 2 * per_client + 1))  # no duplicate, no gap
    for side in ("customer", "agent"):  # each client's turns all there, in the order it sent them
        assert [t.text for t in turns if t.speaker == side] == [
            f"{side} says {w}" for w in WORDS[:per_client]
        ]


# --- Two trainers saving one playbook entry ---------------------------------------------------


@pytest.fixture()
def two_trainers(app: Flask, runner: FlaskCliRunner, make_user):  # type: ignore[no-untyped-def]
    app.config["PLAYBOOK_DIR"] = str(PLAYBOOKS)
    assert runner.invoke(args=["playbooks", "sync"]).exit_code == 0
    clients = []
    for email in ("tina@example.com", "tom@example.com"):
        make_user("trainer", email)
        client = app.test_client()
        login(client, email)
        clients.append((client, csrf_token(client, f"/playbooks/entries/{KEY}")))
    return clients


def test_two_trainers_saving_one_entry_at_once_one_wins_the_other_sees_both(
    app: Flask, two_trainers: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        base = db.session.scalar(select(PlaybookEntry.version).where(PlaybookEntry.key == KEY))
    # Both requests pass the in-memory version check before either writes: the database decides.
    both_checked = threading.Barrier(2)
    real_save = store.save_edit

    def save_when_both_checked(*args: Any, **kwargs: Any) -> Any:
        row = args[1]
        if row.version == kwargs["base_version"]:
            both_checked.wait(timeout=30)
        return real_save(*args, **kwargs)

    monkeypatch.setattr(store, "save_edit", save_when_both_checked)
    texts = [
        "Hej, hvor er det godt du ringer. Tina's version.",
        "Hej og velkommen, jeg hjælper gerne. Tom's version.",
    ]

    def save(index: int) -> Any:
        client, token = two_trainers[index]
        response = client.post(
            f"/playbooks/entries/{KEY}",
            data={
                "csrf_token": token,
                "base_version": base,
                "text": texts[index],
                "phrases": "hej",
                "note": "n",
            },
        )
        return response.status_code, response.get_data(as_text=True)

    results = _run_together(lambda: save(0), lambda: save(1))
    statuses = sorted(status for status, _ in results)
    assert statuses == [303, 409] or statuses == [302, 409], statuses
    winner = next(i for i, (status, _) in enumerate(results) if status != 409)
    loser = 1 - winner
    assert texts[loser].replace("'", "&#39;") in results[loser][1]  # the loser's draft is shown back
    with app.app_context():
        row = db.session.scalar(select(PlaybookEntry).where(PlaybookEntry.key == KEY))
        assert row.version == base + 1 and row.text == texts[winner]
        revisions = db.session.scalars(
            select(PlaybookRevision).where(PlaybookRevision.entry_id == row.id)
        ).all()
        assert [r.text for r in revisions if r.version == base + 1] == [texts[winner]]
        edits = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "playbook_edited")
        )
        assert edits == 1


# --- Two imports of one file ------------------------------------------------------------------


def _interactions_file(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "interactions.jsonl"
    lines = [
        json.dumps(
            {
                "interaction_id": f"C-{i}",
                "agent_id": f"A-{i % 3}",
                "team": "Aarhus 1",
                "touchpoint": "chat",
                "started_at": "2026-03-02T09:14:00Z",
                "customer_ref": f"K-{i % 5}",
                "topic": "billing",
                "utterances": [
                    {"speaker": "customer", "text": f"Why is my bill higher, {WORDS[i % 10]}?"},
                    {"speaker": "agent", "text": "Let me look at the numbers for you."},
                ],
            }
        )
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_two_imports_of_one_file_at_once_leave_no_duplicates(app: Flask, tmp_path: Path) -> None:
    path = _interactions_file(tmp_path, 60)
    with app.app_context():
        get_classifier()  # loaded once, before the race

    def run_import() -> bool:
        with app.app_context(), path.open("rb") as stream:
            report = import_file(
                db.session,
                "interactions",
                stream,
                source=str(path),
                actor=None,
                load_classifier=get_classifier,
            )
            assert report.ok, report.problems
            db.session.commit()
            return True

    assert _run_together(run_import, run_import) == [True, True]
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Interaction))
        turns = db.session.scalar(select(func.count()).select_from(Utterance))
        imports = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "import_interactions")
        )
    assert (count, turns, imports) == (60, 120, 2)
