"""Importing interactions (JSON lines) and surveys (CSV) from other systems, all-or-nothing.

Every function takes the caller's Session and never commits. A file is validated in full
first, line by line, and only a file without a single problem is written.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from typing import IO, TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload

from app.assist.service import customer_for, refresh_labels
from app.audit import record
from app.auth.accounts import ensure_team
from app.coaching import tallies
from app.models import Agent, Customer, Interaction, Survey, Team, User, Utterance
from app.text_input import unstorable_text
from app.transcripts.redaction import redact
from app.vocabulary import CONTENT_LANGUAGES, PREFERENCES, SPEAKERS, TOUCHPOINTS

if TYPE_CHECKING:  # the classifier (scikit-learn) is imported when a model is loaded
    from classifier import Classifier

KINDS = ("interactions", "surveys")
SURVEY_FIELDS = ("interaction_id", "score", "responded_at", "comment")
REQUIRED_SURVEY_FIELDS = ("interaction_id", "score", "responded_at")
DEFAULT_MAX_TEXT_CHARS = 20_000
IMPORT_LOCK_KEY = 0x4D50494D  # PostgreSQL advisory lock that serialises imports ("MPIM")
CHUNK = 200  # rows written (and interactions looked up) per round trip
MAX_LINE_BYTES = 4 * 1024 * 1024  # one interaction (all its utterances) or one CSV row
# Column widths of the tables these values land in.
_LIMITS = {
    "interaction_id": 64,
    "agent_id": 64,
    "agent_name": 200,
    "team": 120,
    "customer_ref": 128,
    "topic": 64,
}
_INTEGER = re.compile(r"[+-]?\d+")
_TIMESTAMP_EXAMPLE = "e.g. 2026-03-02T09:14:00Z"

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    line: int | None  # None: the problem concerns the whole file
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


@dataclass
class ImportReport:
    kind: str  # "interactions" or "surveys"
    problems: list[Problem] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    utterances: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        total = self.created + self.updated
        text = f"Imported {total} {self.kind}: {self.created} created, {self.updated} updated"
        if self.kind == "interactions":
            text += f"; {self.utterances} utterances stored"
        return text + "."


class _Unreadable(Exception):
    """The file cannot be read on (not UTF-8, a line too long, too many rows): one problem
    that ends the check, and nothing is written."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1024**2:g} MB" if n_bytes >= 1024**2 else f"{n_bytes / 1024:g} KB"


def _not_utf8(number: int, line: bytes, error: UnicodeDecodeError) -> Problem:
    """Where the bytes that are not UTF-8 are, and what the file probably is instead."""
    if number == 1 and line.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Problem(
            None,
            "the file is not UTF-8 text but UTF-16. Save it as UTF-8 "
            "(in Excel: 'CSV UTF-8'; in Notepad: Save as, Encoding UTF-8) and import it again.",
        )
    byte = line[error.start]
    guess = "; it looks like Latin-1 or Windows-1252" if 0xA0 <= byte <= 0xFF else ""
    return Problem(
        number,
        f"the file is not UTF-8 text (byte 0x{byte:02X} at position {error.start + 1}{guess}). "
        "Save it as UTF-8 (in Excel: 'CSV UTF-8') and import it again.",
    )


class LineSource:
    """An import's input, read twice (once to check every line, once to write) and never held
    in memory as a whole: a seekable file (an upload's temporary file, a file the command opened)
    is read again from where it started, one bounded line at a time; lines already in memory
    (a list, a generator) are kept as a list."""

    def __init__(
        self, source: Iterable[str | bytes] | IO[bytes], max_line_bytes: int = MAX_LINE_BYTES
    ) -> None:
        self.max_line_bytes = max_line_bytes
        self._file: IO[bytes] | None = None
        self._items: Sequence[str | bytes] = ()
        if hasattr(source, "readline") and hasattr(source, "seek") and source.seekable():  # type: ignore[union-attr]
            self._file = source  # type: ignore[assignment]
            self._start = source.tell()  # type: ignore[union-attr]
        else:
            self._items = source if isinstance(source, list | tuple) else list(source)

    def _raw(self) -> Iterator[str | bytes]:
        if self._file is None:
            yield from self._items
            return
        self._file.seek(self._start)
        while line := self._file.readline(self.max_line_bytes + 1):
            yield line

    def numbered(self) -> Iterator[tuple[int, str]]:
        """(line number, text) of every line; raises _Unreadable at a line that is not UTF-8
        or longer than max_line_bytes (without reading the rest of that line into memory)."""
        lines = self._raw()
        number = 0
        while True:
            number += 1
            try:
                line = next(lines)
            except StopIteration:
                return
            except UnicodeDecodeError as error:  # a text stream decodes ahead: the line is unknown
                raise _Unreadable(
                    Problem(None, "the file is not UTF-8 text. Save it as UTF-8 and import it again.")
                ) from error
            if len(line) > self.max_line_bytes:
                raise _Unreadable(
                    Problem(
                        number,
                        f"the line is longer than {_size(self.max_line_bytes)}, the most one line may "
                        "hold; each line holds one record, and texts have their own limit",
                    )
                )
            if isinstance(line, bytes):
                try:
                    line = line.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise _Unreadable(_not_utf8(number, line, error)) from error
            if number == 1:
                line = line.removeprefix("\ufeff")
            yield number, line


# A file read twice that reads differently the second time (a command's file rewritten meanwhile).
_CHANGED = Problem(
    None, "the file changed while it was being imported; nothing was imported. Import it again."
)


def _too_many_rows(line: int, max_rows: int) -> _Unreadable:
    return _Unreadable(
        Problem(
            line,
            f"the file holds more than {max_rows} rows, the most one upload may hold. Split it into "
            "smaller files (each goes in all-or-nothing) or use the command `matchpoint import`.",
        )
    )


def parse_timestamp(value: object) -> datetime:
    """ISO 8601 to an aware datetime; a naive timestamp is UTC. ValueError if it is not one."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(value)
    parsed = datetime.fromisoformat(value.strip())
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
    try:
        parsed.astimezone(UTC)  # stored as UTC: 9999-12-31T23:59-01:00 has no such moment
    except OverflowError as error:
        raise ValueError(value) from error
    return parsed


# ---------------------------------------------------------------------------- interactions


@dataclass(frozen=True)
class InteractionRow:
    """One valid line of an interactions file, as read (texts not yet redacted)."""

    line: int
    interaction_id: str
    agent_id: str
    touchpoint: str
    started_at: datetime
    agent_name: str | None = None
    team: str | None = None
    ended_at: datetime | None = None
    customer_ref: str | None = None
    topic: str | None = None
    language: str | None = None
    # None when the line has no "utterances": a re-import then keeps the stored ones.
    utterances: tuple[tuple[str, str, datetime | None], ...] | None = None
    customer_preference: str | None = None
    agent_style: str | None = None

    @property
    def provided(self) -> bool:
        return self.customer_preference is not None and self.agent_style is not None


def _text_value(
    data: dict[str, Any], name: str, problems: list[str], *, required: bool = False
) -> str | None:
    value = data.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and name.endswith(("_id", "_ref")):
        value = str(value)  # numeric ids from other systems are fine
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(f"{name} is required")
        return None
    if not isinstance(value, str):
        problems.append(f"{name} must be a string")
        return None
    value = value.strip()
    limit = _LIMITS.get(name)
    if limit is not None and len(value) > limit:
        problems.append(f"{name} has {len(value)} characters; the limit is {limit}")
        return None
    return value


def _timestamp_value(
    data: dict[str, Any], name: str, problems: list[str], *, required: bool = False
) -> datetime | None:
    value = data.get(name)
    if value is None:
        if required:
            problems.append(f"{name} is required")
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        problems.append(f"{name} {json.dumps(value)} is not an ISO 8601 timestamp ({_TIMESTAMP_EXAMPLE})")
        return None


def _utterances_value(
    data: dict[str, Any], problems: list[str], max_text_chars: int
) -> tuple[tuple[str, str, datetime | None], ...] | None:
    items = data.get("utterances")
    if items is None:
        return None
    if not isinstance(items, list):
        problems.append('utterances must be a list of {"speaker", "text"} objects')
        return None
    turns = []
    for number, item in enumerate(items, start=1):
        where = f"utterance {number}"
        if not isinstance(item, dict):
            problems.append(f"{where} must be an object with speaker and text")
            continue
        speaker, text = item.get("speaker"), item.get("text")
        if speaker not in SPEAKERS:
            problems.append(f"{where}: speaker {json.dumps(speaker)} is not one of {', '.join(SPEAKERS)}")
        if not isinstance(text, str):
            problems.append(f"{where}: text must be a string")
            continue
        if len(text) > max_text_chars:
            problems.append(f"{where}: text has {len(text)} characters; the limit is {max_text_chars}")
        spoken_at = _timestamp_value(item, "spoken_at", problems)
        if text.strip() and speaker in SPEAKERS:
            turns.append((str(speaker), text.strip(), spoken_at))
    return tuple(turns)


def parse_interaction_line(
    number: int, line: str, max_text_chars: int
) -> tuple[InteractionRow | None, list[Problem]]:
    """Validate one JSON line; the row when it is valid, else every problem found in it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        return None, [Problem(number, f"not valid JSON ({error.msg} at column {error.colno})")]
    except RecursionError:
        return None, [Problem(number, "not valid JSON (nested too deeply)")]
    if not isinstance(data, dict):
        return None, [Problem(number, "must be a JSON object, one interaction per line")]
    unstorable = unstorable_text(data)
    if unstorable:
        return None, [Problem(number, unstorable)]
    problems: list[str] = []
    interaction_id = _text_value(data, "interaction_id", problems, required=True)
    agent_id = _text_value(data, "agent_id", problems, required=True)
    touchpoint = data.get("touchpoint")
    if touchpoint is None:
        problems.append("touchpoint is required")
    elif touchpoint not in TOUCHPOINTS:
        problems.append(f"touchpoint {json.dumps(touchpoint)} is not one of {', '.join(TOUCHPOINTS)}")
    started_at = _timestamp_value(data, "started_at", problems, required=True)
    ended_at = _timestamp_value(data, "ended_at", problems)
    language = _text_value(data, "language", problems)
    if language is not None and language not in CONTENT_LANGUAGES:
        problems.append(f"language {json.dumps(language)} is not one of {', '.join(CONTENT_LANGUAGES)}")
    labels = {}
    for name in ("customer_preference", "agent_style"):
        value = data.get(name)
        if value is not None and value not in PREFERENCES:
            problems.append(f"{name} {json.dumps(value)} is not one of {', '.join(PREFERENCES)}")
        labels[name] = value
    given = [name for name, value in labels.items() if value is not None]
    if len(given) == 1:
        missing = "agent_style" if given[0] == "customer_preference" else "customer_preference"
        problems.append(f"{given[0]} is given without {missing}: give both labels or neither")
    utterances = _utterances_value(data, problems, max_text_chars)
    if not given and not utterances and not any(p.startswith("utterance") for p in problems):
        problems.append("needs utterances with text, or both customer_preference and agent_style")
    row_fields = {
        "agent_name": _text_value(data, "agent_name", problems),
        "team": _text_value(data, "team", problems),
        "customer_ref": _text_value(data, "customer_ref", problems),
        "topic": _text_value(data, "topic", problems),
    }
    if problems:
        return None, [Problem(number, message) for message in problems]
    row = InteractionRow(
        line=number,
        interaction_id=interaction_id or "",
        agent_id=agent_id or "",
        touchpoint=str(touchpoint),
        started_at=started_at,  # type: ignore[arg-type]
        ended_at=ended_at,
        language=language,
        utterances=utterances,
        customer_preference=labels["customer_preference"],
        agent_style=labels["agent_style"],
        **row_fields,
    )
    return row, []


def import_interactions(
    session: Session,
    lines: Iterable[str | bytes] | IO[bytes],
    classifier: Classifier,
    *,
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    max_rows: int | None = None,
    team: str | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> ImportReport:
    """Check every line, then (only if all are valid) read the file again and create or update
    each interaction, a chunk at a time. `team`: the one team the file may touch (a lead's
    upload); its new agents join that team. `max_rows`: the most lines with an interaction."""
    report = ImportReport("interactions")
    source = LineSource(lines, max_line_bytes)
    try:
        count = _check_interactions(session, source, max_text_chars, max_rows, team, report)
    except _Unreadable as error:
        report.problems.append(error.problem)
        count = None
    if count == 0 and not report.problems:
        report.problems.append(Problem(None, "the file holds no interactions"))
    if report.problems:
        return report
    try:
        _write_interactions(session, _valid_rows(source, max_text_chars), classifier, report, team)
    except _Unreadable:
        report.problems.append(_CHANGED)
    else:
        if report.created + report.updated != count:
            report.problems.append(_CHANGED)
    return report


def _check_interactions(
    session: Session,
    source: LineSource,
    max_text_chars: int,
    max_rows: int | None,
    team: str | None,
    report: ImportReport,
) -> int:
    """Report every problem of every line; returns how many lines hold an interaction.
    Only the ids seen so far are held (to find repeats), never the rows."""
    first_seen: dict[str, int] = {}
    waiting: list[InteractionRow] = []  # rows whose team is checked a chunk at a time
    count = 0
    for number, line in source.numbered():
        if not line.strip():
            continue
        count += 1
        if max_rows is not None and count > max_rows:
            raise _too_many_rows(number, max_rows)
        row, problems = parse_interaction_line(number, line, max_text_chars)
        if row is not None:
            first = first_seen.setdefault(row.interaction_id, number)
            if first != number:
                problems.append(
                    Problem(
                        number, f"interaction_id '{row.interaction_id}' appears again (first on line {first})"
                    )
                )
            elif team is not None:
                waiting.append(row)
        report.problems.extend(problems)
        if len(waiting) >= CHUNK:
            report.problems.extend(_outside_team(session, waiting, team or ""))
    report.problems.extend(_outside_team(session, waiting, team or ""))
    report.problems.sort(key=lambda p: -1 if p.line is None else p.line)
    return count


def _outside_team(session: Session, rows: list[InteractionRow], team: str) -> list[Problem]:
    """The rows of a file limited to `team` that would touch another team: its agents, its
    interactions, or a team named in the row. Empties `rows`."""
    if not rows:
        return []
    stored = dict(
        session.execute(
            select(Interaction.external_id, Team.name)
            .join(Interaction.agent, isouter=True)
            .join(Agent.team, isouter=True)
            .where(Interaction.external_id.in_([row.interaction_id for row in rows]))
        ).all()
    )
    agents = dict(
        session.execute(
            select(Agent.external_id, Team.name)
            .join(Agent.team, isouter=True)
            .where(Agent.external_id.in_({row.agent_id for row in rows}))
        ).all()
    )
    problems = []
    own = f"your team '{team}'"
    for row in rows:
        if row.team is not None and row.team != team:
            problems.append(
                Problem(row.line, f"team '{row.team}' is not {own}: a lead imports their own team's only")
            )
        if row.agent_id in agents and agents[row.agent_id] != team:
            problems.append(Problem(row.line, f"agent_id '{row.agent_id}' is not in {own}"))
        if row.interaction_id in stored and stored[row.interaction_id] != team:
            problems.append(
                Problem(row.line, f"interaction_id '{row.interaction_id}' is an interaction outside {own}")
            )
    rows.clear()
    return problems


def _valid_rows(source: LineSource, max_text_chars: int) -> Iterator[InteractionRow]:
    """The rows of a file whose every line was found valid, read again from the file."""
    for number, line in source.numbered():
        if line.strip():
            row, _ = parse_interaction_line(number, line, max_text_chars)
            if row is None:
                raise _Unreadable(_CHANGED)
            yield row


def _batches(items: Iterable[T]) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _take_import_lock(session: Session) -> None:
    """Make imports wait for each other until commit, so that two imports of one file cannot
    both decide a row is new: the second then sees the first one's rows and updates them."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK_KEY})
    elif dialect == "sqlite":  # a write statement takes SQLite's one write lock (matching no row)
        session.execute(text("UPDATE audit_events SET id = id WHERE 0 = 1"))


def _write_interactions(
    session: Session,
    rows: Iterable[InteractionRow],
    classifier: Classifier,
    report: ImportReport,
    team: str | None = None,
) -> None:
    _take_import_lock(session)
    agents: dict[str, Agent] = {}
    teams: dict[str, Team] = {}
    for chunk in _batches(rows):
        existing = {
            interaction.external_id: interaction
            for interaction in session.scalars(
                select(Interaction)
                .where(Interaction.external_id.in_([row.interaction_id for row in chunk]))
                .options(selectinload(Interaction.utterances))
            )
        }
        pairs = []
        customers: dict[str, Customer | None] = {}
        # No autoflush: one flush per chunk, not one per row; the dicts stand in for what a
        # flush would have let the lookups see (agents, teams, customers added earlier).
        with session.no_autoflush:
            for row in chunk:
                agent = _agent(session, row, agents, teams, team)
                if row.customer_ref and row.customer_ref not in customers:
                    customers[row.customer_ref] = customer_for(session, row.customer_ref)
                interaction = existing.get(row.interaction_id)
                if interaction is None:
                    interaction = Interaction(
                        external_id=row.interaction_id,
                        touchpoint=row.touchpoint,
                        agent=agent,
                        started_at=row.started_at,
                        utterances=[],
                    )
                    session.add(interaction)
                    report.created += 1
                else:
                    report.updated += 1
                    if row.utterances is not None:
                        interaction.utterances.clear()
                interaction.touchpoint = row.touchpoint
                interaction.agent = agent
                interaction.customer = customers.get(row.customer_ref or "")
                interaction.topic = row.topic
                interaction.started_at = row.started_at
                interaction.ended_at = row.ended_at
                pairs.append((row, interaction))
        session.flush()  # replaced turns leave before the new ones take their numbers
        fresh: list[tuple[Utterance, str | None]] = []
        for row, interaction in pairs:
            if row.utterances is not None:
                for seq, (speaker, text, spoken_at) in enumerate(row.utterances, start=1):
                    interaction.utterances.append(
                        Utterance(seq=seq, speaker=speaker, text=redact(text), spoken_at=spoken_at)
                    )
                report.utterances += len(row.utterances)
            interaction.language = row.language or _detected_language(interaction, classifier)
            if row.utterances:
                fresh.extend((u, interaction.language) for u in interaction.utterances)
        classify_utterances(classifier, fresh)
        for row, interaction in pairs:
            if row.provided:
                apply_provided_labels(interaction, row.customer_preference or "", row.agent_style or "")
            else:
                interaction.label_source = "predicted"
                clear_labels(interaction)
                refresh_labels(interaction)
            if row.utterances:
                interaction.model_version = classifier.version
        session.flush()


def _agent(
    session: Session,
    row: InteractionRow,
    agents: dict[str, Agent],
    teams: dict[str, Team],
    new_agents_team: str | None = None,
) -> Agent:
    """The agent named by the row, created when new; a name or team given in the file wins.
    A new agent without a team in the file joins `new_agents_team` (the importing lead's)."""
    agent = agents.get(row.agent_id)
    team = row.team
    if agent is None:
        agent = session.scalar(select(Agent).where(Agent.external_id == row.agent_id))
        if agent is None:
            agent = Agent(external_id=row.agent_id, name=row.agent_name or row.agent_id)
            session.add(agent)
            team = team or new_agents_team
        agents[row.agent_id] = agent
    if row.agent_name:
        agent.name = row.agent_name
    if team:
        if team not in teams:
            teams[team] = ensure_team(session, team)
        agent.team = teams[team]
    return agent


def _detected_language(interaction: Interaction, classifier: Classifier) -> str | None:
    texts = [u.text for u in interaction.utterances if u.text]
    customer_texts = [u.text for u in interaction.utterances if u.text and u.speaker == "customer"]
    if not texts:
        return interaction.language
    return classifier.language.detect(" ".join(customer_texts or texts))


def classify_utterances(classifier: Classifier, turns: list[tuple[Utterance, str | None]]) -> None:
    """Store the classifier's per-turn preference and probabilities; one batch per side."""
    for side in SPEAKERS:
        picked = [(u, lang) for u, lang in turns if u.speaker == side and u.text]
        if not picked:
            continue
        predictions = classifier.classify_many(
            [u.text or "" for u, _ in picked], side, [lang for _, lang in picked], with_cues=False
        )
        for (utterance, _), prediction in zip(picked, predictions, strict=True):
            utterance.preference = prediction.preference
            utterance.p_relational = prediction.probabilities["relational"]
            utterance.p_action_oriented = prediction.probabilities["action_oriented"]
            utterance.p_factual = prediction.probabilities["factual"]
            utterance.cues = None  # an earlier model's cues; shown ones are found afresh


def clear_labels(interaction: Interaction) -> None:
    """Forget the interaction-level labels, so that stale ones cannot survive a re-run."""
    for side in ("customer", "agent"):
        for label in PREFERENCES:
            setattr(interaction, f"{side}_p_{label}", None)
    interaction.customer_preference = None
    interaction.agent_style = None
    interaction.match_score = None
    interaction.matched = None
    interaction.preference_shift = False


def apply_provided_labels(interaction: Interaction, customer_preference: str, agent_style: str) -> None:
    """Labels from QA review or another system. They are certain, so their probabilities are
    one-hot, and the match score (the overlap of the two) is 1 when they agree, else 0."""
    clear_labels(interaction)
    interaction.label_source = "provided"
    interaction.customer_preference = customer_preference
    interaction.agent_style = agent_style
    for label in PREFERENCES:
        setattr(interaction, f"customer_p_{label}", 1.0 if label == customer_preference else 0.0)
        setattr(interaction, f"agent_p_{label}", 1.0 if label == agent_style else 0.0)
    interaction.matched = customer_preference == agent_style
    interaction.match_score = 1.0 if interaction.matched else 0.0


def rescore(session: Session, classifier: Classifier) -> int:
    """Reclassify every interaction whose labels were predicted, from its stored utterances.
    Interactions whose texts were all purged keep their labels. Returns how many were redone."""
    count = 0
    last_id = 0
    while True:
        batch = session.scalars(
            select(Interaction)
            .where(Interaction.label_source == "predicted", Interaction.id > last_id)
            .order_by(Interaction.id)
            .limit(CHUNK)
            .options(selectinload(Interaction.utterances))
        ).all()
        if not batch:
            tallies.compact(session)  # the report's tallies: two rows per relabelled contact, folded
            return count
        last_id = batch[-1].id
        redo = [interaction for interaction in batch if any(u.text for u in interaction.utterances)]
        for interaction in redo:
            interaction.language = interaction.language or _detected_language(interaction, classifier)
        classify_utterances(classifier, [(u, i.language) for i in redo for u in i.utterances])
        for interaction in redo:
            clear_labels(interaction)
            refresh_labels(interaction)
            interaction.model_version = classifier.version
        count += len(redo)
        session.flush()


# ---------------------------------------------------------------------------- surveys


@dataclass(frozen=True)
class SurveyRow:
    line: int
    interaction_id: str
    score: int
    responded_at: datetime
    comment: str | None


def _delimiter(header: str) -> str:
    """Comma, or the semicolon (or tab) that Excel writes where the comma is a decimal mark."""
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _column_indexes(header: list[str], mapping: dict[str, str]) -> tuple[dict[str, int], list[Problem]]:
    names = {name.strip().lower(): index for index, name in reversed(list(enumerate(header)))}
    shown = ", ".join(name.strip() for name in header) or "(nothing)"
    indexes: dict[str, int] = {}
    problems = []
    for name in SURVEY_FIELDS:
        column = mapping.get(name, name)
        if column.strip().lower() in names:
            indexes[name] = names[column.strip().lower()]
        elif name in REQUIRED_SURVEY_FIELDS or name in mapping:
            how = f"column '{column}' (mapped to {name})" if name in mapping else f"column '{name}'"
            problems.append(Problem(1, f"the header has no {how}; it has: {shown}"))
    return indexes, problems


def _survey_problems(
    values: dict[str, str], max_text_chars: int
) -> tuple[int | None, datetime | None, list[str]]:
    problems = []
    score = None
    if not values["interaction_id"]:
        problems.append("interaction_id is empty")
    raw_score = values["score"]
    if not raw_score:
        problems.append("score is empty")
    elif not _INTEGER.fullmatch(raw_score):
        problems.append(f"score '{raw_score}' is not a whole number from 0 to 10")
    elif not 0 <= int(raw_score) <= 10:
        problems.append(f"score {int(raw_score)} is outside 0–10")
    else:
        score = int(raw_score)
    responded_at = None
    try:
        responded_at = parse_timestamp(values["responded_at"])
    except ValueError:
        shown = values["responded_at"] or "(empty)"
        problems.append(f"responded_at '{shown}' is not an ISO 8601 timestamp ({_TIMESTAMP_EXAMPLE})")
    comment = values.get("comment") or ""
    unstorable = unstorable_text(list(values.values()))
    if unstorable:
        problems.append(unstorable)
    if len(comment) > max_text_chars:
        problems.append(f"comment has {len(comment)} characters; the limit is {max_text_chars}")
    return score, responded_at, problems


def import_surveys(
    session: Session,
    rows: Iterable[str | bytes] | IO[bytes],
    mapping: dict[str, str] | None = None,
    *,
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    max_rows: int | None = None,
    team: str | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> ImportReport:
    """Check a CSV of NPS answers in full, then read it again and create or update one survey
    per interaction. `mapping` maps a field (interaction_id, score, responded_at, comment) to
    its column name; `team`: the one team whose interactions the answers may belong to."""
    report = ImportReport("surveys")
    mapping = dict(mapping or {})
    unknown = sorted(set(mapping) - set(SURVEY_FIELDS))
    if unknown:
        report.problems.append(
            Problem(
                None,
                f"--map names unknown field {', '.join(unknown)}; the fields are {', '.join(SURVEY_FIELDS)}",
            )
        )
        return report
    source = LineSource(rows, max_line_bytes)
    count = None
    try:
        count = _check_surveys(session, source, mapping, max_text_chars, max_rows, team, report)
    except _Unreadable as error:
        report.problems.append(error.problem)
    except csv.Error as error:
        report.problems.append(Problem(None, f"the file cannot be read as CSV ({error})"))
    report.problems.sort(key=lambda p: -1 if p.line is None else p.line)
    if not report.problems and count == 0:
        report.problems.append(Problem(None, "the file holds no surveys"))
    if report.problems:
        return report
    try:
        _write_surveys(session, _survey_rows(source, mapping, max_text_chars), report)
    except (_Unreadable, csv.Error):
        report.problems.append(_CHANGED)
    else:
        if report.created + report.updated != count:
            report.problems.append(_CHANGED)
    return report


def _survey_records(
    source: LineSource, mapping: dict[str, str], max_text_chars: int, report: ImportReport
) -> Iterator[tuple[int, dict[str, str], int | None, datetime | None, list[str]]]:
    """(line, values by field, score, responded_at, problems) of each data row that is not
    blank; a header without the needed columns is reported and yields nothing."""
    numbered = source.numbered()
    first = next(numbered, None)
    if first is None or not first[1].strip():
        report.problems.append(Problem(1, "the first line must be a header naming the columns"))
        return
    reader = csv.reader((line for _, line in chain([first], numbered)), delimiter=_delimiter(first[1]))
    indexes, problems = _column_indexes(next(reader), mapping)
    if problems:
        report.problems.extend(problems)
        return
    last_line = reader.line_num
    for cells in reader:
        line, last_line = last_line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        values = {name: (cells[i].strip() if i < len(cells) else "") for name, i in indexes.items()}
        score, responded_at, messages = _survey_problems(values, max_text_chars)
        yield line, values, score, responded_at, messages


def _check_surveys(
    session: Session,
    source: LineSource,
    mapping: dict[str, str],
    max_text_chars: int,
    max_rows: int | None,
    team: str | None,
    report: ImportReport,
) -> int:
    """Report every problem of every row; returns how many rows there are. Interactions are
    looked up a chunk at a time; only the ids seen so far are held (to find repeats)."""
    first_seen: dict[str, int] = {}
    waiting: list[tuple[int, str]] = []
    count = 0
    for line, values, _, _, messages in _survey_records(source, mapping, max_text_chars, report):
        count += 1
        if max_rows is not None and count > max_rows:
            raise _too_many_rows(line, max_rows)
        interaction_id = values["interaction_id"]
        earlier = first_seen.setdefault(interaction_id, line) if interaction_id else line
        if earlier != line:
            messages.append(f"interaction_id '{interaction_id}' appears again (first on line {earlier})")
        report.problems.extend(Problem(line, message) for message in messages)
        if interaction_id and earlier == line and not unstorable_text(interaction_id):
            waiting.append((line, interaction_id))
        if len(waiting) >= CHUNK:
            report.problems.extend(_missing_interactions(session, waiting, team))
    report.problems.extend(_missing_interactions(session, waiting, team))
    return count


def _missing_interactions(
    session: Session, waiting: list[tuple[int, str]], team: str | None
) -> list[Problem]:
    """The rows whose interaction does not exist (or, for a file limited to `team`, is not that
    team's: said the same way, so that a lead learns nothing of other teams). Empties `waiting`."""
    query = select(Interaction.external_id).where(Interaction.external_id.in_([i for _, i in waiting]))
    if team is not None:
        query = query.join(Interaction.agent).join(Agent.team).where(Team.name == team)
    found = set(session.scalars(query))
    where = (
        f" in your team '{team}' (import the interactions first; a lead imports surveys for their "
        "own team's interactions only)"
        if team is not None
        else " (import the interactions first)"
    )
    problems = [Problem(line, f"no interaction '{i}'{where}") for line, i in waiting if i not in found]
    waiting.clear()
    return problems


def _survey_rows(source: LineSource, mapping: dict[str, str], max_text_chars: int) -> Iterator[SurveyRow]:
    """The rows of a file whose every row was found valid, read again from the file."""
    for line, values, score, responded_at, _ in _survey_records(
        source, mapping, max_text_chars, ImportReport("surveys")
    ):
        if score is None or responded_at is None:
            raise _Unreadable(_CHANGED)
        yield SurveyRow(line, values["interaction_id"], score, responded_at, values.get("comment") or None)


def _write_surveys(session: Session, rows: Iterable[SurveyRow], report: ImportReport) -> None:
    _take_import_lock(session)
    for chunk in _batches(rows):
        known = dict(
            session.execute(
                select(Interaction.external_id, Interaction.id).where(
                    Interaction.external_id.in_([row.interaction_id for row in chunk])
                )
            ).all()
        )
        existing = {
            s.interaction_id: s
            for s in session.scalars(select(Survey).where(Survey.interaction_id.in_(known.values())))
        }
        for row in chunk:
            if row.interaction_id not in known:
                raise _Unreadable(_CHANGED)
            interaction_id = known[row.interaction_id]
            survey = existing.get(interaction_id)
            if survey is None:
                survey = Survey(interaction_id=interaction_id)
                session.add(survey)
                report.created += 1
            else:
                report.updated += 1
            survey.score = row.score
            survey.responded_at = row.responded_at
            survey.comment = redact(row.comment) if row.comment else None
        session.flush()


# ---------------------------------------------------------------------------- one entry point


def import_file(
    session: Session,
    kind: str,
    lines: Iterable[str | bytes] | IO[bytes],
    *,
    source: str,
    actor: User | None,
    load_classifier: Callable[[], Classifier],
    mapping: dict[str, str] | None = None,
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    max_rows: int | None = None,
    team: str | None = None,
) -> ImportReport:
    """Import one file of `kind` and, when it went in, write the audit record (not committed).
    `lines`: a binary file (read twice, a line at a time) or lines in memory; `team`: the one
    team the file may touch (a lead's upload), None for any."""
    from classifier.persistence import ModelError

    limits: dict[str, Any] = {"max_text_chars": max_text_chars, "max_rows": max_rows, "team": team}
    if kind == "interactions":
        try:
            classifier = load_classifier()
        except ModelError as error:
            return ImportReport(kind, [Problem(None, str(error))])
        report = import_interactions(session, lines, classifier, **limits)
        detail: dict[str, Any] = {"utterances": report.utterances}
    elif kind == "surveys":
        report = import_surveys(session, lines, mapping, **limits)
        detail = {}
    else:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if report.ok:
        tallies.compact(session)  # the report's tallies: rows appended per contact, folded per key
        record(
            session,
            f"import_{kind}",
            target=source[:200],
            actor=actor,
            created=report.created,
            updated=report.updated,
            **({"team": team} if team is not None else {}),
            **detail,
        )
    return report
