"""Splitting a turn's text into plain and cue segments for highlighting (no markup in Python)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Segment:
    text: str
    preference: str | None = None
    weight: float = 0.0


def segments(text: str, cues: list[dict[str, Any]]) -> list[Segment]:
    parts: list[Segment] = []
    position = 0
    for cue in sorted(cues, key=lambda c: c.get("start", 0)):
        start, end = cue.get("start"), cue.get("end")
        if start is None or end is None or start < position or text[start:end] != cue["text"]:
            continue
        if start > position:
            parts.append(Segment(text[position:start]))
        parts.append(Segment(text[start:end], cue["preference"], cue["weight"]))
        position = end
    if position < len(text):
        parts.append(Segment(text[position:]))
    return parts
