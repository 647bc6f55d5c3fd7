"""Classifiers for the tests: the tiny sample model, and the real one trained once."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.predict import Classifier


@pytest.fixture(scope="session")
def sample_classifier(sample_model_dir: Path) -> Classifier:
    return Classifier.load(sample_model_dir)


@pytest.fixture(scope="session")
def full_classifier(full_model_dir: Path) -> Classifier:
    return Classifier.load(full_model_dir)
