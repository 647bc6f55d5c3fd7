"""Reading JSON request bodies with errors that say exactly what is wrong."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from app.errors import ApiError
from app.text_input import unstorable_text


def json_body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError(415, "Send the body as JSON with 'Content-Type: application/json'.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.")
    return body


def text_field(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise ApiError(422, f"'{name}' is required.")
        return None
    if not isinstance(value, str):
        raise ApiError(422, f"'{name}' must be a string.")
    if required and not value.strip():
        raise ApiError(422, f"'{name}' must not be empty.")
    unstorable = unstorable_text(value)
    if unstorable:
        raise ApiError(422, f"'{name}' {unstorable}.")
    limit = current_app.config["MAX_TEXT_CHARS"]
    if len(value) > limit:
        raise ApiError(413, f"'{name}' has {len(value)} characters; the limit is {limit}.")
    return value


def choice_field(
    body: dict[str, Any], name: str, allowed: tuple[str, ...], *, required: bool = True
) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if value not in allowed:
        raise ApiError(422, f"'{name}' must be one of {', '.join(allowed)}.")
    return str(value)
