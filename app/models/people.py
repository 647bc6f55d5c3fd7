"""Teams, agents, user accounts and API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, one_of, utcnow
from app.vocabulary import ROLES


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    agents: Mapped[list[Agent]] = relationship(back_populates="team")


class Agent(Base):
    """A front-line employee as known to the contact centre's systems."""

    __tablename__ = "agents"
    __table_args__ = (
        CheckConstraint(
            "natural_relational >= 0 AND natural_action_oriented >= 0 AND natural_factual >= 0",
            name="natural_style_nonnegative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    # Self-assessed natural style, three weights that the agent spreads as they see fit.
    natural_relational: Mapped[float | None]
    natural_action_oriented: Mapped[float | None]
    natural_factual: Mapped[float | None]

    team: Mapped[Team | None] = relationship(back_populates="agents")

    @property
    def natural_style(self) -> dict[str, float] | None:
        weights = (self.natural_relational, self.natural_action_oriented, self.natural_factual)
        if any(w is None for w in weights):
            return None
        total = sum(weights) or 1.0  # type: ignore[arg-type]
        return {
            "relational": self.natural_relational / total,  # type: ignore[operator]
            "action_oriented": self.natural_action_oriented / total,  # type: ignore[operator]
            "factual": self.natural_factual / total,  # type: ignore[operator]
        }


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (one_of("role", ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    team: Mapped[Team | None] = relationship()
    agent: Mapped[Agent | None] = relationship()

    @property
    def is_active(self) -> bool:  # flask-login reads this
        return self.active

    def has_role(self, *roles: str) -> bool:
        return self.role == "admin" or self.role in roles


class ApiToken(Base):
    """A bearer token; only its SHA-256 digest is stored, the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
