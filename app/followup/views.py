"""The lead's detractor follow-up queue."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_login import current_user

from app.audit import record
from app.auth.roles import roles_required
from app.extensions import db
from app.followup import service
from app.hypermedia import redirect_to, render
from app.models import FollowUp, utcnow
from app.vocabulary import PREFERENCE_NAMES

bp = Blueprint("followup", __name__, url_prefix="/followups")


@bp.get("/")
@roles_required("lead")
def queue() -> Response:
    include_closed = bool(request.args.get("closed"))
    items = service.queue(db.session, current_user, include_closed)
    openings = {item.id: service.opening_for(db.session, item) for item in items if item.status != "closed"}
    return render(
        "followup/queue.html",
        "followup/_queue.html",
        items=items,
        openings=openings,
        now=utcnow(),
        include_closed=include_closed,
        names=PREFERENCE_NAMES,
    )


@bp.post("/<int:followup_id>")
@roles_required("lead")
def queue_submit(followup_id: int) -> Response:
    item = db.get_or_abort(FollowUp, followup_id)
    if current_user.role == "lead" and item.survey.interaction.agent.team_id != current_user.team_id:
        abort(404)
    try:
        service.update(
            item, current_user, request.form.get("action", ""), (request.form.get("outcome") or "").strip()
        )
    except service.SurveyError as error:
        flash(str(error), "error")
        return redirect_to(url_for("followup.queue") + f"#followup-{followup_id}")
    record(db.session, f"followup_{request.form.get('action')}", target=str(followup_id), actor=current_user)
    db.session.commit()
    flash("Follow-up updated.", "success")
    return redirect_to(url_for("followup.queue"))
