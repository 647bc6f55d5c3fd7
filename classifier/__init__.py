"""Pure machine learning for service preferences: no Flask, no database.

The public surface: `Classifier` (load once, classify texts and transcripts) and the
frozen results it returns. Those three come from `classifier.predict` on first use, so a
program that only needs the labels (the web app's models, `matchpoint report`) does not
import scikit-learn.
"""

from typing import TYPE_CHECKING, Any

from classifier.labels import LABELS, LANGUAGES, SIDES

if TYPE_CHECKING:
    from classifier.predict import Classifier, Cue, Prediction

__all__ = ["LABELS", "LANGUAGES", "SIDES", "Classifier", "Cue", "Prediction"]
_FROM_PREDICT = frozenset({"Classifier", "Cue", "Prediction"})


def __getattr__(name: str) -> Any:
    """`Classifier`, `Cue` and `Prediction`, imported when first asked for (PEP 562)."""
    if name in _FROM_PREDICT:
        from classifier import predict

        return getattr(predict, name)
    raise AttributeError(f"module 'classifier' has no attribute {name!r}")
