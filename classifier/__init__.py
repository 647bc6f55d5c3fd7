"""Pure machine learning for service preferences: no Flask, no database.

The public surface: `Classifier` (load once, classify texts and transcripts) and the
frozen results it returns.
"""

from classifier.labels import LABELS, LANGUAGES, SIDES
from classifier.predict import Classifier, Cue, Prediction

__all__ = ["LABELS", "LANGUAGES", "SIDES", "Classifier", "Cue", "Prediction"]
