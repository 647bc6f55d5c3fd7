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

from classifier import dataset, persistence
from classifier.analysis import analyze, combine, turn_weights
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

    # Batch: label whole transcripts without cues, as score-batch does, on one core.
    batch = [transcript(10) for _ in range(2000)]
    chars = statistics.mean(sum(len(t.text) for t in turns) for turns in batch)
    start = time.perf_counter()
    for side in ("customer", "agent"):
        texts = [t.text for turns in batch for t in turns if t.speaker == side]
        proba = classifier.probabilities(texts, side)
        position = 0
        for turns in batch:
            mine = [t.text for t in turns if t.speaker == side]
            combine(proba[position : position + len(mine)], turn_weights(mine))
            position += len(mine)
    batch_s = time.perf_counter() - start
    return {
        "training_seconds": round(training_s, 2),
        "model_load_seconds": round(load_s, 2),
        "n_training_rows": len(data.frame),
        "heldout_macro_f1": metadata["metrics"]["heldout_macro_f1"],
        "one_utterance_with_cues": _summary(one),
        "forty_turn_transcript_with_cues": _summary(forty_ms),
        "batch_transcripts_per_second_one_core": round(len(batch) / batch_s, 1),
        "batch_transcript_turns": 10,
        "batch_transcript_mean_chars": round(float(chars), 1),
        "numpy": np.__version__,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
