"""The admin's privacy page: what is stored, retention and purge, erasure, and their log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, request, url_for
from flask_login import current_user

from app.auth.roles import roles_required
from app.extensions import db
from app.hypermedia import redirect_to, render
from app.models import utcnow
from app.privacy import pseudonyms
from app.privacy.erasure import UnknownCustomer, erase_customer, purge
from app.privacy.inventory import inventory, privacy_log

bp = Blueprint("privacy", __name__, url_prefix="/admin/privacy")


def _render(status: int = 200, **extra: Any) -> Response:
    stored = inventory(
        db.session,
        current_app.config["RETENTION_DAYS"],
        utcnow(),
        keyed=pseudonyms.configured_key() is not None,
    )
    return render(
        "privacy/overview.html",
        "privacy/_overview.html",
        status=status,
        stored=stored,
        log=privacy_log(db.session),
        **extra,
    )


@bp.get("/")
@roles_required("admin")
def overview() -> Response:
    return _render()


@bp.post("/purge")
@roles_required("admin")
def purge_submit() -> Response:
    if request.form.get("confirm") != "yes":
        return _render(status=422, purge_error="Tick the box to confirm: purged text cannot be brought back.")
    days = current_app.config["RETENTION_DAYS"]
    report = purge(db.session, days, actor=current_user)
    db.session.commit()
    flash(
        f"Purged {report.utterances} utterance text(s), {report.comments} comment(s) and "
        f"{report.outcomes} outcome(s) from {report.interactions} interaction(s) older than {days} days.",
        "success",
    )
    return redirect_to(url_for("privacy.overview"))


@bp.post("/erase")
@roles_required("admin")
def erase_submit() -> Response:
    ref = (request.form.get("customer_ref") or "").strip()
    if not ref or request.form.get("confirm") != "yes":
        return _render(
            status=422,
            erase_error="Give the customer reference and tick the box to confirm: erasure cannot be undone.",
        )
    try:
        report = erase_customer(db.session, ref, actor=current_user)
    except UnknownCustomer:
        db.session.rollback()
        return _render(
            status=422, erase_error="No customer is stored under that reference; nothing was erased."
        )
    db.session.commit()
    flash(
        f"Erased the customer: {report.utterances} utterance text(s), {report.comments} comment(s) and "
        f"{report.outcomes} outcome(s) removed; {report.interactions} interaction(s) kept without them.",
        "success",
    )
    return redirect_to(url_for("privacy.overview"))
