"""Cues: the words of a text that pushed the classifier's decision, and where they stand."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils import murmurhash3_32

from classifier.stopwords import STOPWORDS

_WORD = re.compile(r"(?u)\b\w\w+\b")
_CHUNK = re.compile(r"\S+")
_CORE = re.compile(r"\w(?:.*\w)?", re.DOTALL)


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    end: int
    preference: str
    weight: float  # 0–1, relative to the strongest cue in the same text


class CueExplainer:
    """Attributes a linear model's decision to the words of the text.

    Each feature's contribution is its TF-IDF value times its coefficient, centred across
    the classes so that it says which preference the feature pulls toward. Word n-grams
    are credited to the words they contain, character n-grams to the word they came from.
    """

    def __init__(self, pipeline: Pipeline, labels: tuple[str, ...]) -> None:
        union = pipeline.named_steps["features"]
        model = pipeline.named_steps["model"]
        words = union.transformer_list[0][1].named_steps["hash"]
        chars = union.transformer_list[1][1].named_steps["hash"] if len(union.transformer_list) > 1 else None
        self.labels = labels
        order = [list(model.classes_).index(label) for label in labels]
        coef = model.coef_[order]
        # (features × labels), so one fancy-index gathers every credited feature's row
        self.centred_ = np.ascontiguousarray((coef - coef.mean(axis=0)).T.astype(np.float32))
        self.word_features_ = words.n_features
        self.char_offset_ = words.n_features
        self.chars_ = chars
        # A hashed feature that never occurred in training keeps a zero coefficient.
        self.known_ = np.abs(coef).max(axis=0) > 0

    def _word_index(self, term: str) -> int:
        return abs(murmurhash3_32(term, seed=0)) % self.word_features_

    def tokens(self, text: str) -> list[tuple[str, int, int]]:
        """The word tokens of a text as the word vectorizer sees them: (token, start, feature)."""
        lowered = text.lower() if len(text.lower()) == len(text) else text
        return [(m.group(), m.start(), self._word_index(m.group())) for m in _WORD.finditer(lowered)]

    def evidence(self, tokens: list[tuple[str, int, int]]) -> int:
        """How many known content words the text has (stop words do not count)."""
        return sum(1 for token, _, index in tokens if self.known_[index] and token not in STOPWORDS)

    def spans(
        self,
        text: str,
        row: tuple[np.ndarray, np.ndarray],
        tokens: list[tuple[str, int, int]],
        limit: int = 8,
        *,
        chars: bool = True,
    ) -> list[Span]:
        """Cues of one text from its feature row (indices, values) and tokens; chars=False
        credits word n-grams only (about four times cheaper)."""
        values = dict(zip(row[0].tolist(), row[1].tolist(), strict=True))
        if not values:
            return []
        lowered = text.lower() if len(text.lower()) == len(text) else text
        chunks = [(m.start(), m.end()) for m in _CHUNK.finditer(lowered)]
        credits: list[tuple[int, int, float]] = []  # (chunk, feature, share of its value)
        self._credit_words(tokens, chunks, values, credits)
        if chars:
            self._credit_chars(lowered, chunks, values, credits)
        pushes = np.zeros((len(chunks), len(self.labels)), dtype=np.float32)
        if credits:
            positions, features, shares = zip(*credits, strict=True)
            weights = np.array(shares, dtype=np.float32) * np.array(
                [values[f] for f in features], dtype=np.float32
            )
            np.add.at(pushes, np.array(positions), weights[:, None] * self.centred_[np.array(features)])
        return self._select(text, chunks, pushes, limit)

    def _credit_words(
        self,
        tokens: list[tuple[str, int, int]],
        chunks: list[tuple[int, int]],
        values: dict[int, float],
        credits: list[tuple[int, int, float]],
    ) -> None:
        owner = _owners(chunks, [start for _, start, _ in tokens])
        for i, (token, _, unigram) in enumerate(tokens):
            if unigram in values and owner[i] >= 0:
                credits.append((owner[i], unigram, 1.0))
            if i + 1 < len(tokens):
                bigram = self._word_index(f"{token} {tokens[i + 1][0]}")
                if bigram in values and owner[i] >= 0 and owner[i + 1] >= 0:
                    credits.append((owner[i], bigram, 0.5))
                    credits.append((owner[i + 1], bigram, 0.5))

    def _credit_chars(
        self,
        text: str,
        chunks: list[tuple[int, int]],
        values: dict[int, float],
        credits: list[tuple[int, int, float]],
    ) -> None:
        """Character n-grams' pull, credited to the word they came from (shared by count)."""
        if self.chars_ is None:
            return
        low, high = self.chars_.ngram_range
        n_features = self.chars_.n_features
        found: list[tuple[int, int]] = []
        counts: dict[int, int] = {}
        for position, (start, end) in enumerate(chunks):
            padded = f" {text[start:end]} "
            for n in range(low, high + 1):
                for offset in range(len(padded) - n + 1):
                    index = (
                        self.char_offset_
                        + abs(murmurhash3_32(padded[offset : offset + n], seed=0)) % n_features
                    )
                    if index in values:
                        found.append((position, index))
                        counts[index] = counts.get(index, 0) + 1
        credits.extend((position, index, 1.0 / counts[index]) for position, index in found)

    def _select(self, text: str, chunks: list[tuple[int, int]], pushes: np.ndarray, limit: int) -> list[Span]:
        words = []
        for position, (start, end) in enumerate(chunks):
            core = _CORE.search(text, start, end)
            if core is not None and core.group().lower() not in STOPWORDS:
                words.append((float(pushes[position].max()), int(pushes[position].argmax()), core))
        words.sort(key=lambda word: -word[0])
        top = words[0][0] if words else 0.0
        if top <= 0:
            return []
        return [
            Span(
                text=core.group(),
                start=core.start(),
                end=core.end(),
                preference=self.labels[best],
                weight=round(strength / top, 2),
            )
            for strength, best, core in words[:limit]
            if strength >= 0.2 * top
        ]


def _owners(chunks: list[tuple[int, int]], starts: list[int]) -> list[int]:
    """For each token start, the index of the whitespace chunk that holds it."""
    owners = []
    chunk = 0
    for start in starts:
        while chunk < len(chunks) and chunks[chunk][1] <= start:
            chunk += 1
        owners.append(chunk if chunk < len(chunks) else -1)
    return owners
