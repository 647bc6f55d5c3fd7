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


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    env: dict[str, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run([str(BIN / "matchpoint"), *args], env=env, input=stdin, capture_output=True, text=True, check=True)
    return done.stdout


@contextmanager
def running(workers: int = 2, database_url: str | None = None, model_dir: Path | None = None) -> Iterator[Server]:
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "MATCHPOINT_DATABASE_URL": database_url or f"sqlite:///{folder}/bench.sqlite3",
            "MATCHPOINT_MODEL_DIR": str(model_dir or ROOT / "instance" / "models"),
            "MATCHPOINT_SECRET_KEY": "bench",
            "MATCHPOINT_API_RATE_LIMIT": "1000000 per minute",
        }
        _run(["migrate"], env)
        _run(["playbooks", "sync"], env)
        if not (Path(env["MATCHPOINT_MODEL_DIR"]) / "matchpoint.skops").exists():
            _run(["train"], env)
        _run(["create-user", "bench-agent@example.com", "--role", "agent", "--team", "Bench", "--agent-id", "A-B1"],
             env, stdin="bench password 123\n")
        token = _run(["create-token", "bench-agent@example.com"], env).strip().splitlines()[-1]
        port = _free_port()
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "-w", str(workers),
             "-b", f"127.0.0.1:{port}", "app:create_app()"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{url}/healthz", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.1)
            yield Server(url, token, env)
        finally:
            server.terminate()
            server.wait(timeout=10)
