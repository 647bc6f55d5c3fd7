"""Commands that work on the database: migrate, create-user, create-token, import, rescore."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.audit import record
from app.auth.accounts import AccountError, create_user, issue_token, normalise_email, revoke_all_tokens
from app.classification import get_classifier
from app.extensions import db
from app.imports.service import SURVEY_FIELDS, import_file, rescore
from app.models import User
from app.playbooks import library
from app.playbooks import store as playbook_store
from app.vocabulary import ROLES

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic and the classifier (scikit-learn) are imported inside the commands that use them:
# every `matchpoint` command imports this module, and most need neither.

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(app: Flask) -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic import command as alembic_command

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


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.ClickException(f"No user with the e-mail {email}.")
    return user


@click.command("create-token")
@with_appcontext
@click.argument("email")
def create_token(email: str) -> None:
    """Print a new API token for EMAIL, once, alone on the last line."""
    user = _user(email)
    token = issue_token(db.session, user)
    record(db.session, "token_issued", target=user.email, actor=None)
    db.session.commit()
    click.echo(f"API token for {user.email} ({user.role}); it is shown only this once:")
    click.echo(token)


@click.command("revoke-tokens")
@with_appcontext
@click.argument("email")
def revoke_tokens(email: str) -> None:
    """Revoke every API token of EMAIL (a stolen or leaked token stops working at once)."""
    user = _user(email)
    count = revoke_all_tokens(db.session, user)
    record(db.session, "tokens_revoked", target=user.email, actor=None, count=count)
    db.session.commit()
    click.echo(f"Revoked {count} API token(s) of {user.email}.")


@click.command("bootstrap")
@with_appcontext
def bootstrap() -> None:
    """First start: a first admin with a generated password, a trained model."""
    from classifier import persistence
    from classifier.cli import train_and_save

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(sync_playbooks(app))
    model_dir = Path(app.config["MODEL_DIR"])
    if not persistence.exists(model_dir):
        click.echo(
            "No trained model yet: training one now (about a minute; the first time on a machine "
            "the sentence encoder reads every training text first, several minutes) …"
        )
        train_and_save(model_dir, Path(app.config["TRAINING_DATA_DIR"]))
    else:
        try:
            persistence.load(model_dir)
        except persistence.OutdatedModelError as error:
            click.echo(f"{error}\nRetraining now (about a minute) …")
            train_and_save(model_dir, Path(app.config["TRAINING_DATA_DIR"]))
    if db.session.scalar(select(User).limit(1)) is None:
        password = secrets.token_urlsafe(12)
        user = create_user(db.session, FIRST_ADMIN, password, "admin")
        db.session.flush()
        record(db.session, "user_created", target=user.email, actor=None, role="admin")
        db.session.commit()
        click.echo(_login_banner(FIRST_ADMIN, password))  # last, so it is what the user sees
    else:
        click.echo("Accounts exist already; log in with yours (admins add users on the Users page).")


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


@click.group("import")
def import_group() -> None:
    """Import interactions or surveys; a file with any invalid row writes nothing."""


def _run_import(kind: str, path: Path, mapping: dict[str, str] | None = None) -> None:
    """Import one file; print each problem to stderr and exit 1, or print the counts."""
    with path.open("rb") as stream:
        report = import_file(
            db.session,
            kind,
            stream,
            source=str(path),
            actor=None,
            load_classifier=get_classifier,
            mapping=mapping,
            max_text_chars=current_app.config["MAX_TEXT_CHARS"],
        )
    if not report.ok:
        db.session.rollback()
        for problem in report.problems:
            click.echo(f"{path}: {problem}", err=True)
        count = len(report.problems)
        click.echo(f"Nothing was imported: {count} problem{'' if count == 1 else 's'}.", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(report.summary())


@import_group.command("interactions")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_interactions_command(path: Path) -> None:
    """Import interactions from PATH, JSON lines; the same interaction_id again updates it."""
    _run_import("interactions", path)


def _mapping(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for value in values:
        name, sep, column = value.partition("=")
        if not sep or not column.strip():
            raise click.BadParameter(f"'{value}' is not FIELD=COLUMN (e.g. score=Q1)")
        if name.strip() not in SURVEY_FIELDS:
            raise click.BadParameter(f"unknown field '{name}'; the fields are {', '.join(SURVEY_FIELDS)}")
        mapping[name.strip()] = column.strip()
    return mapping


@import_group.command("surveys")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "mapping",
    multiple=True,
    callback=_mapping,
    metavar="FIELD=COLUMN",
    help="Read FIELD from another column, e.g. --map score=Q1 (repeatable).",
)
@with_appcontext
def import_surveys_command(path: Path, mapping: dict[str, str]) -> None:
    """Import NPS surveys from PATH, a UTF-8 CSV with a header; one survey per interaction."""
    _run_import("surveys", path, mapping)


@click.command("rescore")
@with_appcontext
def rescore_command() -> None:
    """Reclassify every interaction with predicted labels with the current model."""
    from classifier.persistence import ModelError

    try:
        classifier = get_classifier()
    except ModelError as error:
        raise click.ClickException(str(error)) from error
    count = rescore(db.session, classifier)
    record(db.session, "rescore", target=classifier.version, actor=None, interactions=count)
    db.session.commit()
    click.echo(f"Rescored {count} interactions with model {classifier.version}.")


def register(app: Flask) -> None:
    for command in (
        migrate,
        create_user_command,
        create_token,
        revoke_tokens,
        bootstrap,
        playbooks_group,
        import_group,
        rescore_command,
    ):
        app.cli.add_command(command)
