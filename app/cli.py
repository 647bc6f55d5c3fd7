"""The `matchpoint` console script: the classifier's commands plus the app's."""

from __future__ import annotations

from flask.cli import FlaskGroup

from app import create_app
from classifier.cli import COMMANDS


def build() -> FlaskGroup:
    group = FlaskGroup(
        name="matchpoint",
        create_app=lambda: create_app(),
        help="Matchpoint: service-preference coaching for contact centres.",
        load_dotenv=False,
        set_debug_flag=False,
    )
    for command in COMMANDS:
        group.add_command(command)
    return group


def main() -> None:
    build()()
