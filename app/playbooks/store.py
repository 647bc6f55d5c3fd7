"""Playbook entries in the database: sync from the YAML files, edits with history, export."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
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
