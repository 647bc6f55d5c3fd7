"""The one module that reads htmx's HX-* headers: fragment or full page, events, redirects."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, redirect, render_template

from app.extensions import htmx


def wants_fragment() -> bool:
    """An htmx swap gets a fragment; a boosted or history-restore request needs the page."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(
    page: str,
    fragment: str,
    *,
    status: int = 200,
    trigger: str | None = None,
    **context: Any,
) -> Response:
    """Render `fragment` for an htmx swap, else `page` (which includes the fragment)."""
    template = fragment if wants_fragment() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    if trigger:
        response.headers["HX-Trigger"] = trigger
    return response


def redirect_to(url: str) -> Response:
    """Redirect a plain form post with 303; tell htmx to navigate with HX-Location."""
    if htmx:
        response = make_response("", 204)
        response.headers["HX-Location"] = url
        return response
    return redirect(url, code=303)  # type: ignore[return-value]
