"""User administration: list, create, change roles, deactivate, issue tokens."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.audit import record
from app.auth.accounts import AccountError, change_role, create_user, issue_token
from app.auth.roles import roles_required
from app.extensions import db
from app.models import Team, User
from app.vocabulary import ROLES

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _users_context(**extra: object) -> dict[str, object]:
    users = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    teams = db.session.scalars(select(Team).order_by(Team.name)).all()
    return {"users": users, "teams": teams, "roles": ROLES, **extra}


@bp.get("/users")
@roles_required("admin")
def users() -> str:
    return render_template("admin/users.html", **_users_context(form={}))


@bp.post("/users")
@roles_required("admin")
def users_submit() -> str | Response | tuple[str, int]:
    form = request.form
    try:
        user = create_user(
            db.session,
            form.get("email", ""),
            form.get("password", ""),
            form.get("role", ""),
            team_name=form.get("team") or None,
            agent_external_id=form.get("agent_id") or None,
        )
    except AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
        return render_template("admin/users.html", **_users_context(form=form)), 422
    db.session.flush()
    record(db.session, "user_created", target=user.email, actor=current_user, role=user.role)
    db.session.commit()
    flash(f"Created {user.email} ({user.role}).", "success")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>/role")
@roles_required("admin")
def user_role_submit(user_id: int) -> str | Response | tuple[str, int]:
    user = db.get_or_abort(User, user_id)
    form = request.form
    old_team = user.team.name if user.team else None
    old_agent = user.agent.external_id if user.agent else None
    try:
        old_role = change_role(
            db.session,
            user,
            form.get("role", ""),
            team_name=(form.get("team") or "").strip() or None,
            agent_external_id=(form.get("agent_id") or "").strip() or None,
        )
    except AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
        return render_template("admin/users.html", **_users_context(form={})), 422
    new_team = user.team.name if user.team else None
    new_agent = user.agent.external_id if user.agent else None
    if (old_role, old_team, old_agent) == (user.role, new_team, new_agent):
        db.session.rollback()
        flash(f"{user.email} already has the role {user.role}.", "info")
        return redirect(url_for("admin.users"), code=303)
    record(
        db.session,
        "role_changed",
        target=user.email,
        actor=current_user,
        old_role=old_role,
        new_role=user.role,
        old_team=old_team,
        new_team=new_team,
        agent_id=new_agent,
    )
    db.session.commit()
    flash(f"{user.email} is now {user.role} (was {old_role}).", "success")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>/active")
@roles_required("admin")
def user_active_submit(user_id: int) -> Response:
    user = db.get_or_abort(User, user_id)
    if user.id == current_user.id:
        flash("You cannot deactivate your own account.", "error")
        return redirect(url_for("admin.users"), code=303)
    user.active = not user.active
    record(
        db.session,
        "user_activated" if user.active else "user_deactivated",
        target=user.email,
        actor=current_user,
    )
    db.session.commit()
    flash(f"{user.email} is now {'active' if user.active else 'deactivated'}.", "success")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>/tokens")
@roles_required("admin")
def token_submit(user_id: int) -> str:
    user = db.get_or_abort(User, user_id)
    token = issue_token(db.session, user)
    record(db.session, "token_issued", target=user.email, actor=current_user)
    db.session.commit()
    return render_template("admin/token.html", user=user, token=token)
