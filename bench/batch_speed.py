"""Batch scoring speed: 5 KB transcripts through score-batch on 1 and on 2 process workers."""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
from distributed import Client

from classifier import dataset, persistence
from classifier.batch import local_cluster, score_batch, score_frame
from classifier.evaluate import evaluate
from classifier.labels import SIDES
from classifier.pipeline import PipelineParams
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


def on_cluster(workers: int, source: Path, warm_up: Path, models: Path, out: Path) -> dict[str, Any]:
    with local_cluster(workers) as cluster, Client(cluster) as client:
        # The first run loads the model on each worker (once per process) and warms imports.
        score_batch(warm_up, out / "warm", models, scheduler=cluster.scheduler_address, progress=False)
        cpu_before = _worker_cpu_seconds(client)
        report = score_batch(
            source, out / f"w{workers}", models, scheduler=cluster.scheduler_address, progress=False
        )
        cpu = _worker_cpu_seconds(client) - cpu_before
    return {
        "workers": workers,
        "seconds": report.seconds,
        "transcripts": report.interactions,
        "transcripts_per_second": round(report.interactions / report.seconds, 1),
        "transcripts_per_second_per_core": round(report.interactions / report.seconds / workers, 1),
        # Worker CPU time is immune to other processes on the machine taking the cores.
        "worker_cpu_seconds": round(cpu, 2),
        "transcripts_per_worker_cpu_second": round(report.interactions / cpu, 1),
        "partitions": report.partitions,
    }


def run(count: int = TRANSCRIPTS) -> dict[str, Any]:
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

        one = on_cluster(1, source, warm_up, models, scratch)
        two = on_cluster(2, source, warm_up, models, scratch)
    per_transcript = rows.groupby("interaction_id")["text"].agg(["size", lambda t: t.str.len().sum()])
    return {
        "transcripts": count,
        "mean_turns": round(float(per_transcript["size"].mean()), 1),
        "mean_chars": round(float(per_transcript.iloc[:, 1].mean()), 1),
        "model_params": persistence.load(models).metadata["params"],
        "score_frame_transcripts_per_cpu_second": round(in_process, 1),
        "one_worker": one,
        "two_workers": two,
        "speed_up": round(two["transcripts_per_second"] / one["transcripts_per_second"], 2),
        "cpus": os.cpu_count(),
        "targets": {"speed_up": 1.7, "transcripts_per_second_per_core": 1000},
    }


def trade_off(
    variants: tuple[tuple[int, int] | None, ...] = ((3, 4), (4, 4), (3, 3), None),
) -> list[dict[str, Any]]:
    """Accuracy against speed for character n-gram ranges (None: words only).

    Cross-validated macro-F1 as `matchpoint evaluate` reports it, and in-process scoring
    speed in transcripts per CPU second on the same 5 KB transcripts.
    """
    data = dataset.load(dataset.default_training_dir())
    rows = transcripts(300)
    out = []
    for chars in variants:
        params = PipelineParams(char_ngrams=chars)
        report = evaluate(data, params)
        with tempfile.TemporaryDirectory() as folder:
            pipelines, metadata = train(data, params)
            persistence.save(Path(folder), pipelines, metadata)
            classifier = Classifier.load(Path(folder))
        score_frame(rows.head(100), classifier)
        started = time.process_time()
        score_frame(rows, classifier)
        speed = len(rows["interaction_id"].unique()) / (time.process_time() - started)
        out.append(
            {
                "char_ngrams": chars,
                "macro_f1": report["macro_f1"],
                "transcripts_per_cpu_second": round(speed, 1),
            }
        )
        print(json.dumps(out[-1]), file=sys.stderr, flush=True)
    return out


if __name__ == "__main__":
    if "--trade-off" in sys.argv:
        print(json.dumps(trade_off(), indent=2))
    else:
        print(json.dumps(run(), indent=2))
