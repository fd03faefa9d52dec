"""`flask digest send`: the scheduler's daily job, and the operator's tool to send or test one period."""

from __future__ import annotations

import re
import sys
from zoneinfo import ZoneInfo

import click
from flask import current_app
from sqlalchemy import select

from rse.accounts.models import User
from rse.database import db
from rse.dbtypes import utcnow

from . import periods
from .sending import periods_due, send_digests
from .service import frequency

_SHARD = re.compile(r"(\d{1,4})/(\d{1,4})")


def _shard(value: str | None) -> tuple[int, int]:
    if value is None:
        return 0, 1
    match = _SHARD.fullmatch(value.strip())
    if not match:
        raise click.BadParameter("expected i/n, such as 0/2 (shard i of n, counted from 0)", param_hint="--shard")
    index, count = int(match[1]), int(match[2])
    if count < 1 or index >= count:
        raise click.BadParameter(f"shard {index}/{count}: i must be between 0 and n - 1", param_hint="--shard")
    return index, count


@click.group("digest", help="The personal digest email.")
def digest_cli() -> None:
    pass


@digest_cli.command("send", help="Send the digests due now: today's for daily subscribers and, from the "
                                 "configured weekday on, this week's for weekly ones. Safe to run again.")
@click.option("--period", help="One period only: an ISO week (2026-W47) or a day (2026-11-24).")
@click.option("--user", "email", help="Only this person (their own frequency's current period by default).")
@click.option("--dry-run", is_flag=True, help="Select and render, count; send and record nothing.")
@click.option("--shard", help="i/n: only people whose id modulo n is i (run n of them in parallel).")
def send_command(period: str | None, email: str | None, dry_run: bool, shard: str | None) -> None:
    shard_value = _shard(shard)
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    now = utcnow()
    user = None
    if email is not None:
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.BadParameter(f"no account with the address {email!r}", param_hint="--user")
    if period is not None:
        try:
            chosen = [periods.parse(period, tz)]
        except periods.PeriodError as exc:
            raise click.BadParameter(str(exc), param_hint="--period") from exc
    elif user is not None:
        chosen = [periods.current(frequency(user), now, tz)]
    else:
        chosen = periods_due(now, weekday=current_app.config["DIGEST_WEEKDAY"], tz=tz)
    report = send_digests(chosen, now=now, user=user, shard=shard_value, dry_run=dry_run)
    click.echo(report.line())
    if report.retry_later:
        # A non-zero status makes the scheduler run the job again after its own backoff.
        click.echo("the mail server was unavailable: the remaining digests go out at the next run", err=True)
        sys.exit(1)


def register_cli(app) -> None:
    app.cli.add_command(digest_cli)
