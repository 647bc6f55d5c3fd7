"""The label vocabulary shared by every part of the classifier."""

from typing import Final

LABELS: Final = ("relational", "action_oriented", "factual")
SIDES: Final = ("customer", "agent")
LANGUAGES: Final = ("da", "sv", "nb", "en")
