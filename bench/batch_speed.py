"""Batch scoring speed: 5 KB transcripts through score-batch on 1 and on 2 process workers."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
from distributed import Client, get_task_stream

from classifier import dataset, persistence
from classifier.batch import local_cluster, score_batch, score_frame
from classifier.labels import SIDES
from classifier.predict import Classifier
from classifier.train import train

TRANSCRIPT_CHARS = 5000
TRANSCRIPTS = 30000
FILES = 8


def transcripts(count: int, seed: int = 7) -> pd.DataFrame:
    """Utterance rows: alternating customer and agent training texts up to ~5 KB each."""
    data = dataset.load(dataset.default_training_dir())
    texts = {side: data.side(side)["text"].tolist() for side in SIDES}
    rng = random.Random(seed)
    rows = []
    for number in range(count):
        size, seq = 0, 0
        while size < TRANSCRIPT_CHARS:
            speaker = SIDES[seq % 2]
            text = rng.choice(texts[speaker])
            rows.append((f"t{number:06d}", seq, speaker, text))
            size += len(text)
            seq += 1
    return pd.DataFrame(rows, columns=["interaction_id", "seq", "speaker", "text"])


def model_dir(scratch: Path) -> Path:
    """The real model: instance/models when trained, else one trained into scratch."""
    found = persistence.default_model_dir()
    try:
        persistence.load(found)
        return found
    except persistence.ModelError:  # none yet, or made by an older version: train one here
        pass
    pipelines, metadata = train(dataset.load(dataset.default_training_dir()))
    persistence.save(scratch / "model", pipelines, metadata)
    return scratch / "model"


def _worker_cpu_seconds(client: Client) -> float:
    return sum(client.run(time.process_time).values())


def _busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent on anything since boot (every process)."""
    times = psutil.cpu_times()
    return times.user + times.nice + times.system + times.irq + times.softirq


def on_cluster(workers: int, source: Path, warm_up: Path, models: Path, out: Path) -> dict[str, Any]:
    """score_batch on a running local cluster whose workers have loaded the model.

    `seconds` is the whole score_batch call as a caller of a running cluster sees it (the id
    check, the tasks, the writes); `scoring_seconds` runs from the first scoring task's start
    to the last one's end on any worker (the steady part, without the fixed per-call costs).
    """
    with local_cluster(workers) as cluster, Client(cluster) as client:
        # The first run loads the model on each worker (once per process) and warms imports.
        score_batch(warm_up, out / "warm", models, scheduler=cluster.scheduler_address, progress=False)
        cpu_before, own_before, busy_before = (
            _worker_cpu_seconds(client),
            time.process_time(),
            _busy_cpu_seconds(),
        )
        with get_task_stream(client) as stream:
            report = score_batch(
                source, out / f"w{workers}", models, scheduler=cluster.scheduler_address, progress=False
            )
        cpu = _worker_cpu_seconds(client) - cpu_before
        own = time.process_time() - own_before  # this process: the client and the scheduler
        busy = _busy_cpu_seconds() - busy_before
    spans = [
        (piece["start"], piece["stop"])
        for task in stream.data
        if "score" in str(task["key"]) or "write" in str(task["key"])
        for piece in task["startstops"]
        if piece["action"] == "compute"
    ]
    scoring = max(stop for _, stop in spans) - min(start for start, _ in spans)
    return {
        "workers": workers,
        "seconds": report.seconds,
        "transcripts": report.interactions,
        "transcripts_per_second": round(report.interactions / report.seconds, 1),
        "transcripts_per_second_per_core": round(report.interactions / report.seconds / workers, 1),
        "scoring_seconds": round(scoring, 3),
        "scoring_transcripts_per_second": round(report.interactions / scoring, 1),
        # Worker CPU time is immune to other processes on the machine taking the cores.
        "worker_cpu_seconds": round(cpu, 2),
        "transcripts_per_worker_cpu_second": round(report.interactions / cpu, 1),
        "client_and_scheduler_cpu_seconds": round(own, 2),
        # Cores that processes outside this benchmark kept busy meanwhile (0 on a quiet machine).
        "other_cores_busy": round(max(0.0, busy - cpu - own) / report.seconds, 2),
        "partitions": report.partitions,
    }


def whole_command(workers: int, source: Path, models: Path, out: Path) -> dict[str, Any]:
    """`matchpoint score-batch --workers N` as a user runs it: interpreter start, imports,
    the local cluster's start, the model loaded in each worker, the scoring, the shutdown."""
    busy_before, started = _busy_cpu_seconds(), time.perf_counter()
    matchpoint = Path(sys.executable).with_name("matchpoint")  # the console script of this venv
    command = [str(matchpoint), "score-batch", "--input", str(source), "--output"]
    command += [str(out / f"command-w{workers}"), "--workers", str(workers), "--model-dir", str(models)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    transcripts = int(re.search(r"Scored (\d+) interactions", done.stderr).group(1))
    return {
        "workers": workers,
        "seconds": round(seconds, 3),
        "transcripts_per_second": round(transcripts / seconds, 1),
        "other_cores_busy_and_own_cpu": round((_busy_cpu_seconds() - busy_before) / seconds, 2),
    }


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(run[key] for run in runs), 3)


def run(count: int = TRANSCRIPTS, repeat: int = 1, command: bool = True) -> dict[str, Any]:
    """1 and 2 workers, alternating, `repeat` times each; medians and speed-ups of medians."""
    rows = transcripts(count)
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        models = model_dir(scratch)
        source = scratch / "input"
        source.mkdir()
        ids = rows["interaction_id"].unique()
        for number in range(FILES):
            chosen = rows[rows["interaction_id"].isin(ids[number::FILES])]
            chosen.to_parquet(source / f"part-{number}.parquet", index=False)
        warm_up = scratch / "warm.parquet"
        rows[rows["interaction_id"].isin(ids[:50])].to_parquet(warm_up, index=False)

        classifier = Classifier.load(models)
        sample = rows[rows["interaction_id"].isin(ids[:300])]
        score_frame(sample.head(100), classifier)
        started = time.process_time()
        score_frame(sample, classifier)
        in_process = 300 / (time.process_time() - started)

        runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
        commands: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
        for _ in range(repeat):
            for workers in (1, 2):
                runs[workers].append(on_cluster(workers, source, warm_up, models, scratch))
                print(json.dumps(runs[workers][-1]), file=sys.stderr, flush=True)
            if command:
                for workers in (1, 2):
                    commands[workers].append(whole_command(workers, source, models, scratch))
                    print(json.dumps(commands[workers][-1]), file=sys.stderr, flush=True)
    per_transcript = rows.groupby("interaction_id")["text"].agg(["size", lambda t: t.str.len().sum()])
    one, two = runs[1], runs[2]
    out: dict[str, Any] = {
        "transcripts": count,
        "files": FILES,
        "mean_turns": round(float(per_transcript["size"].mean()), 1),
        "mean_chars": round(float(per_transcript.iloc[:, 1].mean()), 1),
        "model_params": persistence.load(models).metadata["params"],
        "score_frame_transcripts_per_cpu_second": round(in_process, 1),
        "one_worker": one[-1] if repeat == 1 else one,
        "two_workers": two[-1] if repeat == 1 else two,
        # score_batch on a running cluster, medians over the repeats
        "speed_up": round(_median(one, "seconds") / _median(two, "seconds"), 2),
        "scoring_speed_up": round(_median(one, "scoring_seconds") / _median(two, "scoring_seconds"), 2),
        "two_workers_per_core": round(count / _median(two, "seconds") / 2, 1),
        "cpus": os.cpu_count(),
        "targets": {"speed_up": 1.7, "transcripts_per_second_per_core": 1000},
    }
    if command:
        out["whole_command"] = {
            "one_worker": commands[1],
            "two_workers": commands[2],
            "speed_up": round(_median(commands[1], "seconds") / _median(commands[2], "seconds"), 2),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transcripts", type=int, default=TRANSCRIPTS, help="how many 5 KB transcripts")
    parser.add_argument("--repeat", type=int, default=1, help="alternate 1 and 2 workers this many times")
    parser.add_argument(
        "--no-command", action="store_true", help="skip the whole `matchpoint score-batch` runs"
    )
    options = parser.parse_args()
    print(json.dumps(run(options.transcripts, options.repeat, not options.no_command), indent=2))


if __name__ == "__main__":
    main()
