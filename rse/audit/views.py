"""Administrators browse, filter and export the audit trail."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import current_user

from rse.forms import page_number

from . import ACTIONS, queries

bp = Blueprint("audit", __name__, url_prefix="/admin/journal")


@bp.route("")
def index():
    page = page_number(request.args.get("page"))
    entries, total, filters = queries.page(current_user, request.args, page)
    return render_template("audit/index.html", entries=entries, filters=filters, total=total, page=page,
                           pages=(total + queries.PAGE_SIZE - 1) // queries.PAGE_SIZE, actions=ACTIONS,
                           query_string=request.query_string.decode())


@bp.route("/export.csv")
def export():
    entries = queries.export(current_user, request.args)  # refused here, before the response starts

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "date_utc", "action", "actor_id", "actor", "target_type", "target_id",
                         "target", "ip", "details"])
        yield "\ufeff" + buffer.getvalue()  # a BOM so that spreadsheet software reads UTF-8
        for entry in entries:
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
