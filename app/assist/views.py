"""Live assist: start a contact, add turns, see preference, match and suggestions."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.assist import access
from app.assist.highlight import segments
from app.assist.service import (
    InteractionError,
    add_utterance,
    assist_state,
    mark_suggestion_used,
    start_interaction,
    turn_count,
)
from app.auth.roles import roles_required
from app.classification import get_classifier, serving_caches
from app.extensions import db
from app.hypermedia import redirect_to, render, wants_fragment
from app.models import Interaction
from app.vocabulary import CONTENT_LANGUAGES, PREFERENCE_NAMES, SITUATION_NAMES, SPEAKERS, TOUCHPOINTS

bp = Blueprint("assist", __name__, url_prefix="/assist")


def _interaction(external_id: str, *, for_writing: bool = False) -> Interaction:
    interaction = access.find_interaction(db.session, current_user, external_id, for_writing=for_writing)
    if interaction is None:
        abort(404, f"No contact '{external_id}' that you may open.")
    return interaction


@bp.get("/")
@roles_required("agent", "lead")
def index() -> Response:
    query = select(Interaction).order_by(Interaction.started_at.desc()).limit(15)
    if current_user.role == "agent":
        query = query.where(Interaction.agent_id == current_user.agent_id)
    recent = [i for i in db.session.scalars(query) if access.can_access(current_user, i)]
    return render(
        "assist/index.html",
        "assist/_recent.html",
        recent=recent,
        touchpoints=TOUCHPOINTS,
        languages=CONTENT_LANGUAGES,
        names=PREFERENCE_NAMES,
    )


@bp.post("/")
@roles_required("agent", "lead")
def index_submit() -> Response:
    form = request.form
    agent = access.agent_for(db.session, current_user, form.get("agent_id") or None)
    if agent is None:
        flash("Choose an agent you may work for (agent id).", "error")
        return redirect(url_for("assist.index"), code=303)  # type: ignore[return-value]
    language = form.get("language") or None
    try:
        interaction = start_interaction(
            db.session,
            agent=agent,
            touchpoint=form.get("touchpoint", ""),
            customer_ref=(form.get("customer_ref") or "").strip() or None,
            language=language if language in CONTENT_LANGUAGES else None,
        )
    except InteractionError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("assist.index"), code=303)  # type: ignore[return-value]
    db.session.commit()
    return redirect_to(url_for("assist.contact", external_id=interaction.external_id))


def _render_contact(interaction: Interaction, status: int = 200, trigger: str | None = None) -> Response:
    state = assist_state(db.session, interaction, get_classifier(), **serving_caches())
    db.session.commit()
    turns = [
        (utterance, segments(utterance.text or "", state.turn_cues.get(utterance.id, [])))
        for utterance in interaction.utterances
    ]
    return render(
        "assist/page.html",
        "assist/_live.html",
        status=status,
        trigger=trigger,
        state=state,
        interaction=interaction,
        turns=turns,
        speakers=SPEAKERS,
        names=PREFERENCE_NAMES,
        situations=SITUATION_NAMES,
    )


@bp.get("/<external_id>")
@roles_required("agent", "lead")
def contact(external_id: str) -> Response:
    interaction = _interaction(external_id)
    seen = request.args.get("since", type=int)
    if seen is not None and wants_fragment() and seen == turn_count(db.session, interaction):
        return Response(status=204)  # polling: nothing new, nothing to swap
    return _render_contact(interaction)


@bp.post("/<external_id>/utterances")
@roles_required("agent", "lead")
def utterance_submit(external_id: str) -> Response:
    interaction = _interaction(external_id, for_writing=True)
    speaker = request.form.get("speaker", "")
    text = (request.form.get("text") or "").strip()
    max_chars = current_app.config["MAX_TEXT_CHARS"]
    problem = None
    if speaker not in SPEAKERS:
        problem = "Choose who is speaking: customer or agent."
    elif not text:
        problem = "Type or paste what was said."
    elif len(text) > max_chars:
        problem = f"The text is longer than {max_chars} characters."
    if problem:
        flash(problem, "error")
        return _render_contact(interaction, status=422)
    try:
        add_utterance(db.session, interaction, speaker, text, get_classifier(), locked=True)
    except InteractionError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _render_contact(interaction, status=409)
    db.session.commit()
    return _render_contact(interaction, trigger="utterance-added")


@bp.post("/<external_id>/suggestions/<entry_key>/used")
@roles_required("agent", "lead")
def suggestion_used_submit(external_id: str, entry_key: str) -> Response:
    interaction = _interaction(external_id)
    try:
        mark_suggestion_used(db.session, interaction, entry_key)
    except InteractionError as error:
        abort(404, str(error))
    db.session.commit()
    return _render_contact(interaction, trigger="suggestion-used")
