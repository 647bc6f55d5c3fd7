"""Error responses: JSON for the API, a full page or a fragment for the browser."""

from __future__ import annotations

import math
import time

from flask import Flask, Response, jsonify, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.hypermedia import render

# The error codes of the API contract, by HTTP status.
API_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal",
}

TITLES = {
    400: "That request could not be used",
    401: "Please log in",
    403: "Not for your role",
    404: "Not found",
    405: "Not allowed",
    409: "Someone else changed this",
    413: "Too large",
    422: "Some values are not valid",
    429: "Too many requests",
    500: "Something went wrong on our side",
}


class ApiError(HTTPException):
    """An API failure with a contract code and a message a developer can act on."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(description=message)
        self.code = status
        self.api_code = code or API_CODES.get(status, "error")
        self.retry_after: int | None = None  # a 429's seconds until the next request may pass


def api_error(status: int, message: str, code: str | None = None) -> Response:
    response = jsonify({"error": {"code": code or API_CODES.get(status, "error"), "message": message}})
    response.status_code = status
    return response


def _is_api_request() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _handle_http(error: HTTPException) -> Response:
    status = error.code or 500
    message = error.description or TITLES.get(status, "Error")
    if isinstance(error, CSRFError):
        message = "The form's security token is missing or expired. Reload the page and try again."
    if _is_api_request():
        code = getattr(error, "api_code", None)
        response = api_error(status, message, code)
    else:
        response = render(
            "errors/page.html",
            "errors/_error.html",
            status=status,
            error_status=status,
            title=TITLES.get(status, "Error"),
            message=message,
        )
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    if status == 429:
        response.headers["Retry-After"] = str(getattr(error, "retry_after", None) or _retry_after())
    return response


def _retry_after() -> str:
    """Seconds until the limit that refused this request lets the next one through.

    Asked of the limiter only here: rate-limit headers on every answer would cost a second
    trip to its storage (Redis in production) per request.
    """
    from app.extensions import limiter

    try:
        limit = limiter.current_limit
        if limit is not None:
            return str(max(1, math.ceil(limit.reset_at - time.time())))
    except Exception:  # the storage went away meanwhile: a conservative answer still helps
        pass
    return "60"


def _handle_unexpected(error: Exception) -> Response:
    return _handle_http(InternalServerError())


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    if not app.testing:
        app.register_error_handler(Exception, _handle_unexpected)
