"""The coaching report over a million interactions: the overview page and `matchpoint report --json`.

For each database (SQLite always; PostgreSQL when the server answers) it builds a demo
contact centre with `matchpoint migrate` and `matchpoint demo --interactions N --seed S`,
or reuses the one built earlier with the same N and seed (then only `migrate` runs, so new
indexes arrive), and times, each once to warm up and then `repeat` times:

- the team overview page for all teams, as an admin, through Flask's test client;
- the same page for one team (what a lead opens);
- `queries.report()` for all teams, the domain function the page calls;
- `matchpoint report --json` as a subprocess: the whole command's wall time, including the
  interpreter's start and its imports, and its CPU time (user + system);
- the same command for one team;
- `queries.report()` and the page for all teams from the second day on: a date filter, which
  the tallies cannot serve (they have no days), so this reads every contact in range.

Without a date filter the report reads the tallies the database's triggers keep (migration
0005), never a finished report: each run computes the report afresh. The figures include
how many tally rows there are (after a build they are folded; after live writes there are
more until the next fold).

Median and minimum of wall and CPU time; for PostgreSQL also the CPU the database's
server process spent on this connection. Figures go to stdout as JSON.

    python -m bench.report_speed                       # 1,200,000 interactions, SQLite and PostgreSQL
    python -m bench.report_speed --scaling 100000,300000 --repeat 5
    python -m bench.report_speed --no-postgres --interactions 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

DEFAULT_INTERACTIONS = 1_200_000  # with 25 % answering: ~300,000 surveys
SEED = 7
TEAM = "Aarhus 1"
SQLITE_DIR = Path(tempfile.gettempdir()) / "mp-report"
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ADMIN = "bench-report@matchpoint.local"
PASSWORD = "bench report password 42"
MATCHPOINT = Path(sys.executable).with_name("matchpoint")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Target:
    """One benchmark database: its kind, SQLAlchemy URL and demo size."""

    kind: str
    url: str
    interactions: int


def sqlite_target(interactions: int) -> Target:
    return Target("sqlite", f"sqlite:///{SQLITE_DIR / f'bench-{interactions}.sqlite3'}", interactions)


def postgres_target(server: str, interactions: int) -> Target:
    url = make_url(server).set(database=f"mp_report_bench_{interactions}")
    return Target("postgresql", url.render_as_string(hide_password=False), interactions)


def postgres_reachable(server: str) -> bool:
    engine = create_engine(server, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()


# --- Building (or reusing) the database ------------------------------------------------------


def _environment(url: str) -> dict[str, str]:
    """The command's environment: the database, and Python's bytecode cache as installed code has it.

    With PYTHONDONTWRITEBYTECODE set (as in some development shells) every start compiles
    the app's modules from source again; the cache goes under SQLITE_DIR, not into the tree.
    """
    environment = {**os.environ, "MATCHPOINT_DATABASE_URL": url, "MATCHPOINT_SECRET_KEY": "bench"}
    if environment.pop("PYTHONDONTWRITEBYTECODE", None):
        environment["PYTHONPYCACHEPREFIX"] = str(SQLITE_DIR / "pycache")
    return environment


def _matchpoint(url: str, *args: str) -> str:
    done = subprocess.run(
        [str(MATCHPOINT), *args], env=_environment(url), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"matchpoint {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _contents(url: str) -> tuple[int, int, str | None] | None:
    """Interactions, surveys and the demo's seed marker, or None when there is no such database."""
    if url.startswith("sqlite") and not Path(make_url(url).database or "").exists():
        return None
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            interactions = connection.scalar(text("SELECT count(*) FROM interactions"))
            surveys = connection.scalar(text("SELECT count(*) FROM surveys"))
            marker = connection.scalar(
                text("SELECT model_version FROM interactions WHERE external_id = 'C-100000'")
            )
            return int(interactions or 0), int(surveys or 0), marker
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def _start_afresh(target: Target) -> None:
    if target.kind == "sqlite":
        SQLITE_DIR.mkdir(parents=True, exist_ok=True)
        database = Path(make_url(target.url).database or "")
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            path.unlink(missing_ok=True)
        return
    name = make_url(target.url).database
    admin = create_engine(make_url(target.url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def ensure_database(target: Target, seed: int = SEED) -> dict[str, Any]:
    """Reuse the demo database of this size and seed, or build it; always migrate to the newest schema."""
    found = _contents(target.url)
    built = not (found and found[0] == target.interactions and found[2] == f"demo-seed-{seed}")
    started = time.perf_counter()
    if built:
        _start_afresh(target)
        _matchpoint(target.url, "migrate")
        _matchpoint(target.url, "demo", "--interactions", str(target.interactions), "--seed", str(seed))
    else:
        _matchpoint(target.url, "migrate")
    if target.kind == "postgresql":
        # What autovacuum does after a bulk load, done now: planner statistics and the
        # visibility map that index-only scans need.
        engine = create_engine(target.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
        engine.dispose()
    interactions, surveys, _ = _contents(target.url) or (0, 0, None)
    return {
        "built_now": built,
        "setup_s": round(time.perf_counter() - started, 1),
        "interactions": interactions,
        "surveys": surveys,
    }


# --- Timing ---------------------------------------------------------------------------------------


def _summary(
    walls: list[float], cpus: list[float], extra: dict[str, list[float]] | None = None
) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "wall_median_s": round(statistics.median(walls), 3),
        "wall_min_s": round(min(walls), 3),
        "cpu_median_s": round(statistics.median(cpus), 3),
        "cpu_min_s": round(min(cpus), 3),
        "runs": len(walls),
    }
    for name, values in (extra or {}).items():
        figures[f"{name}_median_s"] = round(statistics.median(values), 3)
    return figures


def _server_cpu(pid: int | None) -> Callable[[], float]:
    """CPU seconds of the PostgreSQL server process serving our connection (0 for SQLite)."""
    if pid is None:
        return lambda: 0.0
    import psutil

    process = psutil.Process(pid)

    def cpu() -> float:
        times = process.cpu_times()
        return float(times.user + times.system)

    return cpu


def time_in_process(
    work: Callable[[], object], repeat: int, server_cpu: Callable[[], float] = lambda: 0.0
) -> dict[str, Any]:
    """Wall and CPU time (this process, and the database server's) of `work`, after one warm-up."""
    work()
    walls, cpus, servers = [], [], []
    for _ in range(repeat):
        cpu, server, wall = time.process_time(), server_cpu(), time.perf_counter()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        servers.append(server_cpu() - server)
    return _summary(walls, cpus, {"db_server_cpu": servers} if any(servers) else None)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(url: str, args: list[str], repeat: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Wall and CPU time of a whole `matchpoint` command (start-up and imports included)."""
    command, env = [str(MATCHPOINT), *args], _environment(url)
    output = ""
    walls, cpus = [], []
    for run in range(repeat + 1):
        cpu, wall = _children_cpu(), time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        if run:  # the first run warms the page cache
            walls.append(time.perf_counter() - wall)
            cpus.append(_children_cpu() - cpu)
        output = done.stdout
    return _summary(walls, cpus), json.loads(output)


@contextmanager
def _admin_client(url: str) -> Iterator[Any]:
    """Flask's test client, logged in through the real login form as a bench admin."""
    from app import create_app
    from app.auth.accounts import create_user
    from app.auth.passwords import hash_password
    from app.extensions import db
    from app.models import User

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LOGIN_RATE_LIMIT": "1000 per minute"})
    with app.app_context():
        user = db.session.query(User).filter_by(email=ADMIN).one_or_none()
        if user is None:
            create_user(db.session, ADMIN, PASSWORD, "admin", enforce_policy=False)
        else:
            user.password_hash = hash_password(PASSWORD)
        db.session.commit()
    client = app.test_client()
    token = _CSRF.search(client.get("/login").get_data(as_text=True))
    assert token, "no CSRF token on the login page"
    answer = client.post("/login", data={"email": ADMIN, "password": PASSWORD, "csrf_token": token.group(1)})
    assert answer.status_code in (302, 303), answer.status_code
    try:
        yield app, client
    finally:
        with app.app_context():
            db.engine.dispose()


def _page(client: Any, path: str) -> Callable[[], None]:
    def get() -> None:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        assert b"Match effect" in answer.data

    return get


def measure(target: Target, repeat: int) -> dict[str, Any]:
    """Every timing for one database."""
    from app.coaching import queries
    from app.extensions import db
    from app.models import Interaction

    figures: dict[str, Any] = {"database": target.kind, "url": make_url(target.url).render_as_string()}
    figures.update(ensure_database(target))
    with _admin_client(target.url) as (app, client):
        with app.app_context():
            pid = db.session.scalar(text("SELECT pg_backend_pid()")) if target.kind == "postgresql" else None
            server_cpu = _server_cpu(pid)
            for table in ("report_tallies", "report_week_tallies"):
                figures[f"{table}_rows"] = db.session.scalar(text(f"SELECT count(*) FROM {table}"))
            first = db.session.scalar(select(func.min(Interaction.started_at)))
            dated = queries.Filters(date_from=first.date() + timedelta(days=1))
            figures["report_function_all_teams"] = time_in_process(
                lambda: queries.report(db.session, queries.Filters()), repeat, server_cpu
            )
            figures["report_function_one_team"] = time_in_process(
                lambda: queries.report(db.session, queries.Filters(team=TEAM)), repeat, server_cpu
            )
            figures["report_function_dated"] = time_in_process(
                lambda: queries.report(db.session, dated), repeat, server_cpu
            )
        # The test client's requests use pooled connections the bench cannot pin: no server CPU here.
        figures["page_all_teams"] = time_in_process(_page(client, "/coaching/"), repeat)
        figures["page_one_team"] = time_in_process(_page(client, f"/coaching/?team={TEAM}"), repeat)
        figures["page_all_teams_dated"] = time_in_process(
            _page(client, f"/coaching/?from={dated.date_from}"), repeat
        )
    figures["command_all_teams"], report = time_command(target.url, ["report", "--json"], repeat)
    assert report["n_interactions"] == figures["interactions"], report["n_interactions"]
    figures["command_one_team"], _ = time_command(target.url, ["report", "--json", "--team", TEAM], repeat)
    return figures


def run(
    interactions: int = DEFAULT_INTERACTIONS,
    repeat: int = 5,
    scaling: tuple[int, ...] = (),
    postgres: str | None = POSTGRES_SERVER,
) -> dict[str, Any]:
    """Figures for SQLite and, when reachable, PostgreSQL; smaller sizes too when asked."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    use_postgres = bool(postgres) and postgres_reachable(postgres or "")
    results: dict[str, Any] = {"interactions": interactions, "repeat": repeat, "seed": SEED, "runs": []}
    for size in sorted({*scaling, interactions}):
        targets = [sqlite_target(size)]
        if use_postgres:
            targets.append(postgres_target(postgres or "", size))
        for target in targets:
            figures = measure(target, repeat)
            print(json.dumps(figures), file=sys.stderr, flush=True)  # progress while the rest runs
            results["runs"].append(figures)
    if not use_postgres:
        results["postgresql"] = "not reachable; SQLite only" if postgres else "not asked for; SQLite only"
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--interactions", type=int, default=DEFAULT_INTERACTIONS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--scaling", default="", help="Comma-separated smaller sizes to time as well, e.g. 100000,300000."
    )
    parser.add_argument("--postgres", default=POSTGRES_SERVER, help="A URL of the PostgreSQL server to use.")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    if not shutil.which(str(MATCHPOINT)):
        sys.exit(f"{MATCHPOINT} not found: install the project into this interpreter's environment first")
    scaling = tuple(int(size) for size in args.scaling.split(",") if size.strip())
    figures = run(args.interactions, args.repeat, scaling, None if args.no_postgres else args.postgres)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
