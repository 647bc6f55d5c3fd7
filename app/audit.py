"""Writing the audit trail. Callers pass identifiers, never personal data."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.models import AuditEvent, User


def record(
    session: Session,
    action: str,
    *,
    target: str = "",
    actor: User | None,
    **detail: Any,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        target=target,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.email if actor is not None else "system",
        detail=detail,
    )
    session.add(event)
    return event
