"""Administrators browse, filter and export the audit trail."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import current_user

from rse.forms import page_number
from rse.spreadsheets import starts_like_formula

from . import queries
from .actions import DOMAINS

bp = Blueprint("audit", __name__, url_prefix="/admin/journal")


@bp.route("")
def index():
    page = page_number(request.args.get("page"))
    rows, total, filters = queries.page(current_user, request.args, page)
    return render_template("audit/index.html", rows=rows, filters=filters, total=total, page=page,
                           pages=(total + queries.PAGE_SIZE - 1) // queries.PAGE_SIZE, domains=DOMAINS,
                           people=queries.choices(current_user, "user"),
                           spaces=queries.choices(current_user, "community"),
                           query_string=request.query_string.decode()), 422 if filters.errors else 200


@bp.route("/export.csv")
def export():
    found = queries.export(current_user, request.args)  # refused here, before the response starts

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "date_utc", "action", "action_label", "actor_id", "actor", "target_type",
                         "target_id", "target", "ip", "details", "details_json"])
        yield "\ufeff" + buffer.getvalue()  # a BOM so that spreadsheet software reads UTF-8
        for row in found:
            entry = row.entry
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([entry.id, entry.created_at.isoformat(), entry.action, row.label, entry.actor_id or "",
                             _neutralise(entry.actor_label), entry.target_type, entry.target_id,
                             _neutralise(row.target.plain() if row.target else ""), entry.ip,
                             _neutralise(" ; ".join(line.plain() for line in row.lines)),
                             _neutralise(json.dumps(entry.details or {}, ensure_ascii=False, sort_keys=True))])
            yield buffer.getvalue()

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return Response(stream_with_context(rows()), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="journal-maillage-{stamp}.csv"'})


def _neutralise(value: str) -> str:
    """Keep a cell from being read as a formula by spreadsheet software (CSV injection)."""
    return "'" + value if starts_like_formula(value) else value
