"""Imports page: upload an interactions or surveys file, see the counts or every problem.

The upload reaches the view already spooled by Werkzeug's form parser, in chunks, to a
temporary file (in memory only up to 500 KB); the import then reads that file a line at a
time, twice (check, then write), so memory does not grow with the file. A lead's upload may
only touch the lead's own team."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app.auth.roles import roles_required
from app.classification import get_classifier
from app.extensions import db
from app.hypermedia import render
from app.imports.service import KINDS, SURVEY_FIELDS, ImportReport, Problem, import_file

bp = Blueprint("imports", __name__, url_prefix="/imports")


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1024**2:g} MB" if n_bytes >= 1024**2 else f"{n_bytes / 1024:g} KB"


def _render(report: ImportReport | None, *, status: int = 200, filename: str = "") -> Response:
    return render(
        "imports/page.html",
        "imports/_report.html",
        status=status,
        report=report,
        filename=filename,
        survey_fields=SURVEY_FIELDS,
        max_upload=_size(current_app.config["MAX_UPLOAD_BYTES"]),
        max_rows=f"{current_app.config['MAX_UPLOAD_ROWS']:,}".replace(",", " "),
    )


@bp.get("/")
@roles_required("lead")
def index() -> Response:
    return _render(None)


@bp.post("/")
@roles_required("lead")
def index_submit() -> Response:
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    if kind not in KINDS:
        return _render(
            ImportReport(kind, [Problem(None, "Choose what the file holds: interactions or surveys.")]),
            status=422,
        )
    if upload is None or not upload.filename:
        return _render(ImportReport(kind, [Problem(None, "Choose a file to upload.")]), status=422)
    team = None
    if current_user.role == "lead":
        if current_user.team is None:
            problem = Problem(
                None, "Your account has no team, so you cannot import; ask an admin to set one."
            )
            return _render(ImportReport(kind, [problem]), status=422)
        team = current_user.team.name
    mapping = {
        name: column for name in SURVEY_FIELDS if (column := request.form.get(f"map_{name}", "").strip())
    }
    report = import_file(
        db.session,
        kind,
        upload.stream,
        source=upload.filename,
        actor=current_user,
        load_classifier=get_classifier,
        mapping=mapping,
        max_text_chars=current_app.config["MAX_TEXT_CHARS"],
        max_rows=current_app.config["MAX_UPLOAD_ROWS"],
        team=team,
    )
    if not report.ok:
        db.session.rollback()
        return _render(report, status=422, filename=upload.filename)
    db.session.commit()
    return _render(report, filename=upload.filename)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Response:
    """Flask refuses the body before any view runs; say so here, in the page's own report."""
    message = (
        f"The file is larger than the upload limit of {_size(current_app.config['MAX_UPLOAD_BYTES'])}. "
        "Split it into smaller files (each is imported all-or-nothing) "
        "or use the command `matchpoint import`, which has no limit."
    )
    if not current_user.is_authenticated or not current_user.has_role("lead"):
        return render(
            "errors/page.html",
            "errors/_error.html",
            status=413,
            error_status=413,
            title="Too large",
            message=message,
        )
    # The body was refused unread, so which kind of file it was is unknown.
    return _render(ImportReport("upload", [Problem(None, message)]), status=413)
