"""What the editor needs beyond the store: filters, coverage, diffs, new ids, form parsing."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import PlaybookEntry
from app.vocabulary import PLAYBOOK_LANGUAGES, PREFERENCES, SITUATIONS, TOUCHPOINTS

FILTERS = ("touchpoint", "preference", "situation", "language")
SHORT = {"relational": "rel", "action_oriented": "act", "factual": "fac"}
THIN = {"phone": 2, "chat": 2, "email": 2, "social": 1, "store": 1, "web": 1}  # wanted per cell


@dataclass(frozen=True)
class EntryForm:
    text: str
    phrases: list[str]
    note: str
    problems: tuple[str, ...]


def parse_form(form: Any, max_chars: int) -> EntryForm:
    text = (form.get("text") or "").strip()
    note = (form.get("note") or "").strip()
    phrases = [line.strip().lower() for line in (form.get("phrases") or "").splitlines() if line.strip()]
    problems = []
    if not text:
        problems.append("The response text is empty.")
    elif len(text) > max_chars:
        problems.append(f"The response text has {len(text)} characters; the limit is {max_chars}.")
    if not phrases:
        problems.append("Give at least one phrase a customer might say (one per line).")
    if not note:
        problems.append("Add a one-line note on why this fits the preference.")
    return EntryForm(text, phrases, note, tuple(problems))


def filtered(session: Session, args: Any) -> list[PlaybookEntry]:
    query = select(PlaybookEntry).order_by(
        PlaybookEntry.language,
        PlaybookEntry.touchpoint,
        PlaybookEntry.preference,
        PlaybookEntry.situation,
        PlaybookEntry.key,
    )
    for name in FILTERS:
        value = args.get(name)
        if value:
            query = query.where(getattr(PlaybookEntry, name) == value)
    if not args.get("retired"):
        query = query.where(PlaybookEntry.retired.is_(False))
    if args.get("q"):
        query = query.where(PlaybookEntry.text.ilike(f"%{args['q']}%"))
    return list(session.scalars(query))


@dataclass(frozen=True)
class CoverageCell:
    count: int
    wanted: int

    @property
    def state(self) -> str:
        return "empty" if self.count == 0 else "thin" if self.count < self.wanted else "ok"


def coverage(session: Session, language: str) -> dict[tuple[str, str], dict[str, CoverageCell]]:
    """(touchpoint, preference) → situation → active entries, for one language."""
    counts = dict(
        ((tp, pref, sit), n)
        for tp, pref, sit, n in session.execute(
            select(PlaybookEntry.touchpoint, PlaybookEntry.preference, PlaybookEntry.situation, func.count())
            .where(PlaybookEntry.language == language, PlaybookEntry.retired.is_(False))
            .group_by(PlaybookEntry.touchpoint, PlaybookEntry.preference, PlaybookEntry.situation)
        )
    )
    return {
        (tp, pref): {sit: CoverageCell(counts.get((tp, pref, sit), 0), THIN[tp]) for sit in SITUATIONS}
        for tp in TOUCHPOINTS
        for pref in PREFERENCES
    }


def diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level diff as (kind, text) pairs: kind is ' ', '+' or '-'."""
    out = []
    for token in difflib.ndiff(old.split(), new.split()):
        kind = token[0]
        if kind in " +-":
            out.append((kind, token[2:]))
    return out


def new_key(session: Session, language: str, touchpoint: str, preference: str, situation: str) -> str:
    stem = f"{language}-{touchpoint}-{SHORT[preference]}-{situation}-"
    taken = set(session.scalars(select(PlaybookEntry.key).where(PlaybookEntry.key.like(f"{stem}%"))))
    n = 1
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


def valid_cell(language: str, touchpoint: str, preference: str, situation: str) -> bool:
    return (
        language in PLAYBOOK_LANGUAGES
        and touchpoint in TOUCHPOINTS
        and preference in PREFERENCES
        and situation in SITUATIONS
    )
