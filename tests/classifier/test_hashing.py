"""The vectorised n-gram hasher against a plain Python statement of the same definitions."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier import hashing
from classifier.hashing import NgramHasher, encode
from classifier.meaning import DIMENSIONS
from classifier.predict import EVIDENCE_PRIOR, SLICE_CHARS, Classifier

M32 = 2**32 - 1
MULTIPLIER, SEED = 0x9E3779B1, 0x27D4EB2F


def mix(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    return h ^ (h >> 16)


def polynomial(text: str) -> int:
    """sum of code points times MULTIPLIER**position, modulo 2**32."""
    return sum(ord(c) * pow(MULTIPLIER, j, 2**32) for j, c in enumerate(text)) & M32


def word_features(text: str, n_features: int) -> Counter[int]:
    tokens = re.findall(r"(?u)\b\w\w+\b", hashing.lowered(text))
    hashes = [mix((polynomial(t) + len(t) * SEED) & M32) for t in tokens]
    found = Counter(h % n_features for h in hashes)
    for a, b in zip(hashes, hashes[1:], strict=False):
        found[mix((a * MULTIPLIER + b + SEED) & M32) % n_features] += 1
    return found


def char_features(text: str, n_features: int, low: int = 3, high: int = 4) -> Counter[int]:
    found: Counter[int] = Counter()
    for chunk in hashing.lowered(text).split():
        padded = f" {chunk} "
        for n in range(low, high + 1):
            for i in range(len(padded) - n + 1):
                gram = padded[i : i + n]
                h = (ord(gram[0]) + n * SEED) & M32
                for c in gram[1:]:
                    h = (h * MULTIPLIER + ord(c)) & M32
                found[mix(h) % n_features] += 1
    return found


def as_counter(row: object) -> Counter[int]:
    return Counter(dict(zip(row.indices.tolist(), row.data.astype(int).tolist(), strict=True)))


TEXTS = [
    "Hvorfor er min regning så HØJ i denne måned?",
    "ok",
    "",
    "   ",
    "Jag vill ha svar i dag!!! 😡 ring mig",
    "a b c",
    "Refund the double charge now — order #55123, thanks",
    "İstanbul Straße naïve café",  # lowercasing that changes the length: kept as written
    "tab\tand\nnewline  double  space",
]


@pytest.mark.parametrize("n_features", [2**18, 1000])
def test_word_and_char_features_follow_their_definitions(n_features: int) -> None:
    words = NgramHasher("word", (1, 2), n_features).fit(TEXTS).transform(TEXTS)
    chars = NgramHasher("char", (3, 4), n_features).fit(TEXTS).transform(TEXTS)
    for i, text in enumerate(TEXTS):
        assert as_counter(words[i]) == word_features(text, n_features), text
        assert as_counter(chars[i]) == char_features(text, n_features), text


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=6))
def test_any_texts_hash_as_defined_and_never_into_a_neighbour(texts: list[str]) -> None:
    words = NgramHasher("word", (1, 2), 4096).transform(texts)
    chars = NgramHasher("char", (3, 4), 4096).transform(texts)
    assert words.shape == chars.shape == (len(texts), 4096)
    for i, text in enumerate(texts):
        assert as_counter(words[i]) == word_features(text, 4096)
        assert as_counter(chars[i]) == char_features(text, 4096)


def test_spans_point_at_the_ngram_in_its_own_text() -> None:
    texts = ["ab cd", "Hello there"]
    encoded = encode(texts)
    for piece in NgramHasher("char", (3, 4), 2**10).ngrams(encoded):
        for text, start, end in zip(piece.text, piece.start, piece.end, strict=True):
            padded = " " + texts[text] + " "
            offset = encoded.starts[text] - 1
            gram = padded[start - offset : end - offset]
            assert len(gram) == end - start and gram.strip() and " " not in gram.strip()


def test_a_single_string_is_refused() -> None:
    with pytest.raises(ValueError, match="list of texts"):
        NgramHasher("word").transform("one text")


def test_classifier_gives_the_pipelines_numbers(sample_classifier: Classifier) -> None:
    """The fast path computes what the scikit-learn Pipeline computes (features, softmax)."""
    texts = TEXTS + ["Kan I forklare hvorfor prisen er steget?", "Send mig en ny faktura i dag"]
    for side, pipeline in sample_classifier.pipelines.items():
        scored = sample_classifier._score(texts, side)
        expected = pipeline.named_steps["features"].transform(texts)
        width = scored.features.shape[1]  # the n-grams' columns; the sentence embedding's follow
        assert expected.shape[1] == width + DIMENSIONS
        assert abs(scored.features - expected[:, :width]).max() < 1e-6
        model = pipeline.named_steps["model"]
        order = [list(model.classes_).index(label) for label in ("relational", "action_oriented", "factual")]
        reference = pipeline.predict_proba(texts)[:, order]
        # before the shrinkage toward "no preference", the same probabilities
        evidence = sample_classifier._explainers[side].evidence(scored.pieces, len(texts))
        knows = evidence > 0
        k = evidence[knows][:, None]
        unshrunk = (scored.probabilities[knows] * (k + EVIDENCE_PRIOR) - EVIDENCE_PRIOR / len(order)) / k
        assert knows.sum() >= len(texts) // 2
        assert abs(unshrunk - reference[knows]).max() < 1e-3  # rounded to 4 decimals first


def test_long_batches_in_slices_equal_one_by_one(sample_classifier: Classifier) -> None:
    texts = [f"{t} {i}" for i in range(1200) for t in TEXTS if t.strip()]
    assert sum(len(t) for t in texts) > SLICE_CHARS  # several slices
    together = sample_classifier.probabilities(texts, "customer")
    sample = list(range(0, len(texts), 97))
    alone = np.array([sample_classifier.probabilities([texts[i]], "customer")[0] for i in sample])
    assert np.array_equal(together[sample], alone)
    many = sample_classifier.classify_many([texts[i] for i in sample], "customer", ["da"] * len(sample))
    assert [p.cues for p in many] == [
        sample_classifier.classify(texts[i], "customer", "da").cues for i in sample
    ]
