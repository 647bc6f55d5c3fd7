"""What each worker process keeps for serving, in app.extensions: the loaded model (with the
language detector's models), the cache of live playbook entries, the memos of recent turns
and of suggestion events already stored."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.models import Interaction, Utterance

if TYPE_CHECKING:  # the classifier (scikit-learn) is imported when the model is first loaded
    from app.playbooks.store import LivePlaybook  # whose package's views use this module
    from classifier import Classifier
    from classifier.predict import Prediction

_KEY = "matchpoint.classifier"
_PLAYBOOK_KEY = "matchpoint.live_playbook"
_MEMO_KEY = "matchpoint.recent_predictions"
_SHOWN_KEY = "matchpoint.shown_suggestions"
_lock = threading.Lock()


class RecentPredictions:
    """A worker's memo of the customer turns it classified lately, cues included, for turns
    whose cues are not stored (imported or rescored turns; a live turn stores its own).

    The panel shows the cues of the last two customer turns, so such a turn is needed again
    by the next polls of its contact; when the same worker serves them, it need not classify
    the turn again. Keyed by utterance id and text (a purged text misses); a miss only costs
    the classification, so nothing here is state another worker needs.
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


class ShownSuggestions:
    """A worker's memo of the (interaction, entry) suggestion events it has committed lately.

    The panel shows mostly the same suggestions turn after turn; each event is stored once
    (INSERT … ON CONFLICT DO NOTHING, or look-then-insert on SQLite), so a turn whose
    suggestions this worker noted before need not write at all. Pairs enter the memo only when
    their transaction commits (`pending` → `after_commit`), so a rolled-back note is written
    again next time. A miss costs one idempotent insert: nothing here is state another worker needs.
    """

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._pairs: OrderedDict[tuple[tuple[int, datetime], int], None] = OrderedDict()

    def unnoted(self, session: Session, interaction: Interaction, entry_ids: list[int]) -> list[int]:
        """The entries not known to be noted for this interaction; they are remembered once
        `session` commits. Keyed by the interaction's id and creation time: SQLite may give an
        erased contact's id to the next one."""
        contact = (interaction.id, interaction.created_at)
        with self._lock:
            new = [e for e in entry_ids if (contact, e) not in self._pairs]
        if new:
            session.info.setdefault(_SHOWN_KEY, []).append((self, [(contact, e) for e in new]))
        return new

    def remember(self, pairs: list[tuple[tuple[int, datetime], int]]) -> None:
        with self._lock:
            for pair in pairs:
                self._pairs[pair] = None
                self._pairs.move_to_end(pair)
            while len(self._pairs) > self.size:
                self._pairs.popitem(last=False)


@event.listens_for(Session, "after_commit")
def _remember_committed_suggestions(session: Session) -> None:
    for memo, pairs in session.info.pop(_SHOWN_KEY, ()):
        memo.remember(pairs)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_suggestions(session: Session) -> None:
    session.info.pop(_SHOWN_KEY, None)


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
    """The worker's playbook cache; it checks itself against the database every
    PLAYBOOK_RECHECK_SECONDS, and at once after a save through this worker."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    playbook = app.extensions.get(_PLAYBOOK_KEY)
    if playbook is None:
        from app.playbooks.store import LivePlaybook

        playbook = LivePlaybook(float(app.config["PLAYBOOK_RECHECK_SECONDS"]))
        app.extensions[_PLAYBOOK_KEY] = playbook
    return playbook  # type: ignore[no-any-return]


def get_shown_suggestions() -> ShownSuggestions:
    """The worker's memo of suggestion events already stored."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions.setdefault(_SHOWN_KEY, ShownSuggestions())  # type: ignore[no-any-return]


def serving_caches() -> dict[str, Any]:
    """The worker's caches, as assist_state() takes them: playbook shelves and both memos."""
    return {
        "playbook": get_live_playbook(),
        "memo": get_recent_predictions(),
        "shown": get_shown_suggestions(),
    }


def get_recent_predictions() -> RecentPredictions:
    """The worker's memo of recently classified customer turns (with their cues)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions.setdefault(_MEMO_KEY, RecentPredictions())  # type: ignore[no-any-return]
