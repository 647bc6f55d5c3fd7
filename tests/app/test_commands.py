"""The account commands of CONTRACTS.md, and tokens that work against the API."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, User
from classifier import persistence
from tests.conftest import SAMPLE_TRAINING, outdated_copy


def test_create_user_reads_password_from_stdin(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["create-user", "Lead@Example.com", "--role", "lead", "--team", "Malmö 2"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "lead@example.com"))
        assert user is not None and user.role == "lead" and user.team.name == "Malmö 2"
        assert user.password_hash.startswith("$argon2id$")


def test_create_user_refuses_weak_password_and_missing_team(app: Flask, runner: FlaskCliRunner) -> None:
    weak = runner.invoke(args=["create-user", "a@example.com", "--role", "trainer"], input="short\n")
    assert weak.exit_code != 0 and "at least 12" in weak.output
    no_team = runner.invoke(
        args=["create-user", "b@example.com", "--role", "lead"], input="a long enough password\n"
    )
    assert no_team.exit_code != 0 and "needs a team" in no_team.output
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []


def test_create_token_prints_token_alone_on_last_line_and_it_works(
    runner: FlaskCliRunner,
    client: FlaskClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    make_user("agent", "sofie@example.com")
    result = runner.invoke(args=["create-token", "sofie@example.com"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("mp_") and " " not in token
    with client.application.app_context():
        stored = db.session.scalar(select(ApiToken))
        assert stored is not None and token not in stored.digest  # only the digest is kept
    response = client.post(
        "/api/v1/classify",
        json={"text": "Hvorfor er min regning steget?", "side": "customer"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert set(body["probabilities"]) == {"relational", "action_oriented", "factual"}


def test_create_token_for_unknown_user_fails(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["create-token", "nobody@example.com"])
    assert result.exit_code != 0 and "No user" in result.output


def test_bootstrap_creates_one_first_admin_and_prints_how_to_log_in(
    app: Flask, runner: FlaskCliRunner
) -> None:
    first = runner.invoke(args=["bootstrap"])
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert "http://127.0.0.1:5000/login" in first.output and "admin@matchpoint.local" in first.output
    password = next(line.split("password:")[1].strip() for line in lines if "password:" in line)
    assert len(password) >= 12
    assert "648 new" in first.output
    again = runner.invoke(args=["bootstrap"])
    assert (
        again.exit_code == 0 and "Accounts exist already" in again.output and "password:" not in again.output
    )
    with app.app_context():
        admins = db.session.scalars(select(User).where(User.role == "admin")).all()
        assert [admin.email for admin in admins] == ["admin@matchpoint.local"]


def test_revoked_tokens_stop_working_at_once(runner: FlaskCliRunner, client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("agent", "sofie@example.com")
    token = runner.invoke(args=["create-token", "sofie@example.com"]).output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"text": "Hvornår kommer min pakke?", "side": "customer"}
    assert client.post("/api/v1/classify", json=body, headers=headers).status_code == 200
    revoked = runner.invoke(args=["revoke-tokens", "sofie@example.com"])
    assert revoked.exit_code == 0 and "Revoked 1 API token(s)" in revoked.output
    refused = client.post("/api/v1/classify", json=body, headers=headers)
    assert refused.status_code == 401 and "revoked" in refused.get_json()["error"]["message"]
    assert runner.invoke(args=["revoke-tokens", "nobody@example.com"]).exit_code != 0


def test_classifier_commands_load_when_asked_for() -> None:
    import click

    from app.cli import CLASSIFIER_COMMANDS, build
    from classifier.cli import COMMANDS

    assert set(CLASSIFIER_COMMANDS) == {command.name for command in COMMANDS}
    group = build()
    context = click.Context(group)
    assert set(CLASSIFIER_COMMANDS) <= set(group.list_commands(context))
    assert group.get_command(context, "train") is next(c for c in COMMANDS if c.name == "train")


def test_bootstrap_retrains_a_model_left_by_an_older_version(
    app: Flask, sample_model_dir: Path, tmp_path: Path
) -> None:
    model_dir = outdated_copy(sample_model_dir, tmp_path / "models")
    app.config.update(MODEL_DIR=str(model_dir), TRAINING_DATA_DIR=str(SAMPLE_TRAINING))
    result = app.test_cli_runner().invoke(args=["bootstrap"])
    assert result.exit_code == 0, result.output
    assert "model format 1" in result.output and "Retraining" in result.output
    assert json.loads((model_dir / "matchpoint.json").read_text())["format"] == persistence.FORMAT
