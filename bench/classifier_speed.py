"""Classifier speed: one utterance, a 40-turn transcript, batch throughput, training time."""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from classifier import dataset, persistence
from classifier.analysis import analyze
from classifier.batch import score_frame
from classifier.predict import Classifier
from classifier.train import train
from classifier.transcript import Turn


def _timings(fn: Any, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _summary(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {
        "median_ms": round(statistics.median(ms), 3),
        "p95_ms": round(ms[int(len(ms) * 0.95)], 3),
        "n": len(ms),
    }


def run() -> dict[str, Any]:
    data = dataset.load(dataset.default_training_dir())
    started = time.perf_counter()
    pipelines, metadata = train(data)
    training_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        persistence.save(Path(folder), pipelines, metadata)
        load_started = time.perf_counter()
        classifier = Classifier.load(Path(folder))
        load_s = time.perf_counter() - load_started
    rng = random.Random(7)
    customer = data.side("customer")["text"].tolist()
    agent = data.side("agent")["text"].tolist()
    classifier.classify("warm-up", "customer", "da")

    one = _timings(lambda: classifier.classify(rng.choice(customer), "customer"), 2000)

    def transcript(turns: int) -> list[Turn]:
        return [
            Turn("customer", rng.choice(customer)) if i % 2 == 0 else Turn("agent", rng.choice(agent))
            for i in range(turns)
        ]

    forty = [transcript(40) for _ in range(200)]
    analysed = iter(forty)
    forty_ms = _timings(lambda: analyze(classifier, next(analysed), lang="da"), 200)

    # Batch: whole transcripts without cues through score_frame (what score-batch runs in
    # each worker), on one core; CPU time, so other work on the machine does not count.
    def batch_speed(turns: int, count: int) -> tuple[float, float]:
        rows = [
            (f"t{n}", seq, turn.speaker, turn.text)
            for n in range(count)
            for seq, turn in enumerate(transcript(turns))
        ]
        frame = pd.DataFrame(rows, columns=["interaction_id", "seq", "speaker", "text"])
        score_frame(frame.head(200), classifier)
        started = time.process_time()
        score_frame(frame, classifier)
        chars = frame["text"].str.len().sum() / count
        return count / (time.process_time() - started), float(chars)

    short_speed, short_chars = batch_speed(10, 3000)
    long_speed, long_chars = batch_speed(40, 1000)
    return {
        "training_seconds": round(training_s, 2),
        "model_load_seconds": round(load_s, 2),
        "n_training_rows": len(data.frame),
        "heldout_macro_f1": metadata["metrics"]["heldout_macro_f1"],
        "one_utterance_with_cues": _summary(one),
        "forty_turn_transcript_with_cues": _summary(forty_ms),
        "batch_10_turns_per_cpu_second": round(short_speed, 1),
        "batch_10_turns_mean_chars": round(short_chars, 1),
        "batch_40_turns_per_cpu_second": round(long_speed, 1),
        "batch_40_turns_mean_chars": round(long_chars, 1),
        "numpy": np.__version__,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
