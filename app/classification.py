"""The app's one loaded model, kept in app.extensions and loaded on first use."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import current_app

from classifier import Classifier

_KEY = "matchpoint.classifier"
_lock = threading.Lock()


def get_classifier() -> Classifier:
    """The worker's classifier; loading happens once per process, never per request."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    classifier = app.extensions.get(_KEY)
    if classifier is None:
        with _lock:
            classifier = app.extensions.get(_KEY)
            if classifier is None:
                classifier = Classifier.load(Path(app.config["MODEL_DIR"]))
                app.extensions[_KEY] = classifier
    return classifier
