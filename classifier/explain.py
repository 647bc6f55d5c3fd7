"""Cues: the words of a text that pushed the classifier's decision, and where they stand."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sklearn.pipeline import Pipeline

from classifier.hashing import Encoded, Ngrams, encode
from classifier.stopwords import STOPWORDS

_CHUNK = re.compile(r"\S+")
_CORE = re.compile(r"\w(?:.*\w)?", re.DOTALL)
CUE_SHARE = 0.2  # a word is a cue when it pushes at least this share of the strongest one


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    end: int
    preference: str
    weight: float  # 0–1, relative to the strongest cue in the same text


@dataclass(frozen=True)
class TextNgrams:
    """The n-grams of one text in the model's feature space (words first, then characters)."""

    feature: np.ndarray
    start: np.ndarray
    end: np.ndarray


class CueExplainer:
    """Attributes a linear model's decision to the words of the text.

    Each feature's contribution is its TF-IDF value times its coefficient, centred across
    the classes so that it says which preference the feature pulls toward. Every n-gram
    carries its span (classifier.hashing), so a feature is credited to the whitespace
    chunk it came from; a bigram half to each of its words; a feature that occurs several
    times shares its value among its occurrences.
    """

    def __init__(self, pipeline: Pipeline, labels: tuple[str, ...]) -> None:
        union = pipeline.named_steps["features"]
        model = pipeline.named_steps["model"]
        self.hashers_ = [part.named_steps["hash"] for _, part in union.transformer_list]
        self.labels = labels
        order = [list(model.classes_).index(label) for label in labels]
        coef = model.coef_[order]
        # (features × labels), so one fancy-index gathers every credited feature's row
        self.centred_ = np.ascontiguousarray((coef - coef.mean(axis=0)).T.astype(np.float32))
        words = self.hashers_[0]
        # A hashed feature that never occurred in training keeps a zero coefficient.
        known = np.abs(coef[:, : words.n_features]).max(axis=0) > 0
        stop = np.zeros(words.n_features, dtype=bool)
        for piece in words.ngrams(encode(sorted(STOPWORDS))):
            stop[piece.feature[piece.unigram]] = True
        self.content_ = known & ~stop  # word features that count as evidence
        # where each part's features begin in the model's feature space
        self.starts_ = np.cumsum([0] + [hasher.n_features for hasher in self.hashers_[:-1]]).tolist()

    def ngrams(self, encoded: Encoded) -> tuple[list[Ngrams], list[int]]:
        """Every part's n-grams of a batch in pieces, and where each piece's feature space
        begins in the model's (words first, then characters)."""
        pieces: list[Ngrams] = []
        offsets: list[int] = []
        for hasher, start in zip(self.hashers_, self.starts_, strict=True):
            found = hasher.ngrams(encoded)
            pieces.extend(found)
            offsets.extend([start] * len(found))
        return pieces, offsets

    def evidence(self, pieces: list[Ngrams], n_texts: int) -> np.ndarray:
        """Per text, how many known content words it has (stop words do not count)."""
        counts = np.zeros(n_texts, dtype=np.int64)
        for piece in pieces:
            if piece.unigram.all() and len(piece.unigram):
                counts += np.bincount(piece.text[self.content_[piece.feature]], minlength=n_texts)
        return counts

    def split(self, parts: list[Ngrams], offsets: list[int], encoded: Encoded) -> list[TextNgrams]:
        """The batch's n-grams regrouped per text, in the model's feature space and with
        spans relative to the text (one stable sort for the whole batch)."""
        text = np.concatenate([p.text for p in parts])
        order = np.argsort(text, kind="stable")
        text = text[order]
        bounds = np.searchsorted(text, np.arange(encoded.n_texts + 1))
        feature = np.concatenate([p.feature + offset for p, offset in zip(parts, offsets, strict=True)])[
            order
        ]
        begins, lengths = encoded.starts[text], encoded.lengths[text]
        start = np.clip(np.concatenate([p.start for p in parts])[order] - begins, 0, lengths)
        end = np.clip(np.concatenate([p.end for p in parts])[order] - begins, 0, lengths)
        return [
            TextNgrams(feature[a:b], start[a:b], end[a:b])
            for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)
        ]

    def spans(
        self, text: str, row: tuple[np.ndarray, np.ndarray], ngrams: TextNgrams, limit: int = 8
    ) -> list[Span]:
        """Cues of one text from its feature row (indices, values) and its n-grams."""
        indices, values = row
        if not len(indices) or not len(ngrams.feature):
            return []
        chunks = [(m.start(), m.end()) for m in _CHUNK.finditer(text)]
        if not chunks:
            return []
        ends = np.array([end for _, end in chunks])
        # a feature's value, shared among its occurrences in this text
        where = np.searchsorted(indices, ngrams.feature)
        where[where == len(indices)] = 0
        present = indices[where] == ngrams.feature
        feature, start, end = ngrams.feature[present], ngrams.start[present], ngrams.end[present]
        occurrences = np.bincount(where[present], minlength=len(indices))
        value = values[where[present]] / occurrences[where[present]]
        first = np.searchsorted(ends, start, side="right")
        last = np.searchsorted(ends, np.maximum(end - 1, start), side="right")
        inside = last < len(chunks)
        first, last = np.minimum(first, len(chunks) - 1), np.minimum(last, len(chunks) - 1)
        split = (first != last).astype(np.float32)  # a bigram: half to each word
        share = value * (1.0 - 0.5 * split) * inside
        push_rows = self.centred_[feature] * share[:, None]
        pushes = np.zeros((len(chunks), len(self.labels)), dtype=np.float32)
        for column in range(len(self.labels)):
            pushes[:, column] = np.bincount(
                first, weights=push_rows[:, column], minlength=len(chunks)
            ) + np.bincount(last, weights=push_rows[:, column] * split, minlength=len(chunks))
        return self._select(text, chunks, pushes, limit)

    def _select(self, text: str, chunks: list[tuple[int, int]], pushes: np.ndarray, limit: int) -> list[Span]:
        strength = pushes.max(axis=1)
        best = pushes.argmax(axis=1)
        found: list[Span] = []
        top = 0.0
        for position in np.argsort(-strength, kind="stable").tolist():
            value = float(strength[position])
            if value <= 0 or (top and value < CUE_SHARE * top) or len(found) >= limit:
                break
            start, end = chunks[position]
            core = _CORE.search(text, start, end)
            if core is None or core.group().lower() in STOPWORDS:
                continue
            top = top or value
            found.append(
                Span(
                    text=core.group(),
                    start=core.start(),
                    end=core.end(),
                    preference=self.labels[int(best[position])],
                    weight=round(value / top, 2),
                )
            )
        return found
