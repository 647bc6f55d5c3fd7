"""A real Matchpoint server for benchmarks: gunicorn on a free local port, its own SQLite or PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
USER = "bench-agent@example.com"
PASSWORD = "bench password 123"


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    env: dict[str, str]
    pid: int = 0  # the gunicorn master
    user: str = USER
    password: str = PASSWORD


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run(
        [str(BIN / "matchpoint"), *args], env=env, input=stdin, capture_output=True, text=True, check=True
    )
    return done.stdout


def _fresh_postgres(database_url: str) -> None:
    """Drop and recreate the PostgreSQL database named in the URL, so every run starts empty."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{url.database}"')


def _rate_limit_storage() -> str:
    """BENCH_RATELIMIT_STORAGE, else the local Redis when it answers, else memory://."""
    if configured := os.environ.get("BENCH_RATELIMIT_STORAGE"):
        return configured
    try:
        import redis

        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except Exception:  # no Redis here: the embedded default
        return "memory://"
    return "redis://127.0.0.1:6379"


@contextmanager
def running(
    workers: int = 2, database_url: str | None = None, model_dir: Path | None = None, cpus: str | None = None
) -> Iterator[Server]:
    """A gunicorn server with `workers` sync workers; `cpus` pins it with taskset (e.g. "0")."""
    if database_url and database_url.startswith("postgresql"):
        _fresh_postgres(database_url)
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "MATCHPOINT_DATABASE_URL": database_url or f"sqlite:///{folder}/bench.sqlite3",
            "MATCHPOINT_MODEL_DIR": str(model_dir or ROOT / "instance" / "models"),
            "MATCHPOINT_SECRET_KEY": "bench",
            "MATCHPOINT_API_RATE_LIMIT": "1000000 per minute",
            # As in production with several workers: one shared count (memory:// counts per
            # worker, and starts a timer thread about once per request under load).
            "MATCHPOINT_RATELIMIT_STORAGE_URI": _rate_limit_storage(),
        }
        _run(["migrate"], env)
        _run(["playbooks", "sync"], env)
        if not (Path(env["MATCHPOINT_MODEL_DIR"]) / "matchpoint.skops").exists():
            _run(["train"], env)
        _run(
            ["create-user", USER, "--role", "agent", "--team", "Bench", "--agent-id", "A-B1"],
            env,
            stdin=f"{PASSWORD}\n",
        )
        token = _run(["create-token", USER], env).strip().splitlines()[-1]
        port = _free_port()
        pin = ["taskset", "-c", cpus] if cpus else []
        server = subprocess.Popen(
            [
                *pin,
                str(BIN / "gunicorn"),
                "-c",
                str(ROOT / "gunicorn.conf.py"),
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "app:create_app()",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{url}/healthz", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.1)
            yield Server(url, token, env, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)
