"""Uploads: a lead imports their own team's data only; limits on size, rows, line length,
text length and encoding, each refused with what and where; files read a bounded line at a
time, twice (check, then write), never held whole."""

from __future__ import annotations

import io
import json
import tracemalloc
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.classification import get_classifier
from app.extensions import db
from app.imports import service
from app.imports.service import import_interactions, import_surveys
from app.models import Agent, AuditEvent, Interaction, Survey, User
from tests.conftest import csrf_token, login


def _line(interaction_id: str, agent_id: str = "A-07", **fields: Any) -> str:
    row = {
        "interaction_id": interaction_id,
        "agent_id": agent_id,
        "touchpoint": "chat",
        "started_at": "2026-03-02T09:14:00Z",
        "customer_preference": "factual",
        "agent_style": "relational",
        **fields,
    }
    return json.dumps(row)


def _file(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _upload(client: FlaskClient, token: str, kind: str, content: bytes, name: str = "f.jsonl"):  # type: ignore[no-untyped-def]
    return client.post(
        "/imports/",
        data={"kind": kind, "file": (io.BytesIO(content), name), "csrf_token": token},
        content_type="multipart/form-data",
    )


def _ids(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Interaction.external_id)))


@pytest.fixture()
def two_teams(app: Flask) -> None:
    """Aarhus 1 (agent A-07, contact C-1) and Malmö 1 (agent B-01, contact C-2)."""
    with app.app_context():
        report = import_interactions(
            db.session,
            [_line("C-1", "A-07", team="Aarhus 1"), _line("C-2", "B-01", team="Malmö 1")],
            get_classifier(),
        )
        assert report.ok, report.problems
        db.session.commit()


@pytest.fixture()
def lead(client: FlaskClient, make_user, two_teams: None) -> str:  # type: ignore[no-untyped-def]
    make_user("lead", "lena@example.com", team="Aarhus 1")
    login(client, "lena@example.com")
    return csrf_token(client, "/imports/")


# ------------------------------------------------------------------ a lead's own team only


def test_a_leads_upload_touching_other_teams_is_refused_whole_with_a_line_each(
    app: Flask, client: FlaskClient, lead: str
) -> None:
    content = _file(
        _line("X-1", "A-07", team="Aarhus 1"),  # fine on its own
        _line("X-2", "A-07", team="Malmö 1"),  # moves A-07 to another team
        _line("X-3", "B-01"),  # another team's agent
        _line("C-2", "A-07"),  # takes over another team's contact
    )
    response = _upload(client, lead, "interactions", content)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Nothing was imported" in html
    assert "<strong>Line 2</strong>: team &#39;Malmö 1&#39; is not your team &#39;Aarhus 1&#39;" in html
    assert "<strong>Line 3</strong>: agent_id &#39;B-01&#39; is not in your team" in html
    assert "<strong>Line 4</strong>: interaction_id &#39;C-2&#39; is an interaction outside your team" in html
    assert "Line 1" not in html
    assert _ids(app) == {"C-1", "C-2"}
    with app.app_context():
        c2 = db.session.scalar(select(Interaction).where(Interaction.external_id == "C-2"))
        assert c2 is not None and c2.agent.external_id == "B-01" and c2.agent.team.name == "Malmö 1"


def test_a_leads_own_team_file_goes_in_and_new_agents_join_that_team(
    app: Flask, client: FlaskClient, lead: str
) -> None:
    content = _file(_line("X-1", "A-07"), _line("X-2", "A-50", team="Aarhus 1"), _line("C-1", "A-51"))
    response = _upload(client, lead, "interactions", content)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "2 created, 1 updated" in response.get_data(as_text=True)
    with app.app_context():
        teams = dict(db.session.execute(select(Agent.external_id, Agent.team_id)).all())
        aarhus = teams["A-07"]
        assert teams["A-50"] == aarhus and teams["A-51"] == aarhus  # A-51 named no team: the lead's
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import_interactions"))
        assert event is not None and event.actor_label == "lena@example.com"
        assert event.detail["team"] == "Aarhus 1"


def test_a_lead_imports_surveys_for_own_team_interactions_only_and_learns_nothing_of_others(
    app: Flask, client: FlaskClient, lead: str
) -> None:
    header = "interaction_id,score,responded_at"
    other = _upload(client, lead, "surveys", f"{header}\nC-2,3,2026-03-03T10:00:00Z\n".encode(), "s.csv")
    missing = _upload(client, lead, "surveys", f"{header}\nC-9,3,2026-03-03T10:00:00Z\n".encode(), "s.csv")
    assert other.status_code == missing.status_code == 422
    other_text, missing_text = other.get_data(as_text=True), missing.get_data(as_text=True)
    assert (
        "<strong>Line 2</strong>: no interaction &#39;C-2&#39; in your team &#39;Aarhus 1&#39;" in other_text
    )
    # the same words whether the contact is another team's or does not exist at all
    assert other_text.replace("C-2", "C-9") == missing_text
    mixed = _upload(
        client,
        lead,
        "surveys",
        f"{header}\nC-1,9,2026-03-03T10:00:00Z\nC-2,3,2026-03-03T10:00:00Z\n".encode(),
    )
    assert mixed.status_code == 422 and "Line 3" in mixed.get_data(as_text=True)
    own = _upload(client, lead, "surveys", f"{header}\nC-1,9,2026-03-03T10:00:00Z\n".encode(), "s.csv")
    assert own.status_code == 200 and "1 created" in own.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Survey.score)) == 9
        assert len(db.session.scalars(select(Survey)).all()) == 1


def test_an_admin_imports_any_teams_data(app: Flask, client: FlaskClient, make_user, two_teams: None) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "ada@example.com")
    login(client, "ada@example.com")
    token = csrf_token(client, "/imports/")
    content = _file(_line("C-2", "A-07"), _line("X-1", "B-01", team="Oslo 1"))
    response = _upload(client, token, "interactions", content)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _ids(app) == {"C-1", "C-2", "X-1"}


def test_a_lead_without_a_team_cannot_import(
    app: Flask, client: FlaskClient, make_user, two_teams: None
) -> None:  # type: ignore[no-untyped-def]
    lead = make_user("lead", "lena@example.com", team="Aarhus 1")
    with app.app_context():
        db.session.get(User, lead.id).team_id = None  # type: ignore[union-attr]
        db.session.commit()
    login(client, "lena@example.com")
    response = _upload(client, csrf_token(client, "/imports/"), "interactions", _file(_line("X-1")))
    assert response.status_code == 422 and "no team" in response.get_data(as_text=True)
    assert "X-1" not in _ids(app)


# ------------------------------------------------------------------ limits, with what and where


def test_too_many_rows_in_an_upload_names_the_limit_and_the_line(
    app: Flask, client: FlaskClient, lead: str
) -> None:
    app.config["MAX_UPLOAD_ROWS"] = 3
    content = _file(*(_line(f"X-{n}") for n in range(1, 6)))
    response = _upload(client, lead, "interactions", content)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<strong>Line 4</strong>: the file holds more than 3 rows" in html and "matchpoint import" in html
    header = "interaction_id,score,responded_at\n"
    rows = "".join(f"C-1,{n},2026-03-03T10:00:00Z\n" for n in range(5))
    surveys = _upload(client, lead, "surveys", (header + "\n" + rows).encode(), "s.csv")
    assert surveys.status_code == 422
    assert "<strong>Line 6</strong>: the file holds more than 3 rows" in surveys.get_data(as_text=True)
    assert _ids(app) == {"C-1", "C-2"}
    exactly = _upload(client, lead, "interactions", _file(*(_line(f"X-{n}") for n in range(1, 4))))
    assert exactly.status_code == 200


def test_a_text_over_the_limit_is_refused_with_its_line_and_utterance(
    app: Flask, client: FlaskClient, lead: str
) -> None:
    app.config["MAX_TEXT_CHARS"] = 100
    long_turn = {"speaker": "customer", "text": "x" * 101}
    content = _file(_line("X-1"), _line("X-2", utterances=[{"speaker": "agent", "text": "Hej"}, long_turn]))
    response = _upload(client, lead, "interactions", content)
    assert response.status_code == 422
    assert (
        "<strong>Line 2</strong>: utterance 2: text has 101 characters; the limit is 100"
        in response.get_data(as_text=True)
    )
    csv = "interaction_id,score,responded_at,comment\nC-1,9,2026-03-03T10:00:00Z," + "y" * 101 + "\n"
    surveys = _upload(client, lead, "surveys", csv.encode(), "s.csv")
    assert surveys.status_code == 422
    assert "<strong>Line 2</strong>: comment has 101 characters" in surveys.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["interactions", "surveys"])
def test_a_utf16_upload_is_named_as_such(app: Flask, client: FlaskClient, lead: str, kind: str) -> None:
    text = _line("X-1") + "\n" if kind == "interactions" else "interaction_id,score,responded_at\n"
    response = _upload(client, lead, kind, text.encode("utf-16"))  # with its byte order mark
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "not UTF-8 text but UTF-16" in html and "Save it as UTF-8" in html


def test_a_latin1_upload_names_the_line_and_the_byte(app: Flask, client: FlaskClient, lead: str) -> None:
    content = "interaction_id,score,responded_at,comment\nC-1,9,2026-03-03T10:00:00Z,Tak for hjælpen\n"
    response = _upload(client, lead, "surveys", content.encode("latin-1"), "s.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<strong>Line 2</strong>: the file is not UTF-8 text (byte 0xE6 at position 38;" in html
    assert "Latin-1" in html
    with app.app_context():
        assert db.session.scalars(select(Survey)).all() == []


def test_the_upload_size_limit_says_what_and_how_much(app: Flask, client: FlaskClient, lead: str) -> None:
    app.config["MAX_UPLOAD_BYTES"] = app.config["MAX_CONTENT_LENGTH"] = 10 * 1024
    content = _file(*(_line(f"X-{n}") for n in range(200)))  # about 36 KB
    response = _upload(client, lead, "interactions", content)
    assert response.status_code == 413
    assert "larger than the upload limit of 10 KB" in response.get_data(as_text=True)
    assert _ids(app) == {"C-1", "C-2"}


# ------------------------------------------------------------------ read as a stream


class _Recording(io.BytesIO):
    """A file that remembers the longest piece any single read returned, and its passes."""

    def __init__(self, content: bytes) -> None:
        super().__init__(content)
        self.longest = 0
        self.passes = 0

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0:
            self.passes += 1
        return super().seek(offset, whence)

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.longest = max(self.longest, len(line))
        return line

    def read(self, size: int | None = -1) -> bytes:  # a reader of the whole file would show here
        data = super().read(size)
        self.longest = max(self.longest, len(data))
        return data

    def __iter__(self):  # type: ignore[no-untyped-def]
        raise AssertionError("iterating a file reads unbounded lines; use readline(limit)")


def test_a_line_longer_than_the_limit_is_refused_without_reading_it_whole(app: Flask) -> None:
    limit = 64 * 1024
    huge = _Recording(_file(_line("X-1"), '{"interaction_id": "' + "z" * (5 * limit)))
    with app.app_context():
        report = import_interactions(db.session, huge, get_classifier(), max_line_bytes=limit)
        db.session.rollback()
    assert [str(p) for p in report.problems] == [
        "line 2: the line is longer than 64 KB, the most one line may hold; "
        "each line holds one record, and texts have their own limit"
    ]
    assert huge.longest <= limit + 1
    assert "X-1" not in _ids(app)


def test_a_valid_file_is_read_twice_a_bounded_line_at_a_time(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "CHUNK", 3)
    lines = [_line(f"X-{n}", utterances=[{"speaker": "customer", "text": "Hvorfor?"}]) for n in range(10)]
    stream = _Recording(_file(*lines))
    surveys = _Recording(
        (
            "interaction_id,score,responded_at\n" + "".join(f"X-{n},{n},2026-03-03\n" for n in range(10))
        ).encode()
    )
    with app.app_context():
        report = import_interactions(db.session, stream, get_classifier())
        assert report.ok, report.problems
        answers = import_surveys(db.session, surveys)
        assert answers.ok, answers.problems
        db.session.commit()
    assert (report.created, answers.created) == (10, 10)
    assert stream.passes == 2 and surveys.passes == 2  # checked in full, then written
    assert stream.longest <= max(len(line) for line in lines) + 1
    assert _ids(app) == {f"X-{n}" for n in range(10)}


class _Rewritten(io.BytesIO):
    """A file that holds other bytes from its second reading on (rewritten in place)."""

    def __init__(self, first: bytes, then: bytes) -> None:
        super().__init__(first)
        self.then, self.starts = then, 0

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0:
            self.starts += 1
            if self.starts == 2:
                self.truncate(0)
                super().seek(0)
                self.write(self.then)
        return super().seek(offset, whence)


@pytest.mark.parametrize(
    "then",
    [
        _file(_line("X-1"), _line("X-2"), _line("X-3")),  # a line more
        _file(_line("X-1"), '{"interaction_id": "X-2"}'),  # a line no longer valid
    ],
)
def test_a_file_that_changes_between_check_and_write_writes_nothing(app: Flask, then: bytes) -> None:
    stream = _Rewritten(_file(_line("X-1"), _line("X-2")), then)
    with app.app_context():
        report = import_interactions(db.session, stream, get_classifier())
        db.session.rollback()
    assert [str(problem) for problem in report.problems] == [str(service._CHANGED)]
    assert _ids(app) == set()


def test_a_survey_file_that_changes_between_check_and_write_writes_nothing(
    app: Flask, two_teams: None
) -> None:
    header = "interaction_id,score,responded_at\n"
    stream = _Rewritten(
        (header + "C-1,9,2026-03-03\n").encode(), (header + "C-1,9,2026-03-03\nC-404,3,2026-03-03\n").encode()
    )
    with app.app_context():
        report = import_surveys(db.session, stream)
        db.session.rollback()
        assert db.session.scalars(select(Survey)).all() == []
    assert [str(problem) for problem in report.problems] == [str(service._CHANGED)]


def test_memory_does_not_grow_with_the_file(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Peak memory (traced allocations) of an import four times as long stays about the same:
    only a chunk of rows is ever held. Holding every row, as a one-pass import must, grows
    the peak with the file (measured: 1.1 MB for 800 rows, 3.2 MB for 3200)."""
    monkeypatch.setattr(service, "CHUNK", 50)

    def peak(n: int, start: int) -> int:
        content = _file(*(_line(f"X-{start + i}", f"A-{i % 7}", agent_name="n" * 100) for i in range(n)))
        with app.app_context():
            classifier = get_classifier()
            tracemalloc.start()
            try:
                report = import_interactions(db.session, io.BytesIO(content), classifier)
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
                assert report.ok, report.problems
                db.session.rollback()

    peak(50, 0)  # first use: caches, compiled statements
    small, large = peak(600, 1000), peak(2400, 2000)
    assert large < 1.5 * small, (small, large)
