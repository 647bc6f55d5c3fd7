"""Run the benchmarks and write their figures to bench/results/."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import assist_speed, batch_speed, classifier_speed, load, report_speed
from bench.server import running

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    figures = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
        "classifier": classifier_speed.run(),
        "batch_on_dask": batch_speed.run(),
        "assist_over_http": assist_speed.run(),
        "load_sqlite": load.run(workers=(2, 3, 4)),
    }
    postgres = os.environ.get(
        "BENCH_POSTGRES_URL"
    )  # e.g. postgresql+psycopg://postgres@127.0.0.1:5432/matchpoint_bench
    if postgres:
        figures["load_postgres"] = load.run(workers=(2, 3, 4), database_url=postgres)
    with running(workers=1) as server:
        figures["classify_by_length_over_http"] = load.by_length(server, load.prepare(server, polls=0))
    # 1.2M contacts on SQLite and on the PostgreSQL server at 127.0.0.1 when it answers
    # (databases built once, then reused: see bench/report_speed.py).
    figures["report"] = report_speed.run()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
