"""The statistics on any small input: NPS stays in range and inside its interval, and the
report is always plain JSON (no NaN, no numpy types)."""

from __future__ import annotations

import json
import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from app.coaching import stats
from app.vocabulary import PREFERENCES, TOUCHPOINTS

scores = st.lists(st.one_of(st.integers(0, 10).map(float), st.just(math.nan), st.none()), max_size=60)
counts = st.integers(0, 10_000)


@settings(max_examples=300, deadline=None)
@given(scores)
def test_nps_lies_in_range_and_inside_its_interval(values: list[float | None]) -> None:
    estimate = stats.nps(values)
    assert -100.0 <= estimate.ci_low <= estimate.value <= estimate.ci_high <= 100.0
    assert estimate.n == sum(1 for v in values if v is not None and not math.isnan(v))


@settings(max_examples=300, deadline=None)
@given(counts, counts, counts)
def test_nps_from_counts_lies_in_range_and_inside_its_interval(p: int, a: int, d: int) -> None:
    estimate = stats.nps_from_counts(p, a, d)
    assert -100.0 <= estimate.ci_low <= estimate.value <= estimate.ci_high <= 100.0
    if p + a + d:
        assert math.isclose(estimate.value, 100.0 * (p - d) / (p + a + d))


@settings(max_examples=200, deadline=None)
@given(st.tuples(counts, counts, counts), st.tuples(counts, counts, counts))
def test_difference_lies_in_range_with_a_probability(
    a: tuple[int, int, int], b: tuple[int, int, int]
) -> None:
    diff = stats.difference_from_counts(a, b)
    assert -200.0 <= diff.ci_low <= diff.ci_high <= 200.0
    assert -200.0 <= diff.estimate <= 200.0
    assert 0.0 <= diff.p_value <= 1.0


_TIMES = st.datetimes(
    min_value=pd.Timestamp("2025-01-01").to_pydatetime(), max_value=pd.Timestamp("2026-12-31").to_pydatetime()
)
_LABELS = st.one_of(st.none(), st.sampled_from(PREFERENCES))
COLUMNS = {
    "interaction_id": st.text(max_size=4),
    "agent_id": st.sampled_from(["A-1", "A-2", "A-3", "B-9"]),
    "team": st.one_of(st.none(), st.sampled_from(["Aarhus 1", "Malmö"])),
    "touchpoint": st.one_of(st.none(), st.sampled_from(TOUCHPOINTS)),
    "topic": st.one_of(st.none(), st.sampled_from(["billing", "moving", "x"])),
    "started_at": _TIMES,
    "customer_preference": _LABELS,
    "agent_style": _LABELS,
    "matched": st.one_of(st.none(), st.booleans()),
    "score": st.one_of(st.just(math.nan), st.integers(0, 10).map(float)),
}
rows = st.fixed_dictionaries(COLUMNS)


@settings(max_examples=60, deadline=None)
@given(st.lists(rows, max_size=40), st.booleans(), st.integers(0, 5))
def test_report_is_plain_json_for_any_small_frame(records: list[dict], aware: bool, min_n: int) -> None:
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    frame["started_at"] = pd.to_datetime(frame["started_at"], utc=aware)
    report = stats.report(frame, min_n=min_n)
    text = json.dumps(report, allow_nan=False)  # raises on NaN/inf and on numpy scalars
    assert json.loads(text) == report
    assert report["n_interactions"] == len(frame)
    for key in ("nps", "matched", "mismatched"):
        estimate = report[key]
        assert -100.0 <= estimate["ci_low"] <= estimate["value"] <= estimate["ci_high"] <= 100.0
    assert 0.0 <= report["match_effect"]["p_value"] <= 1.0
    for agent in report["agents"]:
        assert agent["signal"] in {"above", "below", "within"}
        assert -100.0 <= agent["ci_low"] <= agent["nps"] <= agent["ci_high"] <= 100.0
