"""Run the benchmarks and write their figures to bench/results/."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import assist_speed, classifier_speed

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    figures = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": platform.platform()},
        "classifier": classifier_speed.run(),
        "assist_over_http": assist_speed.run(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
