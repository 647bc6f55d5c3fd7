"""The authored training data: valid, balanced above the stated minimums, no leakage."""

from __future__ import annotations

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from classifier import dataset
from classifier.labels import LABELS

MINIMUM = {"customer": 400, "agent": 200}
LANGUAGES = ("da", "sv", "en")
TOUCHPOINTS = ("phone", "chat", "email", "social", "store", "web")


@pytest.fixture(scope="module")
def data() -> dataset.Dataset:
    return dataset.load(dataset.default_training_dir())  # raises, naming file:line, if invalid


def test_every_language_and_side_has_its_files(data: dataset.Dataset) -> None:
    present = set(zip(data.frame["side"], data.frame["lang"], strict=True))
    assert present >= {(side, lang) for side in MINIMUM for lang in LANGUAGES}


@pytest.mark.parametrize("side", MINIMUM)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_label_meets_its_minimum(data: dataset.Dataset, side: str, lang: str) -> None:
    rows = data.frame[(data.frame["side"] == side) & (data.frame["lang"] == lang)]
    counts = rows["label"].value_counts()
    for label in LABELS:
        assert counts.get(label, 0) >= MINIMUM[side], (side, lang, label, counts.get(label, 0))
    assert counts.max() / counts.min() < 1.25  # balanced


@pytest.mark.parametrize("side", MINIMUM)
def test_heldout_part_covers_every_language_and_label(data: dataset.Dataset, side: str) -> None:
    heldout = data.side(side, "heldout")
    for lang in LANGUAGES:
        for label in LABELS:
            n = len(heldout[(heldout["lang"] == lang) & (heldout["label"] == label)])
            assert n >= MINIMUM[side] // 7, (side, lang, label, n)


def test_all_touchpoints_are_used(data: dataset.Dataset) -> None:
    assert set(data.frame["touchpoint"]) == set(TOUCHPOINTS)


def test_no_duplicate_texts(data: dataset.Dataset) -> None:
    normalised = data.frame["text"].str.lower().str.split().str.join(" ")
    duplicated = data.frame.loc[normalised.duplicated(keep=False), "id"].tolist()
    assert duplicated == []


@pytest.mark.parametrize("side", MINIMUM)
def test_no_near_duplicates_across_the_heldout_split(data: dataset.Dataset, side: str) -> None:
    train, heldout = data.side(side, "train"), data.side(side, "heldout")
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    vectorizer.fit(train["text"])
    similarity = cosine_similarity(vectorizer.transform(heldout["text"]), vectorizer.transform(train["text"]))
    worst = similarity.max(axis=1)
    leaks = [
        (heldout["id"][i], train["id"][int(similarity[i].argmax())], round(float(worst[i]), 2))
        for i in range(len(heldout))
        if worst[i] > 0.9
    ]
    assert leaks == []
