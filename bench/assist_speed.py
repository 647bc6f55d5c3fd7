"""Assist update end-to-end over real HTTP: post 40 turns to live interactions, each answered with assist.

python -m bench.assist_speed                  # over HTTP, 2 gunicorn workers, SQLite
python -m bench.assist_speed --in-process [--database URL] [--model-dir DIR]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.server import PASSWORD, ROOT, USER, _fresh_postgres, running
from classifier import dataset


def _summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "median_ms": round(statistics.median(values), 2),
        "p95_ms": round(values[int(len(values) * 0.95)], 2),
        "n": len(values),
    }


def _texts() -> tuple[list[str], list[str]]:
    """Danish training utterances of customers and of agents."""
    data = dataset.load(dataset.default_training_dir())
    customer = data.frame[(data.frame["side"] == "customer") & (data.frame["lang"] == "da")]["text"].tolist()
    agent = data.frame[(data.frame["side"] == "agent") & (data.frame["lang"] == "da")]["text"].tolist()
    return customer, agent


def run(interactions: int = 15, turns: int = 40) -> dict[str, Any]:
    customer, agent = _texts()
    rng = random.Random(3)
    server_ms: list[float] = []
    client_ms: list[float] = []
    last_turns_server: list[float] = []
    with running(workers=2) as server:
        parts = urlsplit(server.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}
        for n in range(interactions):
            body = json.dumps({"interaction_id": f"BENCH-{n}", "touchpoint": "phone", "language": "da"})
            connection.request("POST", "/api/v1/interactions", body=body, headers=headers)
            created = connection.getresponse()
            created.read()
            assert created.status == 201, created.status
            for turn in range(turns):
                speaker = "customer" if turn % 2 == 0 else "agent"
                text = rng.choice(customer if speaker == "customer" else agent)
                started = time.perf_counter()
                connection.request(
                    "POST",
                    f"/api/v1/interactions/BENCH-{n}/utterances",
                    body=json.dumps({"speaker": speaker, "text": text}),
                    headers=headers,
                )
                response = connection.getresponse()
                payload = json.loads(response.read())
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status == 201 and "suggestions" in payload, payload
                timing = float(response.getheader("Server-Timing", "app;dur=0").split("dur=")[1])
                server_ms.append(timing)
                client_ms.append(elapsed)
                if turn >= turns - 5:
                    last_turns_server.append(timing)
    return {
        "interactions": interactions,
        "turns_each": turns,
        "database": "sqlite",
        "server_time_all_turns": _summary(server_ms),
        "server_time_turns_36_to_40": _summary(last_turns_server),
        "client_round_trip_all_turns": _summary(client_ms),
    }


def in_process(
    database_url: str | None = None,
    model_dir: Path | None = None,
    counts: tuple[int, int, int] = (600, 600, 800),
) -> dict[str, dict[str, float]]:
    """Server CPU per request without HTTP or other processes: the Flask test client in this
    process, `time.process_time()` around each request (healthz, classify, live utterances on
    40-turn interactions). Less disturbed by a busy machine than the load test; one process,
    so the memo of recent turns always hits (under gunicorn each worker sees about 1/workers)."""
    from app import create_app
    from app.auth.accounts import create_user, issue_token
    from app.commands import upgrade_database
    from app.extensions import db
    from app.playbooks import library, store

    with tempfile.TemporaryDirectory() as folder:
        if database_url and database_url.startswith("postgresql"):
            _fresh_postgres(database_url)
        url = database_url or f"sqlite:///{folder}/in-process.sqlite3"
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "bench",
                "MODEL_DIR": str(model_dir or ROOT / "instance" / "models"),
                "API_RATE_LIMIT": "1000000 per minute",
            }
        )
        upgrade_database(app)
        with app.app_context():
            store.sync(db.session, library.load(app.config["PLAYBOOK_DIR"]))
            user = create_user(
                db.session, USER, PASSWORD, "agent", team_name="Bench", agent_external_id="A-B1"
            )
            token = issue_token(db.session, user)
            db.session.commit()
        customer, agent = _texts()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        rng = random.Random(1)
        times: list[float] = []

        def timed(method: str, path: str, expect: int, body: dict[str, str] | None = None) -> None:
            started = time.process_time()
            response = client.open(path, method=method, json=body, headers=headers)
            times.append(time.process_time() - started)
            assert response.status_code == expect, response.get_data(as_text=True)

        def live(n: int, first: int) -> None:
            done, k = 0, first
            while done < n:
                external_id = f"INPROC-{k}"
                k += 1
                body = {"interaction_id": external_id, "touchpoint": "phone", "language": "da"}
                assert client.post("/api/v1/interactions", json=body, headers=headers).status_code == 201
                for turn in range(40):
                    speaker = "customer" if turn % 2 == 0 else "agent"
                    text = rng.choice(customer if speaker == "customer" else agent)
                    path = f"/api/v1/interactions/{external_id}/utterances"
                    timed("POST", path, 201, {"speaker": speaker, "text": text})
                    done += 1

        def classify(n: int) -> None:
            for _ in range(n):
                side = rng.choice(("customer", "agent"))
                text = rng.choice(customer if side == "customer" else agent)
                timed("POST", "/api/v1/classify", 200, {"text": text, "side": side})

        def healthz(n: int) -> None:
            for _ in range(n):
                timed("GET", "/healthz", 200)

        live(120, 0)  # warm: model, lingua, caches
        healthz(100)
        classify(100)
        results = {}
        for name, run_scenario in (
            ("healthz", lambda: healthz(counts[0])),
            ("classify", lambda: classify(counts[1])),
            ("live", lambda: live(counts[2], 1000)),
        ):
            times.clear()
            run_scenario()
            results[name] = {
                "mean_ms": round(1000 * statistics.fmean(times), 2),
                "median_ms": round(1000 * statistics.median(times), 2),
                "n": len(times),
            }
        with app.app_context():
            db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--in-process", action="store_true", help="CPU per request through the test client")
    parser.add_argument("--database", help="SQLAlchemy URL (a PostgreSQL database is dropped and recreated)")
    parser.add_argument("--model-dir", type=Path, help="trained model (default instance/models)")
    args = parser.parse_args()
    if args.in_process:
        print(json.dumps(in_process(args.database, args.model_dir), indent=2))
    else:
        print(json.dumps(run(), indent=2))


if __name__ == "__main__":
    main()
