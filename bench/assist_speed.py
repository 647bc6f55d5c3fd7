"""Assist update end-to-end over real HTTP: post 40 turns to live interactions, each answered with assist."""

from __future__ import annotations

import http.client
import json
import random
import statistics
import time
from typing import Any
from urllib.parse import urlsplit

from bench.server import running
from classifier import dataset


def _summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "median_ms": round(statistics.median(values), 2),
        "p95_ms": round(values[int(len(values) * 0.95)], 2),
        "n": len(values),
    }


def run(interactions: int = 15, turns: int = 40) -> dict[str, Any]:
    data = dataset.load(dataset.default_training_dir())
    customer = data.frame[(data.frame["side"] == "customer") & (data.frame["lang"] == "da")]["text"].tolist()
    agent = data.frame[(data.frame["side"] == "agent") & (data.frame["lang"] == "da")]["text"].tolist()
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


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
