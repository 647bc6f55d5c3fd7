"""The flask-login user loader."""

from __future__ import annotations

from app.extensions import db
from app.models import User


def load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except ValueError:
        return None
