"""Domain vocabulary from CONTRACTS.md: the only place these value lists are spelled."""

from typing import Final

from classifier.labels import LABELS, LANGUAGES, SIDES

PREFERENCES: Final = LABELS
SPEAKERS: Final = SIDES
TOUCHPOINTS: Final = ("phone", "chat", "email", "social", "store", "web")
PLAYBOOK_LANGUAGES: Final = ("da", "sv", "en")
CONTENT_LANGUAGES: Final = LANGUAGES
SITUATIONS: Final = (
    "opening",
    "clarifying",
    "explaining",
    "bad_news",
    "complaint",
    "making_it_right",
    "closing",
    "detractor_followup",
)
ROLES: Final = ("agent", "lead", "trainer", "admin")
LABEL_SOURCES: Final = ("provided", "predicted")
FOLLOWUP_STATUSES: Final = ("open", "contacted", "closed")

PREFERENCE_NAMES: Final = {
    "relational": "Relational",
    "action_oriented": "Action-oriented",
    "factual": "Factual",
}
SITUATION_NAMES: Final = {
    "opening": "Opening",
    "clarifying": "Clarifying the need",
    "explaining": "Explaining",
    "bad_news": "Bad news or delay",
    "complaint": "Complaint",
    "making_it_right": "Making it right",
    "closing": "Closing",
    "detractor_followup": "Detractor follow-up",
}
