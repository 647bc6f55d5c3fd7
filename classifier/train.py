"""Fitting one pipeline per side on the training split; the held-out split is never seen."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline

from classifier.dataset import Dataset
from classifier.labels import LABELS, SIDES
from classifier.pipeline import PipelineParams, build_pipeline


def fit_side(frame: pd.DataFrame, params: PipelineParams) -> Pipeline:
    if frame["label"].nunique() < len(LABELS):
        raise ValueError("training data for a side must hold all three labels")
    pipeline = build_pipeline(params)
    pipeline.fit(frame["text"].tolist(), frame["label"].tolist())
    return pipeline


def train(
    dataset: Dataset, params: PipelineParams = PipelineParams()
) -> tuple[dict[str, Pipeline], dict[str, Any]]:
    """Fit both sides on the train split; report held-out macro-F1 in the metadata."""
    pipelines: dict[str, Pipeline] = {}
    heldout: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for side in SIDES:
        train_rows = dataset.side(side, "train")
        pipelines[side] = fit_side(train_rows, params)
        counts[side] = len(train_rows)
        test_rows = dataset.side(side, "heldout")
        if len(test_rows):
            predicted = pipelines[side].predict(test_rows["text"].tolist())
            heldout[side] = round(
                float(f1_score(test_rows["label"], predicted, average="macro", labels=list(LABELS))), 4
            )
    trained_at = datetime.now(UTC)
    metadata = {
        "labels": list(LABELS),
        "sides": list(SIDES),
        "params": params.as_dict(),
        "training_data_sha256": dataset.sha256,
        "n_train": counts,
        "metrics": {"heldout_macro_f1": heldout},
        "trained_at": trained_at.isoformat(),
        "model_version": f"{trained_at:%Y%m%d%H%M%S}-{dataset.sha256[:8]}",
    }
    return pipelines, metadata
