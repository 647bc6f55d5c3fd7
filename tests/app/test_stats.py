"""The pure statistics of coaching, each formula checked against arithmetic done by hand."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.coaching import stats

Z = 1.959963984540054  # 97.5 % quantile of the standard normal


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Interactions with defaults for every column a test does not care about."""
    defaults = {
        "team": "Aarhus 1",
        "touchpoint": "phone",
        "topic": "billing",
        "started_at": pd.Timestamp("2026-03-04 10:00", tz="UTC"),
        "customer_preference": "factual",
        "agent_style": "factual",
        "matched": True,
        "score": math.nan,
    }
    records = [
        {"interaction_id": f"C-{i}", "agent_id": "A-01", **defaults, **row} for i, row in enumerate(rows)
    ]
    return pd.DataFrame.from_records(records, columns=["interaction_id", "agent_id", *defaults])


def answers(agent_id: str, scores: list[float], **extra: Any) -> list[dict[str, Any]]:
    return [{"agent_id": agent_id, "score": score, **extra} for score in scores]


# --- NPS and its interval ----------------------------------------------------------------------


def test_nps_of_ten_answers_matches_hand_arithmetic() -> None:
    # 10, 10, 10, 9, 9 → 5 promoters; 8, 7 → 2 passives; 6, 3, 0 → 3 detractors; n = 10
    # NPS = 100 * (5 - 3) / 10 = 20
    # adjusted Wald: n~ = 13, p~ = 5.75/13, d~ = 3.75/13, centre = 2/13 = 0.153846
    # p~ + d~ = 9.5/13 = 0.730769, centre^2 = 4/169 = 0.023669
    # SE = sqrt((0.730769 - 0.023669) / 13) = sqrt(0.054392) = 0.233222
    # interval = 100 * (0.153846 -/+ 1.959964 * 0.233222) = (-30.33, 61.10)
    estimate = stats.nps([10, 10, 10, 9, 9, 8, 7, 6, 3, 0])
    centre = 2 / 13
    se = math.sqrt((9.5 / 13 - centre**2) / 13)
    assert estimate == stats.Estimate(
        value=pytest.approx(20.0),
        ci_low=pytest.approx(100 * (centre - Z * se)),
        ci_high=pytest.approx(100 * (centre + Z * se)),
        n=10,
    )
    assert estimate.ci_low == pytest.approx(-30.33, abs=0.01)
    assert estimate.ci_high == pytest.approx(61.10, abs=0.01)


def test_nps_from_counts_equals_nps_of_the_scores() -> None:
    assert stats.nps_from_counts(5, 2, 3) == stats.nps([10, 10, 10, 9, 9, 8, 7, 6, 3, 0])


def test_no_answers_give_zero_with_the_widest_interval() -> None:
    widest = stats.Estimate(0.0, -100.0, 100.0, 0)
    assert stats.nps([]) == widest
    # NaN and None are contacts without a survey answer, not scores
    assert stats.nps([math.nan, None, math.nan]) == widest
    assert stats.nps_from_counts(0, 0, 0) == widest


def test_all_promoters_and_all_detractors_mirror_each_other() -> None:
    # 20 promoters: n~ = 23, p~ = 20.75/23, d~ = 0.75/23, centre = 20/23 = 0.869565
    # p~ + d~ = 21.5/23 = 0.934783, centre^2 = 0.756144
    # SE = sqrt((0.934783 - 0.756144) / 23) = sqrt(0.0077669) = 0.088130
    # low = 0.869565 - 1.959964 * 0.088130 = 0.696833 → 69.68; high 1.042 → clipped to 100
    promoters = stats.nps([10] * 20)
    assert promoters.value == 100.0
    assert promoters.ci_low == pytest.approx(69.68, abs=0.01)
    assert promoters.ci_high == 100.0
    detractors = stats.nps([0] * 20)
    assert detractors.value == -100.0
    assert detractors.ci_low == -100.0
    assert detractors.ci_high == pytest.approx(-69.68, abs=0.01)


def test_a_single_answer_keeps_the_observed_value_inside_the_interval() -> None:
    # n = 1 promoter: n~ = 4, p~ = 1.75/4 = 0.4375, d~ = 0.75/4 = 0.1875, centre = 0.25
    # SE = sqrt((0.625 - 0.0625) / 4) = 0.375; centre + 1.96 * SE = 0.985 < 1,
    # so the interval is widened to reach the observed +100
    single = stats.nps([9])
    assert single.value == 100.0
    assert single.ci_low == pytest.approx(100 * (0.25 - Z * 0.375))
    assert single.ci_high == 100.0


def test_scores_outside_zero_to_ten_and_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 10"):
        stats.nps([5, 11])
    with pytest.raises(ValueError, match="negative"):
        stats.nps_from_counts(-1, 0, 3)


def test_estimate_is_frozen_and_reports_as_the_contract_dict() -> None:
    estimate = stats.nps([10, 0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        estimate.value = 1.0  # type: ignore[misc]
    assert set(estimate.as_dict()) == {"value", "ci_low", "ci_high", "n"}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.integers(0, 10), st.floats(0, 10), st.just(math.nan)),
        max_size=200,
    )
)
def test_nps_lies_inside_its_interval_and_within_bounds(scores: list[float]) -> None:
    estimate = stats.nps(scores)
    assert -100.0 <= estimate.ci_low <= estimate.value <= estimate.ci_high <= 100.0
    assert estimate.n == sum(not math.isnan(score) for score in scores)


# --- Difference of two NPS -----------------------------------------------------------------------


def test_difference_of_a_tiny_example_matches_hand_arithmetic() -> None:
    # a = 10, 9, 3 → P 2, A 0, D 1, NPS +33.33;  b = 5, 8 → P 0, A 1, D 1, NPS -50
    # estimate = 33.33 - (-50) = 83.33
    # a: n~ = 4.5, p~ = 2.375/4.5 = 0.527778, d~ = 1.375/4.5 = 0.305556, centre 0.222222
    #    v = (0.833333 - 0.049383) / 4.5 = 0.174211
    # b: n~ = 3.5, p~ = 0.375/3.5 = 0.107143, d~ = 1.375/3.5 = 0.392857, centre -0.285714
    #    v = (0.5 - 0.081633) / 3.5 = 0.119534
    # delta~ = 0.507937, SE = sqrt(0.174211 + 0.119534) = 0.541983
    # interval = 100 * (0.507937 -/+ 1.959964 * 0.541983) = (-55.43, 157.02)
    # p = 2 * (1 - Phi(0.507937 / 0.541983 = 0.937183)) = 0.3487
    result = stats.difference([10, 9, 3], [5, 8])
    assert result.estimate == pytest.approx(100 * (1 / 3 + 1 / 2))
    assert result.ci_low == pytest.approx(-55.43, abs=0.01)
    assert result.ci_high == pytest.approx(157.02, abs=0.01)
    assert result.p_value == pytest.approx(0.3487, abs=1e-4)


def test_difference_is_antisymmetric_and_its_p_value_agrees_with_its_interval() -> None:
    a, b = [10] * 30 + [0] * 5, [10] * 10 + [8] * 10 + [2] * 15
    forward, backward = stats.difference(a, b), stats.difference(b, a)
    assert forward.estimate == pytest.approx(-backward.estimate)
    assert forward.p_value == pytest.approx(backward.p_value)
    assert forward.ci_low == pytest.approx(-backward.ci_high)
    # p < 0.05 exactly when the interval leaves out zero
    assert (forward.p_value < 0.05) == (forward.ci_low > 0 or forward.ci_high < 0)
    assert forward.p_value < 0.05


def test_difference_with_an_empty_group_says_nothing() -> None:
    assert stats.difference([10, 9], [math.nan]) == stats.Difference(0.0, -200.0, 200.0, 1.0)


# --- Breakdowns ------------------------------------------------------------------------------------


def labelled_sample() -> pd.DataFrame:
    return frame(
        [
            {"customer_preference": "relational", "agent_style": "relational", "matched": True, "score": 10},
            {"customer_preference": "relational", "agent_style": "relational", "matched": True, "score": 3},
            {"customer_preference": "relational", "agent_style": "factual", "matched": False, "score": 9},
            {"touchpoint": "chat", "matched": True, "score": math.nan},
            {"touchpoint": "chat", "customer_preference": None, "matched": None, "score": 10},
            {
                "touchpoint": "chat",
                "customer_preference": "action_oriented",
                "agent_style": "relational",
                "matched": False,
                "score": 7,
            },
            {"touchpoint": "web", "customer_preference": None, "agent_style": None, "matched": None},
        ]
    )


def test_matrix_has_nine_cells_counting_answers_with_both_labels() -> None:
    cells = {(c["customer_preference"], c["agent_style"]): c for c in stats.matrix(labelled_sample())}
    assert len(cells) == 9
    # relational × relational: 10 and 3 → 1 promoter, 1 detractor, NPS 0, n 2
    assert cells["relational", "relational"]["n"] == 2
    assert cells["relational", "relational"]["nps"] == 0.0
    # relational × factual: one 9 → NPS 100
    assert (cells["relational", "factual"]["n"], cells["relational", "factual"]["nps"]) == (1, 100.0)
    # action_oriented × relational: one 7 (passive) → NPS 0
    action_relational = cells["action_oriented", "relational"]
    assert (action_relational["n"], action_relational["nps"]) == (1, 0.0)
    # factual × factual has a contact but no answer; the 10 without a customer label is in no cell
    assert cells["factual", "factual"] == {
        "customer_preference": "factual",
        "agent_style": "factual",
        "n": 0,
        "nps": 0.0,
        "ci_low": -100.0,
        "ci_high": 100.0,
    }
    assert sum(cell["n"] for cell in cells.values()) == 4


def test_touchpoints_count_answers_and_match_rate_over_all_contacts() -> None:
    by_touchpoint = {row["touchpoint"]: row for row in stats.touchpoints(labelled_sample())}
    assert list(by_touchpoint) == ["phone", "chat", "web"]
    # phone: matched True, True, False → 2/3; answers 10, 3, 9 → NPS 100 * (2 - 1) / 3
    assert by_touchpoint["phone"]["match_rate"] == pytest.approx(2 / 3)
    assert by_touchpoint["phone"]["n"] == 3
    assert by_touchpoint["phone"]["nps"] == pytest.approx(100 / 3)
    # chat: known matches True (no answer) and False; the None is left out → 1/2
    # answers 10 and 7 → NPS 100 * (1 - 0) / 2 = 50
    assert by_touchpoint["chat"]["match_rate"] == pytest.approx(0.5)
    assert (by_touchpoint["chat"]["n"], by_touchpoint["chat"]["nps"]) == (2, 50.0)
    # web: no known match and no answer
    assert by_touchpoint["web"]["match_rate"] is None
    assert (by_touchpoint["web"]["n"], by_touchpoint["web"]["ci_low"]) == (0, -100.0)


def test_weekly_trend_groups_by_iso_week_in_utc_and_fills_gaps() -> None:
    copenhagen = "Europe/Copenhagen"  # UTC+1 in February and March 2026
    df = frame(
        [
            # Tue 24 Feb 12:00 local = 11:00 UTC → week of Mon 23 Feb
            {"started_at": pd.Timestamp("2026-02-24 12:00", tz=copenhagen), "score": 10},
            # Mon 2 Mar 00:30 local = Sun 1 Mar 23:30 UTC → still the week of 23 Feb
            {"started_at": pd.Timestamp("2026-03-02 00:30", tz=copenhagen), "score": 0, "matched": False},
            # Mon 2 Mar 01:30 local = 00:30 UTC → week of 2 Mar
            {"started_at": pd.Timestamp("2026-03-02 01:30", tz=copenhagen), "score": 9},
            # Wed 18 Mar, no answer → week of 16 Mar; the week of 9 Mar is empty
            {"started_at": pd.Timestamp("2026-03-18 10:00", tz=copenhagen), "matched": None},
        ]
    )
    weeks = stats.weekly_trend(df)
    assert [w["week"] for w in weeks] == ["2026-02-23", "2026-03-02", "2026-03-09", "2026-03-16"]
    assert weeks[0]["iso_week"] == "2026-W09"
    # week of 23 Feb: 10 and 0 → NPS 0, n 2; matches True, False → 1/2
    assert (weeks[0]["n"], weeks[0]["nps"], weeks[0]["match_rate"]) == (2, 0.0, 0.5)
    assert (weeks[1]["n"], weeks[1]["nps"], weeks[1]["match_rate"]) == (1, 100.0, 1.0)
    assert weeks[2] == {
        "week": "2026-03-09",
        "iso_week": "2026-W11",
        "n": 0,
        "nps": 0.0,
        "ci_low": -100.0,
        "ci_high": 100.0,
        "match_rate": None,
    }
    assert (weeks[3]["n"], weeks[3]["match_rate"]) == (0, None)


def test_weekly_trend_reads_naive_timestamps_as_utc() -> None:
    df = frame([{"started_at": pd.Timestamp("2026-03-01 23:30"), "score": 10}])
    assert stats.weekly_trend(df)[0]["week"] == "2026-02-23"


def funnel_sample() -> pd.DataFrame:
    rows = (
        answers("B-2", [0] * 40)
        + answers("A-1", [10] * 40)
        + answers("A-1", [math.nan] * 10)
        + answers("C-3", [10] * 15, customer_preference="relational", matched=True)
        + answers("C-3", [10] * 5, customer_preference="relational", matched=False)
        + answers("C-3", [0] * 5, customer_preference="factual", matched=True)
        + answers("C-3", [0] * 15, customer_preference="factual", matched=False)
        + answers("D-4", [10] * 5, team=None)
    )
    return frame(rows)


def test_agents_are_flagged_only_outside_the_funnel_and_never_ranked() -> None:
    rows = stats.agents(funnel_sample())
    assert [row["agent_id"] for row in rows] == ["A-1", "B-2", "C-3", "D-4"]
    by_id = {row["agent_id"]: row for row in rows}
    # team Aarhus 1 = A-1, B-2, C-3: 60 promoters, 60 detractors, n 120 → theta0 = 0
    # per-answer variance = 0.5 + 0.5 - 0^2 = 1; for n = 40:
    # limits = 0 -/+ 3.0902 * 1 / sqrt(40) = -/+ 0.48861 → -/+ 48.86 points
    assert stats.FUNNEL_Z == pytest.approx(3.0902, abs=1e-4)
    half = 100 * stats.FUNNEL_Z / math.sqrt(40)
    assert by_id["C-3"]["benchmark"] == 0.0
    assert by_id["C-3"]["limit_low"] == pytest.approx(-half)
    assert by_id["C-3"]["limit_high"] == pytest.approx(half)
    assert by_id["A-1"]["signal"] == "above"  # NPS +100 > +48.86
    assert by_id["B-2"]["signal"] == "below"  # NPS -100 < -48.86
    assert by_id["C-3"]["signal"] == "within"  # NPS 0
    assert (by_id["A-1"]["n_interactions"], by_id["A-1"]["n_surveys"]) == (50, 40)
    assert by_id["A-1"]["enough_data"] is True and by_id["A-1"]["note"] is None


def test_agents_match_rate_per_preference() -> None:
    c3 = next(row for row in stats.agents(funnel_sample()) if row["agent_id"] == "C-3")
    # relational: 15 of 20 matched; factual: 5 of 20; overall 20 of 40
    assert c3["match_rate"] == pytest.approx(0.5)
    assert c3["match_rate_by_preference"] == {
        "relational": pytest.approx(0.75),
        "action_oriented": None,
        "factual": pytest.approx(0.25),
    }


def test_agents_under_min_n_get_no_signal_and_agents_without_team_use_everyone() -> None:
    d4 = next(row for row in stats.agents(funnel_sample()) if row["agent_id"] == "D-4")
    # 5 answers, all +100, but 5 < 30
    assert (d4["nps"], d4["signal"], d4["enough_data"]) == (100.0, "within", False)
    assert d4["note"] == "not enough responses yet"
    # no team → benchmark over everyone: 65 promoters, 60 detractors, n 125 → 100 * 5/125 = 4
    assert d4["team"] is None
    assert d4["benchmark"] == pytest.approx(4.0)


# --- Match effect ---------------------------------------------------------------------------------


def test_match_effect_single_stratum_three_agents_by_hand() -> None:
    df = frame(
        answers("a1", [10], matched=True)
        + answers("a1", [0], matched=False)
        + answers("a2", [10], matched=True)
        + answers("a2", [8], matched=False)
        + answers("a3", [8], matched=True)
        + answers("a3", [0], matched=False)
    )
    effect = stats.match_effect(df)
    # y: matched +1, +1, 0 (mean 2/3); mismatched -1, 0, -1 (mean -2/3) → naive 133.33
    # one stratum: m' = +/- 0.5, sum m'^2 = 1.5, sum m' y = 2 → beta = 4/3 → 133.33
    # residuals e = y - 0 - (4/3) m': a1 1/3, -1/3; a2 1/3, 2/3; a3 -2/3, -1/3
    # agent scores u = sum m' e: a1 1/3, a2 -1/6, a3 -1/6 → sum u^2 = 1/6
    # CR1: G/(G-1) * (N-1)/(N-K) = 3/2 * 5/4 = 15/8 (N 6, K 2)
    # Var = 15/8 * (1/6) / 1.5^2 = 5/36 → SE = sqrt(5)/6 = 0.372678 → 37.27 points
    # t(2): 97.5 % quantile = 0.95 * sqrt(2 / (4 * 0.975 * 0.025)) = 4.302653
    # low = 133.33 - 4.302653 * 37.2678 = -27.02; high 293.7 → clipped to 200
    # t = beta / SE = 8 / sqrt(5) = 3.5777; for 2 df, p = 1 - t / sqrt(2 + t^2) = 0.0700
    assert effect["naive"] == pytest.approx(400 / 3)
    assert effect["adjusted"] == pytest.approx(400 / 3)
    assert effect["ci_low"] == pytest.approx(400 / 3 - 4.302653 * 100 * math.sqrt(5) / 6, abs=1e-4)
    assert effect["ci_high"] == 200.0
    t = 8 / math.sqrt(5)
    assert effect["p_value"] == pytest.approx(1 - t / math.sqrt(2 + t**2))
    assert effect["adjusted_for"] == ["touchpoint", "topic"]
    assert set(effect) == {"naive", "adjusted", "ci_low", "ci_high", "p_value", "adjusted_for"}


def two_strata_sample() -> pd.DataFrame:
    return frame(
        answers("a1", [10], matched=True)
        + answers("a2", [10], matched=True)
        + answers("a1", [0], matched=False)
        + answers("a2", [9], matched=False)
        + answers("a1", [8], matched=True, touchpoint="chat")
        + answers("a2", [3], matched=False, touchpoint="chat")
        + answers("a1", [3], matched=False, touchpoint="chat")
        + answers("a2", [10], matched=False, touchpoint="chat")
    )


def test_match_effect_two_strata_weighted_by_hand() -> None:
    effect = stats.match_effect(two_strata_sample())
    # naive: matched 10, 10, 8 → 100 * 2/3 = 66.67; mismatched 0, 9, 3, 3, 10 → 100 * (2 - 3)/5 = -20
    assert effect["naive"] == pytest.approx(200 / 3 + 20)
    # phone: matched +100, +100; mismatched -100, +100 → difference 100; n 4, share matched 1/2
    #        weight n * m(1 - m) = 4 * 1/4 = 1
    # chat: matched 0; mismatched -100, -100, +100 → -33.33; difference 33.33; n 4, share 1/4
    #        weight 4 * 1/4 * 3/4 = 0.75
    # adjusted = (1 * 100 + 0.75 * 33.33) / 1.75 = 125 / 1.75 = 71.43
    assert effect["adjusted"] == pytest.approx(125 / 1.75)


def test_match_effect_uncertainty_equals_an_explicit_cluster_sandwich() -> None:
    df = two_strata_sample()
    effect = stats.match_effect(df)
    # the same regression written out: y on matched + phone + chat dummies, CR1 by agent
    y = np.where(df["score"] >= 9, 100.0, np.where(df["score"] <= 6, -100.0, 0.0))
    x = np.column_stack(
        [df["matched"].astype(float), df["touchpoint"] == "phone", df["touchpoint"] == "chat"]
    ).astype(float)
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ x.T @ y
    residual = y - x @ beta
    meat = sum(
        np.outer(x[mask].T @ residual[mask], x[mask].T @ residual[mask])
        for mask in (df["agent_id"] == agent for agent in ("a1", "a2"))
    )
    n, k, g = len(y), 3, 2
    se = math.sqrt((bread @ meat @ bread)[0, 0] * g / (g - 1) * (n - 1) / (n - k))
    t_crit = 12.706205  # t(1) 97.5 % quantile = tan(0.475 * pi)
    assert beta[0] == pytest.approx(effect["adjusted"])
    assert effect["ci_low"] == pytest.approx(max(-200.0, beta[0] - t_crit * se))
    assert effect["ci_high"] == pytest.approx(min(200.0, beta[0] + t_crit * se))


def test_missing_topic_is_its_own_unknown_stratum_and_unknown_matches_are_left_out() -> None:
    with_none = two_strata_sample().assign(topic=None)
    spelled = two_strata_sample().assign(topic="unknown")
    assert stats.match_effect(with_none) == stats.match_effect(spelled)
    extra = pd.concat([spelled, frame(answers("a3", [0, 0, 0], matched=None))], ignore_index=True)
    assert stats.match_effect(extra) == stats.match_effect(spelled)


def test_match_effect_without_a_comparison_is_not_estimable() -> None:
    effect = stats.match_effect(frame(answers("a1", [10, 0]) + answers("a2", [9, 9])))
    assert effect == {
        "naive": 0.0,
        "adjusted": 0.0,
        "ci_low": -200.0,
        "ci_high": 200.0,
        "p_value": 1.0,
        "adjusted_for": ["touchpoint", "topic"],
    }
    assert "not yet enough" in stats.describe_effect(effect)


def confounded(seed: int, n_agents: int = 40, per_agent: int = 150) -> pd.DataFrame:
    """Matching adds +15 NPS points in every stratum, but is most common in the best topic."""
    rng = np.random.default_rng(seed)
    n = n_agents * per_agent
    agent = np.repeat(np.arange(n_agents), per_agent)
    topic = rng.integers(0, 3, n)  # billing NPS -30, delivery +10, product info +40
    touchpoint = rng.integers(0, 3, n)  # phone 0, chat -5, email +5
    matched = rng.random(n) < np.array([0.2, 0.5, 0.8])[topic]
    agent_shift = np.clip(rng.normal(0, 0.05, n_agents), -0.1, 0.1)[agent]
    true_nps = (
        np.array([-0.30, 0.10, 0.40])[topic]
        + np.array([0.0, -0.05, 0.05])[touchpoint]
        + 0.15 * matched
        + agent_shift
    )
    # promoters 0.4 + NPS/2, detractors 0.4 - NPS/2, passives 0.2
    draw = rng.random(n)
    score = np.where(
        draw < 0.4 + true_nps / 2,
        rng.integers(9, 11, n),
        np.where(draw > 0.6 + true_nps / 2, rng.integers(0, 7, n), rng.integers(7, 9, n)),
    ).astype(float)
    score[rng.random(n) < 0.3] = np.nan  # 30 % do not answer
    return pd.DataFrame(
        {
            "interaction_id": [f"C-{i}" for i in range(n)],
            "agent_id": [f"A-{a:02d}" for a in agent],
            "team": "Aarhus 1",
            "touchpoint": np.array(["phone", "chat", "email"])[touchpoint],
            "topic": np.array(["billing", "delivery", "product_info"])[topic],
            "started_at": pd.Timestamp("2026-03-02", tz="UTC") + pd.to_timedelta(np.arange(n), unit="min"),
            "customer_preference": "factual",
            "agent_style": np.where(matched, "factual", "relational"),
            "matched": matched,
            "score": score,
        }
    )


def test_adjustment_removes_topic_confounding_from_a_planted_effect() -> None:
    effect = stats.match_effect(confounded(seed=11))
    # matched contacts sit mostly in the good topic: the naive gap is about 43 points
    # (0.357 - (-0.073)), far from the true +15 within each stratum
    assert effect["naive"] > 30
    assert effect["ci_low"] <= 15 <= effect["ci_high"]
    assert effect["ci_high"] - effect["ci_low"] < 30
    assert effect["p_value"] < 0.05
    text = stats.describe_effect(effect, n=4200)
    assert "association, not proof" in text
    assert "4,200" in text
    assert f"{effect['naive']:+.1f}" in text


def test_describe_effect_says_when_chance_cannot_be_ruled_out() -> None:
    effect = {
        "naive": 8.0,
        "adjusted": 3.5,
        "ci_low": -4.0,
        "ci_high": 11.0,
        "p_value": 0.36,
        "adjusted_for": ["touchpoint", "topic"],
    }
    text = stats.describe_effect(effect)
    assert "3.5 points higher" in text
    assert "includes zero" in text
    assert "touchpoint and topic" in text


# --- The report -----------------------------------------------------------------------------------

CONTRACT = {
    "n_interactions",
    "n_surveys",
    "nps",
    "matched",
    "mismatched",
    "match_effect",
    "matrix",
    "touchpoints",
    "agents",
}
ESTIMATE = {"value", "ci_low", "ci_high", "n"}
EFFECT = {"naive", "adjusted", "ci_low", "ci_high", "p_value", "adjusted_for"}
CELL = {"customer_preference", "agent_style", "n", "nps", "ci_low", "ci_high"}
TOUCHPOINT = {"touchpoint", "n", "nps", "ci_low", "ci_high", "match_rate"}
AGENT = {"agent_id", "n_interactions", "n_surveys", "match_rate", "nps", "ci_low", "ci_high", "signal"}


def plain_only(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain_only(v) for k, v in value.items())
    if isinstance(value, list):
        return all(plain_only(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or type(value) in (str, int, bool)


def assert_contract(result: dict[str, Any]) -> None:
    assert CONTRACT <= set(result) and set(result) - CONTRACT == {"weekly_trend"}
    for key in ("nps", "matched", "mismatched"):
        assert set(result[key]) == ESTIMATE
    assert set(result["match_effect"]) == EFFECT
    assert len(result["matrix"]) == 9 and all(set(cell) == CELL for cell in result["matrix"])
    assert all(TOUCHPOINT <= set(row) for row in result["touchpoints"])
    assert all(AGENT <= set(row) for row in result["agents"])
    assert all(row["signal"] in {"above", "below", "within"} for row in result["agents"])
    assert plain_only(result)
    json.dumps(result, allow_nan=False)


def test_report_follows_the_contract_and_serialises() -> None:
    df = confounded(seed=3, n_agents=6, per_agent=40)
    df["matched"] = df["matched"].astype(object)  # bool or None, as the database gives it
    df.loc[df.index[:10], "matched"] = None
    df.loc[df.index[5:15], "customer_preference"] = None
    df.loc[df.index[::7], "topic"] = None
    df.loc[df.index[::11], "team"] = None
    result = stats.report(df)
    assert_contract(result)
    assert result["n_interactions"] == 240
    assert result["n_surveys"] == int(df["score"].notna().sum())
    assert result["nps"]["n"] == result["n_surveys"]
    assert result["matched"]["n"] + result["mismatched"]["n"] == int(
        (df["score"].notna() & df["matched"].notna()).sum()
    )
    assert result["match_effect"] == stats.match_effect(df)


def test_report_of_no_interactions_still_follows_the_contract() -> None:
    empty = frame([]).astype({"score": float})
    result = stats.report(empty)
    assert_contract(result)
    assert result["nps"] == {"value": 0.0, "ci_low": -100.0, "ci_high": 100.0, "n": 0}
    assert result["agents"] == [] and result["touchpoints"] == [] and result["weekly_trend"] == []


def test_a_missing_column_is_named() -> None:
    with pytest.raises(ValueError, match="score"):
        stats.report(frame([{}]).drop(columns="score"))


def test_database_shaped_dtypes_give_the_same_report() -> None:
    canonical = labelled_sample().assign(score=lambda d: d["score"].astype(float))
    shaped = canonical.assign(
        score=canonical["score"].astype("Int64"),  # integers with NA
        matched=canonical["matched"].astype("boolean"),  # booleans with NA
        started_at=canonical["started_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").astype(object),
    )
    assert stats.report(shaped) == stats.report(canonical)


def test_report_from_database_aggregates_equals_report_from_rows() -> None:
    """The database may group first: counts per key must give exactly the row-level report."""
    rng = np.random.default_rng(5)
    n = 3000
    rows = pd.DataFrame(
        {
            "interaction_id": [f"C-{i}" for i in range(n)],
            "agent_id": rng.choice(["A-1", "A-2", "A-3", "A-4"], n),
            "team": "T",
            "touchpoint": rng.choice(["phone", "chat", "store"], n),
            "topic": rng.choice(["billing", "delivery"], n),
            "started_at": pd.Timestamp("2026-03-02", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 60, n), unit="D"),
            "customer_preference": rng.choice(["relational", "action_oriented", "factual"], n),
            "agent_style": rng.choice(["relational", "action_oriented", "factual"], n),
            "score": np.where(rng.random(n) < 0.4, rng.integers(0, 11, n).astype(float), np.nan),
        }
    )
    rows["matched"] = rows["customer_preference"] == rows["agent_style"]
    day = rows["started_at"].dt.tz_localize(None).dt.normalize()
    rows["week"] = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    keys = [
        "agent_id",
        "team",
        "touchpoint",
        "topic",
        "customer_preference",
        "agent_style",
        "matched",
        "week",
    ]
    grouped = (
        rows.assign(
            interactions=1,
            promoters=rows["score"] >= 9,
            passives=rows["score"].between(7, 8),
            detractors=rows["score"] <= 6,
        )
        .groupby(keys, observed=True)[["interactions", "promoters", "passives", "detractors"]]
        .sum()
        .reset_index()
        .rename(columns={"week": "started_at"})
    )
    assert stats.report(grouped) == stats.report(rows.drop(columns="week"))


@pytest.mark.parametrize("df", [1, 2, 3, 4, 7, 10, 29, 39, 120, 1000])
def test_t_distribution_agrees_with_scipy(df: int) -> None:
    """The report's own Student t (no scipy at start-up) against scipy's, tails and quantile."""
    from scipy import special

    for t in (0.0, 0.05, 0.7, 1.0, 2.0, 3.5, 8.0, 40.0):
        expected = float(2.0 * special.stdtr(df, -t))
        assert stats.t_two_tailed(df, t) == pytest.approx(expected, rel=1e-10)
        assert stats.t_two_tailed(df, -t) == pytest.approx(expected, rel=1e-10)
    for probability in (0.5, 0.9, 0.975, 0.999):
        assert stats.t_quantile(df, probability) == pytest.approx(
            float(special.stdtrit(df, probability)), rel=1e-10, abs=1e-12
        )
    assert stats.t_quantile(df, 0.025) == pytest.approx(-stats.t_quantile(df, 0.975))
