"""`flask rse seed`: fill a database with realistic French data at scale (stream benchmarks).

A development command: rse.accounts.cli loads it on demand from a checkout; the product never imports it.
"""

from __future__ import annotations

import secrets
import time

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from rse.database import db
from rse.feeds.models import Publication
from rse.security import hash_password

from . import generate as seeding


@click.command("seed", help="Fill the database with people, communities and activities in bulk (benchmarks).")
@click.option("--users", default=30_000, show_default=True, type=click.IntRange(2))
@click.option("--communities", default=1_000, show_default=True, type=click.IntRange(1))
@click.option("--activities", default=2_000_000, show_default=True, type=click.IntRange(0))
@click.option("--seed", "seed_value", default=42, show_default=True, help="Random seed (same seed, same data).")
@click.option("--password", default=None, help="Password of every seeded account (random if not given).")
@click.option("--force", is_flag=True, help="Seed even if the database already holds publications.")
@with_appcontext
def seed_command(users: int, communities: int, activities: int, seed_value: int, password: str | None,
                 force: bool) -> None:
    existing = db.session.scalar(select(func.count()).select_from(Publication))
    if existing and not force:
        raise click.ClickException(f"the database already holds {existing} publications: seeding would mix "
                                   "synthetic data with them (use --force to do it anyway)")
    started = time.perf_counter()
    shown = password is None
    password = password or "-".join(secrets.token_urlsafe(4) for _ in range(4))
    # One hash for every account: argon2 is slow on purpose, 30,000 of them would take minutes.
    report = seeding.seed(users=users, communities=communities, activities=activities,
                          password_hash=hash_password(password), seed=seed_value)
    db.session.commit()
    seeding.restore_settings()
    seconds = time.perf_counter() - started
    counts = report.counts
    click.echo(f"seeded in {seconds:.1f} s (commit and ANALYZE included): {report.rows:,} rows, "
               f"{report.rows / seconds:,.0f} rows/s")
    for table in ("users", "communities", "memberships", "publications", "activities", "taggings", "comments",
                  "likes", "same_questions", "wiki_versions", "suggestions", "deliveries", "notifications", "pins"):
        click.echo(f"  {table}: {counts.get(table, 0):,}")
    click.echo(f"  wiki pages brought to their last version: {report.wiki_pages_updated:,}")
    click.echo(f"administrator: {report.admin_email}")
    if report.heavy_emails:
        click.echo(f"in {seeding.HEAVY_MEMBERSHIPS} communities (or all of them): {', '.join(report.heavy_emails)}")
    click.echo(f"password of every seeded account: {password if shown else '(as given)'}")
    click.echo("bulk inserts bypass the search outbox: run `flask search reindex` to make them searchable")


command = seed_command
