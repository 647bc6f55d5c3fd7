"""Who may see or write an interaction: agents their own, leads their team's, admins all."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.accounts import ApiPrincipal
from app.models import Agent, Interaction, User

Someone = User | ApiPrincipal  # a page's logged-in user or an API token's principal


def can_access(user: Someone, interaction: Interaction) -> bool:
    if user.role == "admin":
        return True
    if user.role == "agent":
        return user.agent_id is not None and interaction.agent_id == user.agent_id
    if user.role == "lead":
        return user.team_id is not None and interaction.agent.team_id == user.team_id
    return False


def find_interaction(
    session: Session, user: Someone, external_id: str, *, for_writing: bool = False
) -> Interaction | None:
    """The interaction if it exists and `user` may see it; None otherwise (no leaking ids).

    `for_writing` locks its row until the transaction ends (PostgreSQL; SQLite has one writer
    anyway), so turns added at once by two clients queue instead of racing for the next seq.
    """
    query = select(Interaction).where(Interaction.external_id == external_id)
    if for_writing:
        query = query.with_for_update(key_share=True)  # FOR NO KEY UPDATE: inserts that refer to it pass
    interaction = session.scalar(query)
    if interaction is None or not can_access(user, interaction):
        return None
    return interaction


def agent_for(session: Session, user: Someone, external_id: str | None) -> Agent | None:
    """The agent an interaction is started for; agents may only start their own."""
    if user.role == "agent":
        own = None if user.agent_id is None else session.get(Agent, user.agent_id)
        if external_id is not None and (own is None or external_id != own.external_id):
            return None
        return own
    if external_id is None:
        return None
    agent = session.scalar(select(Agent).where(Agent.external_id == external_id))
    if agent is None:
        agent = Agent(external_id=external_id, name=external_id, team_id=user.team_id)
        session.add(agent)
    elif user.role == "lead" and agent.team_id != user.team_id:
        return None
    return agent
