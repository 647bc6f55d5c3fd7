"""Every route declares who may use it: a role list, or public."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from app.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])
ROLES_ATTRIBUTE = "matchpoint_roles"


def roles_required(*roles: str) -> Callable[[F], F]:
    """Allow logged-in users with one of `roles` (admin always); others get login or 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        setattr(guarded, ROLES_ATTRIBUTE, roles)
        return guarded  # type: ignore[return-value]

    return decorate


def logged_in(view: F) -> F:
    """Any role may use this view, but only after logging in."""
    return roles_required("agent", "lead", "trainer")(view)


def public(view: F) -> F:
    """Anyone may use this view (login page, health check, static files)."""
    setattr(view, ROLES_ATTRIBUTE, ("public",))
    return view
