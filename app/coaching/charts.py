"""Geometry for the server-drawn SVG charts (no chart library, nothing to fetch, no script)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT, PAD = 640, 200, 28


def y_of(nps: float, low: float = -100.0, high: float = 100.0) -> float:
    """An NPS value to a y pixel on an axis from `low` (bottom) to `high` (top)."""
    return round(PAD + (high - nps) / (high - low) * (HEIGHT - 2 * PAD), 1)


@dataclass(frozen=True)
class Trend:
    line: str  # polyline points
    band: str  # polygon points: the 95 % interval
    dots: list[dict[str, Any]]  # x, y, week, nps, n for labels and titles
    zero_y: float
    low: float
    high: float
    width: int = WIDTH
    height: int = HEIGHT


def trend(weeks: list[dict[str, Any]]) -> Trend | None:
    answered = [w for w in weeks if w["n"] > 0]
    if len(answered) < 2:
        return None
    # The axis spans the data (and zero) with a margin, in steps of ten points.
    low = max(-100.0, (min(0.0, *(w["ci_low"] for w in answered)) // 10) * 10 - 10)
    high = min(100.0, -((-max(0.0, *(w["ci_high"] for w in answered))) // 10) * 10 + 10)
    step = (WIDTH - 2 * PAD) / (len(answered) - 1)
    xs = [round(PAD + i * step, 1) for i in range(len(answered))]

    def y(value: float) -> float:
        return y_of(value, low, high)

    upper = [f"{x},{y(w['ci_high'])}" for x, w in zip(xs, answered, strict=True)]
    lower = [f"{x},{y(w['ci_low'])}" for x, w in zip(xs, answered, strict=True)]
    return Trend(
        line=" ".join(f"{x},{y(w['nps'])}" for x, w in zip(xs, answered, strict=True)),
        band=" ".join(upper + lower[::-1]),
        dots=[{"x": x, "y": y(w["nps"]), **w} for x, w in zip(xs, answered, strict=True)],
        zero_y=y(0),
        low=low,
        high=high,
    )


def bar(nps: float, ci_low: float, ci_high: float, width: int = 220) -> dict[str, float]:
    """Horizontal position of a value and its interval on a −100…+100 axis `width` wide."""

    def x(v: float) -> float:
        return round((v + 100) / 200 * width, 1)

    return {"zero": x(0), "value": x(nps), "low": x(ci_low), "high": x(ci_high), "width": width}


def heat_class(nps: float, n: int) -> str:
    """A shade class by NPS band; the number is always printed too (never colour alone)."""
    if n == 0:
        return "heat-none"
    return "heat-" + ("hi" if nps >= 40 else "mid" if nps >= 10 else "low" if nps >= -20 else "neg")
