"""`flask documents …`: processing, garbage collection, purge of the trash, review reminders."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from rse.i18n import local_today

from . import blobs, review


@click.group("documents", help="Documents: derived data and clean-up.")
def documents_cli() -> None:
    pass


@documents_cli.command("process", help="Extract text and make thumbnails of pending versions.")
@click.option("--limit", default=500, show_default=True)
@with_appcontext
def process_command(limit: int) -> None:
    counts = blobs.process_versions(limit=limit)
    click.echo(f"processed {counts['done']}, failed {counts['failed']}")


@documents_cli.command("verify", help="Re-read stored blobs and check their sha256 and size.")
@click.option("--limit", type=int, default=None, help="Check only the N oldest blobs.")
@with_appcontext
def verify_command(limit: int | None) -> None:
    result = blobs.verify_blobs(limit)
    click.echo(f"checked {result['checked']}, corrupt {len(result['corrupt'])}, missing {len(result['missing'])}")
    for sha in result["corrupt"]:
        click.echo(f"corrupt: {sha}")
    for sha in result["missing"]:
        click.echo(f"missing: {sha}")
    if result["corrupt"] or result["missing"]:
        raise SystemExit(1)


@documents_cli.command("gc", help="Remove stored objects that no database row names and abort unfinished "
                                  "uploads (crash leftovers).")
@click.option("--grace-minutes", default=60, show_default=True, help="Leave younger objects and uploads alone.")
@with_appcontext
def gc_command(grace_minutes: int) -> None:
    report = blobs.collect_garbage(timedelta(minutes=grace_minutes))
    click.echo(f"removed {report['removed']} orphan object(s), kept {report['recent_kept']} recent one(s)")
    click.echo(f"aborted {report['uploads_aborted']} unfinished upload(s) holding {report['upload_bytes']} bytes "
               f"({report['upload_bytes'] / 2**20:.1f} MiB), left {report['uploads_recent']} recent one(s)")


@documents_cli.command("purge", help="Delete documents trashed longer than the retention period, and their bytes.")
@click.option("--days", type=int, default=None, help="Retention in days (default: RSE_TRASH_RETENTION_DAYS).")
@with_appcontext
def purge_command(days: int | None) -> None:
    days = current_app.config["TRASH_RETENTION_DAYS"] if days is None else days
    counts = blobs.purge_trash(days)
    click.echo(f"purged {counts['documents']} document(s) and {counts['blobs']} unused blob(s)")


@documents_cli.command("remind-reviews", help="Email the writers of controlled documents in force whose review "
                                              "date is within a month, once per review date. Safe to run again.")
@with_appcontext
def remind_reviews_command() -> None:
    counts = review.remind_reviews(local_today())
    click.echo(f"reminded {counts['people']} writer(s) of {counts['documents']} document(s)")
