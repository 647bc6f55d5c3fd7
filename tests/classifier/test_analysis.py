"""Transcript-level combination: weights, shift detection, match score."""

from __future__ import annotations

import numpy as np

from classifier.analysis import TranscriptAnalysis, analyze, combine, detect_shift, turn_weights
from classifier.predict import Classifier
from classifier.transcript import Turn


def test_later_and_longer_turns_weigh_more() -> None:
    weights = turn_weights(["one two three", "one two three", "one two three four five six seven"])
    assert weights[0] < weights[1] < weights[2]


def test_combine_is_a_weighted_mean_that_sums_to_one() -> None:
    rows = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    combined = combine(rows, np.array([1.0, 3.0]))
    assert np.allclose(combined, [0.25, 0.75, 0.0])


def test_shift_is_flagged_when_the_late_half_leans_elsewhere() -> None:
    rows = np.array([[0.8, 0.1, 0.1]] * 3 + [[0.1, 0.8, 0.1]] * 3)
    assert detect_shift(rows, np.ones(6)) == (0, 1, 3)
    steady = np.array([[0.8, 0.1, 0.1]] * 6)
    assert detect_shift(steady, np.ones(6)) is None


def test_match_score_is_one_for_identical_and_low_for_opposite() -> None:
    same = TranscriptAnalysis(
        "da",
        {"relational": 0.2, "action_oriented": 0.5, "factual": 0.3},
        {"relational": 0.2, "action_oriented": 0.5, "factual": 0.3},
        (),
        None,
    )
    assert same.match_score == 1.0 and same.matched
    apart = TranscriptAnalysis(
        "da",
        {"relational": 0.98, "action_oriented": 0.01, "factual": 0.01},
        {"relational": 0.01, "action_oriented": 0.01, "factual": 0.98},
        (),
        None,
    )
    assert apart.match_score is not None and apart.match_score < 0.25 and not apart.matched


def test_analyze_returns_every_turn_with_its_own_prediction(sample_classifier: Classifier) -> None:
    turns = [
        Turn("customer", "Hvorfor er regningen steget?"),
        Turn("agent", "Prisen steg fordi rabatten udløb."),
        Turn("customer", "ok, men hvornår får jeg pengene?"),
    ]
    result = analyze(sample_classifier, turns).to_json()
    assert [u["speaker"] for u in result["utterances"]] == ["customer", "agent", "customer"]
    assert result["customer_preference"] in {"relational", "action_oriented", "factual"}
    assert abs(sum(result["customer_probabilities"].values()) - 1) < 1e-6
    assert 0 <= result["match_score"] <= 1
    assert result["matched"] == (result["customer_preference"] == result["agent_style"])


def test_analyze_without_agent_turns_has_no_style(sample_classifier: Classifier) -> None:
    result = analyze(sample_classifier, [Turn("customer", "luk mit abonnement")])
    assert result.agent_style is None and result.match_score is None and not result.matched
