"""The audit trail for admins: filter it, page through it, export it as CSV."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, request, stream_with_context
from flask_login import current_user

from app.audit import record
from app.audit_log import queries
from app.auth.roles import roles_required
from app.extensions import db
from app.hypermedia import render
from app.models import utcnow

bp = Blueprint("audit_log", __name__, url_prefix="/admin")


@bp.get("/audit")
@roles_required("admin")
def index() -> Response:
    filters = queries.AuditFilter.from_args(request.args)
    total = queries.count(db.session, filters)
    return render(
        "audit_log/page.html",
        "audit_log/_events.html",
        filters=filters,
        events=queries.page_of_events(db.session, filters),
        total=total,
        pages=max(1, -(-total // queries.PAGE_SIZE)),
        actions=queries.actions(db.session),
    )


@bp.get("/audit.csv")
@roles_required("admin")
def export() -> Response:
    filters = queries.AuditFilter.from_args(request.args)
    # Recorded (and committed) before the rows go out: an export is audited even if cut short.
    record(
        db.session,
        "audit_exported",
        actor=current_user,
        rows=queries.count(db.session, filters),
        filters=filters.query_args(page=1),
    )
    db.session.commit()
    filename = f"matchpoint-audit-{utcnow():%Y%m%d-%H%M%S}.csv"

    def lines() -> Iterator[str]:
        try:
            yield from queries.csv_lines(db.session, filters)
        finally:  # the stream outlives the request: end its read transaction as soon as it is sent
            db.session.close()

    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
