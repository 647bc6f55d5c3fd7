"""Classifiers for the tests: the tiny sample model, and the real one trained once."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier import dataset, persistence
from classifier.predict import Classifier
from classifier.train import train


@pytest.fixture(scope="session")
def sample_classifier(sample_model_dir: Path) -> Classifier:
    return Classifier.load(sample_model_dir)


@pytest.fixture(scope="session")
def full_classifier(tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    """The model as `matchpoint train` builds it from training_data/ (about ten seconds)."""
    directory = tmp_path_factory.mktemp("full-model")
    pipelines, metadata = train(dataset.load(dataset.default_training_dir()))
    persistence.save(directory, pipelines, metadata)
    return Classifier.load(directory)
