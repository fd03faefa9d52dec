"""Administrators browse, filter and export the audit trail."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask_login import current_user
from sqlalchemy import func, select

from rse import permissions
from rse.extensions import db
from rse.forms import page_number

from . import ACTIONS
from .models import AuditEntry

bp = Blueprint("audit", __name__, url_prefix="/admin/journal")
PAGE_SIZE = 100
EXPORT_LIMIT = 100_000


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filtered_entries(args) -> tuple:
    """The audit query for the filters of the page (action, actor, target, dates, IP)."""
    statement = select(AuditEntry)
    filters = {
        "action": (args.get("action") or "").strip()[:64],
        "actor": (args.get("acteur") or "").strip().lower()[:254],
        "target": (args.get("cible") or "").strip()[:64],
        "ip": (args.get("ip") or "").strip()[:45],
        "from": _parse_day(args.get("du")),
        "to": _parse_day(args.get("au")),
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
    if filters["from"]:
        statement = statement.where(AuditEntry.created_at >= datetime.combine(filters["from"], time.min, local))
    if filters["to"]:
        statement = statement.where(AuditEntry.created_at <= datetime.combine(filters["to"], time.max, local))
    return statement, filters


@bp.route("")
def index():
    permissions.require(current_user, "audit.read")
    statement, filters = filtered_entries(request.args)
    page = page_number(request.args.get("page"))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    entries = db.session.scalars(statement.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE)
                                 .offset((page - 1) * PAGE_SIZE)).all()
    return render_template("audit/index.html", entries=entries, filters=filters, total=total, page=page,
                           pages=(total + PAGE_SIZE - 1) // PAGE_SIZE, actions=ACTIONS,
                           query_string=request.query_string.decode())


@bp.route("/export.csv")
def export():
    permissions.require(current_user, "audit.read")
    statement, _filters = filtered_entries(request.args)

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "date_utc", "action", "actor_id", "actor", "target_type", "target_id",
                         "target", "ip", "details"])
        yield "\ufeff" + buffer.getvalue()  # a BOM so that spreadsheet software reads UTF-8
        for entry in db.session.scalars(statement.order_by(AuditEntry.id).limit(EXPORT_LIMIT)
                                        .execution_options(yield_per=1000)):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([entry.id, entry.created_at.isoformat(), entry.action, entry.actor_id or "",
                             _neutralise(entry.actor_label), entry.target_type, entry.target_id,
                             _neutralise(entry.target_label), entry.ip, _neutralise(str(entry.details or {}))])
            yield buffer.getvalue()

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return Response(stream_with_context(rows()), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="journal-maillage-{stamp}.csv"'})


def _neutralise(value: str) -> str:
    """Keep a cell from being read as a formula by spreadsheet software (CSV injection)."""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value
