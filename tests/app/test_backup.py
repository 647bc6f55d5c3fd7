"""Backup and restore round trips on SQLite and PostgreSQL, and crash safety of imports:
an import that dies half-way leaves the database exactly as it was."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import MetaData, Select, Table, create_engine, func, select, text
from sqlalchemy.engine import make_url

from app import backup, create_app
from app.coaching import tallies
from app.extensions import db
from app.imports import service
from app.models import AuditEvent
from tests.conftest import backend

TALLIES = ("report_tallies", "report_week_tallies")
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet")


def _register(app: Flask) -> None:
    assert "backup" in app.cli.commands  # create_app registers the backup commands


def _tallied(table: Table) -> Select[Any]:
    """A tally table by what it means: its sums per key (its rows depend on when it was folded)."""
    keys = [column for column in table.columns if column.name not in ("id", *tallies.COUNTS)]
    sums = [func.sum(table.c[name]) for name in tallies.COUNTS]
    return select(*keys, *sums).group_by(*keys).having(func.sum(table.c.interactions) != 0).order_by(*keys)


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but Alembic's), ordered by primary key; tallies as their sums."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            metadata = MetaData()
            metadata.reflect(connection)
            return {
                table.name: [
                    tuple(row)
                    for row in connection.execute(
                        _tallied(table)
                        if table.name in TALLIES
                        else select(table).order_by(*(table.primary_key.columns or table.columns))
                    )
                ]
                for table in metadata.sorted_tables
                if table.name != "alembic_version"
            }
    finally:
        engine.dispose()


def _interaction_lines(n: int, topic: str = "billing") -> list[str]:
    return [
        json.dumps(
            {
                "interaction_id": f"C-{i}",
                "agent_id": f"A-{i % 3}",
                "agent_name": "Sofie Ærø",
                "team": "Aarhus 1",
                "touchpoint": "phone",
                "started_at": "2026-03-02T09:14:00Z",
                "customer_ref": f"K-{i % 7}",
                "topic": topic,
                "language": "da",
                "utterances": [
                    {"speaker": "customer", "text": f"Hvorfor er regningen steget, {WORDS[i % 10]}?"},
                    {"speaker": "agent", "text": "Jeg kigger på tallene for dig."},
                ],
            }
        )
        for i in range(n)
    ]


@pytest.fixture()
def populated(app: Flask, runner: FlaskCliRunner, make_user, tmp_path: Path) -> Flask:  # type: ignore[no-untyped-def]
    _register(app)
    make_user("lead", "lead@example.com")
    make_user("admin", "admin@example.com")
    interactions = tmp_path / "interactions.jsonl"
    interactions.write_text("\n".join(_interaction_lines(30)) + "\n", encoding="utf-8")
    surveys = tmp_path / "surveys.csv"
    surveys.write_text(
        "interaction_id,score,responded_at,comment\n"
        + "".join(f"C-{i},{i % 11},2026-03-03T10:00:00Z,Tak for hjælpen {i}\n" for i in range(20)),
        encoding="utf-8",
    )
    for args in (["import", "interactions", str(interactions)], ["import", "surveys", str(surveys)]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    return app


@pytest.fixture()
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A second, empty database (no schema) of the backend under test."""
    if backend() == "postgres":
        from tests.conftest import POSTGRES_DEFAULT

        base = make_url(os.environ.get("MATCHPOINT_TEST_POSTGRES_URL", POSTGRES_DEFAULT))
        target = base.set(database=f"{base.database}_restore")
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
        yield target.render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"


def _formats() -> list[str]:
    return ["pg", "jsonl"] if backend() == "postgres" else ["sqlite", "jsonl"]


def _without_audit(tables: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    return {name: rows for name, rows in tables.items() if name != "audit_events"}


def _actions(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        actions = list(connection.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    engine.dispose()
    return actions


@pytest.mark.parametrize("fmt", _formats())
def test_backup_then_restore_into_an_empty_database_gives_back_every_row(
    populated: Flask,
    runner: FlaskCliRunner,
    tmp_path: Path,
    empty_database_url: str,
    sample_model_dir: Path,
    fmt: str,
) -> None:
    url = populated.config["DATABASE_URL"]
    before = snapshot(url)
    path = tmp_path / f"matchpoint.{fmt}"
    result = runner.invoke(args=["backup", str(path), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert backup.detect_format(path) == fmt
    assert _actions(url)[-1] == "backup_created"

    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "DATABASE_URL": empty_database_url,
            "MODEL_DIR": str(sample_model_dir),
        }
    )
    _register(other)
    try:
        result = other.test_cli_runner().invoke(args=["restore", str(path)])
        assert result.exit_code == 0, result.output
    finally:
        with other.app_context():
            db.engine.dispose()
    restored = snapshot(empty_database_url)
    assert _without_audit(restored) == _without_audit(before)
    assert restored["audit_events"][: len(before["audit_events"])] == before["audit_events"]
    assert _actions(empty_database_url)[-1] == "database_restored"
    assert sum(len(rows) for rows in before.values()) > 100  # the round trip carried real data


@pytest.mark.parametrize("fmt", _formats())
def test_restore_refuses_a_database_with_rows_unless_forced(
    populated: Flask, runner: FlaskCliRunner, tmp_path: Path, fmt: str
) -> None:
    url = populated.config["DATABASE_URL"]
    path = tmp_path / f"matchpoint.{fmt}"
    assert runner.invoke(args=["backup", str(path), "--format", fmt]).exit_code == 0
    before = snapshot(url)

    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code != 0 and "--force" in result.output
    assert snapshot(url) == before  # refusing changed nothing

    changed = tmp_path / "changed.jsonl"  # then the data moves on: updates and new rows
    changed.write_text("\n".join(_interaction_lines(40, topic="moving")) + "\n", encoding="utf-8")
    assert runner.invoke(args=["import", "interactions", str(changed)]).exit_code == 0
    assert snapshot(url) != before

    result = runner.invoke(args=["restore", str(path), "--force"])
    assert result.exit_code == 0, result.output
    after = snapshot(url)
    assert _without_audit(after) == _without_audit(before)
    assert _actions(url)[-1] == "database_restored"
    with populated.app_context():  # the app works on the restored database, ids continue
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert event is not None and event.detail["forced"] is True


def test_backup_refuses_to_overwrite_and_restore_refuses_a_stranger_file(
    populated: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    existing = tmp_path / "taken.bak"
    existing.write_text("something else")
    result = runner.invoke(args=["backup", str(existing)])
    assert result.exit_code != 0 and "exists" in result.output
    assert existing.read_text() == "something else"
    result = runner.invoke(args=["restore", str(existing), "--force"])
    assert result.exit_code != 0 and "not a Matchpoint backup" in result.output


# --- Crash safety of imports ------------------------------------------------------------------


def test_an_import_failing_half_way_leaves_the_database_as_it_was(
    populated: Flask, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = populated.config["DATABASE_URL"]
    before = snapshot(url)
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(_interaction_lines(3 * service.CHUNK, topic="moving")) + "\n", encoding="utf-8")
    calls = {"n": 0}
    real_redact = service.redact

    def redact_then_fail(value: str) -> str:  # dies in the second chunk, after a flush
        calls["n"] += 1
        if calls["n"] > 2 * service.CHUNK + 10:
            raise OSError("disk gone")
        return real_redact(value)

    monkeypatch.setattr(service, "redact", redact_then_fail)
    result = runner.invoke(args=["import", "interactions", str(path)])
    assert isinstance(result.exception, OSError)
    assert calls["n"] > 2 * service.CHUNK  # it really was half-way
    assert snapshot(url) == before


def _import_is_writing(url: str) -> bool:
    """True while some connection holds the import lock (so the import is in its write loop)."""
    if url.startswith("sqlite"):
        connection = sqlite3.connect(make_url(url).database or "", timeout=0)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            connection.close()
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return bool(
                connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_locks"
                        " WHERE locktype = 'advisory' AND objid = :key AND granted"
                    ),
                    {"key": service.IMPORT_LOCK_KEY},
                )
            )
    finally:
        engine.dispose()


def test_an_import_killed_half_way_leaves_the_database_as_it_was(
    populated: Flask, tmp_path: Path, sample_model_dir: Path
) -> None:
    url = populated.config["DATABASE_URL"]
    with populated.app_context():
        db.engine.dispose()
    before = snapshot(url)
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(_interaction_lines(4000, topic="moving")) + "\n", encoding="utf-8")
    environment = {
        **os.environ,
        "MATCHPOINT_DATABASE_URL": url,
        "MATCHPOINT_MODEL_DIR": str(sample_model_dir),
        "MATCHPOINT_SECRET_KEY": "test",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "import", "interactions", str(path)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not _import_is_writing(url):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.02)
        time.sleep(0.3)  # well inside the write loop
        assert process.poll() is None, "the import finished before it could be killed; make the file bigger"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
    assert process.returncode == -signal.SIGKILL
    assert snapshot(url) == before


# --- The audit viewer -------------------------------------------------------------------------


def _audit_app(app: Flask) -> Flask:
    assert "audit_log" in app.blueprints  # create_app registers the audit viewer
    return app


@pytest.fixture()
def admin_client(populated: Flask, make_user):  # type: ignore[no-untyped-def]
    from tests.conftest import login

    _audit_app(populated)
    from datetime import UTC, datetime

    with populated.app_context():
        for day, action, actor in (
            (1, "login", "lead@example.com"),
            (5, "playbook_edited", "tina@example.com"),
            (9, "login", "=cmd|' /C calc'!A0"),
        ):
            db.session.add(
                AuditEvent(
                    action=action,
                    actor_label=actor,
                    target="t",
                    at=datetime(2026, 1, day, 12, tzinfo=UTC),
                    detail={"n": day},
                )
            )
        db.session.commit()
    client = populated.test_client()
    assert login(client, "admin@example.com").status_code in (302, 303)
    return client


def test_audit_log_lists_and_filters_by_action_actor_and_date(admin_client: Any) -> None:
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "import_interactions" in page and "playbook_edited" in page
    only_logins = admin_client.get("/admin/audit?action=login&from=2026-01-01&to=2026-01-05").get_data(
        as_text=True
    )
    assert (
        "lead@example.com" in only_logins
        and "tina@example.com" not in only_logins
        and "calc" not in only_logins
    )
    by_actor = admin_client.get("/admin/audit?actor=TINA").get_data(as_text=True)
    assert "tina@example.com" in by_actor and "lead@example.com" not in by_actor
    fragment = admin_client.get("/admin/audit?action=login", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="audit-events">')
    assert "HX-Request" in fragment.headers.get("Vary", "")
    bad = admin_client.get("/admin/audit?from=yesterday&page=-3")
    assert bad.status_code == 200 and "is not a date" in bad.get_data(as_text=True)


def test_audit_export_is_csv_of_the_filtered_events_and_is_itself_audited(
    admin_client: Any, populated: Flask
) -> None:
    import csv
    import io

    with admin_client.get("/admin/audit.csv?action=login&to=2026-01-31") as response:
        body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["id", "at", "actor", "action", "target", "detail"]
    assert [row[2] for row in rows[1:]] == ["lead@example.com", "'=cmd|' /C calc'!A0"]  # no live formula
    with populated.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "audit_exported"))
        assert event is not None and event.actor_label == "admin@example.com"
        assert event.detail == {"rows": 2, "filters": {"action": "login", "to": "2026-01-31"}}


@pytest.mark.parametrize("role", ["agent", "lead", "trainer"])
def test_only_admins_see_the_audit_log(populated: Flask, make_user, role: str) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import login

    _audit_app(populated)
    make_user(role, f"someone-{role}@example.com")
    client = populated.test_client()
    login(client, f"someone-{role}@example.com")
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.csv").status_code == 403
    anonymous = populated.test_client()
    assert anonymous.get("/admin/audit.csv").status_code in (302, 401)
