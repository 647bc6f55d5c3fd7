"""Transcript level: one preference for the customer, one style for the agent, and the match."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from classifier.labels import LABELS
from classifier.predict import Classifier, Prediction, rounded_rows
from classifier.transcript import Turn

SHIFT_MARGIN = 0.15  # how much the late turns must lean the other way to call it a shift


@dataclass(frozen=True)
class ScoredTurn:
    speaker: str
    text: str
    prediction: Prediction

    def to_json(self) -> dict[str, Any]:
        return {
            "speaker": self.speaker,
            "text": self.text,
            "preference": self.prediction.preference,
            "probabilities": self.prediction.probabilities,
            "cues": [cue.to_json() for cue in self.prediction.cues],
        }


@dataclass(frozen=True)
class Shift:
    from_preference: str
    to_preference: str
    at_turn: int  # index in the transcript of the first customer turn of the later part


@dataclass(frozen=True)
class TranscriptAnalysis:
    language: str
    customer_probabilities: dict[str, float] | None
    agent_probabilities: dict[str, float] | None
    turns: tuple[ScoredTurn, ...]
    shift: Shift | None

    @property
    def customer_preference(self) -> str | None:
        return _top(self.customer_probabilities)

    @property
    def agent_style(self) -> str | None:
        return _top(self.agent_probabilities)

    @property
    def match_score(self) -> float | None:
        """Bhattacharyya overlap of the two distributions: 1 identical, 0 disjoint."""
        if self.customer_probabilities is None or self.agent_probabilities is None:
            return None
        customer = np.array([[self.customer_probabilities[k] for k in LABELS]])
        agent = np.array([[self.agent_probabilities[k] for k in LABELS]])
        return float(match_scores(customer, agent)[0])

    @property
    def matched(self) -> bool:
        return self.customer_preference is not None and self.customer_preference == self.agent_style

    def to_json(self) -> dict[str, Any]:
        return {
            "customer_preference": self.customer_preference,
            "customer_probabilities": self.customer_probabilities,
            "agent_style": self.agent_style,
            "agent_probabilities": self.agent_probabilities,
            "match_score": self.match_score,
            "matched": self.matched,
            "language": self.language,
            "preference_shift": None
            if self.shift is None
            else {
                "from": self.shift.from_preference,
                "to": self.shift.to_preference,
                "at_turn": self.shift.at_turn,
            },
            "utterances": [turn.to_json() for turn in self.turns],
        }


def _top(probabilities: dict[str, float] | None) -> str | None:
    if probabilities is None:
        return None
    return max(LABELS, key=lambda label: probabilities[label])


def turn_weights(texts: Sequence[str]) -> np.ndarray:
    """Later turns and longer turns count more: position ramps 1→2, length by log of words."""
    n = len(texts)
    position = 1.0 + np.arange(n) / max(n - 1, 1)
    length = np.log1p([max(1, len(text.split())) for text in texts])
    return position * length


def combine(rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return (rows * weights[:, None]).sum(axis=0) / weights.sum()


def combine_groups(rows: np.ndarray, texts: Sequence[str], groups: np.ndarray, n_groups: int) -> np.ndarray:
    """combine(rows, turn_weights(texts)) for many transcripts at once, rounded.

    rows are the turns of one side, `groups` says which transcript each belongs to (sorted,
    turns in order within a transcript). A transcript without turns gets a row of NaN.
    """
    if not len(rows):
        return np.full((n_groups, len(LABELS)), np.nan)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    sizes = np.diff(np.r_[starts, len(groups)])
    first = np.repeat(starts, sizes)
    span = np.repeat(np.maximum(sizes - 1, 1), sizes)
    position = 1.0 + (np.arange(len(groups)) - first) / span
    words = np.maximum(1.0, np.fromiter(map(len, map(str.split, texts)), dtype=np.float64, count=len(texts)))
    weights = position * np.log1p(words)
    totals = np.zeros((n_groups, len(LABELS)))
    for column in range(len(LABELS)):
        totals[:, column] = np.bincount(groups, weights=rows[:, column] * weights, minlength=n_groups)
    mass = np.bincount(groups, weights=weights, minlength=n_groups)
    out = np.full((n_groups, len(LABELS)), np.nan)
    present = mass > 0
    out[present] = rounded_rows(totals[present] / mass[present, None])
    return out


def combine_turns(rows: np.ndarray, texts: Sequence[str]) -> dict[str, float]:
    """One transcript side's turns combined and rounded, by label (as combine_groups does)."""
    together = combine_groups(rows, texts, np.zeros(len(rows), dtype=np.int64), 1)[0]
    return dict(zip(LABELS, together.tolist(), strict=True))


def match_scores(customer: np.ndarray, agent: np.ndarray) -> np.ndarray:
    """Bhattacharyya overlap per row, rounded; NaN where a side has no turns."""
    return np.round(np.minimum(1.0, np.sqrt(customer * agent).sum(axis=1)), 4)


def detect_shift(rows: np.ndarray, weights: np.ndarray) -> tuple[int, int, int] | None:
    """Compare the first and second half of the customer's turns; (from, to, split index)."""
    if len(rows) < 4:
        return None
    middle = len(rows) // 2
    early = combine(rows[:middle], weights[:middle])
    late = combine(rows[middle:], weights[middle:])
    before, after = int(early.argmax()), int(late.argmax())
    if before == after or late[after] - late[before] < SHIFT_MARGIN:
        return None
    return before, after, middle


def analyze(classifier: Classifier, turns: Sequence[Turn], lang: str | None = None) -> TranscriptAnalysis:
    customer_text = " ".join(t.text for t in turns if t.speaker == "customer")
    language = lang or classifier.language.detect(customer_text or " ".join(t.text for t in turns))
    by_side: dict[str, list[int]] = {"customer": [], "agent": []}
    for index, turn in enumerate(turns):
        by_side[turn.speaker].append(index)
    scored: dict[int, Prediction] = {}
    combined: dict[str, dict[str, float] | None] = {}
    shift: Shift | None = None
    for side, indices in by_side.items():
        texts = [turns[i].text for i in indices]
        predictions = classifier.classify_many(texts, side, [language] * len(texts))
        scored.update(zip(indices, predictions, strict=True))
        if not predictions:
            combined[side] = None
            continue
        rows = np.array([[p.probabilities[label] for label in LABELS] for p in predictions])
        weights = turn_weights(texts)
        combined[side] = combine_turns(rows, texts)
        if side == "customer" and (found := detect_shift(rows, weights)):
            before, after, middle = found
            shift = Shift(LABELS[before], LABELS[after], indices[middle])
    return TranscriptAnalysis(
        language=language,
        customer_probabilities=combined["customer"],
        agent_probabilities=combined["agent"],
        turns=tuple(ScoredTurn(t.speaker, t.text, scored[i]) for i, t in enumerate(turns)),
        shift=shift,
    )
