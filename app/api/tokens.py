"""Bearer-token authentication for the API (no cookies, so no CSRF)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from app.auth.accounts import ApiPrincipal, user_for_token
from app.auth.roles import ROLES_ATTRIBUTE
from app.errors import ApiError
from app.extensions import db

F = TypeVar("F", bound=Callable[..., Any])


def token_required(*roles: str) -> Callable[[F], F]:
    """Require `Authorization: Bearer <token>` of a user with one of `roles` (admin always)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ApiError(401, "Send an API token as 'Authorization: Bearer <token>'.")
            with db.read_alone() as connection:  # not in the session: classify needs no transaction
                user = user_for_token(connection, token.strip())
            if user is None:
                raise ApiError(401, "The API token is not valid or has been revoked.")
            if not user.has_role(*roles):
                raise ApiError(403, f"Role '{user.role}' may not use this endpoint.")
            g.api_user = user
            return view(*args, **kwargs)

        setattr(guarded, ROLES_ATTRIBUTE, roles)
        return guarded  # type: ignore[return-value]

    return decorate


def api_user() -> ApiPrincipal:
    return g.api_user  # type: ignore[no-any-return]
