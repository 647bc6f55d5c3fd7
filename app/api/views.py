"""The /api/v1 endpoints. Thin: read the body, call one domain function, answer JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from app.api.limits import check_api_limit, counted_by_the_api
from app.api.openapi import describe
from app.api.payloads import choice_field, json_body, text_field
from app.api.tokens import api_user, token_required
from app.assist import access
from app.assist.service import (
    InteractionError,
    add_utterance,
    assist_state,
    interaction_with_turns,
    start_interaction,
)
from app.auth.roles import public
from app.classification import get_classifier, serving_caches
from app.errors import ApiError
from app.extensions import csrf, db, limiter
from app.followup import service as followup
from app.models import Interaction
from app.text_input import unstorable_text
from app.vocabulary import CONTENT_LANGUAGES, SPEAKERS, TOUCHPOINTS

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


bp.before_request(check_api_limit)
limiter.request_filter(counted_by_the_api)


@bp.post("/classify")
@token_required("agent", "lead", "trainer")
def classify() -> Response:
    body = json_body()
    text = text_field(body, "text")
    side = choice_field(body, "side", SPEAKERS)
    lang = text_field(body, "lang", required=False)
    prediction = get_classifier().classify(text or "", side or "customer", lang)
    return jsonify(prediction.to_json())


@bp.get("/openapi.json")
@public
def openapi() -> Response:
    return jsonify(describe())


def _interaction_or_404(external_id: str) -> Interaction:
    if unstorable_text(external_id):  # no stored id holds a NUL or a lone surrogate
        raise ApiError(404, "No interaction with such an id.")
    interaction = access.find_interaction(db.session, api_user(), external_id)
    if interaction is None:
        raise ApiError(404, f"No interaction '{external_id}' that you may see.")
    return interaction


def _with_turns_or_404(external_id: str, *, for_writing: bool = False) -> tuple[Interaction, list[Any]]:
    """As _interaction_or_404, with the interaction's turns read in the same round trip."""
    if unstorable_text(external_id):  # no stored id holds a NUL or a lone surrogate
        raise ApiError(404, "No interaction with such an id.")
    found = interaction_with_turns(db.session, external_id, for_writing=for_writing)
    if found is None or not access.can_access(api_user(), found[0]):
        raise ApiError(404, f"No interaction '{external_id}' that you may see.")
    return found


@bp.post("/interactions")
@token_required("agent", "lead")
def interactions_create() -> tuple[Response, int]:
    body = json_body()
    touchpoint = choice_field(body, "touchpoint", TOUCHPOINTS)
    external_id = text_field(body, "interaction_id", required=False)
    agent = access.agent_for(db.session, api_user(), text_field(body, "agent_id", required=False))
    if agent is None:
        raise ApiError(
            403 if api_user().role == "agent" else 422, "'agent_id' must name an agent you may work for."
        )
    language = text_field(body, "language", required=False)
    if language is not None and language not in CONTENT_LANGUAGES:
        raise ApiError(422, f"'language' must be one of {', '.join(CONTENT_LANGUAGES)}.")
    utterances = body.get("utterances") or []
    if not isinstance(utterances, list):
        raise ApiError(422, "'utterances' must be a list of {speaker, text}.")
    turns = []
    for index, item in enumerate(utterances):
        if not isinstance(item, dict):
            raise ApiError(422, f"utterances[{index}] must be an object.")
        turns.append((choice_field(item, "speaker", SPEAKERS), text_field(item, "text")))
    try:
        interaction = start_interaction(
            db.session,
            agent=agent,
            touchpoint=touchpoint or "phone",
            external_id=external_id,
            customer_ref=text_field(body, "customer_ref", required=False),
            language=language,
            topic=text_field(body, "topic", required=False),
        )
        classifier = get_classifier() if turns else None
        for speaker, text in turns:
            add_utterance(db.session, interaction, speaker or "customer", text or "", classifier)  # type: ignore[arg-type]
    except InteractionError as error:
        db.session.rollback()
        raise ApiError(409, str(error)) from error
    db.session.commit()
    return jsonify({"interaction_id": interaction.external_id}), 201


@bp.post("/interactions/<external_id>/utterances")
@token_required("agent", "lead")
def utterances_create(external_id: str) -> tuple[Response, int]:
    interaction, turns = _with_turns_or_404(external_id, for_writing=True)  # its row lock: until the commit
    body = json_body()
    speaker = choice_field(body, "speaker", SPEAKERS)
    text = text_field(body, "text")
    classifier = get_classifier()
    try:
        utterance, prediction = add_utterance(
            db.session, interaction, speaker or "customer", text or "", classifier, locked=True, turns=turns
        )
    except InteractionError as error:
        db.session.rollback()
        raise ApiError(409, str(error)) from error
    state = assist_state(
        db.session,
        interaction,
        classifier,
        known={utterance.id: prediction},
        turns=turns,
        **serving_caches(),
    )
    db.session.commit()
    return jsonify(state.to_json()), 201


@bp.get("/interactions/<external_id>/assist")
@token_required("agent", "lead")
def assist(external_id: str) -> Response:
    interaction, turns = _with_turns_or_404(external_id)
    state = assist_state(
        db.session,
        interaction,
        get_classifier(),
        turns=turns,
        **serving_caches(),
    )
    db.session.commit()
    return jsonify(state.to_json())


def _timestamp(value: object, name: str) -> datetime:
    if not isinstance(value, str):
        raise ApiError(422, f"'{name}' must be an ISO 8601 timestamp such as 2026-03-02T09:14:00Z.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise ApiError(422, f"'{name}' is not an ISO 8601 timestamp: {value!r}.") from error
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # naive means UTC
    try:
        parsed.astimezone(UTC)  # stored as UTC: 9999-12-31T23:59:59-01:00 has no such moment
    except OverflowError as error:
        raise ApiError(422, f"'{name}' lies outside the years 1-9999 in UTC: {value!r}.") from error
    return parsed


@bp.post("/surveys")
@token_required("lead")
def surveys_create() -> tuple[Response, int]:
    body = json_body()
    external_id = text_field(body, "interaction_id")
    score = body.get("score")
    if isinstance(score, bool) or not isinstance(score, int):
        raise ApiError(422, "'score' must be an integer from 0 to 10.")
    responded_at = _timestamp(body.get("responded_at"), "responded_at")
    comment = text_field(body, "comment", required=False)
    interaction = _interaction_or_404(external_id or "")
    try:
        followup.record_survey(
            db.session, interaction, score, responded_at, comment, current_app.config["FOLLOWUP_DUE_HOURS"]
        )
    except followup.SurveyError as error:
        db.session.rollback()
        raise ApiError(error.status, str(error)) from error
    db.session.commit()
    return jsonify({"interaction_id": interaction.external_id, "score": score}), 201


@bp.get("/surveys/eligibility")
@token_required("agent", "lead")
def survey_eligibility() -> Response:
    customer_ref = request.args.get("customer_ref", "").strip()
    touchpoint = request.args.get("touchpoint", "")
    if not customer_ref:
        raise ApiError(422, "Give 'customer_ref' in the query string.")
    unstorable = unstorable_text(customer_ref)
    if unstorable:
        raise ApiError(422, f"'customer_ref' {unstorable}.")
    if touchpoint not in TOUCHPOINTS:
        raise ApiError(422, f"'touchpoint' must be one of {', '.join(TOUCHPOINTS)}.")
    answer = followup.eligibility(
        db.session, customer_ref, touchpoint, current_app.config["SURVEY_COOLDOWN_DAYS"]
    )
    return jsonify({"eligible": answer.eligible, "reason": answer.reason})
