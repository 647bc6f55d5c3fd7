"""The trainer's editor: filters, edits with history, optimistic locking, revert, retire, coverage."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, PlaybookEntry, PlaybookRevision
from tests.conftest import csrf_token, login

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
KEY = "da-chat-rel-opening-1"


@pytest.fixture()
def trainer(app: Flask, runner: FlaskCliRunner, client: FlaskClient, make_user) -> str:  # type: ignore[no-untyped-def]
    app.config["PLAYBOOK_DIR"] = str(PLAYBOOKS)
    assert runner.invoke(args=["playbooks", "sync"]).exit_code == 0
    make_user("trainer", "tina@example.com")
    login(client, "tina@example.com")
    return csrf_token(client, "/playbooks/")


def _edit(client: FlaskClient, token: str, base: int, text: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/playbooks/entries/{KEY}",
        data={
            "csrf_token": token,
            "base_version": base,
            "text": text,
            "phrases": "hej\nmenneske",
            "note": "Warm.",
        },
    )


def _row(app: Flask) -> PlaybookEntry:
    with app.app_context():
        row = db.session.scalar(select(PlaybookEntry).where(PlaybookEntry.key == KEY))
        assert row is not None
        db.session.expunge(row)
        return row


def test_filters_live_in_the_query_string_and_htmx_gets_the_list(client: FlaskClient, trainer: str) -> None:
    page = client.get("/playbooks/?language=sv&touchpoint=store&preference=factual")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "8 entries" in body and "<html" in body
    fragment = client.get("/playbooks/?language=en&situation=closing", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert (
        html.lstrip().startswith('<section id="list">') and "27 entries" in html
    )  # 3 prefs × (2+2+2 + 1+1+1)


def test_edit_saves_a_new_version_with_history_and_audit(
    app: Flask, client: FlaskClient, trainer: str
) -> None:
    response = _edit(client, trainer, 1, "Hej og velkommen, du skriver med en rigtig person.")
    assert response.status_code == 303
    row = _row(app)
    assert row.version == 2 and row.text.startswith("Hej og velkommen, du skriver")
    with app.app_context():
        actions = db.session.scalars(
            select(PlaybookRevision.action).where(PlaybookRevision.entry_id == row.id)
        ).all()
        assert sorted(actions) == ["edited", "synced"]
        assert (
            db.session.scalar(select(AuditEvent).where(AuditEvent.action == "playbook_edited")).actor_label
            == "tina@example.com"
        )
    page = client.get(f"/playbooks/entries/{KEY}").get_data(as_text=True)
    assert "<ins>rigtig</ins>" in page and "v2" in page


def test_second_save_on_a_stale_version_is_refused_showing_both(
    app: Flask, client: FlaskClient, trainer: str
) -> None:
    assert _edit(client, trainer, 1, "First trainer's wording.").status_code == 303
    refused = _edit(client, trainer, 1, "Second trainer's wording.")  # also started from version 1
    body = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "First trainer&#39;s wording." in body and "Second trainer&#39;s wording." in body
    assert 'name="base_version" value="2"' in body  # the retry is based on what is saved now
    row = _row(app)
    assert row.text == "First trainer's wording." and row.version == 2  # nothing overwritten


def test_revert_restores_an_old_text_as_a_new_version(app: Flask, client: FlaskClient, trainer: str) -> None:
    original = _row(app).text
    _edit(client, trainer, 1, "A worse wording.")
    response = client.post(
        f"/playbooks/entries/{KEY}/revert/1", data={"csrf_token": trainer, "base_version": 2}
    )
    assert response.status_code == 303
    row = _row(app)
    assert row.text == original and row.version == 3


def test_retired_entries_are_not_suggested(app: Flask, client: FlaskClient, trainer: str) -> None:
    response = client.post(
        f"/playbooks/entries/{KEY}/retire", data={"csrf_token": trainer, "base_version": 1}
    )
    assert response.status_code == 303
    assert _row(app).retired
    link = f'href="/playbooks/entries/{KEY}"'
    assert link not in client.get("/playbooks/?language=da&touchpoint=chat").get_data(as_text=True)
    assert link in client.get("/playbooks/?language=da&touchpoint=chat&retired=1").get_data(as_text=True)


def test_create_entry_gets_the_next_free_id_and_invalid_input_is_kept(
    app: Flask, client: FlaskClient, trainer: str
) -> None:
    cell = {"language": "sv", "touchpoint": "web", "preference": "factual", "situation": "closing"}
    bad = client.post(
        "/playbooks/new",
        data={"csrf_token": trainer, **cell, "text": "Så här fungerar det.", "phrases": "", "note": ""},
    )
    assert bad.status_code == 422 and "Så här fungerar det." in bad.get_data(as_text=True)
    good = client.post(
        "/playbooks/new",
        data={
            "csrf_token": trainer,
            **cell,
            "text": "Så här fungerar det.",
            "phrases": "hur fungerar",
            "note": "Explains the mechanism.",
        },
    )
    assert good.status_code == 303 and good.headers["Location"].endswith(
        "/playbooks/entries/sv-web-fac-closing-2"
    )


def test_preview_renders_the_draft(client: FlaskClient, trainer: str) -> None:
    response = client.post(
        "/playbooks/preview",
        data={"csrf_token": trainer, "text": "Hej <b>du</b>", "phrases": "hej", "note": "n"},
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<article id="preview"') and "Hej &lt;b&gt;du&lt;/b&gt;" in html


@pytest.mark.parametrize("language", ["da", "sv", "en"])
def test_coverage_grid_has_no_empty_cell(client: FlaskClient, trainer: str, language: str) -> None:
    body = client.get(f"/playbooks/coverage?language={language}").get_data(as_text=True)
    assert f"{language}</strong>: 0 empty cells, 0 thin" in body
    assert body.count('<td class="cov cov-ok">') == 6 * 3 * 8


def test_agent_cannot_open_the_editor(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("agent", "sofie@example.com")
    login(client, "sofie@example.com")
    assert client.get("/playbooks/").status_code == 403
