"""Text that no database column can hold (a NUL, a lone surrogate): found here, refused early.

Forms, query strings and URL paths of the pages are checked once, before any view runs,
so no view can pass such text on to PostgreSQL (which refuses it with an error, a 500).
The API checks its JSON fields itself (app/api/payloads.py) and answers in JSON.
"""

from __future__ import annotations

import json

from flask import Flask, abort, request


def unstorable_text(value: object) -> str | None:
    """What makes a decoded value's text impossible to store (a NUL, a lone surrogate), or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return "contains a NUL character (\\u0000), which text cannot hold"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains an unpaired surrogate (such as \\ud800), which is not valid text"
        return None
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return next((problem for item in items if (problem := unstorable_text(item))), None)


def _shown(name: str) -> str:
    """A field name as it can be shown, with NULs and surrogates spelled as escapes."""
    return json.dumps(name)[1:-1] if unstorable_text(name) else name


def _refuse_unstorable_input() -> None:
    if request.path.startswith("/api/"):
        return
    for name, value in (request.view_args or {}).items():
        if unstorable_text(value):  # no stored id or key holds one, so there is no such page
            abort(404, f"No such page: the {name.replace('_', ' ')} in the address {unstorable_text(value)}.")
    for where, values in (("query parameter", request.args), ("form field", request.form)):
        for name, value in values.items(multi=True):
            problem = unstorable_text(name) or unstorable_text(value)
            if problem:
                abort(422, f"The {where} '{_shown(name)}' {problem}. Remove it and send the form again.")


def register(app: Flask) -> None:
    """Check every page request's text after the CSRF check and before the view."""
    app.before_request(_refuse_unstorable_input)
