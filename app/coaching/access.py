"""Who sees which coaching figures: agents themselves, leads their team, admins everyone."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Agent, Team, User


def team_scope(session: Session, user: User, requested: str | None) -> str | None:
    """The team a user's overview shows: a lead's own, an admin's choice (None = all)."""
    if user.role == "lead":
        if user.team is None:
            abort(403, "Your account has no team; ask an admin to set one.")
        if requested and requested != user.team.name:
            abort(403, "Leads see their own team only.")
        return user.team.name
    if requested and session.scalar(select(Team.id).where(Team.name == requested)) is None:
        abort(404, f"No team called '{requested}'.")
    return requested or None


def visible_agent(session: Session, user: User, external_id: str) -> Agent:
    agent = session.scalar(select(Agent).where(Agent.external_id == external_id))
    allowed = agent is not None and (
        user.role == "admin"
        or (user.role == "lead" and user.team_id is not None and agent.team_id == user.team_id)
        or (user.role == "agent" and user.agent_id == agent.id)
    )
    if not allowed:
        abort(404, f"No agent '{external_id}' that you may see.")
    return agent  # type: ignore[return-value]
