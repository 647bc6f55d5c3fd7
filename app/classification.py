"""What each worker process keeps for serving, in app.extensions: the loaded model (with the
language detector's models) and the cache of live playbook entries."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import current_app

from app.playbooks.store import LivePlaybook
from classifier import Classifier

_KEY = "matchpoint.classifier"
_PLAYBOOK_KEY = "matchpoint.live_playbook"
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
                classifier.language.warm()  # lingua's models too: no request should wait for them
                app.extensions[_KEY] = classifier
    return classifier


def get_live_playbook() -> LivePlaybook:
    """The worker's playbook cache; it checks itself against the database on every use."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions.setdefault(_PLAYBOOK_KEY, LivePlaybook())  # type: ignore[no-any-return]
