"""Coaching pages: the team overview and the agent page a lead opens in a coaching session."""

from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.assist.highlight import segments
from app.assist.service import cue_list
from app.audit import record
from app.auth.roles import roles_required
from app.classification import get_classifier
from app.coaching import access, charts, queries, sessions, stats
from app.coaching.queries import Filters
from app.extensions import db
from app.hypermedia import redirect_to, render
from app.models import Team
from app.vocabulary import PREFERENCE_NAMES, PREFERENCES, SITUATION_NAMES, TOUCHPOINTS

bp = Blueprint("coaching", __name__, url_prefix="/coaching")


def _filters(team: str | None, agent_id: str | None = None) -> Filters:
    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(request.args[name]) if request.args.get(name) else None
        except ValueError:
            flash(f"'{request.args[name]}' is not a date like 2026-03-31; that filter is ignored.", "error")
            return None

    touchpoint = request.args.get("touchpoint") or None
    return Filters(day("from"), day("to"), team, touchpoint if touchpoint in TOUCHPOINTS else None, agent_id)


@bp.get("/")
@roles_required("lead", "agent")
def overview() -> Response:
    if current_user.role == "agent":
        return redirect(url_for("coaching.agent", agent_id=current_user.agent.external_id))  # type: ignore[return-value]
    team = access.team_scope(db.session, current_user, request.args.get("team") or None)
    filters = _filters(team)
    figures = queries.report(db.session, filters)
    return render(
        "coaching/overview.html",
        "coaching/_overview.html",
        figures=figures,
        effect_words=stats.describe_effect(figures["match_effect"], figures["n_surveys"]),
        trend=charts.trend(figures["weekly_trend"]),
        bar=charts.bar,
        heat_class=charts.heat_class,
        filters=filters,
        teams=_team_names(),
        touchpoints=TOUCHPOINTS,
        names=PREFERENCE_NAMES,
        preferences=PREFERENCES,
        min_n=stats.MIN_RESPONSES,
    )


def _team_names() -> list[str]:
    if current_user.role == "lead":
        return [current_user.team.name]
    return list(db.session.scalars(select(Team.name).order_by(Team.name)))


@bp.get("/agents/<agent_id>")
@roles_required("lead", "agent")
def agent(agent_id: str) -> Response:
    person = access.visible_agent(db.session, current_user, agent_id)
    # The agent's own figures, and their row in the team's report (the funnel compares with the team).
    figures = queries.report(db.session, _filters(None, agent_id))
    team = queries.report(db.session, _filters(person.team.name if person.team else None))
    row = next((a for a in team["agents"] if a["agent_id"] == agent_id), None)
    rates = row["match_rate_by_preference"] if row else {p: None for p in PREFERENCES}
    weakest = sessions.weakest(rates)
    review = sessions.contacts_to_review(db.session, person)
    classifier = get_classifier()
    transcripts = []
    for interaction in review:
        turns = []
        for utterance in interaction.utterances:
            text = utterance.text or ""
            if utterance.cues is not None:  # a live customer turn's, stored when it was classified
                cues = json.loads(utterance.cues)
            elif text:
                cues = cue_list(classifier.classify(text, utterance.speaker, interaction.language))
            else:
                cues = []
            turns.append((utterance, segments(text, cues)))
        transcripts.append((interaction, turns))
    return render(
        "coaching/agent.html",
        "coaching/_agent.html",
        agent=person,
        figures=figures,
        row=row,
        rates=rates,
        weakest=weakest,
        effect_words=stats.describe_effect(figures["match_effect"], figures["n_surveys"]),
        mix=sessions.style_mix(db.session, person),
        transcripts=transcripts,
        practice=sessions.practice_entries(db.session, person, weakest) if weakest else [],
        notes=sessions.notes(db.session, person),
        names=PREFERENCE_NAMES,
        situations=SITUATION_NAMES,
        preferences=PREFERENCES,
        bar=charts.bar,
        today=date.today().isoformat(),
        min_n=stats.MIN_RESPONSES,
    )


@bp.post("/agents/<agent_id>/notes")
@roles_required("lead")
def note_submit(agent_id: str) -> Response:
    person = access.visible_agent(db.session, current_user, agent_id)
    body = (request.form.get("body") or "").strip()
    focus = request.form.get("focus_preference") or None
    follow_up = request.form.get("follow_up_on") or None
    problems = []
    if not body:
        problems.append("Write what you agreed.")
    elif len(body) > current_app.config["MAX_TEXT_CHARS"]:
        problems.append("The note is too long.")
    if focus is not None and focus not in PREFERENCES:
        problems.append("Choose a focus preference from the list.")
    follow_up_on = None
    if follow_up:
        try:
            follow_up_on = date.fromisoformat(follow_up)
        except ValueError:
            problems.append(f"'{follow_up}' is not a date.")
    if problems:
        for problem in problems:
            flash(problem, "error")
        return redirect_to(url_for("coaching.agent", agent_id=agent_id))
    sessions.add_note(db.session, person, current_user, body, focus, follow_up_on)
    record(db.session, "coaching_note_added", target=agent_id, actor=current_user)
    db.session.commit()
    flash("Note saved.", "success")
    return redirect_to(url_for("coaching.agent", agent_id=agent_id) + "#notes")
