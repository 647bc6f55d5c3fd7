"""Commands: `matchpoint erase-customer CUSTOMER_REF` and `matchpoint purge --older-than DAYS`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.extensions import db
from app.privacy.erasure import UnknownCustomer, erase_customer, purge


@click.command("erase-customer")
@click.argument("customer_ref")
@with_appcontext
def erase_customer_command(customer_ref: str) -> None:
    """Irreversibly erase one customer's texts, comments and follow-up outcomes."""
    try:
        report = erase_customer(db.session, customer_ref, actor=None)
    except UnknownCustomer as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(
        f"Erased the customer: {report.utterances} utterance text(s), {report.comments} survey comment(s) "
        f"and {report.outcomes} follow-up outcome(s) removed; {report.interactions} interaction(s) kept "
        "without the customer, so labels, scores and reports are unchanged "
        f"(audit event {report.audit_event_id})."
    )


@click.command("purge")
@click.option(
    "--older-than",
    "older_than",
    type=click.IntRange(min=1),
    default=None,
    metavar="DAYS",
    help="Remove text from interactions started more than DAYS days ago "
    "[default: the configured retention period, RETENTION_DAYS].",
)
@with_appcontext
def purge_command(older_than: int | None) -> None:
    """Remove transcript text, survey comments and outcomes older than the retention period."""
    days = older_than if older_than is not None else current_app.config["RETENTION_DAYS"]
    try:
        report = purge(db.session, int(days))
    except ValueError as error:
        db.session.rollback()
        raise click.ClickException(f"{error} (RETENTION_DAYS is {days})") from error
    db.session.commit()
    click.echo(
        f"Purged text from {report.interactions} interaction(s) started before "
        f"{report.cutoff:%Y-%m-%d %H:%M} UTC ({days} days): {report.utterances} utterance text(s), "
        f"{report.comments} survey comment(s), {report.outcomes} follow-up outcome(s). "
        f"Labels and scores stay (audit event {report.audit_event_id})."
    )


def register(app: Flask) -> None:
    app.cli.add_command(erase_customer_command)
    app.cli.add_command(purge_command)
