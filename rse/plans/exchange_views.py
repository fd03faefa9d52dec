"""Pages to import a plan's actions from a spreadsheet (upload, preview, confirm) and to download
the plan as XLSX or PDF.

Between the preview and the confirmation the uploaded file is kept on the server, in the upload
temporary folder under a random token, for half an hour; the token is remembered in the user's
signed session with the plan and the user it was uploaded for, so no one else can confirm it and
the confirmation imports exactly the file that was previewed (read again: a person who left the
space in between is caught). Nothing is kept beyond the import or the half hour.
"""

from __future__ import annotations

import io

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.routing import BuildError
from wtforms import HiddenField

from rse.dbtypes import utcnow
from rse.errors import ValidationError
from rse.forms import run_work

from . import exchange, service
from . import export as files

bp = Blueprint("plans_exchange", __name__)

_PENDING = "plan_import"
_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}


class ImportForm(FlaskForm):
    file = FileField(_l("Classeur Excel (.xlsx, 5 Mo au plus)"))


class ConfirmForm(FlaskForm):
    token = HiddenField()


def plan_url(plan) -> str:
    """The plan's page; the space's while the plan pages are not there."""
    try:
        return url_for("plans.show", plan_id=plan.id)
    except BuildError:
        return url_for("communities.show", community_id=plan.community_id)


def _page(plan, form, *, preview=None, refused=None, confirm=None, status=200):
    return render_template("plans/import.html", plan=plan, form=form, preview=preview, refused=refused,
                           confirm=confirm, columns=exchange.COLUMNS, plan_url=plan_url(plan),
                           statuses=exchange.STATUS_LABELS.values(),
                           priorities=exchange.PRIORITY_LABELS.values()), status


@bp.route("/plans/<int:plan_id>/import", methods=["GET", "POST"])
def import_plan(plan_id: int):
    """GET: the form and the columns expected. POST file=…: what the file would create and what is
    wrong in it; a confirmation button when nothing is."""
    plan = service.get_plan(current_user, plan_id, "manage")
    form = ImportForm()
    if request.method == "GET":
        return _page(plan, form)
    if not form.validate_on_submit():
        return _page(plan, form, status=400)
    part = request.files.get("file")
    if part is None or not part.filename:
        form.file.errors = [_("Choisissez un fichier .xlsx.")]
        return _page(plan, form, status=422)
    data = part.stream.read(exchange.MAX_IMPORT_BYTES + 1)
    try:
        preview = exchange.read_workbook(current_user, plan, io.BytesIO(data))
    except ValidationError as refusal:
        form.file.errors = [refusal.message]
        return _page(plan, form, status=422)
    confirm = None
    if preview.ok:
        exchange.drop_upload((session.get(_PENDING) or {}).get("token"))
        token = exchange.keep_upload(data)
        session[_PENDING] = {"token": token, "plan": plan.id, "user": current_user.id}
        confirm = ConfirmForm(token=token)
    return _page(plan, form, preview=preview, confirm=confirm, status=200 if preview.ok else 422)


@bp.route("/plans/<int:plan_id>/import/confirmer", methods=["POST"])
def confirm_import(plan_id: int):
    plan = service.get_plan(current_user, plan_id, "manage")
    form = ConfirmForm()
    pending = session.get(_PENDING) or {}
    token = form.token.data
    data = None
    if form.validate_on_submit() and pending == {"token": token, "plan": plan.id, "user": current_user.id}:
        data = exchange.kept_upload(token)
    if data is None:
        flash(_("Ce fichier n'est plus disponible (une demi-heure au plus après son aperçu) : déposez-le de nouveau."),
              "error")
        return redirect(url_for(".import_plan", plan_id=plan.id))
    imported, refused = run_work(lambda: exchange.import_rows(
        current_user, plan, exchange.read_workbook(current_user, plan, io.BytesIO(data))))
    exchange.drop_upload(token)
    session.pop(_PENDING, None)
    if refused is not None:
        return _page(plan, ImportForm(), refused=[str(m) for m in refused.fields.values()] or [refused.message],
                     status=refused.status)
    flash(_("Import terminé : %(actions)d action(s) et %(objectives)d nouvel(s) objectif(s) créés.",
            actions=imported.actions, objectives=imported.objectives), "success")
    return redirect(plan_url(plan))


@bp.route("/plans/<int:plan_id>/export.<any(xlsx, pdf):fmt>")
def export(plan_id: int, fmt: str):
    plan = service.get_plan(current_user, plan_id, "read")
    body = files.to_xlsx(current_user, plan) if fmt == "xlsx" else files.to_pdf(current_user, plan)
    name = f"plan-{plan.id}-{utcnow():%Y-%m-%d}.{fmt}"
    return Response(body, content_type=_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store"})
