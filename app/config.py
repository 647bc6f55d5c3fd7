"""Configuration: defaults in code, overrides from MATCHPOINT_* environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

# Every setting the application reads, with its default. Environment variables named
# MATCHPOINT_<KEY> override these; a test passes a dict to create_app() instead.
DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None: SQLite file in the instance folder
    "MODEL_DIR": None,  # None: <instance>/models
    "TRAINING_DATA_DIR": None,  # None: training_data/ beside the packages
    "PLAYBOOK_DIR": None,  # None: playbooks/ beside the packages
    "MAX_TEXT_CHARS": 20_000,  # one utterance or one classify request
    "MAX_UPLOAD_BYTES": 50 * 1024 * 1024,
    "MAX_UPLOAD_ROWS": 200_000,  # rows of one uploaded file (the import command has no limit)
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_RATE_LIMIT": "10 per minute",
    "API_RATE_LIMIT": "6000 per minute",
    "PLAYBOOK_RECHECK_SECONDS": 1.0,  # how stale a worker's playbook cache may be; 0: check every use
    "SESSION_HOURS": 10,
    "SECURE_COOKIES": False,  # True behind TLS in production
    "CUSTOMER_REF_KEY": None,  # secret for keyed hashing of customer references
    "RETENTION_DAYS": 365,
    "FOLLOWUP_DUE_HOURS": 48,
    "SURVEY_COOLDOWN_DAYS": 30,
}

_BOOLEAN = {"SECURE_COOKIES"}
_INTEGER = {
    "MAX_TEXT_CHARS",
    "MAX_UPLOAD_BYTES",
    "MAX_UPLOAD_ROWS",
    "SESSION_HOURS",
    "RETENTION_DAYS",
    "FOLLOWUP_DUE_HOURS",
    "SURVEY_COOLDOWN_DAYS",
}


_FLOAT = {"PLAYBOOK_RECHECK_SECONDS"}


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Read MATCHPOINT_* variables that name known settings, converted to their types."""
    environ = dict(os.environ if environ is None else environ)
    found: dict[str, Any] = {}
    for key in (*DEFAULTS, "SECRET_KEY"):
        raw = environ.get(f"MATCHPOINT_{key}")
        if raw is None:
            continue
        if key in _BOOLEAN:
            found[key] = raw.strip().lower() in {"1", "true", "yes", "on"}
        elif key in _INTEGER:
            found[key] = int(raw)
        elif key in _FLOAT:
            found[key] = float(raw)
        else:
            found[key] = raw
    return found


def instance_secret(instance_path: str) -> str:
    """The development secret key: kept in the instance folder so sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def sqlite_url(instance_path: str) -> str:
    return f"sqlite:///{Path(instance_path) / 'matchpoint.sqlite3'}"
