"""Cross-validated and held-out metrics: macro-F1 per side and language, confusion, calibration."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold

from classifier.dataset import Dataset
from classifier.labels import LABELS, SIDES
from classifier.pipeline import RANDOM_STATE, PipelineParams
from classifier.train import fit_side


def expected_calibration_error(proba: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    """Mean gap between confidence and accuracy over equal-width confidence bins."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == truth
    edges = np.linspace(0.0, 1.0, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            error += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(error)


def _macro_f1(truth: pd.Series, predicted: np.ndarray) -> float:
    return round(float(f1_score(truth, predicted, average="macro", labels=list(LABELS))), 4)


def _scores(rows: pd.DataFrame, proba: np.ndarray) -> dict[str, Any]:
    predicted = np.array(LABELS)[proba.argmax(axis=1)]
    truth_index = rows["label"].map(LABELS.index).to_numpy()
    per_language = {
        lang: {"macro_f1": _macro_f1(group["label"], predicted[group.index]), "n": len(group)}
        for lang, group in rows.groupby("lang")
    }
    return {
        "n": len(rows),
        "macro_f1": _macro_f1(rows["label"], predicted),
        "per_language": per_language,
        "confusion_matrix": {
            "labels": list(LABELS),
            "rows_true_columns_predicted": confusion_matrix(
                rows["label"], predicted, labels=list(LABELS)
            ).tolist(),
        },
        "calibration_error": round(expected_calibration_error(proba, truth_index), 4),
        "hard_cases_macro_f1": (
            _macro_f1(rows.loc[rows["hard"], "label"], predicted[rows["hard"].to_numpy()])
            if rows["hard"].any()
            else None
        ),
    }


def _ordered_proba(pipeline: Any, texts: list[str]) -> np.ndarray:
    order = [list(pipeline.classes_).index(label) for label in LABELS]
    return pipeline.predict_proba(texts)[:, order]


def evaluate(dataset: Dataset, params: PipelineParams = PipelineParams(), folds: int = 5) -> dict[str, Any]:
    """Stratified k-fold on the train split, then train → held-out, per side."""
    report: dict[str, Any] = {"sides": {}, "folds": folds, "training_data_sha256": dataset.sha256}
    for side in SIDES:
        train_rows = dataset.side(side, "train")
        heldout_rows = dataset.side(side, "heldout")
        strata = train_rows["label"] + "/" + train_rows["lang"]
        if strata.value_counts().min() < folds:  # too few per language: stratify by label only
            strata = train_rows["label"]
        cv_proba = np.zeros((len(train_rows), len(LABELS)))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=RANDOM_STATE)
        for fit_index, test_index in splitter.split(train_rows, strata):
            pipeline = fit_side(train_rows.iloc[fit_index], params)
            cv_proba[test_index] = _ordered_proba(pipeline, train_rows["text"].iloc[test_index].tolist())
        side_report: dict[str, Any] = {"cross_validation": _scores(train_rows, cv_proba)}
        if len(heldout_rows):
            pipeline = fit_side(train_rows, params)
            side_report["heldout"] = _scores(
                heldout_rows, _ordered_proba(pipeline, heldout_rows["text"].tolist())
            )
        report["sides"][side] = side_report
    heldout_f1 = [s["heldout"]["macro_f1"] for s in report["sides"].values() if "heldout" in s]
    cv_f1 = [s["cross_validation"]["macro_f1"] for s in report["sides"].values()]
    report["macro_f1"] = round(float(np.mean(heldout_f1 or cv_f1)), 4)
    report["macro_f1_source"] = "heldout" if heldout_f1 else "cross_validation"
    return report
