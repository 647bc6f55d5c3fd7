"""Blueprint: the start page, which sends each role to its own work, and the health check."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template
from sqlalchemy import text

from app.auth.roles import logged_in, public
from app.extensions import db

bp = Blueprint("home", __name__)


@bp.get("/")
@logged_in
def index() -> str:
    return render_template("home/page.html")


@bp.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # the point of a health check: report, never raise
        return jsonify({"status": "unavailable", "database": type(exc).__name__}), 503
    return jsonify({"status": "ok", "database": "ok"}), 200
