"""The trainer's playbook editor: browse, edit with preview, create, retire, history, coverage."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.audit import record
from app.auth.roles import roles_required
from app.classification import get_live_playbook
from app.extensions import db
from app.hypermedia import redirect_to, render
from app.models import PlaybookEntry, PlaybookRevision, User
from app.playbooks import editing, store
from app.playbooks.library import Entry
from app.vocabulary import (
    PLAYBOOK_LANGUAGES,
    PREFERENCE_NAMES,
    PREFERENCES,
    SITUATION_NAMES,
    SITUATIONS,
    TOUCHPOINTS,
)

bp = Blueprint("playbooks", __name__, url_prefix="/playbooks")

CHOICES = {
    "touchpoints": TOUCHPOINTS,
    "preferences": PREFERENCES,
    "situations": SITUATIONS,
    "languages": PLAYBOOK_LANGUAGES,
    "names": PREFERENCE_NAMES,
    "situation_names": SITUATION_NAMES,
}


def _entry(key: str) -> PlaybookEntry:
    row = db.session.scalar(select(PlaybookEntry).where(PlaybookEntry.key == key))
    if row is None:
        abort(404, f"No playbook entry '{key}'.")
    return row


def _authors(revisions: list[PlaybookRevision]) -> dict[int, str]:
    ids = {r.author_id for r in revisions if r.author_id is not None}
    if not ids:
        return {}
    return {
        user_id: email
        for user_id, email in db.session.execute(select(User.id, User.email).where(User.id.in_(ids)))
    }


@bp.get("/")
@roles_required("trainer")
def index() -> Response:
    entries = editing.filtered(db.session, request.args)
    return render(
        "playbooks/index.html", "playbooks/_list.html", entries=entries, args=request.args, **CHOICES
    )


@bp.get("/coverage")
@roles_required("trainer")
def coverage() -> Response:
    language = request.args.get("language", "da")
    if language not in PLAYBOOK_LANGUAGES:
        abort(404, f"No playbooks for language '{language}'.")
    grid = editing.coverage(db.session, language)
    empty = sum(1 for row in grid.values() for cell in row.values() if cell.state == "empty")
    thin = sum(1 for row in grid.values() for cell in row.values() if cell.state == "thin")
    return render(
        "playbooks/coverage.html",
        "playbooks/_coverage.html",
        grid=grid,
        language=language,
        empty=empty,
        thin=thin,
        **CHOICES,
    )


def _render_entry(
    row: PlaybookEntry,
    *,
    status: int = 200,
    draft: dict[str, object] | None = None,
    conflict: PlaybookEntry | None = None,
) -> Response:
    revisions = list(
        db.session.scalars(
            select(PlaybookRevision)
            .where(PlaybookRevision.entry_id == row.id)
            .order_by(PlaybookRevision.version.desc())
        )
    )
    history = []
    for newer, older in zip(revisions, [*revisions[1:], None], strict=True):
        changes = (
            editing.diff_lines(older.text, newer.text) if older else [(" ", w) for w in newer.text.split()]
        )
        history.append((newer, changes))
    return render(
        "playbooks/entry.html",
        "playbooks/_entry.html",
        status=status,
        entry=row,
        history=history,
        authors=_authors(revisions),
        draft=draft,
        conflict=conflict,
        **CHOICES,
    )


def _save(
    row: PlaybookEntry,
    *,
    text: str,
    phrases: list[str],
    note: str,
    action: str,
    audit: str,
    retired: bool | None = None,
    **detail: object,
) -> bool:
    """Save an edit made against the form's base_version; False (rolled back) when it is stale."""
    base_version = request.form.get("base_version", type=int) or 0
    try:
        store.save_edit(
            db.session,
            row,
            base_version=base_version,
            text=text,
            phrases=phrases,
            note=note,
            author=current_user,
            action=action,
            retired=retired,
        )
        record(db.session, audit, target=row.key, actor=current_user, version=row.version, **detail)
        db.session.commit()
    except (store.StaleEdit, StaleDataError):
        db.session.rollback()
        return False
    get_live_playbook().forget()  # this worker's suggestions show the save at once
    return True


def _conflict(key: str) -> Response:
    flash("Someone else changed this entry meanwhile; review it and try again.", "error")
    return _render_entry(_entry(key), status=409)


@bp.get("/entries/<key>")
@roles_required("trainer")
def entry(key: str) -> Response:
    return _render_entry(_entry(key))


@bp.post("/entries/<key>")
@roles_required("trainer")
def entry_submit(key: str) -> Response:
    row = _entry(key)
    form = editing.parse_form(request.form, current_app.config["MAX_TEXT_CHARS"])
    draft = {"text": form.text, "phrases": "\n".join(form.phrases), "note": form.note}
    if form.problems:
        for problem in form.problems:
            flash(problem, "error")
        return _render_entry(row, status=422, draft=draft)
    if not _save(
        row, text=form.text, phrases=form.phrases, note=form.note, action="edited", audit="playbook_edited"
    ):
        current = _entry(key)
        flash(
            "Someone else saved this entry while you were editing. Nothing was lost: their version "
            "and yours are both shown. Merge and save again.",
            "error",
        )
        return _render_entry(current, status=409, draft=draft, conflict=current)
    flash(f"Saved {key} (version {row.version}).", "success")
    return redirect_to(url_for("playbooks.entry", key=key))


@bp.post("/preview")
@roles_required("trainer")
def preview_submit() -> Response:
    form = editing.parse_form(request.form, current_app.config["MAX_TEXT_CHARS"])
    return render(
        "playbooks/entry.html",
        "playbooks/_preview.html",
        preview=form,
        preference=request.form.get("preference", ""),
        **CHOICES,
    )


@bp.post("/entries/<key>/retire")
@roles_required("trainer")
def retire_submit(key: str) -> Response:
    row = _entry(key)
    retire = not row.retired
    if not _save(
        row,
        text=row.text,
        phrases=list(row.phrases),
        note=row.note,
        retired=retire,
        action="retired" if retire else "restored",
        audit="playbook_retired" if retire else "playbook_restored",
    ):
        return _conflict(key)
    flash(f"{key} is {'retired: agents no longer see it' if row.retired else 'active again'}.", "success")
    return redirect_to(url_for("playbooks.entry", key=key))


@bp.post("/entries/<key>/revert/<int:version>")
@roles_required("trainer")
def revert_submit(key: str, version: int) -> Response:
    row = _entry(key)
    old = store.revision(db.session, row, version)
    if old is None:
        abort(404, f"{key} has no version {version}.")
    if not _save(
        row,
        text=old.text,
        phrases=list(old.phrases),
        note=old.note,
        action="reverted",
        audit="playbook_reverted",
        to_version=version,
    ):
        return _conflict(key)
    flash(f"Reverted {key} to the text of version {version}.", "success")
    return redirect_to(url_for("playbooks.entry", key=key))


@bp.get("/new")
@roles_required("trainer")
def create() -> Response:
    return render("playbooks/new.html", "playbooks/_new_form.html", args=request.args, draft={}, **CHOICES)


@bp.post("/new")
@roles_required("trainer")
def create_submit() -> Response:
    cell = {name: request.form.get(name, "") for name in editing.FILTERS}
    form = editing.parse_form(request.form, current_app.config["MAX_TEXT_CHARS"])
    draft = {"text": form.text, "phrases": "\n".join(form.phrases), "note": form.note}
    problems = list(form.problems)
    if not editing.valid_cell(cell["language"], cell["touchpoint"], cell["preference"], cell["situation"]):
        problems.append("Choose a language, touchpoint, preference and situation.")
    if problems:
        for problem in problems:
            flash(problem, "error")
        return render(
            "playbooks/new.html", "playbooks/_new_form.html", status=422, args=cell, draft=draft, **CHOICES
        )
    key = editing.new_key(
        db.session, cell["language"], cell["touchpoint"], cell["preference"], cell["situation"]
    )
    store.create_entry(
        db.session,
        Entry(id=key, text=form.text, phrases=tuple(form.phrases), note=form.note, **cell),
        current_user,
    )
    record(db.session, "playbook_created", target=key, actor=current_user)
    db.session.commit()
    get_live_playbook().forget()
    flash(f"Created {key}.", "success")
    return redirect_to(url_for("playbooks.entry", key=key))
