"""Log in and log out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from app.audit import record
from app.auth.accounts import authenticate
from app.auth.roles import logged_in, public
from app.extensions import db, limiter

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.get("/login")
@public
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    return render_template("auth/login.html", next=request.args.get("next", ""))


@bp.post("/login")
@public
@limiter.limit(_login_limit)
def login_submit() -> str | Response | tuple[str, int]:
    email = request.form.get("email", "")
    result = authenticate(db.session, email, request.form.get("password", ""))
    if result.user is None:
        record(db.session, "login_failed", target=email.strip().lower()[:200], actor=None)
        db.session.commit()
        flash(result.message, "error")
        return render_template("auth/login.html", email=email, next=request.form.get("next", "")), 401
    session.permanent = True  # the cookie expires after SESSION_HOURS, not only when the browser closes
    login_user(result.user)
    record(db.session, "login", target=result.user.email, actor=result.user)
    db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("home.index"))


@bp.post("/logout")
@logged_in
def logout() -> Response:
    record(db.session, "logout", target=current_user.email, actor=current_user)
    db.session.commit()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str | None:
    """Only follow a `next` that stays on this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    return target
