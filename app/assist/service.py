"""Live contacts: starting an interaction, adding turns, and the assist state for the panel."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.models import (
    Agent,
    Customer,
    Interaction,
    PlaybookEntry,
    SuggestionEvent,
    Utterance,
    utcnow,
)
from app.models.base import UTCDateTime
from app.playbooks import ranking
from app.playbooks.store import LivePlaybook, load_shelf
from app.privacy import pseudonyms
from app.transcripts.redaction import redact
from app.vocabulary import PREFERENCES, TOUCHPOINTS

if TYPE_CHECKING:
    from app.classification import RecentPredictions, ShownSuggestions
    from classifier import Classifier
    from classifier.predict import Prediction

# classifier.analysis and classifier.predict are imported in the functions that use them: this
# module is imported whenever the app is (`matchpoint report` too), they import scikit-learn.

RECENT_CUSTOMER_TURNS = 2


class InteractionError(ValueError):
    """A request about an interaction that cannot be carried out; the message says why."""


def customer_for(
    session: Session, ref: str | None, *, key: pseudonyms.Key = pseudonyms.CONFIGURED
) -> Customer | None:
    """The customer with reference `ref`, created when new.

    With a CUSTOMER_REF_KEY (the current app's, unless `key` is given) the table holds only
    the keyed hash of `ref`; a row stored raw before the key was configured is re-keyed here.
    """
    if not ref:
        return None
    customer = pseudonyms.find_customer(session, ref, key)
    stored = pseudonyms.stored_ref(ref, key)
    if customer is None:
        customer = Customer(ref=stored)
        session.add(customer)
    elif customer.ref != stored:
        customer.ref = stored  # stored raw before a key was configured: hash it now
    return customer


def start_interaction(
    session: Session,
    *,
    agent: Agent,
    touchpoint: str,
    external_id: str | None = None,
    customer_ref: str | None = None,
    language: str | None = None,
    topic: str | None = None,
    started_at: datetime | None = None,
) -> Interaction:
    if touchpoint not in TOUCHPOINTS:
        raise InteractionError(f"touchpoint must be one of {', '.join(TOUCHPOINTS)}")
    started = started_at or utcnow()
    external_id = external_id or f"LIVE-{agent.external_id}-{started:%Y%m%d%H%M%S%f}"
    if session.scalar(select(Interaction.id).where(Interaction.external_id == external_id)):
        raise InteractionError(f"interaction {external_id} exists already")
    interaction = Interaction(
        external_id=external_id,
        touchpoint=touchpoint,
        agent=agent,
        customer=customer_for(session, customer_ref),
        language=language,
        topic=topic,
        started_at=started,
    )
    session.add(interaction)
    session.flush()
    return interaction


def add_utterance(
    session: Session,
    interaction: Interaction,
    speaker: str,
    text: str,
    classifier: Classifier,
    *,
    locked: bool = False,
    turns: list[Any] | None = None,
) -> tuple[Utterance | Turn, Prediction]:
    """Redact, classify and store one turn; then refresh the interaction's labels.

    `locked`: the caller holds the interaction's row lock (access.find_interaction with
    for_writing), so on a database with row locks no other turn can take the next seq.
    `turns`: the earlier turns from load_turns(), which gets the new one appended (as a Turn);
    without it the interaction's `utterances` are loaded and kept up to date instead.
    """
    clean = redact(text)
    language = interaction.language or classifier.language.detect(clean)
    # Only customer turns' cues are ever shown; an agent turn needs its probabilities alone.
    prediction = classifier.classify_many([clean], speaker, [language], with_cues=speaker == "customer")[0]
    listed = interaction.utterances if turns is None else turns  # the labels combine every turn
    seq = max((u.seq for u in listed), default=0) + 1
    fields = {
        "interaction_id": interaction.id,
        "speaker": speaker,
        "text": clean,
        "preference": prediction.preference,
        "p_relational": prediction.probabilities["relational"],
        "p_action_oriented": prediction.probabilities["action_oriented"],
        "p_factual": prediction.probabilities["factual"],
        "cues": stored_cues(prediction) if speaker == "customer" else None,
    }
    dialect = session.get_bind().dialect.name
    if locked and turns is not None and dialect == "postgresql":
        turn = _insert_with_labels(session, interaction, turns, seq, fields, language)
        turns.append(turn)
        return turn, prediction
    interaction.language = language
    if locked and dialect != "sqlite":
        utterance = Utterance(seq=seq, spoken_at=utcnow(), **fields)
        session.add(utterance)
        session.flush()
    else:
        utterance = _insert_racing(session, interaction, seq, fields)
        if utterance.seq != seq and turns is not None:  # another client's turns came first
            turns[:] = [t for t in load_turns(session, interaction) if t.id != utterance.id]
    listed = interaction.utterances if turns is None else turns  # reloaded if a client raced us
    if utterance not in listed:
        listed.append(utterance)  # no reload of every earlier turn
    refresh_labels(interaction, listed)
    return utterance, prediction


def cue_list(prediction: Prediction) -> list[dict[str, Any]]:
    """A prediction's cues as the panel and the API show them."""
    return [cue.to_json() for cue in prediction.cues]


def stored_cues(prediction: Prediction) -> str:
    """A turn's cues as the `cues` column keeps them (JSON), for any worker to show."""
    return json.dumps(cue_list(prediction), ensure_ascii=False, separators=(",", ":"))


_TURN_COLUMNS = (
    Utterance.id,
    Utterance.seq,
    Utterance.speaker,
    Utterance.text,
    Utterance.p_relational,
    Utterance.p_action_oriented,
    Utterance.p_factual,
    Utterance.cues,
)


class Turn(NamedTuple):
    """What the labels and the panel read of a stored turn: a fraction of an Utterance's cost."""

    id: int
    seq: int
    speaker: str
    text: str | None
    p_relational: float | None
    p_action_oriented: float | None
    p_factual: float | None
    cues: str | None  # JSON, as stored_cues() writes it


_TURNS = (
    select(*_TURN_COLUMNS).where(Utterance.interaction_id == bindparam("interaction")).order_by(Utterance.seq)
)
_LOCKED = (
    select(Interaction)
    .where(Interaction.external_id == bindparam("external_id"))
    .with_for_update(key_share=True)
)
_WITH_TURNS = (
    select(Interaction, *_TURN_COLUMNS)
    .outerjoin(Utterance, Utterance.interaction_id == Interaction.id)
    .where(Interaction.external_id == bindparam("external_id"))
    .order_by(Utterance.seq)
)


def load_turns(session: Session, interaction: Interaction) -> list[Any]:
    """The interaction's turns in order."""
    return [Turn(*row) for row in session.execute(_TURNS, {"interaction": interaction.id})]


def interaction_with_turns(
    session: Session, external_id: str, *, for_writing: bool = False
) -> tuple[Interaction, list[Any]] | None:
    """The interaction and its turns in order. Whether the user may see it is the caller's to check.

    A reader gets both in one round trip. A writer first locks the interaction's row, as
    access.find_interaction does, and then reads the turns in a statement of their own: a
    statement that waited for the lock still sees the turns of its own start, without those
    the previous holder just committed.
    """
    if for_writing:
        if session.get_bind().dialect.name == "postgresql" and not session.identity_map:
            return _locked_with_turns(session, external_id)
        interaction = session.scalar(_LOCKED, {"external_id": external_id})
        return None if interaction is None else (interaction, load_turns(session, interaction))
    rows = session.execute(_WITH_TURNS, {"external_id": external_id}).all()
    if not rows:
        return None
    return rows[0][0], [Turn(*row[1:]) for row in rows if row[1] is not None]


_INTERACTION_COLUMNS = tuple(Interaction.__table__.columns)
_LOCKED_SQL = (
    f"SELECT {', '.join(c.name for c in _INTERACTION_COLUMNS)} FROM interactions"
    " WHERE external_id = %s FOR NO KEY UPDATE"
)
_TURNS_SQL = (
    f"SELECT {', '.join('u.' + c.key for c in _TURN_COLUMNS)} FROM utterances u"
    " JOIN interactions i ON i.id = u.interaction_id WHERE i.external_id = %s ORDER BY u.seq"
)


def _locked_with_turns(session: Session, external_id: str) -> tuple[Interaction, list[Any]] | None:
    """PostgreSQL, a session that has loaded nothing yet: BEGIN, the row lock (as _LOCKED
    takes it) and the turns in one round trip, as one psycopg pipeline.

    The server runs the pipeline's statements in order, and under READ COMMITTED each takes
    its snapshot when it starts: the turns statement starts once the lock is granted, so it
    sees the turns its previous holder committed, as a second round trip did. The row becomes
    the session's Interaction as if loaded by a query (values through the columns' own result
    processing), without the ORM's per-query cost: 10.2 → 9.3 ms of CPU per live utterance
    (docs/performance.md, third round).
    """
    connection = session.connection()
    driver = connection.connection.driver_connection
    with driver.pipeline():
        locked = driver.execute(_LOCKED_SQL, (external_id,))
        rows = driver.execute(_TURNS_SQL, (external_id,))
    row = locked.fetchone()
    if row is None:
        return None
    values = {
        column.key: value if process is None else process(value)
        for column, process, value in zip(
            _INTERACTION_COLUMNS, _for_dialect(connection.dialect).processors, row, strict=True
        )
    }
    interaction = Interaction(**values)
    make_transient_to_detached(interaction)  # its state as loaded: nothing pending, identity set
    session.add(interaction)
    return interaction, [Turn(*turn) for turn in rows.fetchall()]


def turn_count(session: Session, interaction: Interaction) -> int:
    return session.scalar(select(func.count()).where(Utterance.interaction_id == interaction.id)) or 0


def _insert_racing(session: Session, interaction: Interaction, seq: int, fields: dict[str, Any]) -> Utterance:
    """Insert at `seq`; when another client took it meanwhile, the unique (interaction, seq) says
    so and the turn goes after theirs (their turns are then loaded too)."""
    for attempt in range(5):
        if attempt:
            seq = (
                session.scalar(
                    select(func.max(Utterance.seq)).where(Utterance.interaction_id == interaction.id)
                )
                or 0
            ) + 1
        utterance = Utterance(seq=seq, spoken_at=utcnow(), **fields)
        try:
            with session.begin_nested():
                session.add(utterance)
        except IntegrityError:
            continue
        if attempt:
            session.expire(interaction, ["utterances"])  # reloads with the other client's turns and ours
        return utterance
    raise InteractionError("could not store the utterance: too many simultaneous writers")


def _rows(utterances: list[Any]) -> np.ndarray:
    return np.array([[u.p_relational, u.p_action_oriented, u.p_factual] for u in utterances], dtype=float)


def labels_for(interaction: Interaction, turns: list[Any]) -> dict[str, Any]:
    """The interaction's label columns combined from its turns' stored probabilities, with the
    functions `matchpoint analyze` and score-batch use; {} for provided labels (kept as given)."""
    from classifier.analysis import combine_turns, detect_shift, match_scores, turn_weights

    if interaction.label_source == "provided":
        return {}
    by_side = {
        side: [u for u in turns if u.speaker == side and u.p_relational is not None]
        for side in ("customer", "agent")
    }
    combined = {
        side: combine_turns(_rows(listed), [u.text or "" for u in listed]) if listed else None
        for side, listed in by_side.items()
    }
    customer, agent = combined["customer"], combined["agent"]
    labels: dict[str, Any] = {}
    if customer:
        listed = by_side["customer"]
        labels.update(
            customer_preference=max(PREFERENCES, key=lambda k: customer[k]),
            customer_p_relational=customer["relational"],
            customer_p_action_oriented=customer["action_oriented"],
            customer_p_factual=customer["factual"],
            preference_shift=detect_shift(_rows(listed), turn_weights([u.text or "" for u in listed]))
            is not None,
        )
    if agent:
        labels.update(
            agent_style=max(PREFERENCES, key=lambda k: agent[k]),
            agent_p_relational=agent["relational"],
            agent_p_action_oriented=agent["action_oriented"],
            agent_p_factual=agent["factual"],
        )
    if customer and agent:
        pair = [np.array([[side[k] for k in PREFERENCES]]) for side in (customer, agent)]
        labels["match_score"] = float(match_scores(*pair)[0])
        labels["matched"] = labels["customer_preference"] == labels["agent_style"]
    return labels


def refresh_labels(interaction: Interaction, turns: list[Any] | None = None) -> None:
    """Set the interaction's labels from `turns`, else from its utterances."""
    for name, value in labels_for(interaction, interaction.utterances if turns is None else turns).items():
        setattr(interaction, name, value)


_UTTERANCES, _INTERACTIONS = Utterance.__table__, Interaction.__table__
_TURN_FIELDS = (
    "interaction_id",
    "seq",
    "speaker",
    "text",
    "spoken_at",
    "preference",
    "p_relational",
    "p_action_oriented",
    "p_factual",
    "cues",
)
_LABEL_COLUMNS = (
    "language",
    "customer_preference",
    "customer_p_relational",
    "customer_p_action_oriented",
    "customer_p_factual",
    "preference_shift",
    "agent_style",
    "agent_p_relational",
    "agent_p_action_oriented",
    "agent_p_factual",
    "match_score",
    "matched",
    "updated_at",
)
_NEW_TURN = (
    insert(_UTTERANCES)
    .values({name: bindparam(f"turn_{name}") for name in _TURN_FIELDS})
    .returning(_UTTERANCES.c.id)
    .cte("new_turn")
)
# Built once: a statement made per call spent more CPU on building and keying itself than on running.
_STORE_TURN = (
    update(_INTERACTIONS)
    .where(_INTERACTIONS.c.id == bindparam("interaction"))
    .values({name: bindparam(f"label_{name}") for name in _LABEL_COLUMNS})
    .returning(select(_NEW_TURN.c.id).scalar_subquery())
)


_UTC_TIME = UTCDateTime()


class _DriverWork(NamedTuple):
    """What the PostgreSQL live path hands the driver itself, prepared once per dialect."""

    processors: list[Any]  # each interaction column's result processing (None: as the driver gives it)
    store_turn: str  # _STORE_TURN's SQL text, bound by name (%(name)s)


_DRIVER_WORK: dict[str, _DriverWork] = {}


def _for_dialect(dialect: Any) -> _DriverWork:
    if dialect.name not in _DRIVER_WORK:
        _DRIVER_WORK[dialect.name] = _DriverWork(
            [c.type.result_processor(dialect, None) for c in _INTERACTION_COLUMNS],
            _STORE_TURN.compile(dialect=dialect).string,
        )
    return _DRIVER_WORK[dialect.name]


def _insert_with_labels(
    session: Session,
    interaction: Interaction,
    turns: list[Any],
    seq: int,
    fields: dict[str, Any],
    language: str | None,
) -> Turn:
    """Store a turn and the interaction's new labels in one statement (PostgreSQL, row locked):
    the turn's INSERT as a data-modifying CTE, the labels' UPDATE returning the turn's id.

    No unit-of-work flush and one round trip instead of two, on the path every live utterance
    takes; the ORM object gets the same values as committed state, so nothing is written twice.
    """
    pending = Turn(
        0,
        seq,
        fields["speaker"],
        fields["text"],
        fields["p_relational"],
        fields["p_action_oriented"],
        fields["p_factual"],
        fields["cues"],
    )
    labels = {name: getattr(interaction, name) for name in _LABEL_COLUMNS}  # kept where not recomputed
    labels.update(labels_for(interaction, [*turns, pending]), language=language, updated_at=utcnow())
    turn = {**fields, "seq": seq, "spoken_at": utcnow()}
    parameters = {
        "interaction": interaction.id,
        **{f"label_{name}": value for name, value in labels.items()},
        **{f"turn_{name}": turn[name] for name in _TURN_FIELDS},
    }
    connection = session.connection()
    driver = connection.connection.driver_connection
    # The driver's own execute: SQLAlchemy's per-statement work cost as much CPU as the
    # round trip. Bound values are primitives but for the two times, stored as naive UTC.
    naive = _UTC_TIME.process_bind_param
    parameters["turn_spoken_at"] = naive(parameters["turn_spoken_at"], connection.dialect)
    parameters["label_updated_at"] = naive(parameters["label_updated_at"], connection.dialect)
    turn_id = driver.execute(_for_dialect(connection.dialect).store_turn, parameters).fetchone()[0]
    for name, value in labels.items():
        set_committed_value(interaction, name, value)
    return pending._replace(id=turn_id)


@dataclass(frozen=True)
class AssistState:
    interaction: Interaction
    probabilities: dict[str, float] | None
    cues: list[dict[str, Any]]
    turn_cues: dict[int, list[dict[str, Any]]]  # utterance id -> cues, for highlighting
    situation: str
    suggestions: list[ranking.Suggestion]
    shift: tuple[str, str] | None
    history: list[Interaction]

    def to_json(self) -> dict[str, Any]:
        i = self.interaction
        agent_probabilities = (
            None
            if i.agent_style is None
            else {
                "relational": i.agent_p_relational,
                "action_oriented": i.agent_p_action_oriented,
                "factual": i.agent_p_factual,
            }
        )
        return {
            "interaction_id": i.external_id,
            "customer_preference": i.customer_preference,
            "probabilities": self.probabilities,
            "cues": self.cues,
            "agent_style": i.agent_style,
            "agent_probabilities": agent_probabilities,
            "match_score": i.match_score,
            "matched": i.matched,
            "language": i.language,
            "situation": self.situation,
            "preference_shift": None if self.shift is None else {"from": self.shift[0], "to": self.shift[1]},
            "suggestions": [
                {
                    "entry_id": s.entry.id,
                    "text": s.entry.text,
                    "preference": s.entry.preference,
                    "situation": s.entry.situation,
                    "touchpoint": s.entry.touchpoint,
                    "language": s.entry.language,
                    "reason": s.reason,
                    "matched_phrases": list(s.matched_phrases),
                }
                for s in self.suggestions
            ],
        }


def assist_state(
    session: Session,
    interaction: Interaction,
    classifier: Classifier,
    *,
    record_shown: bool = True,
    known: dict[int, Prediction] | None = None,
    playbook: LivePlaybook | None = None,
    memo: RecentPredictions | None = None,
    shown: ShownSuggestions | None = None,
    turns: list[Any] | None = None,
) -> AssistState:
    """The panel's state; `known` holds predictions (with cues) already made for some turns.
    The cues of the recent customer turns come from `known`, else from the turn's stored cues,
    else from the worker's `memo`, else the turn is classified again (an imported turn, say).
    The worker's caches are optional: `playbook` of live entries (else read afresh), `memo` of
    turns classified here (else classified again), `shown` suggestion events stored before
    (else each is offered to the database again); `turns` as from load_turns() (else the
    interaction's utterances)."""
    from classifier.analysis import combine, turn_weights

    utterances = list(interaction.utterances if turns is None else turns)
    customer_turns = [u for u in utterances if u.speaker == "customer" and u.text]
    recent = customer_turns[-RECENT_CUSTOMER_TURNS:]
    recent_text = " ".join(u.text or "" for u in recent)
    known = known or {}
    turn_cues: dict[int, list[dict[str, Any]]] = {}
    unstored: list[Any] = []
    for u in recent:
        if u.id in known:
            turn_cues[u.id] = cue_list(known[u.id])
        elif u.cues is not None:
            turn_cues[u.id] = json.loads(u.cues)
        elif memo is not None and (remembered := memo.get(u)) is not None:
            turn_cues[u.id] = cue_list(remembered)
        else:
            unstored.append(u)
    if unstored:
        texts = [u.text or "" for u in unstored]
        predictions = classifier.classify_many(texts, "customer", [interaction.language] * len(unstored))
        for u, prediction in zip(unstored, predictions, strict=True):
            turn_cues[u.id] = cue_list(prediction)
            if memo is not None:
                memo.put(u, prediction)
    probabilities = None
    if interaction.customer_preference is not None:
        probabilities = {
            "relational": interaction.customer_p_relational,
            "action_oriented": interaction.customer_p_action_oriented,
            "factual": interaction.customer_p_factual,
        }
    language = ranking.playbook_language(interaction.language)
    shelf = (
        playbook.shelf(session, interaction.touchpoint, language)
        if playbook is not None
        else load_shelf(session, interaction.touchpoint, language)
    )
    entries = shelf.entries
    hits = ranking.phrase_hits(entries, recent_text)
    agent_turns = sum(1 for u in utterances if u.speaker == "agent")
    situation = ranking.infer_situation(entries, recent_text, agent_turns, hits)
    suggestions = ranking.rank(
        entries,
        touchpoint=interaction.touchpoint,
        language=interaction.language,
        probabilities=probabilities or {k: 1 / 3 for k in PREFERENCES},
        recent_customer_text=recent_text,
        situation=situation,
        hits=hits,
    )
    if record_shown:
        shown_now = {s.entry.id for s in suggestions}
        entry_ids = [shelf.row_ids[e.id] for e in entries if e.id in shown_now]
        if shown is not None:
            entry_ids = shown.unnoted(session, interaction, entry_ids)
        record_suggestions_shown(session, interaction, entry_ids)
    shift = None
    if interaction.preference_shift and len(customer_turns) >= 4:
        middle = len(customer_turns) // 2
        early = combine(
            _rows(customer_turns[:middle]), turn_weights([u.text or "" for u in customer_turns[:middle]])
        )
        shift = (PREFERENCES[int(early.argmax())], interaction.customer_preference or "")
    history: list[Interaction] = []
    if interaction.customer_id is not None:
        history = list(
            session.scalars(
                select(Interaction)
                .where(Interaction.customer_id == interaction.customer_id, Interaction.id != interaction.id)
                .order_by(Interaction.started_at.desc())
                .limit(5)
            )
        )
    cues = [cue for u in recent for cue in turn_cues.get(u.id, [])]
    cues.sort(key=lambda cue: -cue["weight"])
    return AssistState(
        interaction, probabilities, cues[:8], turn_cues, situation, suggestions, shift, history
    )


def record_suggestions_shown(session: Session, interaction: Interaction, entry_ids: list[int]) -> None:
    """Note which entries the agent was shown (once per interaction and entry)."""
    if not entry_ids:
        return
    events = SuggestionEvent.__table__
    dialect = session.get_bind().dialect.name
    rows = [
        {"interaction_id": interaction.id, "entry_id": entry_id, "shown_at": utcnow()}
        for entry_id in entry_ids
    ]
    if dialect == "postgresql":  # one round trip; rows noted before (by any request) are left alone
        session.execute(postgresql_insert(events).values(rows).on_conflict_do_nothing())
        return
    # SQLite: look first, so that a poll whose suggestions were all noted before writes nothing
    # (an INSERT would queue for the one write lock even when it inserts no row).
    known = set(
        session.scalars(
            select(events.c.entry_id).where(
                events.c.interaction_id == interaction.id, events.c.entry_id.in_(entry_ids)
            )
        )
    )
    new = [row for row in rows if row["entry_id"] not in known]
    if not new:
        return
    if dialect == "sqlite":  # a poll at the same moment may have noted them: fine
        session.execute(sqlite_insert(events).values(new).on_conflict_do_nothing())
    else:
        session.add_all(SuggestionEvent(**row) for row in new)


def mark_suggestion_used(session: Session, interaction: Interaction, entry_key: str) -> SuggestionEvent:
    entry = session.scalar(select(PlaybookEntry).where(PlaybookEntry.key == entry_key))
    if entry is None:
        raise InteractionError(f"no playbook entry {entry_key}")
    event = session.scalar(
        select(SuggestionEvent).where(
            SuggestionEvent.interaction_id == interaction.id, SuggestionEvent.entry_id == entry.id
        )
    )
    if event is None:
        event = SuggestionEvent(interaction_id=interaction.id, entry_id=entry.id)
        session.add(event)
    event.used_at = event.used_at or utcnow()
    return event
