"""`flask plans …`: the daily reminders of actions' due dates."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from rse.i18n import local_today

from . import follow


@click.group("plans", help="Action plans: reminders.")
def plans_cli() -> None:
    pass


@plans_cli.command("remind", help="Remind the owners of open actions due within a week or today, and announce "
                                  "the late ones in their space's stream, once per due date. Safe to run again.")
@with_appcontext
def remind_command() -> None:
    counts = follow.remind(local_today())
    click.echo(f"reminded {counts['reminder_week']} action(s) due within a week, {counts['reminder_due']} due today; "
               f"announced {counts['late']} late")


def register_cli(app: Flask) -> None:
    app.cli.add_command(plans_cli)
