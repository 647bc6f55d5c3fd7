"""`matchpoint report`: the coaching figures as JSON, for warehouses and other tools."""

from __future__ import annotations

import json
from datetime import date

import click
from flask import Flask
from flask.cli import with_appcontext

from app.coaching import queries, stats
from app.coaching.queries import Filters
from app.extensions import db
from app.vocabulary import TOUCHPOINTS


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"'{value}' is not a date like 2026-03-31") from error


@click.command("report")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (the contract's structure).")
@click.option("--from", "date_from", callback=_date, help="First day (YYYY-MM-DD), inclusive.")
@click.option("--to", "date_to", callback=_date, help="Last day (YYYY-MM-DD), inclusive.")
@click.option("--team", default=None)
@click.option("--touchpoint", type=click.Choice(TOUCHPOINTS), default=None)
@with_appcontext
def report(
    as_json: bool, date_from: date | None, date_to: date | None, team: str | None, touchpoint: str | None
) -> None:
    """NPS, matched vs mismatched, adjusted match effect, matrix, touchpoints and agents."""
    figures = queries.report(db.session, Filters(date_from, date_to, team, touchpoint))
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False))
        return
    nps, effect = figures["nps"], figures["match_effect"]
    click.echo(f"{figures['n_interactions']} contacts, {figures['n_surveys']} survey answers")
    click.echo(f"NPS {nps['value']:+.0f} (95 % {nps['ci_low']:+.0f} to {nps['ci_high']:+.0f}, n={nps['n']})")
    click.echo(stats.describe_effect(effect, figures["n_surveys"]))


def register(app: Flask) -> None:
    app.cli.add_command(report)
