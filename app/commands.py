"""Commands that work on the database: migrate, create-user, create-token."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from alembic import command as alembic_command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.audit import record
from app.auth.accounts import AccountError, create_user, issue_token, normalise_email
from app.extensions import db
from app.models import User
from app.playbooks import library
from app.playbooks import store as playbook_store
from app.vocabulary import ROLES
from classifier import persistence
from classifier.cli import train_and_save

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(app: Flask) -> None:
    """Create or upgrade the schema to the newest migration."""
    with app.app_context():
        with db.engine.begin() as connection:
            config = alembic_config(app.config["DATABASE_URL"])
            config.attributes["connection"] = connection
            alembic_command.upgrade(config, "head")


@click.command("migrate")
@with_appcontext
def migrate() -> None:
    """Create or upgrade the database schema."""
    upgrade_database(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"Database is at the newest schema ({_safe_url()}).")


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(current_app.config["DATABASE_URL"]).render_as_string(hide_password=True)


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--team", default=None, help="Team name (created if missing).")
@click.option("--agent-id", default=None, help="The agent's external id (created if missing).")
def create_user_command(email: str, role: str, team: str | None, agent_id: str | None) -> None:
    """Create a user; the password is asked for, or read from standard input."""
    password = _read_password()
    try:
        user = create_user(db.session, email, password, role, team_name=team, agent_external_id=agent_id)
        db.session.flush()
        record(db.session, "user_created", target=user.email, actor=None, role=role)
        db.session.commit()
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.email} with role {role}.")


@click.command("create-token")
@with_appcontext
@click.argument("email")
def create_token(email: str) -> None:
    """Print a new API token for EMAIL, once, alone on the last line."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.ClickException(f"No user with the e-mail {email}.")
    token = issue_token(db.session, user)
    record(db.session, "token_issued", target=user.email, actor=None)
    db.session.commit()
    click.echo(f"API token for {user.email} ({user.role}); it is shown only this once:")
    click.echo(token)


@click.command("bootstrap")
@with_appcontext
def bootstrap() -> None:
    """First start: a first admin with a generated password, a trained model."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if db.session.scalar(select(User).limit(1)) is None:
        password = secrets.token_urlsafe(12)
        user = create_user(db.session, FIRST_ADMIN, password, "admin")
        db.session.flush()
        record(db.session, "user_created", target=user.email, actor=None, role="admin")
        db.session.commit()
        click.echo(_login_banner(FIRST_ADMIN, password))
    else:
        click.echo("Accounts exist already; log in with yours (admins add users on the Users page).")
    click.echo(sync_playbooks(app))
    model_dir = Path(app.config["MODEL_DIR"])
    if not persistence.exists(model_dir):
        click.echo("No trained model yet: training one now (about a minute) …")
        train_and_save(model_dir, Path(app.config["TRAINING_DATA_DIR"]))


FIRST_ADMIN = "admin@matchpoint.local"


def _login_banner(email: str, password: str) -> str:
    line = "=" * 64
    return (
        f"{line}\n  Matchpoint is ready. Log in at http://127.0.0.1:5000/login\n"
        f"  e-mail:   {email}\n  password: {password}\n"
        f"  (shown once; add more users on the Users page)\n{line}"
    )


@click.group("playbooks")
def playbooks_group() -> None:
    """Load playbooks from YAML into the database, or export them back."""


def sync_playbooks(app: Flask) -> str:
    """Validate every playbook file and sync it; raises ClickException naming file:line."""
    try:
        entries = library.load(Path(app.config["PLAYBOOK_DIR"]))
    except library.PlaybookError as error:
        raise click.ClickException(f"playbooks are not valid:\n{error}") from error
    report = playbook_store.sync(db.session, entries)
    db.session.commit()
    return (
        f"Playbooks: {len(entries)} entries read; {report.created} new, {report.updated} refreshed, "
        f"{report.kept_edited} kept as trainers edited them."
    )


@playbooks_group.command("sync")
@with_appcontext
def playbooks_sync() -> None:
    """Validate playbooks/*.yaml and sync them to the database."""
    click.echo(sync_playbooks(current_app._get_current_object()))  # type: ignore[attr-defined]


@playbooks_group.command("export")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--include-retired", is_flag=True)
@with_appcontext
def playbooks_export(folder: Path, include_retired: bool) -> None:
    """Write the database's playbooks as YAML files below FOLDER."""
    written = library.export(playbook_store.current_entries(db.session, include_retired), folder)
    record(db.session, "playbooks_exported", target=str(folder), actor=None, files=len(written))
    db.session.commit()
    click.echo(f"Wrote {len(written)} files below {folder}.")


def register(app: Flask) -> None:
    for command in (migrate, create_user_command, create_token, bootstrap, playbooks_group):
        app.cli.add_command(command)
