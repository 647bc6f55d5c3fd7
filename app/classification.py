"""What each worker process keeps for serving, in app.extensions: the loaded model (with the
language detector's models), the cache of live playbook entries, the memo of recent turns."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

from app.models import Utterance
from app.playbooks.store import LivePlaybook

if TYPE_CHECKING:  # the classifier (scikit-learn) is imported when the model is first loaded
    from classifier import Classifier
    from classifier.predict import Prediction

_KEY = "matchpoint.classifier"
_PLAYBOOK_KEY = "matchpoint.live_playbook"
_MEMO_KEY = "matchpoint.recent_predictions"
_lock = threading.Lock()


class RecentPredictions:
    """A worker's memo of the customer turns it classified lately, cues included.

    The panel shows the cues of the last two customer turns, so each turn is needed again by
    the next one or two requests of its contact; when the same worker serves them, it need not
    classify the turn again. Keyed by utterance id and text (a purged text misses); a miss only
    costs the classification, so nothing here is state another worker needs.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._predictions: OrderedDict[tuple[int, str], Prediction] = OrderedDict()

    def get(self, utterance: Utterance) -> Prediction | None:
        with self._lock:
            return self._predictions.get((utterance.id, utterance.text or ""))

    def put(self, utterance: Utterance, prediction: Prediction) -> None:
        key = (utterance.id, utterance.text or "")
        with self._lock:
            self._predictions[key] = prediction
            self._predictions.move_to_end(key)
            while len(self._predictions) > self.size:
                self._predictions.popitem(last=False)


def get_classifier() -> Classifier:
    """The worker's classifier; loading happens once per process, never per request."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    classifier = app.extensions.get(_KEY)
    if classifier is None:
        with _lock:
            classifier = app.extensions.get(_KEY)
            if classifier is None:
                from classifier import Classifier

                classifier = Classifier.load(Path(app.config["MODEL_DIR"]))
                classifier.language.warm()  # lingua's models too: no request should wait for them
                app.extensions[_KEY] = classifier
    return classifier


def get_live_playbook() -> LivePlaybook:
    """The worker's playbook cache; it checks itself against the database on every use."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions.setdefault(_PLAYBOOK_KEY, LivePlaybook())  # type: ignore[no-any-return]


def get_recent_predictions() -> RecentPredictions:
    """The worker's memo of recently classified customer turns (with their cues)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions.setdefault(_MEMO_KEY, RecentPredictions())  # type: ignore[no-any-return]
