"""Which model: macro-F1 on labelled real messages against speed, per candidate.

    python -m bench.model_choice --real ../shared/realdev/realdev.jsonl

Each candidate is trained here (sentence embeddings come from the machine's store, so
only the first run encodes the training texts), then measured the same way:
- realdev macro-F1 per side and language (`matchpoint evaluate --real`'s figures), and
  the held-out macro-F1 on our own authored data;
- median and p95 milliseconds to classify one customer utterance with its cues;
- 5 KB transcripts scored per CPU second in one process (score-batch's work per core);
- seconds to train with the embeddings stored.
The table in docs/model-card.md comes from this command.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.batch_speed import transcripts
from classifier import dataset, meaning, persistence
from classifier.batch import score_frame
from classifier.evaluate import evaluate_real, load_real
from classifier.pipeline import PipelineParams
from classifier.predict import Classifier
from classifier.train import train

# (name, parameters, trained on the authored genres as well as the codebook set)
CANDIDATES = [
    ("n-grams, codebook data only (before)", PipelineParams(meaning_weight=None), False),
    ("n-grams", PipelineParams(meaning_weight=None), True),
    ("n-grams + e5 embedding (chosen)", PipelineParams(), True),
    ("n-grams + e5 embedding, weight 0.1", PipelineParams(meaning_weight=0.1), True),
]
GENRES_FROM = 5001  # ids from here on are the authored genres (training_data/README.md)


def _codebook_only(data: dataset.Dataset) -> dataset.Dataset:
    number = data.frame["id"].str.rsplit("-", n=1).str[-1].astype(int)
    return dataset.Dataset(frame=data.frame[number < GENRES_FROM].reset_index(drop=True), sha256=data.sha256)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def measure(name: str, params: PipelineParams, genres: bool, real_path: Path | None) -> dict[str, Any]:
    data = dataset.load(dataset.default_training_dir())
    data = data if genres else _codebook_only(data)
    with meaning.stored_at(meaning.default_store_dir()):
        started = time.perf_counter()
        pipelines, metadata = train(data, params)
        training_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        persistence.save(Path(folder), pipelines, metadata)
        classifier = Classifier.load(Path(folder))
    out: dict[str, Any] = {
        "model": name,
        "n_train": metadata["n_train"],
        "heldout_macro_f1": metadata["metrics"]["heldout_macro_f1"],
        "training_s_embeddings_stored": round(training_s, 1),
    }
    if real_path is not None:
        report = evaluate_real(classifier, load_real(real_path))
        out["real_macro_f1"] = {
            side: {"all": s["macro_f1"], **{k: v["macro_f1"] for k, v in s["per_language"].items()}}
            for side, s in report["sides"].items()
        }
    rng = random.Random(7)
    texts = data.side("customer")["text"].tolist()
    classifier.classify("warm-up", "customer", "da")
    one = []
    for _ in range(300):
        text = rng.choice(texts)
        begun = time.perf_counter()
        classifier.classify(text, "customer")
        one.append((time.perf_counter() - begun) * 1000)
    out["utterance_with_cues_ms"] = {
        "median": round(_percentile(one, 0.5), 2),
        "p95": round(_percentile(one, 0.95), 2),
    }
    rows = transcripts(40)
    score_frame(rows.head(50), classifier)
    begun = time.process_time()
    score_frame(rows, classifier)
    out["transcripts_5kb_per_cpu_second"] = round(40 / (time.process_time() - begun), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--real", type=Path, default=None, help="labelled JSON lines of real messages")
    options = parser.parse_args()
    os.environ.setdefault("MATCHPOINT_ENCODER_THREADS", "1")  # per core, as the figures are read
    results = []
    for name, params, genres in CANDIDATES:
        results.append(measure(name, params, genres, options.real))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
