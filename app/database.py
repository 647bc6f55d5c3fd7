"""The SQLAlchemy binding: one engine per app, one session per app context.

A small extension of our own instead of a library one: it keeps request teardown
synchronous (no event loop per request) and owns pool settings for both databases.

Pooling under gunicorn: every worker process builds its own app and so its own engine
(`preload_app` is off); a sync worker serves one request at a time and holds at most one
connection, so a server needs workers × hosts connections, plus a few for commands. The
pool keeps POOL_SIZE per process and opens up to POOL_OVERFLOW more for threads (a
`gthread` worker, the tests' concurrent clients). Engines must not cross a fork: that is
why gunicorn.conf.py keeps `preload_app = False`.
"""

from __future__ import annotations

import time
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g
from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

T = TypeVar("T")
_EXTENSION = "matchpoint.database"
POOL_SIZE = 2
POOL_OVERFLOW = 8
# A pooled connection idle for longer than this is pinged before use (the server may have
# restarted or a firewall dropped it); one in steady use is not, saving a round trip per request.
PING_AFTER_IDLE_S = 10.0


class Database:
    def init_app(self, app: Flask) -> None:
        url: str = app.config["DATABASE_URL"]
        options: dict[str, Any] = dict(app.config.get("DATABASE_ENGINE_OPTIONS", {}))
        if url.startswith("postgresql"):
            options = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW, "pool_timeout": 10, **options}
        engine = create_engine(url, **options)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            event.listen(engine, "checkin", _stamp_checkin)
            event.listen(engine, "checkout", _ping_if_idle)
        # The same pool, each checkout in autocommit: a lone read sends no BEGIN and no ROLLBACK.
        reading = engine.execution_options(isolation_level="AUTOCOMMIT")
        app.extensions[_EXTENSION] = (engine, sessionmaker(engine, expire_on_commit=False), reading)
        app.teardown_appcontext(_close_session)

    @property
    def engine(self) -> Engine:
        return current_app.extensions[_EXTENSION][0]  # type: ignore[no-any-return]

    def read_alone(self) -> Connection:
        """A connection for one read outside any transaction (use it in a `with`), for a request
        whose only database work is that read (an API token's check before a classification):
        one round trip instead of BEGIN, the read and the session's ROLLBACK."""
        return current_app.extensions[_EXTENSION][2].connect()  # type: ignore[no-any-return]

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


def _stamp_checkin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
    """pool_pre_ping for connections that sat idle: a dead one is replaced before the request uses it."""
    idle_since = record.info.get("checked_in_at")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
        return  # new, or handed back moments ago by the previous request
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as error:  # any failure: let the pool connect afresh (it retries the checkout)
        raise exc.DisconnectionError() from error
