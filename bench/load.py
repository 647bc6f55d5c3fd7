"""Load tests over real HTTP against a real gunicorn server on this machine (127.0.0.1 only).

Each concurrent client is its own process with one http.client connection, so clients never
queue behind one another on the GIL. Every run is bounded: a warm-up, then a measured window of
`duration` seconds or `max_requests` answers per client, whichever comes first; then it stops.

Two kinds of load. *Closed* (classify, live, …): each client sends its next request as soon as
the last is answered — the server's capacity; latency there is clients ÷ throughput by
Little's law, so it says how long the queue is, not how fast an answer comes. *Paced*
(classify_paced, live_paced): requests arrive at a set rate spread over the clients, at
random (Poisson) moments, as utterances of many calls do; each latency counts from the moment
the request was due, so a server that falls behind is charged for the wait (no coordinated
omission). The live target is a paced one — 200 utterances/s arriving from ~1,000 calls — and
the classify p95 is taken paced at the throughput its own target asks for (25 % of /healthz's).

    python -m bench.load --headline                       # the targets: healthz, classify, live; 2 workers
    python -m bench.load --headline --database postgresql+psycopg://postgres@127.0.0.1:5432/matchpoint_bench
    python -m bench.load                                  # every scenario, 2/3/4 workers, SQLite
    python -m bench.load --workers 3 --scenario live      # one scenario on one server

Each run prints a table (also as Markdown rows for docs/performance.md), checks the serving
targets, and writes its rows as JSON (bench/results/load-<database>.json unless --json says).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import random
import re
import statistics
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench.server import Server, running

RESULTS = Path(__file__).resolve().parent / "results"
HEADLINE = ("healthz", "classify", "classify_paced", "live", "live_paced")  # what the targets are about
TURNS = 40  # a live interaction grows to this many turns, then the client starts a new one
POLL_TURNS = 20  # interactions polled by the assist scenarios hold this many turns


@dataclass(frozen=True)
class Call:
    """One HTTP request a client sends; only `counted` calls go into the figures."""

    method: str
    path: str
    body: bytes | None
    headers: dict[str, str]
    expect: int
    counted: bool = True


@dataclass(frozen=True)
class Scenario:
    name: str
    clients: int
    describe: str
    calls: str = ""  # whose request sequence it sends (default its own name)
    paced: bool = False  # requests arrive at a set rate instead of back to back

    @property
    def sequence(self) -> str:
        return self.calls or self.name


LIVE_RATE = 200.0  # utterances per second arriving at the server in live_paced
CLASSIFY_SHARE = 0.25  # classify_paced arrives at this share of /healthz's throughput


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("healthz", 8, "GET /healthz, the trivial endpoint for reference"),
        Scenario("classify", 8, "POST /api/v1/classify, one utterance"),
        Scenario(
            "live", 16, f"POST /api/v1/interactions/{{id}}/utterances, interactions of up to {TURNS} turns"
        ),
        Scenario("assist_api", 8, f"GET /api/v1/interactions/{{id}}/assist, {POLL_TURNS}-turn interactions"),
        Scenario(
            "assist_fragment",
            8,
            f"GET /assist/<id>?since=N-1 with HX-Request: a poll that renders, {POLL_TURNS} turns",
        ),
        Scenario("assist_poll", 8, "GET /assist/<id>?since=N with HX-Request: a poll with nothing new (204)"),
        Scenario(
            "classify_paced",
            8,
            f"classify arriving at {CLASSIFY_SHARE:.0%} of /healthz's throughput (Poisson), 8 connections",
            calls="classify",
            paced=True,
        ),
        Scenario(
            "live_paced",
            16,
            f"live utterances arriving at {LIVE_RATE:.0f}/s (Poisson), 16 connections",
            calls="live",
            paced=True,
        ),
    )
}


@dataclass(frozen=True)
class Context:
    """What every client process needs: where the server is, who it is, what to say."""

    host: str
    port: int
    token: str
    cookie: str
    customer: list[str]
    agent: list[str]
    poll_ids: list[str]


def _api_headers(context: Context) -> dict[str, str]:
    return {"Authorization": f"Bearer {context.token}", "Content-Type": "application/json"}


def _calls(name: str, context: Context, client: int) -> Iterator[Call]:
    """The endless request sequence of one client in one scenario."""
    rng = random.Random(client)
    api = _api_headers(context)
    htmx = {"Cookie": context.cookie, "HX-Request": "true"}
    if name == "healthz":
        while True:
            yield Call("GET", "/healthz", None, {}, 200)
    elif name == "classify":
        while True:
            side = rng.choice(("customer", "agent"))
            text = rng.choice(context.customer if side == "customer" else context.agent)
            yield Call(
                "POST", "/api/v1/classify", json.dumps({"text": text, "side": side}).encode(), api, 200
            )
    elif name == "live":
        # Clients start at staggered lengths so the mix of 1..40-turn interactions is steady from the start.
        n = 0
        first = True
        while True:
            external_id = f"LIVE-{os.getpid()}-{client}-{n}"
            n += 1
            body = {"interaction_id": external_id, "touchpoint": "phone", "language": "da"}
            start_turn = rng.randrange(TURNS) if first else 0
            if start_turn:
                body["utterances"] = [
                    {"speaker": _speaker(t), "text": _text(rng, context, t)} for t in range(start_turn)
                ]
            first = False
            yield Call("POST", "/api/v1/interactions", json.dumps(body).encode(), api, 201, counted=False)
            for turn in range(start_turn, TURNS):
                payload = {"speaker": _speaker(turn), "text": _text(rng, context, turn)}
                yield Call(
                    "POST",
                    f"/api/v1/interactions/{external_id}/utterances",
                    json.dumps(payload).encode(),
                    api,
                    201,
                )
    elif name == "assist_api":
        while True:
            yield Call("GET", f"/api/v1/interactions/{rng.choice(context.poll_ids)}/assist", None, api, 200)
    elif name == "assist_fragment":
        while True:
            yield Call(
                "GET", f"/assist/{rng.choice(context.poll_ids)}?since={POLL_TURNS - 1}", None, htmx, 200
            )
    elif name == "assist_poll":
        while True:
            yield Call("GET", f"/assist/{rng.choice(context.poll_ids)}?since={POLL_TURNS}", None, htmx, 204)
    else:
        raise ValueError(name)


def _speaker(turn: int) -> str:
    return "customer" if turn % 2 == 0 else "agent"


def _text(rng: random.Random, context: Context, turn: int) -> str:
    return rng.choice(context.customer if turn % 2 == 0 else context.agent)


def _client(
    name: str,
    context: Context,
    client: int,
    start_at: float,
    measure_at: float,
    stop_at: float,
    max_requests: int,
    cpus: list[int] | None,
    out: Any,
    rate: float | None = None,
) -> None:
    """One client process on one keep-alive connection until `stop_at`: calls back to back, or
    with `rate` (per second, this client's share) due at Poisson moments, each latency counted
    from its due moment."""
    if cpus:
        os.sched_setaffinity(0, cpus)
    connection = http.client.HTTPConnection(context.host, context.port, timeout=30)
    latencies: list[float] = []
    server_ms: list[float] = []
    errors: list[str] = []
    cpu_start: float | None = None
    arrived = 0  # paced: requests due within the measured window, answered or not
    calls = _calls(SCENARIOS[name].sequence, context, client)
    arrivals = random.Random(1000 + client)
    due = start_at + (arrivals.expovariate(rate) if rate else 0.0)
    first = next(calls)
    if rate and not first.counted:
        # Paced: the first contact (which may come with up to TURNS turns, so that lengths
        # are mixed from the start) is set up before the arrivals begin, not in their time.
        connection.request(first.method, first.path, body=first.body, headers=first.headers)
        connection.getresponse().read()
        first = next(calls)
    pending: Call | None = first
    while time.monotonic() < start_at:
        time.sleep(0.001)
    while True:
        if rate:  # to the next due moment, or to the end of the window if that comes first
            wait = min(due, stop_at) - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        now = time.monotonic()
        if now >= stop_at or len(latencies) >= max_requests:
            break
        if cpu_start is None and now >= measure_at:
            times = os.times()
            cpu_start = times.user + times.system
        call, pending = pending or next(calls), None
        started = time.perf_counter()
        if rate and call.counted:  # paced: from the due moment; setting up a contact takes no slot
            started -= now - due
            arrived += measure_at <= due < stop_at
            due += arrivals.expovariate(rate)
        try:
            connection.request(call.method, call.path, body=call.body, headers=call.headers)
            response = connection.getresponse()
            response.read()
            status, timing = response.status, response.getheader("Server-Timing", "")
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            status, timing = -1, repr(error)
        elapsed = (time.perf_counter() - started) * 1000
        if now < measure_at:
            continue  # warm-up: workers load the model, caches fill
        if status != call.expect:
            errors.append(f"{call.method} {call.path} -> {status} {timing if status == -1 else ''}".strip())
            continue
        if call.counted:
            latencies.append(elapsed)
            if "dur=" in timing:
                server_ms.append(float(timing.split("dur=")[1]))
    times = os.times()
    cpu = times.user + times.system - (cpu_start or 0.0)
    while rate and due < stop_at:  # paced: arrived in the window, never sent (the server lagged)
        arrived += due >= measure_at
        due += arrivals.expovariate(rate)
    out.put(
        {
            "latencies": latencies,
            "arrived": arrived,
            "server_ms": server_ms,
            "errors": errors,
            "cpu_s": cpu,
            "measured_s": time.monotonic() - measure_at,
        }
    )


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


def _server_cpu(pid: int) -> float:
    """CPU seconds used so far by the gunicorn master and its workers."""
    try:
        master = psutil.Process(pid)
        total = 0.0
        for process in (master, *master.children(recursive=True)):
            times = process.cpu_times()
            total += times.user + times.system
        return total
    except psutil.Error:
        return 0.0


def _busy() -> float:
    """CPU seconds the whole machine has spent busy so far."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def wait_for_quiet(limit: float = 30.0, busy_cores: float = 0.3) -> float:
    """Wait (up to `limit` seconds) until the rest of the machine uses under `busy_cores`; say how long."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = _busy()
        time.sleep(1.0)
        if _busy() - before < busy_cores:
            break
    return round(time.monotonic() - started, 1)


def measure(
    name: str,
    server: Server,
    context: Context,
    *,
    clients: int | None = None,
    duration: float = 10.0,
    warmup: float = 5.0,
    max_requests: int = 50_000,
    client_cpus: list[int] | None = None,
    rate: float | None = None,
) -> dict[str, Any]:
    """Run one scenario against a running server and summarise it; `rate` (requests per
    second over all clients) for a paced one."""
    clients = clients or SCENARIOS[name].clients
    if SCENARIOS[name].paced and not rate:
        raise ValueError(f"{name} is paced: give it a rate")
    waited = wait_for_quiet()
    mp = multiprocessing.get_context("fork")
    out = mp.Queue()
    start_at = time.monotonic() + (3.0 if rate else 0.5)  # paced clients set up their first contact first
    measure_at = start_at + warmup
    stop_at = measure_at + duration
    processes = [
        mp.Process(
            target=_client,
            args=(
                name,
                context,
                i,
                start_at,
                measure_at,
                stop_at,
                max_requests,
                client_cpus,
                out,
                rate / clients if rate else None,
            ),
        )
        for i in range(clients)
    ]
    for process in processes:
        process.start()
    while time.monotonic() < measure_at:
        time.sleep(0.01)
    server_cpu_start, machine_start = _server_cpu(server.pid), _busy()
    results = [out.get(timeout=duration + warmup + 60) for _ in processes]
    server_cpu, machine = _server_cpu(server.pid) - server_cpu_start, _busy() - machine_start
    for process in processes:
        process.join(timeout=10)
    latencies = [v for r in results for v in r["latencies"]]
    server_ms = [v for r in results for v in r["server_ms"]]
    errors = [e for r in results for e in r["errors"]]
    window = max(r["measured_s"] for r in results)
    client_cpu = sum(r["cpu_s"] for r in results)
    return {
        "scenario": name,
        "clients": clients,
        "offered_per_s": round(rate, 1) if rate else None,
        # Poisson arrivals in a 10 s window vary by ~2.5 % around the rate: this many came.
        "arrived_per_s": round(sum(r["arrived"] for r in results) / window, 1) if rate else None,
        "requests": len(latencies),
        "seconds": round(window, 2),
        "throughput_per_s": round(len(latencies) / window, 1),
        "median_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p95_ms": round(_percentile(latencies, 0.95), 2),
        "p99_ms": round(_percentile(latencies, 0.99), 2),
        "server_median_ms": round(statistics.median(server_ms), 2) if server_ms else None,
        "server_p95_ms": round(_percentile(server_ms, 0.95), 2),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "client_cpu_cores": round(client_cpu / window, 2),
        "server_cpu_cores": round(server_cpu / window, 2),
        # Anything else on the machine (other people's tests, say) takes CPU from the server: show it.
        "waited_for_quiet_s": waited,
        "other_cpu_cores": round(max(0.0, machine - server_cpu - client_cpu) / window, 2),
        # CPU per answer does not depend on who else uses the machine: the basis of a capacity estimate.
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, len(latencies)), 2),
        "client_cpu_ms_per_request": round(1000 * client_cpu / max(1, len(latencies)), 2),
    }


def _keeps_up(row: dict[str, Any]) -> bool:
    """A paced run answered (nearly) everything that arrived in its window (not the nominal
    rate: with Poisson arrivals that count itself varies by a few per cent)."""
    arrived = row.get("arrived_per_s") or row["offered_per_s"]
    return bool(row["offered_per_s"]) and row["throughput_per_s"] >= 0.97 * arrived


TARGETS = (
    (
        "classify p95 ≤ 15 ms at 8 clients (paced at 25 % of healthz throughput)",
        "classify_paced",
        lambda rows: _keeps_up(rows["classify_paced"]) and rows["classify_paced"]["p95_ms"] <= 15.0,
    ),
    (
        "classify ≥ 25 % of healthz throughput (closed)",
        "classify",
        lambda rows: (
            "healthz" in rows
            and rows["classify"]["throughput_per_s"] >= CLASSIFY_SHARE * rows["healthz"]["throughput_per_s"]
        ),
    ),
    (
        "live capacity ≥ 200 utterances/s at 16 clients (closed)",
        "live",
        lambda rows: rows["live"]["throughput_per_s"] >= LIVE_RATE,
    ),
    (
        "live sustains 200 utterances/s arriving over 16 clients (paced)",
        "live_paced",
        lambda rows: _keeps_up(rows["live_paced"]) and rows["live_paced"]["offered_per_s"] >= LIVE_RATE,
    ),
    (
        "live p95 ≤ 50 ms at 200 utterances/s, 16 clients (paced)",
        "live_paced",
        lambda rows: _keeps_up(rows["live_paced"]) and rows["live_paced"]["p95_ms"] <= 50.0,
    ),
)


def check_targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each serving target against each server (workers) that ran its scenario; errors must be zero."""
    verdicts = []
    for workers in sorted({row["workers"] for row in rows}):
        by_name = {row["scenario"]: row for row in rows if row["workers"] == workers}
        for text, scenario, passes in TARGETS:
            if scenario in by_name:
                met = bool(passes(by_name)) and by_name[scenario]["errors"] == 0
                verdicts.append({"workers": workers, "target": text, "met": met})
        errors = sum(row["errors"] for row in by_name.values())
        verdicts.append({"workers": workers, "target": "zero errors in every scenario", "met": errors == 0})
    return verdicts


def _offered(row: dict[str, Any]) -> str:
    """The paced rate, and in brackets how many per second arrived in the window."""
    if not row["offered_per_s"]:
        return "–"
    arrived = row.get("arrived_per_s")
    return f"{row['offered_per_s']}" + (f" ({arrived})" if arrived else "")


def markdown_rows(rows: list[dict[str, Any]]) -> list[str]:
    """The table of docs/performance.md, one line per row."""
    lines = [
        "| workers | scenario | clients | offered/s | req/s | median | p95 | p99 | srv med | errors "
        "| srv cpu | cli cpu | oth cpu | srv ms/req |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['workers']} | {row['scenario']} | {row['clients']} | {_offered(row)} "
            f"| {row['throughput_per_s']} "
            f"| {row['median_ms']} | {row['p95_ms']} | {row['p99_ms']} | {row['server_median_ms']} "
            f"| {row['errors']} | {row['server_cpu_cores']} | {row['client_cpu_cores']} "
            f"| {row['other_cpu_cores']} | {row['server_cpu_ms_per_request']} |"
        )
    return lines


def _request(
    server: Server, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> http.client.HTTPResponse:
    parts = urllib.parse.urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    return response


def _login(server: Server) -> str:
    """A logged-in session cookie for the bench agent (the login form needs its CSRF token)."""
    page = _request(server, "GET", "/login")
    cookie = page.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.body)  # type: ignore[attr-defined]
    form = urllib.parse.urlencode(
        {
            "email": server.user,
            "password": server.password,
            "csrf_token": token.group(1).decode() if token else "",
        }
    )
    done = _request(
        server,
        "POST",
        "/login",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    assert done.status in (302, 303), f"login failed: {done.status}"
    return done.getheader("Set-Cookie", "").split(";")[0]


def prepare(server: Server, polls: int = 20) -> Context:
    """Training texts to send, a session cookie, and `polls` interactions of POLL_TURNS turns to poll."""
    from classifier import dataset

    data = dataset.load(dataset.default_training_dir())
    frame = data.frame[data.frame["lang"] == "da"]
    customer = frame[frame["side"] == "customer"]["text"].tolist()
    agent = frame[frame["side"] == "agent"]["text"].tolist()
    parts = urllib.parse.urlsplit(server.url)
    context = Context(
        parts.hostname or "127.0.0.1",
        parts.port or 80,
        server.token,
        _login(server),
        customer,
        agent,
        [f"POLL-{i}" for i in range(polls)],
    )
    rng = random.Random(11)
    for external_id in context.poll_ids:
        body = {
            "interaction_id": external_id,
            "touchpoint": "phone",
            "language": "da",
            "utterances": [
                {"speaker": _speaker(t), "text": _text(rng, context, t)} for t in range(POLL_TURNS)
            ],
        }
        created = _request(
            server, "POST", "/api/v1/interactions", json.dumps(body).encode(), _api_headers(context)
        )
        assert created.status == 201, created.body  # type: ignore[attr-defined]
    return context


def by_length(
    server: Server, context: Context, lengths: tuple[int, ...] = (100, 500, 2_000, 5_000), repeat: int = 60
) -> list[dict[str, Any]]:
    """POST /api/v1/classify with texts of growing length, one client: how cost grows with length."""
    rng = random.Random(5)
    parts = urllib.parse.urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    rows = []
    for length in lengths:
        for lang in (None, "da"):  # without a language the server detects it: a cost of its own
            round_trip, server_ms = [], []
            for i in range(repeat + 5):
                words: list[str] = []
                while sum(len(w) + 1 for w in words) < length:
                    words.append(rng.choice(context.customer))
                body = {
                    "text": " ".join(words)[:length],
                    "side": "customer",
                    **({"lang": lang} if lang else {}),
                }
                started = time.perf_counter()
                connection.request(
                    "POST", "/api/v1/classify", json.dumps(body).encode(), _api_headers(context)
                )
                response = connection.getresponse()
                response.read()
                assert response.status == 200, response.status
                if i >= 5:  # the first few warm the worker
                    round_trip.append((time.perf_counter() - started) * 1000)
                    server_ms.append(float(response.getheader("Server-Timing", "dur=nan").split("dur=")[1]))
            rows.append(
                {
                    "chars": length,
                    "lang_given": lang is not None,
                    "server_median_ms": round(statistics.median(server_ms), 2),
                    "server_p95_ms": round(_percentile(server_ms, 0.95), 2),
                    "round_trip_median_ms": round(statistics.median(round_trip), 2),
                }
            )
    return rows


def run(
    workers: tuple[int, ...] = (2, 3, 4),
    scenarios: tuple[str, ...] = tuple(SCENARIOS),
    database_url: str | None = None,
    duration: float = 10.0,
    warmup: float = 5.0,
    server_cpus: str | None = None,
    client_cpus: list[int] | None = None,
    report: Callable[[dict[str, Any]], None] | None = None,
    model_dir: Path | None = None,
    live_rate: float = LIVE_RATE,
    classify_rate: float | None = None,
) -> list[dict[str, Any]]:
    """Every scenario on a fresh server per worker count. classify_paced arrives at
    `classify_rate`, else at CLASSIFY_SHARE of the healthz throughput just measured."""
    rows = []
    for count in workers:
        with running(
            workers=count, database_url=database_url, model_dir=model_dir, cpus=server_cpus
        ) as server:
            context = prepare(server)
            measured: dict[str, dict[str, Any]] = {}
            for name in scenarios:
                rate = None
                if name == "live_paced":
                    rate = live_rate
                elif name == "classify_paced":
                    healthz = measured.get("healthz")
                    share = CLASSIFY_SHARE * healthz["throughput_per_s"] if healthz else None
                    rate = classify_rate or share
                    if not rate:
                        raise ValueError("classify_paced needs --classify-rate or the healthz scenario first")
                row = {
                    "workers": count,
                    "database": (database_url or "sqlite").split(":")[0],
                    **measure(
                        name,
                        server,
                        context,
                        duration=duration,
                        warmup=warmup,
                        client_cpus=client_cpus,
                        rate=rate,
                    ),
                }
                measured[name] = row
                rows.append(row)
                if report:
                    report(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, action="append", help="gunicorn sync workers (repeatable)")
    parser.add_argument(
        "--scenario", action="append", choices=sorted(SCENARIOS), help="repeatable; default all"
    )
    parser.add_argument(
        "--database",
        help="SQLAlchemy URL; default a fresh SQLite file. A PostgreSQL database is dropped and recreated.",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per scenario")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="seconds before measuring: every worker loads the model"
    )
    parser.add_argument("--server-cpus", help="pin the server with taskset, e.g. 0")
    parser.add_argument("--client-cpus", help="pin the clients, e.g. 1")
    parser.add_argument("--json", help="write the rows here (default bench/results/load-<database>.json)")
    parser.add_argument("--model-dir", type=Path, help="trained model to serve (default instance/models)")
    parser.add_argument("--by-length", action="store_true", help="only classify time against text length")
    parser.add_argument("--live-rate", type=float, default=LIVE_RATE, help="utterances/s in live_paced")
    parser.add_argument(
        "--classify-rate", type=float, help="requests/s in classify_paced (default 25 %% of healthz's)"
    )
    parser.add_argument(
        "--headline",
        action="store_true",
        help=f"the serving targets only: {', '.join(HEADLINE)} on 2 workers (unless --workers/--scenario)",
    )
    args = parser.parse_args()
    load_before = [round(x, 2) for x in os.getloadavg()]  # 1, 5, 15 minutes: how busy the machine was
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    client_cpus = [int(c) for c in args.client_cpus.split(",")] if args.client_cpus else None

    def show(row: dict[str, Any]) -> None:
        print(
            f"{row['workers']:>7} {row['scenario']:<16} {row['clients']:>7} {row['offered_per_s'] or '-':>8} "
            f"{row['throughput_per_s']:>8} "
            f"{row['median_ms']:>8} {row['p95_ms']:>8} {row['p99_ms']:>8} {row['server_median_ms']!s:>8} "
            f"{row['errors']:>6} {row['client_cpu_cores']:>7} {row['server_cpu_cores']:>7} "
            f"{row['other_cpu_cores']:>7} {row['server_cpu_ms_per_request']:>10}",
            flush=True,
        )
        for sample in row["error_samples"]:
            print(f"        error: {sample}", flush=True)

    if args.by_length:
        with running(
            workers=1, database_url=args.database, model_dir=args.model_dir, cpus=args.server_cpus
        ) as server:
            for row in by_length(server, prepare(server, polls=0)):
                print(json.dumps(row), flush=True)
        return
    print(
        f"{'workers':>7} {'scenario':<16} {'clients':>7} {'offered':>8} {'req/s':>8} {'median':>8} "
        f"{'p95':>8} {'p99':>8} "
        f"{'srv med':>8} {'errors':>6} {'cli cpu':>7} {'srv cpu':>7} {'oth cpu':>7} {'srv ms/req':>10}"
    )
    started = datetime.now(UTC)
    rows = run(
        tuple(args.workers or ((2,) if args.headline else (2, 3, 4))),
        tuple(args.scenario or (HEADLINE if args.headline else SCENARIOS)),
        args.database,
        args.duration,
        args.warmup,
        args.server_cpus,
        client_cpus,
        show,
        args.model_dir,
        args.live_rate,
        args.classify_rate,
    )
    verdicts = check_targets(rows)
    print()
    print("\n".join(markdown_rows(rows)))
    print()
    for verdict in verdicts:
        print(
            f"{'met   ' if verdict['met'] else 'MISSED'}  {verdict['workers']} workers: {verdict['target']}"
        )
    database = (args.database or "sqlite").split(":")[0].split("+")[0]
    path = Path(args.json) if args.json else RESULTS / f"load-{database}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "python": platform.python_version(),
    }
    document = {
        "started": started.isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.load", *sys.argv[1:]]),
        "machine": machine,
        "rows": rows,
        "targets": verdicts,
    }
    path.write_text(json.dumps(document, indent=2))
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
