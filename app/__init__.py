"""Matchpoint's web tool. create_app() reads like its table of contents."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from app import config as settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration → extensions → blueprints → commands."""
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    _configure(app, config or {})
    _init_extensions(app)
    _register_blueprints(app)
    _register_commands(app)
    return app


def _configure(app: Flask, overrides: dict[str, Any]) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(settings.DEFAULTS)
    app.config.update(settings.from_environment())
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.instance_secret(app.instance_path)
    url = app.config["DATABASE_URL"] or settings.sqlite_url(app.instance_path)
    app.config["DATABASE_URL"] = url
    app.config["MODEL_DIR"] = app.config["MODEL_DIR"] or str(Path(app.instance_path) / "models")
    app.config["TRAINING_DATA_DIR"] = app.config["TRAINING_DATA_DIR"] or str(PROJECT_ROOT / "training_data")
    app.config["PLAYBOOK_DIR"] = app.config["PLAYBOOK_DIR"] or str(PROJECT_ROOT / "playbooks")
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_BYTES"]
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["SESSION_HOURS"])
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = app.config["SECURE_COOKIES"]
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SECURE_COOKIES"]
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # the token lives as long as the session
    app.config["RATELIMIT_HEADERS_ENABLED"] = False  # Retry-After on a 429 only: app/errors.py


def _init_extensions(app: Flask) -> None:
    from app.auth.sessions import load_user
    from app.extensions import csrf, db, htmx, limiter, login_manager

    db.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)


def _register_blueprints(app: Flask) -> None:
    from app import errors, home, navigation, security, text_input, timing
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.assist import bp as assist_bp
    from app.audit_log import bp as audit_log_bp
    from app.auth import bp as auth_bp
    from app.coaching.views import bp as coaching_bp
    from app.followup.views import bp as followup_bp
    from app.imports import bp as imports_bp
    from app.playbooks import bp as playbooks_bp
    from app.privacy import bp as privacy_bp

    errors.register(app)
    navigation.register(app)
    security.register(app)
    text_input.register(app)
    timing.register(app)
    app.register_blueprint(home.bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(assist_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(playbooks_bp)
    app.register_blueprint(coaching_bp)
    app.register_blueprint(followup_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(audit_log_bp)


def _register_commands(app: Flask) -> None:
    from app import backup, commands, demo
    from app.coaching import commands as coaching_commands
    from app.privacy import commands as privacy_commands

    commands.register(app)
    coaching_commands.register(app)
    demo.register(app)
    backup.register(app)
    privacy_commands.register(app)
