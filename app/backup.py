"""`matchpoint backup PATH` and `matchpoint restore PATH`: the whole database to a file and back.

Three formats, told apart on restore by the file's first bytes:
- sqlite: SQLite's online backup API (a consistent copy while the app runs), for SQLite;
- pg: pg_dump's custom format, restored with pg_restore, for PostgreSQL when they are on PATH;
- jsonl: a portable JSON-lines dump of every table via SQLAlchemy, in dependency order. It is
  the fallback without pg_dump, and it also moves data between SQLite and PostgreSQL.
Restore refuses a database that holds any row unless --force. Both write an audit record.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import Connection, Date, DateTime, Engine, MetaData, Table, func, select, text
from sqlalchemy.engine import make_url

from app.audit import record
from app.coaching import tallies
from app.extensions import db

FORMATS = ("auto", "sqlite", "pg", "jsonl")
JSONL_MAGIC = "matchpoint-backup"
# The schema comes from the migrations, not the dump. The report's tallies come from the
# interactions: the database's triggers count every row restored (and uncount every row deleted).
SKIPPED_TABLES = {"alembic_version", "report_tallies", "report_week_tallies"}
_SQLITE_MAGIC = b"SQLite format 3\x00"
_PG_MAGIC = b"PGDMP"
_BATCH = 500


class BackupError(click.ClickException):
    """A backup or restore that cannot be done; the message says why and what to do."""


# --- Shared ----------------------------------------------------------------------------------


def _tables(connection: Connection) -> list[Table]:
    """Every table of the live database (a migration may add some), parents before children."""
    metadata = MetaData()
    metadata.reflect(connection)
    return [table for table in metadata.sorted_tables if table.name not in SKIPPED_TABLES]


def row_count(engine: Engine) -> int:
    """Rows in all tables but Alembic's: 0 means the database may be restored into."""
    with engine.connect() as connection:
        return sum(connection.scalar(select(func.count()).select_from(t)) or 0 for t in _tables(connection))


def _pg_environment(url: str) -> dict[str, str]:
    """libpq's environment for the URL: keeps the password off the command line."""
    parsed = make_url(url)
    values = {
        "PGHOST": parsed.host,
        "PGPORT": str(parsed.port) if parsed.port else None,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
    }
    return {**os.environ, **{key: str(value) for key, value in values.items() if value}}


def detect_format(path: Path) -> str:
    with path.open("rb") as stream:
        head = stream.read(64)
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(_PG_MAGIC):
        return "pg"
    if head.lstrip().startswith(b"{") and JSONL_MAGIC.encode() in head:
        return "jsonl"
    raise BackupError(f"{path} is not a Matchpoint backup (neither SQLite, pg_dump nor JSON lines).")


def _native_format(dialect: str) -> str:
    if dialect == "sqlite":
        return "sqlite"
    if dialect == "postgresql" and shutil.which("pg_dump") and shutil.which("pg_restore"):
        return "pg"
    return "jsonl"


# --- JSON lines ------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _decoder(table: Table) -> dict[str, type]:
    return {
        column.name: type(column.type) for column in table.columns if isinstance(column.type, DateTime | Date)
    }


def _decode(value: Any, kind: type | None) -> Any:
    if value is None or kind is None:
        return value
    if issubclass(kind, DateTime):
        return datetime.fromisoformat(value)
    return date.fromisoformat(value)


def dump_jsonl(engine: Engine, path: Path) -> int:
    """Write every row of every table as JSON lines, after one header line; returns rows."""
    count = 0
    with engine.connect() as connection, path.open("w", encoding="utf-8") as out:
        if engine.dialect.name == "postgresql":  # one consistent snapshot of all tables
            connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        tables = _tables(connection)
        header = {
            "format": JSONL_MAGIC,
            "version": 1,
            "dialect": engine.dialect.name,
            "tables": [table.name for table in tables],
        }
        out.write(json.dumps(header) + "\n")
        for table in tables:
            order = list(table.primary_key.columns) or list(table.columns)
            for row in connection.execute(select(table).order_by(*order)).mappings():
                line = {"table": table.name, "row": {key: _encode(value) for key, value in row.items()}}
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                count += 1
    return count


def _jsonl_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding="utf-8") as stream:
        header = json.loads(next(stream))
        if header.get("format") != JSONL_MAGIC:
            raise BackupError(f"{path} is not a Matchpoint JSON-lines backup.")
        for number, line in enumerate(stream, start=2):
            if line.strip():
                try:
                    item = json.loads(line)
                    yield item["table"], item["row"]
                except (ValueError, KeyError, TypeError) as error:
                    raise BackupError(f"{path}: line {number} is damaged ({error}).") from error


def load_jsonl(engine: Engine, path: Path) -> int:
    """Replace every row with the dump's, in one transaction, parents first; returns rows."""
    count = 0
    with engine.begin() as connection:
        tables = {table.name: table for table in _tables(connection)}
        for table in reversed(list(tables.values())):
            connection.execute(table.delete())
        batch: list[dict[str, Any]] = []
        current: Table | None = None
        decoders: dict[str, type] = {}
        for name, row in _jsonl_rows(path):
            table = tables.get(name)
            if table is None:
                raise BackupError(f"{path} has rows for table '{name}', which this database does not have.")
            if table is not current:
                if current is not None and batch:
                    connection.execute(current.insert(), batch)
                batch, current, decoders = [], table, _decoder(table)
            batch.append(
                {key: _decode(value, decoders.get(key)) for key, value in row.items() if key in table.columns}
            )
            count += 1
            if len(batch) >= _BATCH:
                connection.execute(table.insert(), batch)
                batch = []
        if current is not None and batch:
            connection.execute(current.insert(), batch)
        if engine.dialect.name == "postgresql":
            _reset_sequences(connection, list(tables.values()))
        tallies.compact(connection)
    return count


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """Rows came with their ids: move each serial sequence past the largest one."""
    for table in tables:
        for column in table.primary_key.columns:
            sequence = connection.scalar(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            )
            if sequence:
                connection.execute(
                    text(
                        f'SELECT setval(:sequence, COALESCE((SELECT MAX("{column.name}") '
                        f'FROM "{table.name}"), 0) + 1, false)'
                    ),
                    {"sequence": sequence},
                )


# --- Native formats --------------------------------------------------------------------------


def _sqlite_file(engine: Engine) -> str:
    name = engine.url.database
    if not name or name == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return name


def backup_sqlite(engine: Engine, path: Path) -> None:
    """SQLite's online backup: a consistent copy even while the app writes."""
    raw = engine.raw_connection()
    try:
        target = sqlite3.connect(path)
        try:
            raw.driver_connection.backup(target)  # type: ignore[union-attr]
        finally:
            target.close()
    finally:
        raw.close()


def restore_sqlite(engine: Engine, path: Path) -> None:
    """Copy the backup into the live file with the backup API, page by page, under its lock."""
    engine.dispose()  # no pooled connection may hold an old view of the file
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(_sqlite_file(engine), timeout=30)
    try:
        if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{path} is a damaged SQLite file; nothing was restored.")
        source.backup(target)
    finally:
        source.close()
        target.close()


def _run(command: list[str], url: str) -> None:
    result = subprocess.run(command, env=_pg_environment(url), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip() or result.stdout.strip()}")


def backup_pg(url: str, path: Path) -> None:
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={path}"], url)


def restore_pg(engine: Engine, url: str, path: Path) -> None:
    engine.dispose()  # pg_restore --clean drops the tables our idle connections know
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={make_url(url).database}",
            str(path),
        ],
        url,
    )


# --- The commands ----------------------------------------------------------------------------


def create_backup(app: Flask, path: Path, fmt: str = "auto") -> tuple[str, int | None]:
    """Write the backup; returns the format used and, for JSON lines, the number of rows."""
    engine = db.engine
    dialect = engine.dialect.name
    fmt = _native_format(dialect) if fmt == "auto" else fmt
    if fmt == "sqlite" and dialect != "sqlite" or fmt == "pg" and dialect != "postgresql":
        raise BackupError(
            f"The {fmt} format needs a {fmt} database; this one is {dialect}. Use --format jsonl."
        )
    if fmt == "pg" and not shutil.which("pg_dump"):
        raise BackupError("pg_dump is not on PATH; use --format jsonl.")
    rows = None
    if fmt == "sqlite":
        backup_sqlite(engine, path)
    elif fmt == "pg":
        backup_pg(app.config["DATABASE_URL"], path)
    else:
        rows = dump_jsonl(engine, path)
    return fmt, rows


def restore_backup(app: Flask, path: Path, force: bool) -> str:
    """Restore `path` into the app's database (refusing a non-empty one unless `force`)."""
    from app.commands import upgrade_database

    fmt = detect_format(path)
    engine = db.engine
    dialect = engine.dialect.name
    if fmt == "sqlite" and dialect != "sqlite" or fmt == "pg" and dialect != "postgresql":
        raise BackupError(
            f"{path} is a {fmt} backup and this database is {dialect}: "
            "make the backup with --format jsonl to move between databases."
        )
    if fmt == "pg" and not shutil.which("pg_restore"):
        raise BackupError("pg_restore is not on PATH.")
    db.session.close()
    if fmt == "jsonl":
        upgrade_database(app)  # the dump holds rows, not the schema
    existing = row_count(engine) if fmt == "jsonl" or _has_schema(engine) else 0
    if existing and not force:
        raise BackupError(
            f"The database holds {existing} rows; restoring would replace them. "
            "Restore into an empty database, or add --force."
        )
    if fmt == "sqlite":
        restore_sqlite(engine, path)
    elif fmt == "pg":
        restore_pg(engine, app.config["DATABASE_URL"], path)
    else:
        load_jsonl(engine, path)
    if fmt != "jsonl":
        upgrade_database(app)  # a backup from an older version gets the newer schema
    return fmt


def _has_schema(engine: Engine) -> bool:
    with engine.connect() as connection:
        return bool(_tables(connection))


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="auto: SQLite's backup API, or pg_dump when available, else JSON lines.",
)
@with_appcontext
def backup_command(path: Path, fmt: str) -> None:
    """Write a consistent backup of the whole database to PATH (which must not exist)."""
    if path.exists():
        raise BackupError(f"{path} exists already; choose a new file name.")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        used, rows = create_backup(app, path, fmt)
    except BaseException:
        path.unlink(missing_ok=True)  # never leave a half-written backup that looks whole
        raise
    record(
        db.session,
        "backup_created",
        target=str(path)[:200],
        actor=None,
        format=used,
        bytes=path.stat().st_size,
        **({"rows": rows} if rows is not None else {}),
    )
    db.session.commit()
    click.echo(f"Backed up the database to {path} ({used}, {path.stat().st_size} bytes).")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the rows of a database that is not empty.")
@with_appcontext
def restore_command(path: Path, force: bool) -> None:
    """Restore the database from a backup made by `matchpoint backup`."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    used = restore_backup(app, path, force)
    record(db.session, "database_restored", target=str(path)[:200], actor=None, format=used, forced=force)
    db.session.commit()
    click.echo(f"Restored the database from {path} ({used}).")


def register(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
