"""Typed SQLAlchemy 2 tables. Import models from here."""

from app.models.audit import AuditEvent
from app.models.base import Base, utcnow
from app.models.coaching import CoachingNote, FollowUp
from app.models.contacts import Customer, Interaction, Survey, Utterance
from app.models.people import Agent, ApiToken, Team, User
from app.models.playbooks import PlaybookEntry, PlaybookRevision, SuggestionEvent
from app.models.report import ReportTally, ReportWeekTally

__all__ = [
    "Agent",
    "ApiToken",
    "AuditEvent",
    "Base",
    "CoachingNote",
    "Customer",
    "FollowUp",
    "Interaction",
    "PlaybookEntry",
    "PlaybookRevision",
    "ReportTally",
    "ReportWeekTally",
    "SuggestionEvent",
    "Survey",
    "Team",
    "User",
    "Utterance",
    "utcnow",
]
