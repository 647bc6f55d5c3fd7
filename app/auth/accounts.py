"""Accounts: creating users, checking logins with lock-out, issuing and checking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from sqlalchemy import Connection, bindparam, select, text
from sqlalchemy.orm import Session

from app.auth.passwords import hash_password, policy_problems, verify_password
from app.models import Agent, ApiToken, Team, User, utcnow
from app.vocabulary import ROLES

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
TOKEN_PREFIX = "mp_"


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    message: str = ""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session,
    email: str,
    password: str,
    role: str,
    *,
    team_name: str | None = None,
    agent_external_id: str | None = None,
    enforce_policy: bool = True,
) -> User:
    """Add a user (not committed). Team and agent are created when named but missing."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError(f"'{email}' is not an e-mail address.")
    if role not in ROLES:
        raise AccountError(f"Unknown role '{role}'; choose one of {', '.join(ROLES)}.")
    if session.scalar(select(User).where(User.email == email)):
        raise AccountError(f"A user with the e-mail {email} already exists.")
    if enforce_policy and (problems := policy_problems(password, email)):
        raise AccountError(" ".join(problems))
    team = ensure_team(session, team_name) if team_name else None
    team, agent = _placed(session, role, email, team, None, agent_external_id, hints=True)
    user = User(email=email, password_hash=hash_password(password), role=role, team=team, agent=agent)
    session.add(user)
    return user


def change_role(
    session: Session,
    user: User,
    role: str,
    *,
    team_name: str | None = None,
    agent_external_id: str | None = None,
) -> str:
    """Give `user` another role (not committed); returns the old one. The last active admin
    keeps the role, so that someone can always manage accounts."""
    if role not in ROLES:
        raise AccountError(f"Unknown role '{role}'; choose one of {', '.join(ROLES)}.")
    old = user.role
    if old == "admin" and role != "admin" and user.active and active_admins(session) <= {user.id}:
        raise AccountError(f"{user.email} is the last active admin; make another user admin first.")
    team = ensure_team(session, team_name) if team_name else user.team
    team, agent = _placed(session, role, user.email, team, user.agent, agent_external_id, hints=False)
    user.role, user.team, user.agent = role, team, agent
    return old


def _placed(
    session: Session,
    role: str,
    email: str,
    team: Team | None,
    agent: Agent | None,
    agent_external_id: str | None,
    *,
    hints: bool,
) -> tuple[Team | None, Agent | None]:
    """The team and agent record a user of `role` gets (an agent id names or creates the
    agent, whose team applies when none is given); AccountError when the role needs more.
    `hints` names the command-line options in the messages."""
    if agent_external_id:
        agent = session.scalar(select(Agent).where(Agent.external_id == agent_external_id))
        if agent is None:
            agent = Agent(external_id=agent_external_id, name=email.split("@")[0], team=team)
            session.add(agent)
        elif team is None:
            team = agent.team
    if role in {"agent", "lead"} and team is None:
        raise AccountError(f"A user with role '{role}' needs a team{' (--team)' if hints else ''}.")
    if role == "agent" and agent is None:
        raise AccountError(f"A user with role 'agent' needs an agent id{' (--agent-id)' if hints else ''}.")
    return team, agent


def active_admins(session: Session) -> set[int]:
    """The ids of the active admins, locked until commit, so that two admins demoting each
    other at the same moment cannot both see the other one still there."""
    if session.get_bind().dialect.name == "sqlite":  # a write statement takes SQLite's one write lock
        session.execute(text("UPDATE users SET id = id WHERE 0 = 1"))
    query = select(User.id).where(User.role == "admin", User.active.is_(True)).with_for_update()
    return set(session.scalars(query))


def ensure_team(session: Session, name: str) -> Team:
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        session.add(team)
    return team


def authenticate(session: Session, email: str, password: str) -> LoginResult:
    """Check a login; repeated failures lock the account for a while."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    now = utcnow()
    if user is None:
        verify_password(_dummy_hash(), password)  # same cost as a real check: no user probing
        return LoginResult(None, "E-mail or password is not right.")
    if user.locked_until and user.locked_until > now:
        minutes = int((user.locked_until - now).total_seconds() // 60) + 1
        return LoginResult(None, f"Too many failed attempts. Try again in {minutes} minutes.")
    if not verify_password(user.password_hash, password) or not user.active:
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        return LoginResult(None, "E-mail or password is not right.")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return LoginResult(user)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(8))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User) -> str:
    """Create a token for `user`; the caller shows it once, only its digest is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, digest=token_digest(token), prefix=token[:10]))
    return token


def revoke_all_tokens(session: Session, user: User) -> int:
    """Mark every live token of `user` revoked; returns how many were live."""
    now = utcnow()
    live = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in live:
        token.revoked_at = now
    return len(live)


@dataclass(frozen=True)
class ApiPrincipal:
    """Who an API request acts for: the columns access checks read, without an ORM object.

    Building a User per request was a quarter of a classify request's CPU; the API needs its
    id, role, team and agent only (an agent's Agent row is read where it is needed).
    """

    id: int
    email: str
    role: str
    team_id: int | None
    agent_id: int | None

    def has_role(self, *roles: str) -> bool:
        return self.role == "admin" or self.role in roles


# Built once, bound per call (as the live path's statements are: app/assist/service.py).
_PRINCIPAL = (
    select(User.id, User.email, User.role, User.team_id, User.agent_id)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.digest == bindparam("digest"), ApiToken.revoked_at.is_(None), User.active.is_(True))
)


def user_for_token(session: Session | Connection, token: str) -> ApiPrincipal | None:
    """The active user behind a token that is not revoked: one query, plain columns."""
    row = session.execute(_PRINCIPAL, {"digest": token_digest(token)}).first()
    return None if row is None else ApiPrincipal(*row)
