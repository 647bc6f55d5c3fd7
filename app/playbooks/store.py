"""Playbook entries in the database: sync from the YAML files, edits with history, export;
the live entries per touchpoint and language, cached per process for the assist panel."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import PlaybookEntry, PlaybookRevision, User, utcnow
from app.playbooks.library import Entry


@dataclass(frozen=True)
class SyncReport:
    created: int
    updated: int
    kept_edited: int


def _snapshot(entry: PlaybookEntry, action: str, author: User | None) -> PlaybookRevision:
    return PlaybookRevision(
        entry=entry,
        version=entry.version,
        text=entry.text,
        phrases=list(entry.phrases),
        note=entry.note,
        retired=entry.retired,
        action=action,
        author_id=author.id if author is not None else None,
    )


def sync(session: Session, entries: list[Entry]) -> SyncReport:
    """Insert new file entries; refresh ones trainers never edited; keep trainers' edits."""
    existing = {row.key: row for row in session.scalars(select(PlaybookEntry))}
    created = updated = kept = 0
    for entry in entries:
        row = existing.get(entry.id)
        if row is None:
            _insert(session, entry, "synced", None)
            created += 1
        elif _edited_in_app(session, row):
            kept += 1
        elif (row.text, list(row.phrases), row.note) != (entry.text, list(entry.phrases), entry.note):
            row.text, row.phrases, row.note = entry.text, list(entry.phrases), entry.note
            row.updated_at = utcnow()
            session.flush()
            session.add(_snapshot(row, "synced", None))
            updated += 1
    return SyncReport(created, updated, kept)


def _edited_in_app(session: Session, row: PlaybookEntry) -> bool:
    actions = session.scalars(select(PlaybookRevision.action).where(PlaybookRevision.entry_id == row.id))
    return any(action != "synced" for action in actions)


class StaleEdit(Exception):
    """Someone saved the entry after this editor loaded it."""

    def __init__(self, current: PlaybookEntry) -> None:
        super().__init__(f"entry {current.key} is at version {current.version}")
        self.current = current


def save_edit(
    session: Session,
    row: PlaybookEntry,
    *,
    base_version: int,
    text: str,
    phrases: list[str],
    note: str,
    author: User,
    action: str = "edited",
    retired: bool | None = None,
) -> PlaybookEntry:
    """Apply an edit made against `base_version`; refuses (StaleEdit) if that is not current."""
    if row.version != base_version:
        raise StaleEdit(row)
    row.text, row.phrases, row.note = text, phrases, note
    if retired is not None:
        row.retired = retired
    row.updated_at = utcnow()
    row.updated_by_id = author.id
    session.flush()  # the version counter moves here; a concurrent writer fails its UPDATE
    session.add(_snapshot(row, action, author))
    return row


def as_entry(row: PlaybookEntry) -> Entry:
    return Entry(
        id=row.key,
        touchpoint=row.touchpoint,
        preference=row.preference,
        situation=row.situation,
        language=row.language,
        text=row.text,
        phrases=tuple(row.phrases),
        note=row.note,
    )


def current_entries(session: Session, include_retired: bool = False) -> list[Entry]:
    query = select(PlaybookEntry)
    if not include_retired:
        query = query.where(PlaybookEntry.retired.is_(False))
    return [as_entry(row) for row in session.scalars(query)]


def _insert(session: Session, entry: Entry, action: str, author: User | None) -> PlaybookEntry:
    row = PlaybookEntry(
        key=entry.id,
        touchpoint=entry.touchpoint,
        preference=entry.preference,
        situation=entry.situation,
        language=entry.language,
        text=entry.text,
        phrases=list(entry.phrases),
        note=entry.note,
        updated_by_id=author.id if author is not None else None,
    )
    session.add(row)
    session.flush()
    session.add(_snapshot(row, action, author))
    return row


def create_entry(session: Session, entry: Entry, author: User) -> PlaybookEntry:
    """A trainer's new entry, with its first revision."""
    return _insert(session, entry, "created", author)


def revision(session: Session, row: PlaybookEntry, version: int) -> PlaybookRevision | None:
    return session.scalar(
        select(PlaybookRevision).where(
            PlaybookRevision.entry_id == row.id, PlaybookRevision.version == version
        )
    )


@dataclass(frozen=True)
class Shelf:
    """The live (not retired) entries of one touchpoint and playbook language."""

    entries: tuple[Entry, ...]
    row_ids: dict[str, int]  # entry key → playbook_entries.id, for the suggestion events


def load_shelf(session: Session, touchpoint: str, language: str) -> Shelf:
    rows = session.scalars(
        select(PlaybookEntry).where(
            PlaybookEntry.touchpoint == touchpoint,
            PlaybookEntry.language == language,
            PlaybookEntry.retired.is_(False),
        )
    ).all()
    return Shelf(tuple(as_entry(row) for row in rows), {row.key: row.id for row in rows})


def fingerprint(session: Session) -> tuple[Any, ...]:
    """Changes whenever any entry is added, saved (its version counter moves), retired or restored."""
    return tuple(
        session.execute(
            select(
                func.count(PlaybookEntry.id),
                func.sum(PlaybookEntry.id),
                func.sum(PlaybookEntry.version),
                func.max(PlaybookEntry.updated_at),
            )
        ).one()
    )


class LivePlaybook:
    """Shelves kept in one process, checked against the database's fingerprint.

    Workers and hosts share only the database, so a trainer's save through any of them shows
    everywhere: at the next use after `recheck_seconds` (the fingerprint is one aggregate over a
    few hundred rows, a round trip that live serving need not pay on every turn). 0 checks on
    every use. A save through this worker shows at once (`forget`).
    """

    def __init__(self, recheck_seconds: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.recheck_seconds = recheck_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._fingerprint: tuple[Any, ...] | None = None
        self._checked_at: float | None = None
        self._shelves: dict[tuple[str, str], Shelf] = {}

    def forget(self) -> None:
        """Drop every shelf: the next use reads the database."""
        with self._lock:
            self._fingerprint, self._checked_at, self._shelves = None, None, {}

    def shelf(self, session: Session, touchpoint: str, language: str) -> Shelf:
        now = self._clock()
        with self._lock:
            fresh = self._checked_at is not None and now - self._checked_at < self.recheck_seconds
            if fresh and (touchpoint, language) in self._shelves:
                return self._shelves[(touchpoint, language)]
        current = fingerprint(session)
        with self._lock:
            if current == self._fingerprint and (touchpoint, language) in self._shelves:
                self._checked_at = now
                return self._shelves[(touchpoint, language)]
        shelf = load_shelf(session, touchpoint, language)  # at least as new as `current`
        with self._lock:
            if current != self._fingerprint:
                self._fingerprint, self._shelves = current, {}
            self._checked_at = now
            self._shelves[(touchpoint, language)] = shelf
        return shelf
