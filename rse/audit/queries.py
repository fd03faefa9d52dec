"""Reading the audit trail for administrators: the filters of the page, a page of entries, the export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from rse import permissions
from rse.database import db

from .models import AuditEntry

PAGE_SIZE = 100
EXPORT_LIMIT = 100_000


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filtered(args) -> tuple:
    """The audit query for the filters of the page (action, actor, target, dates, IP)."""
    statement = select(AuditEntry)
    since, until = _parse_day(args.get("du")), _parse_day(args.get("au"))
    filters = {
        "action": (args.get("action") or "").strip()[:64],
        "actor": (args.get("acteur") or "").strip().lower()[:254],
        "target": (args.get("cible") or "").strip()[:64],
        "ip": (args.get("ip") or "").strip()[:45],
        "from": since,
        "to": until,
    }
    if filters["action"]:
        statement = statement.where(AuditEntry.action.startswith(filters["action"]))
    if filters["actor"]:
        statement = statement.where(func.lower(AuditEntry.actor_label).contains(filters["actor"]))
    if filters["target"]:
        statement = statement.where((AuditEntry.target_id == filters["target"]) |
                                    AuditEntry.target_label.contains(filters["target"]))
    if filters["ip"]:
        statement = statement.where(AuditEntry.ip == filters["ip"])
    # Days are those of the people reading the log (Europe/Paris by default), not UTC days.
    local = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    if since:
        statement = statement.where(AuditEntry.created_at >= datetime.combine(since, time.min, local))
    if until:
        statement = statement.where(AuditEntry.created_at <= datetime.combine(until, time.max, local))
    return statement, filters


def page(actor: Any, args, number: int) -> tuple[list[AuditEntry], int, dict]:
    """A page of the entries matching the filters, newest first, their total and the filters read."""
    permissions.require(actor, "audit.read")
    statement, filters = _filtered(args)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    entries = list(db.session.scalars(statement.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE)
                                      .offset((number - 1) * PAGE_SIZE)))
    return entries, total, filters


def export(actor: Any, args) -> Iterator[AuditEntry]:
    """Every entry matching the filters (at most EXPORT_LIMIT), oldest first, read in batches.

    Refused at once; read only as the response streams (a server-side cursor does not outlive
    a commit made after the view returns)."""
    permissions.require(actor, "audit.read")
    statement, _filters = _filtered(args)

    def entries() -> Iterator[AuditEntry]:
        yield from db.session.scalars(statement.order_by(AuditEntry.id).limit(EXPORT_LIMIT)
                                      .execution_options(yield_per=1000))

    return entries()
