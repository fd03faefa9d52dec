"""Pages of controlled documents: identity and roles, the circuit's buttons, the lock, mandatory
reading, and the register of a space or of the whole group (with its XLSX and PDF exports)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from rse import permissions
from rse.communities import service as communities
from rse.dbtypes import utcnow
from rse.forms import ActionForm, error_text, run_and_flash, run_work

from .. import service as documents
from . import reading, register
from . import service as controlled
from .models import CircuitRole, DocType, Stage, Status

bp = Blueprint("controlled", __name__)


@dataclass
class Panel:
    """What the document page shows of a controlled document, for the one reading it."""

    state: controlled.State
    code: str
    type_label: str
    approvers: list
    circuit: object | None            # the open circuit, for the people in it
    awaiting_me: str | None           # "check" or "approve" when it is the reader's turn
    decided: bool
    lock_holder: object | None
    lock_expires: object | None
    reading_pending: bool
    report: reading.Report | None
    history: list
    roles: dict


def panel(actor, document) -> Panel | None:
    """The control banner and panel of a document page (None for an ordinary document)."""
    control = document.control
    if control is None:
        return None
    in_circuit = permissions.can(actor, "read_drafts", document)
    history = controlled.circuits(actor, document) if in_circuit else []
    circuit = history[0][0] if history and history[0][0].is_open else None
    awaiting, decided = None, False
    if circuit is not None:
        step = "check" if circuit.stage == Stage.CHECKING else "approve"
        if permissions.can(actor, step, document):
            awaiting = step
            decided = any(d.user_id == actor.id and d.stage == circuit.stage for d in history[0][1])
    holder_id = control.lock_holder(utcnow())
    return Panel(
        state=controlled.state(document), code=control.code,
        type_label=str(controlled.TYPE_LABELS[control.doc_type]),
        approvers=controlled.approvers_of(document, control.in_force_number), circuit=circuit,
        awaiting_me=awaiting, decided=decided,
        lock_holder=control.locked_by if holder_id else None,
        lock_expires=control.lock_expires_at if holder_id else None,
        reading_pending=reading.is_pending(actor, document),
        report=reading.report(actor, document) if permissions.can(actor, "reading_report", document) else None,
        history=history,
        roles={role: controlled.people(document, role) for role in CircuitRole})


def _back(document_id: int, anchor: str = "") -> WerkzeugResponse:
    return redirect(url_for("documents.show", document_id=document_id) + anchor)


def _people(field: str) -> list[str]:
    return request.form.getlist(field)


@bp.route("/documents/<int:document_id>/maitrise", methods=["GET", "POST"])
def identity(document_id: int):
    """Make a document controlled, or change its code, type, scope and roles."""
    document = documents.get_document(current_user, document_id)
    permissions.require(current_user, "control", document)
    control = document.control
    errors: dict = {}
    status = 200
    if request.method == "POST":
        data: dict[str, object] = {"code": request.form.get("code"), "doc_type": request.form.get("doc_type"),
                "applies_to": request.form.get("applies_to", "").split(","),
                "approval_rule": request.form.get("approval_rule"), "review_months": request.form.get("review_months"),
                "writers": _people("writers"), "checkers": _people("checkers"), "approvers": _people("approvers")}
        if not ActionForm().validate_on_submit():
            errors = {"": _("Le formulaire a expiré. Rechargez la page et réessayez.")}
            status = 400
        else:
            result, refused = run_work(lambda: controlled.set_control(current_user, document, data))
            if refused is None:
                flash(_("Document maîtrisé enregistré : %(code)s.", code=result.code), "success")
                return _back(document.id)
            errors = dict(refused.fields or {"": error_text(refused)})
            status = refused.status
        values = data
    else:
        values = {
            "code": control.code if control else controlled.suggested_code(document.community, DocType.PROTOCOL),
            "doc_type": control.doc_type if control else DocType.PROTOCOL,
            "applies_to": control.applies_to if control else [],
            "approval_rule": control.approval_rule if control else "all",
            "review_months": control.review_months if control else 24,
            "writers": [str(i) for i in control.people(CircuitRole.WRITER)] if control else [str(current_user.id)],
            "checkers": [str(i) for i in control.people(CircuitRole.CHECKER)] if control else [],
            "approvers": [str(i) for i in control.people(CircuitRole.APPROVER)] if control else []}
    return render_template(
        "documents/controlled/identity.html", document=document, community=document.community, control=control,
        values=values, errors=errors, action_form=ActionForm(), type_labels=controlled.TYPE_LABELS,
        people=controlled.role_choices(current_user, document.community)), status


@bp.route("/documents/<int:document_id>/circuit", methods=["POST"])
def submit(document_id: int):
    document = documents.get_document(current_user, document_id)
    if ActionForm().validate_on_submit():
        renewal = request.form.get("renewal") == "1"
        circuit = run_and_flash(lambda: controlled.submit(current_user, document, renewal=renewal,
                                                          note=request.form.get("note", "")))
        if circuit is not None:
            flash(_("Version %(num)d soumise : %(stage)s.", num=circuit.version_number,
                    stage=controlled.STAGE_LABELS[circuit.stage]), "success")
    return _back(document.id, "#circuit")


@bp.route("/documents/<int:document_id>/circuit/decision", methods=["POST"])
def decide(document_id: int):
    document = documents.get_document(current_user, document_id)
    if ActionForm().validate_on_submit():
        effective = request.form.get("effective") or None
        try:
            effective_day = date.fromisoformat(effective) if effective else None
        except ValueError:
            flash(_("Date d'effet attendue au format AAAA-MM-JJ."), "error")
            return _back(document.id, "#circuit")
        verdict = request.form.get("verdict", "")
        circuit = run_and_flash(lambda: controlled.decide(
            current_user, document, verdict=verdict, sha256=request.form.get("sha256", ""),
            comment=request.form.get("comment", ""), effective=effective_day))
        if circuit is not None:
            flash(_("Version renvoyée en rédaction.") if verdict == "return" else
                  _("Version %(num)d en vigueur.", num=circuit.version_number) if circuit.stage == Stage.APPROVED
                  else _("Décision enregistrée."), "success")
    return _back(document.id, "#circuit")


@bp.route("/documents/<int:document_id>/retrait", methods=["POST"])
def withdraw(document_id: int):
    document = documents.get_document(current_user, document_id)
    if ActionForm().validate_on_submit():
        run_and_flash(lambda: controlled.withdraw(current_user, document, request.form.get("comment", "")),
                      success=_("Document retiré."))
    return _back(document.id)


@bp.route("/documents/<int:document_id>/reservation", methods=["POST"])
def lock(document_id: int):
    document = documents.get_document(current_user, document_id)
    if ActionForm().validate_on_submit():
        if request.form.get("release") == "1":
            run_and_flash(lambda: controlled.unlock(current_user, document), success=_("Modification libérée."))
        else:
            hours = request.form.get("hours", "24")
            run_and_flash(lambda: controlled.lock(current_user, document, int(hours) if hours.isdigit() else 0),
                          success=_("Document pris en modification."))
    return _back(document.id)


@bp.route("/documents/<int:document_id>/lecture", methods=["GET", "POST"])
def require_reading(document_id: int):
    document = documents.get_document(current_user, document_id)
    choices = reading.target_choices(current_user, document)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        data = {"communities": request.form.getlist("communities"),
                "establishments": request.form.getlist("establishments"), "people": request.form.getlist("people")}
        if ActionForm().validate_on_submit():
            _campaign, refused = run_work(lambda: reading.require_reading(current_user, document, data))
            if refused is None:
                flash(_("Lecture demandée : les personnes concernées sont prévenues."), "success")
                return _back(document.id, "#lecture")
            errors, status = dict(refused.fields or {"": error_text(refused)}), refused.status
    return render_template("documents/controlled/reading.html", document=document, community=document.community,
                           choices=choices, errors=errors, action_form=ActionForm()), status


@bp.route("/documents/<int:document_id>/lecture/confirmer", methods=["POST"])
def confirm_reading(document_id: int):
    document = documents.get_document(current_user, document_id)
    if ActionForm().validate_on_submit():
        run_and_flash(lambda: reading.confirm(current_user, document),
                      success=_("Merci : votre lecture est enregistrée."))
    return _back(document.id)


@bp.route("/documents/<int:document_id>/lecture/relancer", methods=["POST"])
def remind(document_id: int):
    document = documents.get_document(current_user, document_id)
    if ActionForm().validate_on_submit():
        counts = run_and_flash(lambda: reading.remind(current_user, document))
        if counts is not None:
            sent, skipped = counts
            flash(_("Relance envoyée à %(sent)d personne(s) ; %(skipped)d déjà relancée(s) cette semaine.",
                    sent=sent, skipped=skipped), "success")
    return _back(document.id, "#lecture")


# --- The register -------------------------------------------------------------------------------

def _register_args() -> dict:
    return {"state": request.args.get("etat") or None, "doc_type": request.args.get("type") or None,
            "q": (request.args.get("q") or "").strip() or None, "sort": request.args.get("tri") or "code"}


def _register_response(title: str, entries, community=None):
    fmt = request.args.get("format")
    if fmt in {"xlsx", "pdf"}:
        from .. import register_export as export

        data = register.export(title, entries, current_user, _register_args())
        body = export.to_xlsx(data) if fmt == "xlsx" else export.to_pdf(data)
        kind = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
                else "application/pdf")
        name = f"registre-{utcnow():%Y-%m-%d}.{fmt}"
        return Response(body, content_type=kind, headers={
            "Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store"})
    if fmt:
        abort(404)
    return render_template("documents/controlled/register.html", title=title, entries=entries, community=community,
                           args=_register_args(), type_labels=controlled.TYPE_LABELS,
                           states=register.STATE_FILTERS)


@bp.route("/espaces/<int:community_id>/registre")
def community_register(community_id: int):
    community = communities.get_community(current_user, community_id, "read")
    entries = register.rows(current_user, community, **_register_args())
    return _register_response(_("Registre des documents maîtrisés — %(space)s", space=community.name), entries,
                              community)


@bp.route("/registre")
def group_register():
    permissions.require(current_user, "register.read")
    entries = register.rows(current_user, None, **_register_args())
    return _register_response(_("Registre des documents maîtrisés du groupement"), entries)


__all__ = ["Status", "bp", "panel"]
