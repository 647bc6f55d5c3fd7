"""Suggestion ranking: which playbook entries fit this preference, touchpoint and moment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.playbooks.library import Entry

# Playbooks exist in da, sv and en; Norwegian customers are served from the Danish ones.
LANGUAGE_FALLBACK = {"nb": "da", "no": "da", "nn": "da"}
SITUATION_MISMATCH = 0.35  # an entry for another situation keeps some of its score


@dataclass(frozen=True)
class Suggestion:
    entry: Entry
    score: float
    preference_probability: float
    situation_matched: bool
    matched_phrases: tuple[str, ...]

    @property
    def reason(self) -> str:
        parts = [f"fits {self.entry.preference.replace('_', '-')} ({self.preference_probability:.0%})"]
        parts.append(f"situation: {self.entry.situation.replace('_', ' ')}")
        if self.matched_phrases:
            parts.append("customer said " + ", ".join(f"“{p}”" for p in self.matched_phrases))
        return "; ".join(parts)


def playbook_language(language: str | None) -> str:
    language = (language or "en").lower()
    return LANGUAGE_FALLBACK.get(language, language if language in {"da", "sv", "en"} else "en")


def matched_phrases(entry: Entry, text: str) -> tuple[str, ...]:
    return _matched(entry, text.lower())


def _matched(entry: Entry, lowered: str) -> tuple[str, ...]:
    return tuple(phrase for phrase in entry.phrases if phrase.lower() in lowered)


def phrase_hits(entries: Sequence[Entry], text: str) -> dict[str, tuple[str, ...]]:
    """Each entry's phrases that occur in `text` (by entry id): computed once, used twice."""
    lowered = text.lower()
    return {entry.id: _matched(entry, lowered) for entry in entries}


def infer_situation(
    entries: Sequence[Entry],
    recent_customer_text: str,
    agent_turns: int,
    hits: dict[str, tuple[str, ...]] | None = None,
) -> str:
    """Opening before the agent has spoken; else the situation whose phrases the customer used."""
    if agent_turns == 0 and not recent_customer_text:
        return "opening"
    hits = phrase_hits(entries, recent_customer_text) if hits is None else hits
    counts: dict[str, int] = {}
    for entry in entries:
        count = len(hits[entry.id])
        if count:
            counts[entry.situation] = counts.get(entry.situation, 0) + count
    if counts:
        return max(counts, key=lambda situation: counts[situation])
    return "opening" if agent_turns == 0 else "clarifying"


def rank(
    entries: Sequence[Entry],
    *,
    touchpoint: str,
    language: str | None,
    probabilities: dict[str, float],
    recent_customer_text: str,
    situation: str,
    limit: int = 3,
    hits: dict[str, tuple[str, ...]] | None = None,
) -> list[Suggestion]:
    """The best `limit` entries: preference probability × situation fit × phrase matches."""
    wanted_language = playbook_language(language)
    candidates = [e for e in entries if e.touchpoint == touchpoint and e.language == wanted_language]
    lowered = recent_customer_text.lower()
    scored = []
    for entry in candidates:
        phrases = hits[entry.id] if hits is not None else _matched(entry, lowered)
        probability = probabilities.get(entry.preference, 0.0)
        situation_fit = 1.0 if entry.situation == situation else SITUATION_MISMATCH
        score = probability * situation_fit * (1.0 + 0.5 * len(phrases))
        scored.append(Suggestion(entry, round(score, 4), probability, entry.situation == situation, phrases))
    scored.sort(key=lambda s: (-s.score, s.entry.id))
    return scored[:limit]
