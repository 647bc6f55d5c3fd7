"""Classifying texts with a loaded model: frozen results, never numpy, for the callers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from classifier import persistence
from classifier.explain import CueExplainer
from classifier.hashing import Encoded, Ngrams, count_matrix, encode
from classifier.labels import LABELS, SIDES
from classifier.language import LanguageGuesser
from classifier.pipeline import ngram_parts, sentence_embedder

LOW_CONFIDENCE = 0.5  # below this top probability, no preference clearly dominates
EVIDENCE_PRIOR = 0.5  # m in the shrinkage toward "no preference" (Classifier._score)


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


def rounded_rows(rows: np.ndarray) -> np.ndarray:
    """Probabilities rounded to 4 decimals, each row still summing to exactly 1 (the
    rounding error goes to the largest). Every path rounds through here, so a transcript
    analysed alone and the same transcript in a batch give the same figures."""
    out = np.round(np.asarray(rows, dtype=np.float64), 4)
    if len(out):
        top = out.argmax(axis=1)
        picked = np.arange(len(out))
        out[picked, top] = np.round(out[picked, top] + np.round(1.0 - out.sum(axis=1), 4), 4)
    return out


def probabilities_of(row: Sequence[float]) -> dict[str, float]:
    """Rounded probabilities that still sum to exactly 1, by label."""
    return dict(zip(LABELS, rounded_rows(np.array([row]))[0].tolist(), strict=True))


# Long batches are scored in slices of about this many characters: numpy's arrays then
# stay in the processor's cache, which makes the hashing about three times faster.
SLICE_CHARS = 200_000


@dataclass(frozen=True)
class _Scored:
    """One slice of texts through the model: features, probabilities, n-grams."""

    encoded: Encoded
    features: sparse.csr_matrix  # TF-IDF values
    counts: np.ndarray  # how often each of features' entries occurred in its text
    probabilities: np.ndarray  # evidence-shrunk and rounded, LABELS order
    pieces: list[Ngrams]
    offsets: list[int]  # where each piece's features begin in the model's space


class Classifier:
    """A loaded model for both sides; load once, use from many threads."""

    def __init__(self, stored: persistence.StoredModel) -> None:
        self.stored = stored
        self.pipelines = stored.pipelines
        self.language = LanguageGuesser()
        self._explainers = {side: CueExplainer(p, LABELS) for side, p in self.pipelines.items()}
        self._weights = {}
        self._idf = {}
        self._meaning = {}
        for side, pipeline in self.pipelines.items():
            parts = ngram_parts(pipeline)
            self._idf[side] = np.concatenate([p.named_steps["tfidf"].idf_.astype(np.float32) for p in parts])
            model = pipeline.named_steps["model"]
            order = [list(model.classes_).index(label) for label in LABELS]
            coef = model.coef_[order].T  # (features × labels): the n-grams', then the embedding's
            width = len(self._idf[side])
            # contiguous (a transposed view would be copied per call) and float32: the product
            # reads a few rows of a large table, so half the bytes is faster
            weights = np.ascontiguousarray(coef[:width], dtype=np.float32)
            self._weights[side] = (weights, model.intercept_[order])
            embedder = sentence_embedder(pipeline)
            if embedder is not None:
                self._meaning[side] = (embedder, np.ascontiguousarray(coef[width:], dtype=np.float32))

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
    ) -> list[Prediction]:
        """One Prediction per text, in order."""
        _check_side(side)
        langs = langs or [None] * len(texts)
        explainer = self._explainers[side]
        results: list[Prediction] = []
        for a, b in _slices(texts):
            chunk = texts[a:b]
            scored = self._score(chunk, side)
            cues = (
                explainer.cues(
                    chunk, scored.encoded, scored.pieces, scored.offsets, scored.features, scored.counts
                )
                if with_cues
                else [[] for _ in chunk]
            )
            leaders = scored.probabilities.argmax(axis=1).tolist()
            for i, (text, row) in enumerate(zip(chunk, scored.probabilities.tolist(), strict=True)):
                results.append(
                    Prediction(
                        preference=LABELS[leaders[i]],
                        probabilities=dict(zip(LABELS, row, strict=True)),
                        lang=langs[a + i] or self.language.detect(text),
                        cues=tuple(Cue(s.text, s.preference, s.weight, s.start, s.end) for s in cues[i]),
                    )
                )
        return results

    def probabilities(self, texts: Sequence[str], side: str) -> np.ndarray:
        """The probability matrix (evidence-shrunk, rounded, LABELS order), for batch scoring:
        the same figures as classify_many's, without building a Prediction per text."""
        _check_side(side)
        out = [self._score(texts[a:b], side).probabilities for a, b in _slices(texts)]
        return np.concatenate(out) if out else np.empty((0, len(LABELS)))

    def _score(self, texts: Sequence[str], side: str) -> _Scored:
        """Hash, TF-IDF, embed, softmax, shrink: the Pipeline's numbers (tested) without its per-call
        validation and joblib dispatch, which dominate the cost of one short text.

        TF-IDF per part as TfidfTransformer(sublinear_tf=True) does it: (1 + log count) × idf,
        then each part's row scaled to unit length. A text with few known content words is
        pulled toward "no preference": p' = (k·p + m·uniform) / (k + m) for k content words.
        """
        explainer = self._explainers[side]
        encoded = encode(list(texts))
        pieces, offsets = explainer.ngrams(encoded)
        n_texts = encoded.n_texts
        width = len(self._idf[side])
        counts = count_matrix(pieces, n_texts, width, offsets)
        raw = counts.data.copy()
        np.log(counts.data, out=counts.data)
        counts.data += 1.0
        counts.data *= self._idf[side][counts.indices]
        rows = np.repeat(np.arange(n_texts), np.diff(counts.indptr))
        n_parts = len(explainer.starts_)
        group = rows * n_parts
        for start in explainer.starts_[1:]:
            group += counts.indices >= start
        norms = np.sqrt(np.bincount(group, weights=counts.data**2, minlength=n_texts * n_parts))
        norms[norms == 0] = 1.0
        counts.data /= norms[group].astype(np.float32)
        weights, intercept = self._weights[side]
        scores = np.asarray(counts @ weights) + intercept
        if side in self._meaning:
            embedder, meaning_weights = self._meaning[side]
            scores += embedder.transform(texts) @ meaning_weights
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        evidence = explainer.evidence(pieces, n_texts)[:, None]
        shrunk = (evidence * scores + EVIDENCE_PRIOR / len(LABELS)) / (evidence + EVIDENCE_PRIOR)
        return _Scored(encoded, counts, raw, rounded_rows(shrunk), pieces, offsets)


def _check_side(side: str) -> None:
    if side not in SIDES:
        raise ValueError(f"side must be one of {', '.join(SIDES)}, not {side!r}")


def _slices(texts: Sequence[str]) -> list[tuple[int, int]]:
    """Consecutive (start, end) ranges of about SLICE_CHARS characters each."""
    out = []
    start = size = 0
    for i, text in enumerate(texts):
        size += len(text) + 2
        if size >= SLICE_CHARS:
            out.append((start, i + 1))
            start, size = i + 1, 0
    if start < len(texts):
        out.append((start, len(texts)))
    return out
