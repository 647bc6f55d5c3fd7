"""Classifying texts with a loaded model: frozen results, never numpy, for the callers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from scipy import sparse

from classifier import persistence
from classifier.explain import CueExplainer
from classifier.labels import LABELS, SIDES
from classifier.language import LanguageGuesser

LOW_CONFIDENCE = 0.5  # below this top probability, no preference clearly dominates
# A text with few known content words (a bare link, "!!!", "ok") is pulled toward
# "no preference": p' = (k·p + m·uniform) / (k + m) for k content words.
EVIDENCE_PRIOR = 0.5


@dataclass(frozen=True)
class Cue:
    text: str
    preference: str
    weight: float
    start: int
    end: int

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "preference": self.preference,
            "weight": self.weight,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class Prediction:
    preference: str
    probabilities: dict[str, float]
    lang: str
    cues: tuple[Cue, ...] = field(default=())

    @property
    def confidence(self) -> float:
        return max(self.probabilities.values())

    @property
    def clear(self) -> bool:
        """False when no preference dominates (a bare link, two preferences equally strong)."""
        return self.confidence >= LOW_CONFIDENCE

    def to_json(self, id: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {} if id is None else {"id": id}
        data.update(
            preference=self.preference,
            lang=self.lang,
            probabilities=self.probabilities,
            confidence=round(self.confidence, 4),
            clear=self.clear,
            cues=[cue.to_json() for cue in self.cues],
        )
        return data


def probabilities_of(row: Sequence[float]) -> dict[str, float]:
    """Rounded probabilities that still sum to exactly 1."""
    rounded = [round(float(p), 4) for p in row]
    rounded[int(np.argmax(rounded))] += round(1.0 - sum(rounded), 4)
    return {label: round(p, 4) for label, p in zip(LABELS, rounded, strict=True)}


class Classifier:
    """A loaded model for both sides; load once, use from many threads."""

    def __init__(self, stored: persistence.StoredModel) -> None:
        self.stored = stored
        self.pipelines = stored.pipelines
        self.language = LanguageGuesser()
        self._explainers = {side: CueExplainer(p, LABELS) for side, p in self.pipelines.items()}
        self._weights = {}
        self._parts = {
            side: [
                (part.named_steps["hash"], part.named_steps["tfidf"].idf_.astype(np.float32))
                for _, part in pipeline.named_steps["features"].transformer_list
            ]
            for side, pipeline in self.pipelines.items()
        }
        for side, pipeline in self.pipelines.items():
            model = pipeline.named_steps["model"]
            order = [list(model.classes_).index(label) for label in LABELS]
            # (features × labels), contiguous: multiplying by a transposed view copies it per call
            self._weights[side] = (np.ascontiguousarray(model.coef_[order].T), model.intercept_[order])

    @classmethod
    def load(cls, model_dir: Path | None = None) -> Classifier:
        return cls(persistence.load(model_dir or persistence.default_model_dir()))

    @property
    def version(self) -> str:
        return self.stored.version

    def classify(self, text: str, side: str, lang: str | None = None) -> Prediction:
        return self.classify_many([text], side, [lang])[0]

    def classify_many(
        self,
        texts: Sequence[str],
        side: str,
        langs: Sequence[str | None] | None = None,
        *,
        with_cues: bool = True,
        detailed_cues: bool = True,
    ) -> list[Prediction]:
        """One Prediction per text. detailed_cues=False attributes word n-grams only: the
        transcript view uses it, where forty turns must be analysed in a few milliseconds."""
        if side not in SIDES:
            raise ValueError(f"side must be one of {', '.join(SIDES)}, not {side!r}")
        if not texts:
            return []
        features, proba = self._features_and_probabilities(texts, side)
        langs = langs or [None] * len(texts)
        results = []
        explainer = self._explainers[side]
        for i, text in enumerate(texts):
            start, end = features.indptr[i], features.indptr[i + 1]
            row = (features.indices[start:end], features.data[start:end])
            tokens = explainer.tokens(text)
            evidence = explainer.evidence(tokens)
            shrunk = (evidence * proba[i] + EVIDENCE_PRIOR / len(LABELS)) / (evidence + EVIDENCE_PRIOR)
            cues: tuple[Cue, ...] = ()
            if with_cues:
                spans = explainer.spans(text, row, tokens, chars=detailed_cues)
                cues = tuple(Cue(s.text, s.preference, s.weight, s.start, s.end) for s in spans)
            results.append(
                Prediction(
                    preference=LABELS[int(np.argmax(shrunk))],
                    probabilities=probabilities_of(shrunk),
                    lang=langs[i] or self.language.detect(text),
                    cues=cues,
                )
            )
        return results

    def _features_and_probabilities(self, texts: Sequence[str], side: str) -> tuple[Any, np.ndarray]:
        """The multinomial model's softmax, computed directly: same numbers as predict_proba
        without its per-call input validation, which dominates the cost of one short text."""
        features = self._features(texts, side)
        weights, intercept = self._weights[side]
        scores = np.asarray(features @ weights) + intercept
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return features, scores

    def _features(self, texts: Sequence[str], side: str) -> sparse.csr_matrix:
        """FeatureUnion.transform without joblib dispatch and without TfidfTransformer's
        per-call validation: hash, then sublinear tf × idf and L2 per part (same numbers)."""
        parts = []
        with sklearn.config_context(assume_finite=True):
            for hashed, idf in self._parts[side]:
                counts = hashed.transform(texts).tocsr()
                np.log(counts.data, out=counts.data)
                counts.data += 1.0
                counts.data *= idf[counts.indices]
                rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
                norms = np.sqrt(np.bincount(rows, weights=counts.data**2, minlength=counts.shape[0]))
                norms[norms == 0] = 1.0
                counts.data /= norms[rows]
                parts.append(counts)
        return sparse.hstack(parts, format="csr") if len(parts) > 1 else parts[0]

    def probabilities(self, texts: Sequence[str], side: str) -> np.ndarray:
        """Bare probability matrix in LABELS order, for batch scoring."""
        return self._features_and_probabilities(texts, side)[1]
