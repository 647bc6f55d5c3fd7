"""The `matchpoint` console script: the classifier's commands plus the app's."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from app import create_app

# The classifier's commands by name (classifier.cli.COMMANDS; a test keeps the two in step).
# Their module imports scikit-learn, which takes longer than a whole `matchpoint report`,
# so it is imported only when one of these commands is asked for (or listed in --help).
CLASSIFIER_COMMANDS = ("classify", "analyze", "train", "evaluate", "score-batch")


class MatchpointGroup(FlaskGroup):
    """Flask's command group that loads the classifier's commands on first use."""

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in CLASSIFIER_COMMANDS and name not in self.commands:
            from classifier.cli import COMMANDS

            for command in COMMANDS:
                self.add_command(command)
        return super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *CLASSIFIER_COMMANDS})


def build() -> FlaskGroup:
    return MatchpointGroup(
        name="matchpoint",
        create_app=lambda: create_app(),
        help="Matchpoint: service-preference coaching for contact centres.",
        load_dotenv=False,
        set_debug_flag=False,
    )


def main() -> None:
    build()()
