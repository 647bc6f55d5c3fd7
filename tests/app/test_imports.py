"""Getting data in: interactions and surveys from files, all-or-nothing, by command and page."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.classification import get_classifier
from app.extensions import db
from app.imports import adapters, service
from app.imports.service import ImportReport, import_interactions, import_surveys, rescore
from app.models import Agent, AuditEvent, Customer, Interaction, Survey, Team, Utterance
from tests.conftest import csrf_token, login

DATA = Path(__file__).resolve().parents[1] / "data" / "imports"
INTERACTIONS = DATA / "interactions.jsonl"


def _line(**fields: Any) -> str:
    base: dict[str, Any] = {
        "interaction_id": "X-1",
        "agent_id": "A-07",
        "touchpoint": "chat",
        "started_at": "2026-03-02T09:14:00Z",
        "utterances": [{"speaker": "customer", "text": "Why did my bill go up?"}],
    }
    base.update(fields)
    return json.dumps({key: value for key, value in base.items() if value is not ...})


def _import(app: Flask, lines: Any, **options: Any) -> ImportReport:
    with app.app_context():
        report = import_interactions(db.session, lines, get_classifier(), **options)
        if report.ok:
            db.session.commit()
        else:
            db.session.rollback()
        return report


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def _interaction(app: Flask, external_id: str) -> Interaction:
    """The interaction with what the assertions read, loaded and then detached."""
    with app.app_context():
        interaction = db.session.scalar(
            select(Interaction)
            .where(Interaction.external_id == external_id)
            .options(
                selectinload(Interaction.utterances),
                joinedload(Interaction.agent).joinedload(Agent.team),
                joinedload(Interaction.customer),
            )
        )
        assert interaction is not None
        db.session.expunge_all()
        return interaction


# ------------------------------------------------------------------ interactions


def test_valid_file_is_imported_with_counts(app: Flask) -> None:
    with INTERACTIONS.open("rb") as stream:
        report = _import(app, stream)
    assert report.ok, report.problems
    assert (report.created, report.updated, report.utterances) == (4, 0, 9)
    assert _count(app, Interaction) == 4 and _count(app, Utterance) == 9
    first = _interaction(app, "C-1001")
    assert (
        first.agent.external_id == "A-07"
        and first.agent.name == "Sofie"
        and first.agent.team.name == "Aarhus 1"
    )
    assert first.customer is not None and first.customer.ref == "K-55012"
    assert first.touchpoint == "phone" and first.topic == "billing" and first.language == "da"
    assert [u.speaker for u in first.utterances] == ["agent", "customer", "agent", "customer"]
    swedish = _interaction(app, "C-1002")
    assert swedish.started_at.isoformat() == "2026-03-02T09:02:31+00:00"  # +01:00 stored as UTC
    assert swedish.language == "sv"  # detected: the line names none
    naive = _interaction(app, "C-1003")
    assert naive.started_at.isoformat() == "2026-03-03T08:00:00+00:00"  # naive means UTC
    assert {t for t in _names(app, Team)} == {"Aarhus 1", "Malmö 2", "Oslo 1"}
    assert _count(app, Customer) == 2


def _names(app: Flask, model: type) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(model.name)))


def test_reimport_updates_and_never_duplicates(app: Flask) -> None:
    assert _import(app, INTERACTIONS.read_text().splitlines()).created == 4
    again = _import(app, INTERACTIONS.read_text().splitlines())
    assert (again.created, again.updated) == (0, 4)
    assert _count(app, Interaction) == 4 and _count(app, Utterance) == 9
    assert _count(app, Agent) == 3 and _count(app, Team) == 3 and _count(app, Customer) == 2
    changed = _line(
        interaction_id="C-1001",
        topic="moving",
        touchpoint="email",
        agent_id="A-12",
        utterances=[{"speaker": "customer", "text": "I am moving house next month."}],
    )
    report = _import(app, [changed])
    assert (report.created, report.updated, report.utterances) == (0, 1, 1)
    updated = _interaction(app, "C-1001")
    assert updated.topic == "moving" and updated.touchpoint == "email" and updated.agent.external_id == "A-12"
    assert [u.text for u in updated.utterances] == ["I am moving house next month."]
    assert updated.agent_style is None  # no agent turns any more: the old style is gone
    assert _count(app, Interaction) == 4 and _count(app, Utterance) == 6


def test_one_bad_line_writes_nothing_and_names_the_line(app: Flask) -> None:
    lines = [
        _line(interaction_id="OK-1"),
        _line(interaction_id="BAD-2", touchpoint="fax"),
        _line(interaction_id="OK-3"),
    ]
    report = _import(app, lines)
    assert [str(p) for p in report.problems] == [
        'line 2: touchpoint "fax" is not one of phone, chat, email, social, store, web'
    ]
    assert report.created == 0
    for model in (Interaction, Utterance, Agent, Customer, Team):
        assert _count(app, model) == 0, model


def test_every_problem_is_reported_with_its_line(app: Flask) -> None:
    lines = [
        "{not json",
        "[1, 2]",
        _line(interaction_id=..., agent_id=...),
        _line(touchpoint="fax"),
        _line(started_at="yesterday"),
        _line(customer_preference="grumpy", agent_style="factual"),
        _line(utterances=[{"speaker": "bot", "text": "Hello"}]),
        _line(utterances=[{"speaker": "customer", "text": "x" * 51}]),
        _line(customer_preference="factual"),
        _line(utterances=...),
        _line(interaction_id="DUP"),
        "",
        _line(interaction_id="DUP"),
        _line(language="de", utterances=[]),
    ]
    report = _import(app, lines, max_text_chars=50)
    problems = [str(p) for p in report.problems]
    expected = [
        "line 1: not valid JSON",
        "line 2: must be a JSON object",
        "line 3: interaction_id is required",
        "line 3: agent_id is required",
        'line 4: touchpoint "fax"',
        'line 5: started_at "yesterday" is not an ISO 8601 timestamp',
        'line 6: customer_preference "grumpy" is not one of relational, action_oriented, factual',
        'line 7: utterance 1: speaker "bot" is not one of customer, agent',
        "line 8: utterance 1: text has 51 characters; the limit is 50",
        "line 9: customer_preference is given without agent_style",
        "line 10: needs utterances with text, or both customer_preference and agent_style",
        "line 13: interaction_id 'DUP' appears again (first on line 11)",
        'line 14: language "de" is not one of',
        "line 14: needs utterances with text",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected)
    assert _count(app, Interaction) == 0


def test_empty_file_is_a_problem(app: Flask) -> None:
    report = _import(app, ["", "\n"])
    assert [str(p) for p in report.problems] == ["the file holds no interactions"]


def test_provided_labels_are_kept_and_others_predicted(app: Flask) -> None:
    _import(app, INTERACTIONS.read_text().splitlines())
    provided = _interaction(app, "C-1003")
    assert provided.label_source == "provided"
    assert (provided.customer_preference, provided.agent_style) == ("relational", "relational")
    assert provided.matched is True and provided.match_score == 1.0 and provided.customer_p_relational == 1.0
    assert all(u.p_relational is not None for u in provided.utterances)  # the turns are still classified
    labels_only = _interaction(app, "C-1004")
    assert labels_only.label_source == "provided" and labels_only.utterances == []
    assert (labels_only.customer_preference, labels_only.agent_style, labels_only.matched) == (
        "action_oriented",
        "factual",
        False,
    )
    assert labels_only.model_version is None
    predicted = _interaction(app, "C-1002")
    assert predicted.label_source == "predicted"
    assert predicted.customer_preference in {"relational", "action_oriented", "factual"}
    assert predicted.agent_style is not None and predicted.match_score is not None
    total = (
        predicted.customer_p_relational + predicted.customer_p_action_oriented + predicted.customer_p_factual
    )
    assert total == pytest.approx(1.0, abs=1e-3)
    with app.app_context():
        assert predicted.model_version == get_classifier().version
    for utterance in predicted.utterances:
        assert utterance.preference is not None
        assert utterance.p_relational + utterance.p_action_oriented + utterance.p_factual == pytest.approx(
            1.0, abs=1e-3
        )


def test_labels_only_reimport_keeps_the_transcript_and_predicted_reimport_drops_provided(app: Flask) -> None:
    _import(app, [_line(interaction_id="Q-1")])
    _import(
        app,
        [_line(interaction_id="Q-1", utterances=..., customer_preference="factual", agent_style="factual")],
    )
    reviewed = _interaction(app, "Q-1")
    assert reviewed.label_source == "provided" and reviewed.customer_preference == "factual"
    assert [u.text for u in reviewed.utterances] == ["Why did my bill go up?"]
    _import(app, [_line(interaction_id="Q-1")])
    again = _interaction(app, "Q-1")
    assert again.label_source == "predicted" and again.agent_style is None and again.customer_p_factual != 1.0


def test_utterances_are_redacted_before_storage(app: Flask) -> None:
    _import(app, INTERACTIONS.read_text().splitlines())
    with app.app_context():
        texts = " ".join(db.session.scalars(select(Utterance.text)))
    assert "[NATIONAL_ID]" in texts and "211062-5629" not in texts
    assert "[PHONE]" in texts and "20 30 40 50" not in texts


def test_rescore_redoes_predicted_interactions_only(app: Flask) -> None:
    _import(app, INTERACTIONS.read_text().splitlines())
    with app.app_context():
        stale = db.session.scalar(select(Interaction).where(Interaction.external_id == "C-1002"))
        assert stale is not None
        stale.model_version = "old"
        stale.customer_preference = "relational" if stale.customer_preference != "relational" else "factual"
        for utterance in stale.utterances:
            utterance.p_relational, utterance.p_action_oriented, utterance.p_factual = 0.0, 0.0, 1.0
        db.session.commit()
        count = rescore(db.session, get_classifier())
        db.session.commit()
    assert count == 2  # C-1001 and C-1002; C-1003 and C-1004 carry provided labels
    fresh = _interaction(app, "C-1002")
    with app.app_context():
        assert fresh.model_version == get_classifier().version
    assert all(u.p_factual != 1.0 for u in fresh.utterances)
    assert _interaction(app, "C-1003").customer_p_relational == 1.0


# ------------------------------------------------------------------ surveys


@pytest.fixture()
def imported(app: Flask) -> None:
    assert _import(app, INTERACTIONS.read_text().splitlines()).ok


def _surveys(app: Flask, content: bytes | str, mapping: dict[str, str] | None = None) -> ImportReport:
    stream = io.BytesIO(content) if isinstance(content, bytes) else io.StringIO(content)
    with app.app_context():
        report = import_surveys(db.session, stream, mapping)
        if report.ok:
            db.session.commit()
        else:
            db.session.rollback()
        return report


def test_valid_surveys_are_imported_once_per_interaction(app: Flask, imported: None) -> None:
    report = _surveys(app, (DATA / "surveys.csv").read_bytes())
    assert report.ok, report.problems
    assert (report.created, report.updated) == (3, 0)
    again = _surveys(app, (DATA / "surveys.csv").read_bytes())
    assert (again.created, again.updated) == (0, 3)
    assert _count(app, Survey) == 3
    with app.app_context():
        surveys = {s.interaction.external_id: s for s in db.session.scalars(select(Survey))}
        assert surveys["C-1001"].score == 9 and "[EMAIL]" in (surveys["C-1001"].comment or "")
        assert "mette.jensen" not in (surveys["C-1001"].comment or "")
        assert surveys["C-1002"].responded_at.isoformat() == "2026-03-02T14:30:00+00:00"
        assert surveys["C-1003"].comment is None


def test_surveys_with_mapped_columns_semicolons_and_a_bom(app: Flask, imported: None) -> None:
    mapping = {
        "interaction_id": "Kontakt-id",
        "score": "Q1",
        "responded_at": "Besvaret",
        "comment": "Kommentar",
    }
    report = _surveys(app, (DATA / "surveys_mapped.csv").read_bytes(), mapping)
    assert report.ok, report.problems
    assert report.created == 2
    unmapped = _surveys(app, (DATA / "surveys_mapped.csv").read_bytes())
    assert [str(p) for p in unmapped.problems] == [
        "line 1: the header has no column 'interaction_id'; it has: Kontakt-id, Q1, Besvaret, Kommentar",
        "line 1: the header has no column 'score'; it has: Kontakt-id, Q1, Besvaret, Kommentar",
        "line 1: the header has no column 'responded_at'; it has: Kontakt-id, Q1, Besvaret, Kommentar",
    ]


def test_a_bom_before_an_ordinary_header_is_ignored(app: Flask, imported: None) -> None:
    content = "\ufeffinteraction_id,score,responded_at\nC-1001,8,2026-03-02T12:00:00Z\n"
    assert _surveys(app, content.encode("utf-8")).created == 1
    assert _surveys(app, content).updated == 1  # a text stream too


def test_survey_problems_are_all_reported_and_nothing_written(app: Flask, imported: None) -> None:
    content = (
        "interaction_id,score,responded_at,comment\n"
        "C-1001,9,2026-03-02T12:00:00Z,fine\n"
        "C-9999,7,2026-03-02T12:00:00Z,\n"
        "C-1002,11,2026-03-02T12:00:00Z,\n"
        "C-1003,seven,2026-03-02T12:00:00Z,\n"
        "C-1004,5,last tuesday,\n"
        "C-1001,6,2026-03-02T12:00:00Z,\n"
        "C-8888,12,2026-03-02T12:00:00Z,\n"
    )
    report = _surveys(app, content.encode())
    assert [str(p) for p in report.problems] == [
        "line 3: no interaction 'C-9999' (import the interactions first)",
        "line 4: score 11 is outside 0–10",
        "line 5: score 'seven' is not a whole number from 0 to 10",
        "line 6: responded_at 'last tuesday' is not an ISO 8601 timestamp (e.g. 2026-03-02T09:14:00Z)",
        "line 7: interaction_id 'C-1001' appears again (first on line 2)",
        "line 8: score 12 is outside 0–10",
        "line 8: no interaction 'C-8888' (import the interactions first)",
    ]
    assert _count(app, Survey) == 0


def test_surveys_that_are_not_utf8_are_refused_clearly(app: Flask, imported: None) -> None:
    content = "interaction_id,score,responded_at,comment\nC-1001,9,2026-03-02,God service, tak for hjælpen\n"
    report = _surveys(app, content.encode("latin-1"))
    assert len(report.problems) == 1
    assert str(report.problems[0]).startswith("line 2: the file is not UTF-8 text")
    assert "CSV UTF-8" in str(report.problems[0])
    assert _count(app, Survey) == 0


def test_unknown_mapping_field_is_a_problem(app: Flask, imported: None) -> None:
    report = _surveys(app, b"interaction_id,score,responded_at\n", {"mood": "Q2"})
    assert "unknown field mood" in str(report.problems[0])


def test_chunk_boundaries_change_nothing(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "CHUNK", 2)
    shared = [
        _line(interaction_id=f"S-{i}", customer_ref="K-1", agent_id=f"A-{i % 2}", team="T") for i in range(5)
    ]
    assert (_import(app, shared).created, _import(app, shared).updated) == (5, 5)
    assert _count(app, Customer) == 1 and _count(app, Agent) == 2 and _count(app, Team) == 1
    with app.app_context():
        assert rescore(db.session, get_classifier()) == 5
    rows = "".join(f"S-{i},{i},2026-03-02T12:00:00Z\n" for i in range(5))
    assert _surveys(app, "interaction_id,score,responded_at\n" + rows).created == 5
    late_unknown = _surveys(app, "interaction_id,score,responded_at\n" + rows + "S-9,1,2026-03-02\n")
    assert [str(p) for p in late_unknown.problems] == [
        "line 7: no interaction 'S-9' (import the interactions first)"
    ]
    assert _count(app, Survey) == 5


# ------------------------------------------------------------------ command line


def test_cli_import_exit_codes_and_audit(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    good = runner.invoke(args=["import", "interactions", str(INTERACTIONS)])
    assert good.exit_code == 0, good.output
    assert "4 created, 0 updated; 9 utterances" in good.stdout
    bad_file = tmp_path / "bad.jsonl"
    bad_file.write_text(
        _line(interaction_id="N-1") + "\n" + _line(interaction_id="N-2", started_at="soon") + "\n"
    )
    bad = runner.invoke(args=["import", "interactions", str(bad_file)])
    assert bad.exit_code == 1
    assert 'line 2: started_at "soon"' in bad.stderr and "Nothing was imported: 1 problem." in bad.stderr
    assert bad.stdout == ""
    surveys = runner.invoke(args=["import", "surveys", str(DATA / "surveys.csv")])
    assert surveys.exit_code == 0 and "3 created" in surveys.stdout
    mapped = runner.invoke(
        args=[
            "import",
            "surveys",
            str(DATA / "surveys_mapped.csv"),
            "--map",
            "interaction_id=Kontakt-id",
            "--map",
            "score=Q1",
            "--map",
            "responded_at=Besvaret",
            "--map",
            "comment=Kommentar",
        ]
    )
    assert mapped.exit_code == 0, mapped.output
    assert "1 created, 1 updated" in mapped.stdout
    unmapped = runner.invoke(args=["import", "surveys", str(DATA / "surveys_mapped.csv")])
    assert unmapped.exit_code == 1 and "no column 'score'" in unmapped.stderr
    wrong_map = runner.invoke(args=["import", "surveys", str(DATA / "surveys.csv"), "--map", "score"])
    assert wrong_map.exit_code == 2 and "FIELD=COLUMN" in wrong_map.output
    rescored = runner.invoke(args=["rescore"])
    assert rescored.exit_code == 0 and "Rescored 2 interactions" in rescored.stdout
    with app.app_context():
        events = db.session.execute(select(AuditEvent.action, AuditEvent.target, AuditEvent.detail)).all()
    actions = [action for action, _, _ in events]
    assert actions == ["import_interactions", "import_surveys", "import_surveys", "rescore"]
    assert events[0].target == str(INTERACTIONS) and events[0].detail["created"] == 4
    assert _count(app, Interaction) == 4  # the bad file added nothing


# ------------------------------------------------------------------ upload page


def _upload(
    client: FlaskClient, token: str, kind: str, content: bytes, name: str, *, htmx: bool, **fields: str
):  # type: ignore[no-untyped-def]
    headers = {"HX-Request": "true", "HX-Target": "report", "X-CSRFToken": token} if htmx else {}
    data = {"kind": kind, "file": (io.BytesIO(content), name), "csrf_token": token, **fields}
    return client.post("/imports/", data=data, headers=headers, content_type="multipart/form-data")


@pytest.fixture()
def lead(client: FlaskClient, make_user) -> str:  # type: ignore[no-untyped-def]
    make_user("lead", "lead@example.com")
    login(client, "lead@example.com")
    return csrf_token(client, "/imports/")


@pytest.fixture()
def admin(client: FlaskClient, make_user) -> str:  # type: ignore[no-untyped-def]
    """An admin, who may import any team's data (the sample file holds two teams)."""
    make_user("admin", "ada@example.com")
    login(client, "ada@example.com")
    return csrf_token(client, "/imports/")


def test_page_offers_an_htmx_form_that_also_works_plainly(client: FlaskClient, lead: str) -> None:
    page = client.get("/imports/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert 'method="post"' in html and 'enctype="multipart/form-data"' in html
    assert 'hx-post="/imports/"' in html and 'hx-encoding="multipart/form-data"' in html
    assert 'hx-target="#report"' in html and '<progress id="upload-progress"' in html
    assert '<section id="report"' in html and "<script>" not in html


def test_upload_good_and_bad_files_as_plain_form_and_htmx(client: FlaskClient, admin: str) -> None:
    good = _upload(client, admin, "interactions", INTERACTIONS.read_bytes(), "interactions.jsonl", htmx=False)
    html = good.get_data(as_text=True)
    assert good.status_code == 200 and "<html" in html
    assert "Imported 4 interactions: 4 created, 0 updated; 9 utterances stored." in html
    again = _upload(client, admin, "interactions", INTERACTIONS.read_bytes(), "interactions.jsonl", htmx=True)
    fragment = again.get_data(as_text=True)
    assert again.status_code == 200 and fragment.lstrip().startswith('<section id="report"')
    assert "<html" not in fragment and "0 created, 4 updated" in fragment
    assert "HX-Request" in again.headers["Vary"]
    bad_content = (
        _line(interaction_id="U-1") + "\n" + _line(interaction_id="U-2", touchpoint="fax") + "\n"
    ).encode()
    bad = _upload(client, admin, "interactions", bad_content, "bad.jsonl", htmx=True)
    fragment = bad.get_data(as_text=True)
    assert bad.status_code == 422 and fragment.lstrip().startswith('<section id="report"')
    assert "Nothing was imported" in fragment and "<strong>Line 2</strong>: touchpoint" in fragment
    plain_bad = _upload(client, admin, "interactions", bad_content, "bad.jsonl", htmx=False)
    assert plain_bad.status_code == 422 and "<html" in plain_bad.get_data(as_text=True)
    assert "<strong>Line 2</strong>" in plain_bad.get_data(as_text=True)
    with client.application.app_context():
        assert db.session.scalar(select(Interaction).where(Interaction.external_id == "U-1")) is None
        actor = db.session.scalars(
            select(AuditEvent.actor_label).where(AuditEvent.action == "import_interactions")
        )
        assert list(actor) == ["ada@example.com", "ada@example.com"]


def test_upload_surveys_with_column_names(client: FlaskClient, admin: str) -> None:
    _upload(client, admin, "interactions", INTERACTIONS.read_bytes(), "interactions.jsonl", htmx=True)
    response = _upload(
        client,
        admin,
        "surveys",
        (DATA / "surveys_mapped.csv").read_bytes(),
        "nps.csv",
        htmx=True,
        map_interaction_id="Kontakt-id",
        map_score="Q1",
        map_responded_at="Besvaret",
        map_comment="Kommentar",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Imported 2 surveys: 2 created, 0 updated." in response.get_data(as_text=True)


def test_upload_without_a_file_or_kind_says_what_is_missing(client: FlaskClient, lead: str) -> None:
    no_file = client.post(
        "/imports/", data={"kind": "surveys", "csrf_token": lead}, content_type="multipart/form-data"
    )
    assert no_file.status_code == 422 and "Choose a file" in no_file.get_data(as_text=True)
    no_kind = _upload(client, lead, "films", b"x", "x.csv", htmx=False)
    assert no_kind.status_code == 422 and "interactions or surveys" in no_kind.get_data(as_text=True)


def test_too_large_upload_is_refused_clearly(app: Flask, client: FlaskClient, lead: str) -> None:
    # small enough that the test client keeps the body in memory rather than a temporary file
    app.config["MAX_UPLOAD_BYTES"] = app.config["MAX_CONTENT_LENGTH"] = 100 * 1024
    content = INTERACTIONS.read_bytes() * 80  # about 145 KB
    for htmx in (True, False):
        response = _upload(client, lead, "interactions", content, "big.jsonl", htmx=htmx)
        html = response.get_data(as_text=True)
        assert response.status_code == 413
        assert "larger than the upload limit of 100 KB" in html
        assert ("<html" in html) is not htmx
    assert _count(app, Interaction) == 0


def test_agent_gets_403_on_imports(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("agent", "sofie@example.com")
    login(client, "sofie@example.com")
    assert client.get("/imports/").status_code == 403
    token = csrf_token(client, "/")
    refused = _upload(client, token, "interactions", INTERACTIONS.read_bytes(), "i.jsonl", htmx=False)
    assert refused.status_code == 403


# ------------------------------------------------------------------ adapters


def test_adapter_reads_text_and_webvtt_transcripts() -> None:
    text = adapters.to_utterances((DATA / "transcript.txt").read_text())
    assert [u["speaker"] for u in text] == ["customer", "agent", "customer", "agent"]
    assert text[2]["text"] == "Tak, hvornår kommer den så? Jeg skal bruge den til fredag."
    vtt = adapters.to_utterances((DATA / "transcript.vtt").read_bytes())
    assert vtt == [
        {"speaker": "agent", "text": "Good morning, how can I help you today?"},
        {"speaker": "customer", "text": "Why was I charged twice for the same order?"},
        {"speaker": "agent", "text": "Let me check the details for you."},
    ]


def test_adapter_reads_contact_lens_voice_and_chat() -> None:
    voice = adapters.to_utterances((DATA / "contact_lens.json").read_text())
    assert [u["speaker"] for u in voice] == ["agent", "customer", "agent", "customer"]
    assert voice[1]["text"].startswith("Hi, my broadband has been down")
    chat = adapters.to_utterances((DATA / "contact_lens_chat.json").read_text())
    assert chat == [  # the SYSTEM message is left out; participant ids map through their roles
        {"speaker": "customer", "text": "Hvorfor er min regning højere end sidste måned?"},
        {"speaker": "agent", "text": "Det skyldes et nyt abonnement fra 1. februar. Jeg viser dig tallene."},
    ]


@pytest.mark.parametrize("name", ["transcribe_speaker_labels.json", "transcribe_audio_segments.json"])
def test_adapter_reads_transcribe_speaker_labels(name: str) -> None:
    content = (DATA / name).read_text()
    expected = [
        {"speaker": "agent", "text": "Good morning, you're through to customer service."},
        {"speaker": "customer", "text": "Hello, why has my direct debit gone up?"},
        {"speaker": "agent", "text": "Let me look at the figures with you."},
    ]
    assert adapters.to_utterances(content) == expected
    swapped = adapters.to_utterances(content, agent_label="spk_1")
    assert [u["speaker"] for u in swapped] == ["customer", "agent", "customer"]


def test_adapter_output_imports_as_an_interaction(app: Flask) -> None:
    utterances = adapters.to_utterances((DATA / "contact_lens.json").read_text())
    line = _line(interaction_id="CL-1", touchpoint="phone", utterances=utterances)
    report = _import(app, [line])
    assert report.ok and report.utterances == 4


def test_adapter_errors_say_what_is_wrong() -> None:
    with pytest.raises(adapters.AdapterError, match="line 1: no speaker prefix"):
        adapters.to_utterances("Hello there\nAgent: hi")
    with pytest.raises(adapters.AdapterError, match="no speaker label"):
        adapters.to_utterances(
            json.dumps(
                {
                    "results": {
                        "items": [
                            {
                                "start_time": "0.1",
                                "alternatives": [{"content": "hi"}],
                                "type": "pronunciation",
                            }
                        ]
                    }
                }
            )
        )
    with pytest.raises(adapters.AdapterError, match="not valid JSON"):
        adapters.to_utterances("{oops", "contact-lens")
