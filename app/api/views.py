"""The /api/v1 endpoints. Thin: read the body, call one domain function, answer JSON."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from app.api.openapi import describe
from app.api.payloads import choice_field, json_body, text_field
from app.api.tokens import token_required
from app.auth.roles import public
from app.classification import get_classifier
from app.extensions import csrf, limiter
from app.vocabulary import SPEAKERS

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def _api_limit() -> str:
    return str(current_app.config["API_RATE_LIMIT"])


limiter.limit(_api_limit)(bp)


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
