"""Fixtures: app, client, runner on a real database (SQLite or PostgreSQL), a tiny model."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.auth.accounts import create_user
from app.commands import upgrade_database
from app.extensions import db
from app.models import Base, User
from classifier import dataset, meaning, persistence
from classifier.train import train

HERE = Path(__file__).resolve().parent
SAMPLE_TRAINING = HERE / "data" / "sample_training"
PASSWORD = "correct horse battery staple"
POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/matchpoint_test"


def backend() -> str:
    return os.environ.get("MATCHPOINT_TEST_DATABASE", "sqlite")


@pytest.fixture(scope="session")
def sample_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on the in-repo sample (under a second): for plumbing, not accuracy."""
    directory = tmp_path_factory.mktemp("sample-model")
    pipelines, metadata = train(dataset.load(SAMPLE_TRAINING))
    persistence.save(directory, pipelines, metadata)
    return directory


@pytest.fixture(scope="session")
def full_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model as `matchpoint train` builds it from training_data/ (several seconds)."""
    directory = tmp_path_factory.mktemp("full-model")
    with meaning.stored_at(meaning.default_store_dir()):  # encoded once per machine
        pipelines, metadata = train(dataset.load(dataset.default_training_dir()))
    persistence.save(directory, pipelines, metadata)
    return directory


def outdated_copy(model_dir: Path, into: Path) -> Path:
    """A copy of a model whose sidecar says it was made by model format 1."""
    shutil.copytree(model_dir, into)
    sidecar = into / persistence.SIDECAR_FILE
    sidecar.write_text(json.dumps({**json.loads(sidecar.read_text()), "format": 1}))
    return into


def _recreate_postgres(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory, sample_model_dir: Path) -> str:
    """Run the real migrations once per session; tests then start from this schema."""
    if backend() == "postgres":
        url = os.environ.get("MATCHPOINT_TEST_POSTGRES_URL", POSTGRES_DEFAULT)
        _recreate_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'template.sqlite3'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test"})
    upgrade_database(app)
    with app.app_context():
        db.engine.dispose()  # closes SQLite's last connection, which folds the WAL into the file
    return url


@pytest.fixture()
def database_url(migrated_database: str, tmp_path: Path) -> Iterator[str]:
    if backend() == "postgres":
        yield migrated_database
        _empty_postgres(migrated_database)
    else:
        copy = tmp_path / "test.sqlite3"
        shutil.copyfile(make_url(migrated_database).database or "", copy)
        yield f"sqlite:///{copy}"


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture()
def app(database_url: str, sample_model_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "MODEL_DIR": str(sample_model_dir),
            "RATELIMIT_ENABLED": True,
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture()
def make_user(app: Flask):  # type: ignore[no-untyped-def]
    """Create a user with PASSWORD; agents get team 'Aarhus 1' and an agent id."""

    def make(
        role: str, email: str | None = None, team: str = "Aarhus 1", agent_id: str | None = None
    ) -> User:
        email = email or f"{role}@example.com"
        if role == "agent" and agent_id is None:
            agent_id = f"A-{email.split('@')[0]}"
        with app.app_context():
            user = create_user(
                db.session,
                email,
                PASSWORD,
                role,
                team_name=team if role in {"agent", "lead"} else None,
                agent_external_id=agent_id,
            )
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return make


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client)},
    )
