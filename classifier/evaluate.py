"""Metrics: cross-validated and held-out on the training data, and a trained model on labelled
real messages (evaluate --real); macro-F1 per side and language, confusion, calibration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold

from classifier.dataset import Dataset
from classifier.labels import LABELS, SIDES
from classifier.pipeline import RANDOM_STATE, PipelineParams
from classifier.predict import LOW_CONFIDENCE, Classifier
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


class RealDataError(ValueError):
    """A labelled file that cannot be used; every problem names its line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_real(path: Path) -> pd.DataFrame:
    """Read a labelled JSON-lines file {"id", "side", "lang", "source"?, "text", "label"}."""
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    with open(path, encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as error:
                problems.append(f"line {number}: not valid JSON ({error.msg})")
                continue
            if not isinstance(item, dict):
                problems.append(f"line {number}: a line must be a JSON object")
                continue
            missing = [field for field in ("side", "lang", "text", "label") if field not in item]
            if missing:
                problems.append(f"line {number}: missing {', '.join(missing)}")
                continue
            if item["side"] not in SIDES or item["label"] not in LABELS:
                problems.append(f"line {number}: side or label is not one the classifier knows")
                continue
            if not isinstance(item["text"], str) or not item["text"].strip():
                problems.append(f"line {number}: text is empty")
                continue
            rows.append(
                {
                    "id": item.get("id"),
                    "side": item["side"],
                    "lang": str(item["lang"]),
                    "source": str(item.get("source") or "unknown"),
                    "text": item["text"],
                    "label": item["label"],
                }
            )
    if problems:
        raise RealDataError(problems)
    if not rows:
        raise RealDataError([f"{path}: no labelled lines"])
    return pd.DataFrame(rows)


def _real_scores(rows: pd.DataFrame, proba: np.ndarray, clear: np.ndarray) -> dict[str, Any]:
    predicted = np.array(LABELS)[proba.argmax(axis=1)]
    truth = rows["label"].to_numpy()
    truth_index = rows["label"].map(LABELS.index).to_numpy()
    present = [label for label in LABELS if label in set(truth)]
    return {
        "n": len(rows),
        # over the labels that occur: a source without one label is not scored 0 for it
        "macro_f1": round(
            float(f1_score(truth, predicted, average="macro", labels=present, zero_division=0)), 4
        ),
        "accuracy": round(float((predicted == truth).mean()), 4),
        "calibration_error": round(expected_calibration_error(proba, truth_index), 4),
        "clear_share": round(float(clear.mean()), 4),
        "clear_accuracy": round(float((predicted == truth)[clear].mean()), 4) if clear.any() else None,
        "unclear_accuracy": round(float((predicted == truth)[~clear].mean()), 4) if (~clear).any() else None,
        "confusion_matrix": {
            "labels": list(LABELS),
            "rows_true_columns_predicted": confusion_matrix(truth, predicted, labels=list(LABELS)).tolist(),
        },
    }


def evaluate_real(classifier: Classifier, rows: pd.DataFrame) -> dict[str, Any]:
    """A trained model on labelled real messages: figures per side, then per language and
    source. Nothing is trained here."""
    report: dict[str, Any] = {"model_version": classifier.version, "n": len(rows), "sides": {}}
    for side, group in rows.groupby("side", sort=False):
        group = group.reset_index(drop=True)
        proba = classifier.probabilities(group["text"].tolist(), str(side))
        clear = proba.max(axis=1) >= LOW_CONFIDENCE
        side_report = _real_scores(group, proba, clear)
        for column, key in (("lang", "per_language"), ("source", "per_source")):
            side_report[key] = {
                str(value): _real_scores(part, proba[part.index], clear[part.index])
                for value, part in group.groupby(column)
            }
        report["sides"][str(side)] = side_report
    return report
