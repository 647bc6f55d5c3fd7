"""The load test on an earlier commit and on the working tree, by turns, in the same minutes.

This VM's speed drifts by up to 2× from one minute to the next, more than most changes
gain: a figure from an hour ago says little about a change made since. Here the two code
versions run alternately (base, new, base, new, …), each on a fresh server with the same
scenarios, so that both see the same minutes. The base runs from a git worktree of REV
put first on PYTHONPATH (its server, its migrations); model, database URL and settings are
shared.

    python -m bench.alternate --base d91b3d0 --database postgresql+psycopg://postgres@127.0.0.1:5432/mp_serving_bench
    python -m bench.alternate --base HEAD~1 --scenario classify --scenario live --rounds 3

Prints one line per scenario and run, and the median of each version's runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.load import HEADLINE, SCENARIOS, run
from bench.server import ROOT

FIGURES = ("throughput_per_s", "p95_ms", "server_cpu_ms_per_request")


@contextmanager
def worktree(rev: str) -> Iterator[Path]:
    """A detached checkout of `rev` beside the repository, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="mp-base-") as folder:
        path = Path(folder) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), rev], check=True)
        try:
            yield path
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], check=False)


@contextmanager
def code_from(path: Path | None) -> Iterator[None]:
    """Servers started inside import the app from `path` (None: the working tree)."""
    saved = os.environ.get("PYTHONPATH")
    if path is not None:
        os.environ["PYTHONPATH"] = str(path)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def _line(version: str, round_: int, row: dict[str, Any]) -> str:
    return (
        f"{version:5} r{round_} {row['scenario']:15} {row['throughput_per_s']:8.1f}/s "
        f"p50 {row['median_ms']:8.2f} p95 {row['p95_ms']:8.2f} ms  "
        f"srv {row['server_cpu_ms_per_request']:5.2f} ms/req  "
        f"oth {row['other_cpu_cores']:4.2f}  err {row['errors']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", required=True, help="the earlier commit (any git revision)")
    parser.add_argument(
        "--scenario", action="append", choices=sorted(SCENARIOS), help="default: the headline"
    )
    parser.add_argument("--rounds", type=int, default=2, help="pairs of runs (default 2)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", help="SQLAlchemy URL (a PostgreSQL database is recreated per run)")
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds per scenario")
    args = parser.parse_args()
    scenarios = tuple(args.scenario or HEADLINE)
    runs: dict[str, list[dict[str, Any]]] = {"base": [], "new": []}
    with worktree(args.base) as base:
        for round_ in range(args.rounds):
            order = (("base", base), ("new", None)) if round_ % 2 == 0 else (("new", None), ("base", base))
            for version, path in order:
                with code_from(path):
                    rows = run(
                        (args.workers,),
                        scenarios,
                        args.database,
                        args.duration,
                        4.0,
                        report=lambda row, v=version, r=round_: print(_line(v, r, row), flush=True),
                    )
                runs[version].extend(rows)
    print(f"\nmedians of {args.rounds} runs each (base {args.base}, new the working tree):")
    for name in scenarios:
        for version in ("base", "new"):
            rows = [row for row in runs[version] if row["scenario"] == name]
            figures = "  ".join(f"{key} {statistics.median(row[key] for row in rows):.2f}" for key in FIGURES)
            print(f"{version:5} {name:15} {figures}")


if __name__ == "__main__":
    main()
