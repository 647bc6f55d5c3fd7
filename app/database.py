"""The SQLAlchemy binding: one engine per app, one session per app context.

A small extension of our own instead of a library one: it keeps request teardown
synchronous (no event loop per request) and owns pool settings for both databases.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Flask, abort, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")
_EXTENSION = "matchpoint.database"


class Database:
    def init_app(self, app: Flask) -> None:
        url: str = app.config["DATABASE_URL"]
        options: dict[str, Any] = dict(app.config.get("DATABASE_ENGINE_OPTIONS", {}))
        if url.startswith("postgresql"):
            options = {"pool_size": 5, "max_overflow": 10, "pool_pre_ping": True, **options}
        engine = create_engine(url, **options)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        app.extensions[_EXTENSION] = (engine, sessionmaker(engine, expire_on_commit=False))
        app.teardown_appcontext(_close_session)

    @property
    def engine(self) -> Engine:
        return current_app.extensions[_EXTENSION][0]  # type: ignore[no-any-return]

    @property
    def session(self) -> Session:
        """The session of the current app context (a request or a command owns it)."""
        session = g.get("_matchpoint_session")
        if session is None:
            session = current_app.extensions[_EXTENSION][1]()
            g._matchpoint_session = session
        return session  # type: ignore[no-any-return]

    def get_or_abort(self, model: type[T], ident: Any) -> T:
        found = self.session.get(model, ident)
        if found is None:
            abort(404)
        return found


def _close_session(error: BaseException | None) -> None:
    session = g.pop("_matchpoint_session", None)
    if session is not None:
        session.close()


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite enforces foreign keys and lets a reader work beside a writer only when asked."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
