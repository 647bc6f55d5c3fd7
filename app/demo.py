"""`matchpoint demo`: a believable Nordic contact centre, deterministic from a seed.

Customer turns and agent replies are drawn from the authored training messages (by
language, touchpoint and label), so transcripts read like real contacts rather than one
template. NPS answers come from a stated model with a real match effect and with
confounding (matching is easier on easy topics), so the statistics have something true
to find and something misleading to see through.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import numpy as np
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from app.coaching import tallies
from app.extensions import db
from app.models import (
    Agent,
    CoachingNote,
    Customer,
    FollowUp,
    Interaction,
    Survey,
    Team,
    Utterance,
)
from app.vocabulary import PREFERENCES, TOUCHPOINTS
from classifier import dataset

TEAMS = (("Aarhus 1", "da"), ("Aarhus 2", "da"), ("Malmö 1", "sv"), ("Göteborg 1", "sv"), ("London 1", "en"))
FIRST_NAMES = {
    "da": ["Sofie", "Mads", "Freja", "Jonas", "Ida", "Emil", "Laura", "Magnus"],
    "sv": ["Elin", "Oskar", "Maja", "Viktor", "Alva", "Hugo", "Wilma", "Axel"],
    "en": ["Olivia", "Harry", "Amelia", "George", "Isla", "Jack", "Ava", "Noah"],
}
TOPICS = ("billing", "delivery", "technical", "contract", "claim", "booking", "returns", "account")
# Base NPS by touchpoint echoes the white paper's example: weak web, middling service, strong stores.
TOUCHPOINT_BASE = {"web": 10, "chat": 25, "email": 20, "phone": 30, "social": 15, "store": 60}
TOPIC_SHIFT = {
    "billing": -10,
    "delivery": -5,
    "technical": -15,
    "contract": 0,
    "claim": -20,
    "booking": 10,
    "returns": 5,
    "account": 10,
}
TOPIC_EASE = {
    "billing": 0.0,
    "delivery": 0.1,
    "technical": -0.2,
    "contract": 0.1,
    "claim": -0.25,
    "booking": 0.25,
    "returns": 0.15,
    "account": 0.2,
}
MATCH_EFFECT = 20  # NPS points within a touchpoint and topic: the truth the report should recover
RESPONSE_RATE = 0.25


@dataclass(frozen=True)
class DemoReport:
    teams: int
    agents: int
    customers: int
    interactions: int
    utterances: int
    surveys: int
    followups: int
    notes: int


def _score(rng: random.Random, nps_target: float) -> int:
    """Draw a 0–10 answer whose expected NPS is nps_target (promoter and detractor shares)."""
    target = max(-90.0, min(90.0, nps_target)) / 100
    promoter = min(0.95, max(0.02, 0.35 + target / 2))
    detractor = min(0.95, max(0.02, promoter - target))
    roll = rng.random()
    if roll < promoter:
        return rng.choice((9, 10))
    if roll < promoter + detractor:
        return rng.choice((0, 2, 3, 4, 5, 6, 6))
    return rng.choice((7, 8))


def generate(
    session: Session,
    *,
    interactions: int = 50_000,
    seed: int = 7,
    days: int = 182,
    training_dir: Path | None = None,
    now: datetime | None = None,
) -> DemoReport:
    """Fill an empty database. Refuses to touch one that already holds interactions."""
    if session.scalar(select(func.count()).select_from(Interaction)):
        raise ValueError("the database already holds interactions; the demo only fills an empty one")
    rng = random.Random(seed)
    numpy_rng = np.random.default_rng(seed)
    material = dataset.load(training_dir or dataset.default_training_dir()).frame
    # Turns of one contact come from the same sector, so a call about a parcel stays about parcels.
    phrases: dict[tuple[str, ...], list[str]] = {}
    for (side, lang, sector, label), group in material.groupby(["side", "lang", "sector", "label"]):
        phrases[(side, lang, sector, label)] = group["text"].tolist()
    for (side, lang, label), group in material.groupby(["side", "lang", "label"]):
        phrases[(side, lang, label)] = group["text"].tolist()
    sectors = sorted(material["sector"].dropna().unique())
    now = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)

    teams = []
    for name, lang in TEAMS:
        team = Team(name=name)
        session.add(team)
        teams.append((team, lang))
    session.flush()
    agents: list[tuple[Agent, str, np.ndarray, float]] = []
    for number in range(40):
        team, lang = teams[number % len(teams)]
        natural = numpy_rng.dirichlet((2.0, 2.0, 2.0))
        skill = float(rng.uniform(0.15, 0.75))  # how often the agent adapts to the customer
        agent = Agent(
            external_id=f"A-{number + 1:02d}",
            name=f"{FIRST_NAMES[lang][number % 8]} {chr(65 + number // 8)}.",
            team=team,
            natural_relational=round(float(natural[0]) * 10, 1),
            natural_action_oriented=round(float(natural[1]) * 10, 1),
            natural_factual=round(float(natural[2]) * 10, 1),
        )
        session.add(agent)
        agents.append((agent, lang, natural, skill))
    session.flush()

    n_customers = max(1, interactions // 3)
    customer_rows = [{"id": i + 1, "ref": f"K-{50000 + i}", "created_at": now} for i in range(n_customers)]
    session.execute(insert(Customer), customer_rows)
    customer_pref = numpy_rng.choice(3, size=n_customers, p=(0.3, 0.4, 0.3))

    interaction_rows, utterance_rows, survey_rows = [], [], []
    start = now - timedelta(days=days)
    touchpoint_weights = (0.35, 0.25, 0.15, 0.08, 0.1, 0.07)
    for i in range(interactions):
        agent, lang, natural, skill = agents[rng.randrange(len(agents))]
        customer = rng.randrange(n_customers)
        touchpoint = rng.choices(TOUCHPOINTS, touchpoint_weights)[0]
        topic = rng.choice(TOPICS)
        wants = PREFERENCES[int(customer_pref[customer])]
        adapt = min(0.95, max(0.0, skill + TOPIC_EASE[topic]))
        style = wants if rng.random() < adapt else PREFERENCES[int(numpy_rng.choice(3, p=natural))]
        matched = style == wants
        started = start + timedelta(seconds=rng.randrange(days * 86400))
        p_customer = _peaked(numpy_rng, PREFERENCES.index(wants))
        p_agent = _peaked(numpy_rng, PREFERENCES.index(style))
        interaction_id = i + 1
        interaction_rows.append(
            {
                "id": interaction_id,
                "external_id": f"C-{100000 + i}",
                "touchpoint": touchpoint,
                "language": lang,
                "agent_id": agent.id,
                "customer_id": customer + 1,
                "topic": topic,
                "started_at": started.replace(tzinfo=None),
                "customer_preference": wants,
                "customer_p_relational": p_customer[0],
                "customer_p_action_oriented": p_customer[1],
                "customer_p_factual": p_customer[2],
                "agent_style": style,
                "agent_p_relational": p_agent[0],
                "agent_p_action_oriented": p_agent[1],
                "agent_p_factual": p_agent[2],
                "match_score": min(1.0, round(float(np.sqrt(p_customer * p_agent).sum()), 4)),
                "matched": matched,
                "preference_shift": False,
                "label_source": "provided",
                "model_version": f"demo-seed-{seed}",
                "created_at": now.replace(tzinfo=None),
                "updated_at": now.replace(tzinfo=None),
            }
        )
        sector = rng.choice(sectors)
        for seq, (side, label) in enumerate(
            (("customer", wants), ("agent", style), ("customer", wants), ("agent", style)), start=1
        ):
            pool = phrases.get((side, lang, sector, label)) or phrases[(side, lang, label)]
            utterance_rows.append(
                {
                    "interaction_id": interaction_id,
                    "seq": seq,
                    "speaker": side,
                    "text": rng.choice(pool),
                    "spoken_at": (started + timedelta(seconds=40 * seq)).replace(tzinfo=None),
                    "preference": label,
                }
            )
        if rng.random() < RESPONSE_RATE:
            target = (
                TOUCHPOINT_BASE[touchpoint]
                + TOPIC_SHIFT[topic]
                + (MATCH_EFFECT / 2 if matched else -MATCH_EFFECT / 2)
            )
            survey_rows.append(
                {
                    "id": len(survey_rows) + 1,
                    "interaction_id": interaction_id,
                    "score": _score(rng, target),
                    "comment": None,
                    "responded_at": (started + timedelta(hours=rng.randint(1, 30))).replace(tzinfo=None),
                }
            )
    for chunk in range(0, len(interaction_rows), 5000):
        session.execute(insert(Interaction), interaction_rows[chunk : chunk + 5000])
    for chunk in range(0, len(utterance_rows), 20000):
        session.execute(insert(Utterance), utterance_rows[chunk : chunk + 20000])
    for chunk in range(0, len(survey_rows), 10000):
        session.execute(insert(Survey), survey_rows[chunk : chunk + 10000])

    recent_detractors = [
        s
        for s in survey_rows
        if s["score"] <= 6 and s["responded_at"] > (now - timedelta(days=14)).replace(tzinfo=None)
    ]
    followups = [
        {
            "survey_id": s["id"],
            "due_at": s["responded_at"] + timedelta(hours=48),
            "status": "closed"
            if s["responded_at"] < (now - timedelta(days=5)).replace(tzinfo=None)
            else "open",
            "outcome": "Called back; apologised and explained the next step."
            if s["responded_at"] < (now - timedelta(days=5)).replace(tzinfo=None)
            else None,
        }
        for s in recent_detractors
    ]
    if followups:
        session.execute(insert(FollowUp), followups)
    notes = 0
    for agent, _lang, natural, _skill in agents[:12]:
        weakest = PREFERENCES[int(np.argmin(natural))]
        session.add(
            CoachingNote(
                agent=agent,
                body=f"Reviewed three contacts together. Practise recognising {weakest.replace('_', '-')} "
                "customers early "
                "and use the playbook openings for them.",
                focus_preference=weakest,
                follow_up_on=(now + timedelta(days=14)).date(),
            )
        )
        notes += 1
    session.flush()
    tallies.compact(session)  # the triggers appended report tallies per contact and answer
    if session.get_bind().dialect.name == "postgresql":
        for table in ("customers", "interactions", "utterances", "surveys"):
            session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            )
    return DemoReport(
        len(teams),
        len(agents),
        n_customers,
        interactions,
        len(utterance_rows),
        len(survey_rows),
        len(followups),
        notes,
    )


def _peaked(rng: np.random.Generator, index: int) -> np.ndarray:
    """Classifier-like probabilities that lean clearly toward `index`."""
    alpha = np.ones(3)
    alpha[index] = 6.0
    return np.round(rng.dirichlet(alpha), 4)


@click.command("demo")
@click.option("--interactions", default=50_000, show_default=True, type=click.IntRange(100, 2_000_000))
@click.option("--seed", default=7, show_default=True)
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (and succeed) when the database holds interactions."
)
@with_appcontext
def demo_command(interactions: int, seed: int, if_empty: bool) -> None:
    """Fill an empty database with a believable Nordic contact centre (deterministic by seed)."""
    if if_empty and db.session.scalar(select(func.count()).select_from(Interaction)):
        click.echo("The database holds interactions already; no demo data added.")
        return
    started = time.perf_counter()
    try:
        report = generate(db.session, interactions=interactions, seed=seed)
    except ValueError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(
        f"Demo contact centre in {time.perf_counter() - started:.1f} s: {report.teams} teams, "
        f"{report.agents} agents, "
        f"{report.customers} customers, {report.interactions} interactions, {report.surveys} survey answers, "
        f"{report.followups} follow-ups, {report.notes} coaching notes."
    )


def register(app: Flask) -> None:
    app.cli.add_command(demo_command)
