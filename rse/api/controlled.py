"""API: controlled documents (identity and roles, the circuit, withdrawal, the lock), mandatory reading
and the register."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

from flask import jsonify, request
from flask_babel import gettext as _

from rse import permissions
from rse.communities import service as communities
from rse.dbtypes import is_id, utcnow
from rse.documents import service as documents
from rse.documents.controlled import reading, register
from rse.documents.controlled import service as controlled
from rse.documents.controlled.models import DocType
from rse.errors import BadRequest, NotFound, ValidationError

from . import actor, bp, created, field, json_body
from .serializers import circuit_json, control_json, document_json, reading_report_json, register_entry_json

MAX_PEOPLE = 100   # named in one role, or asked to read by name
MAX_TARGETS = 100  # spaces or establishments asked to read
CONTROL_FIELDS = {"code", "doc_type", "applies_to", "approval_rule", "review_months", "writers", "checkers",
                  "approvers"}
# A code as the service keeps it, typed in any case (the service upper-cases it).
CODE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,38}[A-Za-z0-9])?")


def _controlled(document_id: int, action: str = "read"):
    """The controlled document, if the actor may `action` it; an ordinary one is a 404 not_controlled."""
    document = documents.get_document(actor(), document_id, action)
    if document.control is None:
        raise NotFound(_("Ce document n'est pas un document maîtrisé."), code="not_controlled")
    return document


def _only(data: dict, allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(fields={name: _("Champ inconnu.") for name in sorted(unknown)})


def _ids(data: dict, name: str, *, limit: int = MAX_PEOPLE) -> list[int]:
    """A list of ids of the body (absent: empty), each an id, or a 422 naming the field."""
    values = data.get(name)
    if values is None:
        return []
    if not isinstance(values, list) or len(values) > limit or any(
            isinstance(v, bool) or not isinstance(v, int) or not is_id(v) for v in values):
        raise ValidationError(fields={name: _("Liste d'identifiants attendue (au plus %(n)d).", n=limit)})
    return values


def _texts(data: dict, name: str, *, limit: int = MAX_TARGETS) -> list[str]:
    values = data.get(name)
    if values is None:
        return []
    if not isinstance(values, list) or len(values) > limit or any(not isinstance(v, str) for v in values):
        raise ValidationError(fields={name: _("Liste de textes attendue (au plus %(n)d).", n=limit)})
    return values


def _visible(users) -> list:
    """The people among `users` the caller may see, in the same order."""
    return controlled.visible_people(actor(), users)


def _control_payload(document) -> dict:
    control = document.control
    holder_id = control.lock_holder(utcnow())  # an expired lock is no lock
    holder = _visible([control.locked_by]) if holder_id is not None else []
    in_circuit = permissions.can(actor(), "read_drafts", document)
    people = {role + "s": _visible(controlled.people(document, role)) for role in ("writer", "checker", "approver")}
    return control_json(document, control, controlled.state(document), people=people,
                        approved_by=_visible(controlled.approvers_of(document, control.in_force_number)),
                        locked=holder_id is not None, lock_holder=holder[0] if holder else None,
                        latest_number=controlled.latest_number(document) if in_circuit else None)


# --- Identity and roles -----------------------------------------------------------------------------

@bp.get("/documents/<int:document_id>/control")
def get_control(document_id: int):
    return jsonify(_control_payload(_controlled(document_id)))


@bp.put("/documents/<int:document_id>/control")
def set_control(document_id: int):
    document = documents.get_document(actor(), document_id)
    data = json_body()
    _only(data, CONTROL_FIELDS)
    code = field(data, "code", str)
    if not CODE.fullmatch(code):
        raise ValidationError(fields={"code": _(
            "Un code s'écrit en lettres majuscules, chiffres et tirets, par exemple HYG-PRO-012.")})
    doc_type = field(data, "doc_type", str, required=False, default=DocType.PROTOCOL)
    rule = field(data, "approval_rule", str, required=False, default="all")
    months = field(data, "review_months", int, required=False, default=24)
    if not 1 <= months <= 120:
        raise ValidationError(fields={"review_months": _("Une durée entre 1 et 120 mois.")})
    cleaned = {"code": code, "doc_type": doc_type, "approval_rule": rule, "review_months": months,
               "applies_to": _texts(data, "applies_to", limit=controlled.MAX_APPLIES_TO),
               **{name: _ids(data, name) for name in ("writers", "checkers", "approvers")}}
    became = document.control is None
    controlled.set_control(actor(), document, cleaned)
    return created(_control_payload(document), 201 if became else 200)


@bp.get("/communities/<int:community_id>/control/next-code")
def next_code(community_id: int):
    community = communities.get_community(actor(), community_id, "contribute")
    doc_type = request.args.get("type", DocType.PROTOCOL)
    if doc_type not in set(DocType):
        raise BadRequest(_("Paramètre type invalide : protocol, procedure, instruction, form, record ou other."),
                         code="bad_parameter")
    return jsonify({"code": controlled.suggested_code(community, doc_type)})


# --- The circuit ----------------------------------------------------------------------------------------

@bp.post("/documents/<int:document_id>/circuit")
def submit(document_id: int):
    document = _controlled(document_id)
    data = json_body()
    _only(data, {"renewal", "note"})
    circuit = controlled.submit(actor(), document, renewal=field(data, "renewal", bool, required=False, default=False),
                                note=field(data, "note", str, required=False, default=""))
    return created(circuit_json(circuit, []))


@bp.post("/documents/<int:document_id>/circuit/decisions")
def decide(document_id: int):
    document = _controlled(document_id)
    data = json_body()
    _only(data, {"verdict", "sha256", "comment", "effective"})
    verdict = field(data, "verdict", str)
    sha256 = field(data, "sha256", str)
    comment = field(data, "comment", str, required=False, default="")
    effective = field(data, "effective", str, required=False)
    if effective is not None:
        try:
            effective = date.fromisoformat(effective) if re.fullmatch(r"\d{4}-\d\d-\d\d", effective) else None
        except ValueError:
            effective = None
        if effective is None:
            raise ValidationError(fields={"effective": _("Date attendue (2026-12-31).")})
    circuit = controlled.decide(actor(), document, verdict=verdict, sha256=sha256, comment=comment,
                                effective=effective)
    decisions = next((d for c, d in controlled.circuits(actor(), document) if c.id == circuit.id), [])
    return created(circuit_json(circuit, decisions))


@bp.get("/documents/<int:document_id>/circuits")
def list_circuits(document_id: int):
    document = _controlled(document_id)
    circuits = controlled.circuits(actor(), document)
    return jsonify({"items": [circuit_json(c, d) for c, d in circuits], "total": len(circuits)})


@bp.post("/documents/<int:document_id>/withdraw")
def withdraw(document_id: int):
    document = _controlled(document_id)
    data = json_body()
    _only(data, {"comment"})
    controlled.withdraw(actor(), document, field(data, "comment", str))
    return jsonify(_control_payload(document))


@bp.post("/documents/<int:document_id>/lock")
def lock(document_id: int):
    document = _controlled(document_id)
    data = request.get_json(silent=True, force=True) if request.get_data() else {}
    if not isinstance(data, dict):
        raise BadRequest(_("Le corps de la requête doit être un objet JSON."), code="malformed_json")
    _only(data, {"hours"})
    controlled.lock(actor(), document, field(data, "hours", int, required=False, default=24))
    return jsonify(_control_payload(document))


@bp.delete("/documents/<int:document_id>/lock")
def unlock(document_id: int):
    document = _controlled(document_id)
    controlled.unlock(actor(), document)
    return "", 204


# --- Mandatory reading --------------------------------------------------------------------------------

@bp.post("/documents/<int:document_id>/readings")
def require_reading(document_id: int):
    document = _controlled(document_id)
    data = json_body()
    _only(data, {"communities", "establishments", "people"})
    targets = {"communities": _ids(data, "communities", limit=MAX_TARGETS), "people": _ids(data, "people"),
               "establishments": _texts(data, "establishments")}
    campaign = reading.require_reading(actor(), document, targets)
    people = reading.people_asked(campaign)
    return created({"id": campaign.id, "version_number": campaign.version_number, "people": people,
                    "report": _report(document)})


def _report(document) -> dict:
    report = reading.report(actor(), document)
    if report is not None:
        report = dataclasses.replace(report, pending_people=_visible(report.pending_people))
    return reading_report_json(report)


@bp.get("/documents/<int:document_id>/readings")
def reading_report(document_id: int):
    return jsonify(_report(_controlled(document_id)))


@bp.post("/documents/<int:document_id>/readings/confirm")
def confirm_reading(document_id: int):
    document = _controlled(document_id)
    reading.confirm(actor(), document)
    return jsonify({"confirmed": True, "version_number": document.control.in_force_number})


@bp.post("/documents/<int:document_id>/readings/remind")
def remind_reading(document_id: int):
    sent, skipped = reading.remind(actor(), _controlled(document_id))
    return jsonify({"sent": sent, "skipped": skipped})


@bp.get("/me/readings")
def my_readings():
    pending = reading.pending(actor(), limit=100)
    return jsonify({"items": [document_json(d) for d in pending], "total": len(pending)})


# --- The register -------------------------------------------------------------------------------------

def _register_args() -> dict:
    # As sent: an empty state, type or sort is a value the API does not know (the pages' "all" is absent).
    return {"state": request.args.get("state"), "doc_type": request.args.get("type"),
            "q": request.args.get("q") or None, "sort": request.args.get("sort", "code")}


@bp.get("/communities/<int:community_id>/register")
def community_register(community_id: int):
    community = communities.get_community(actor(), community_id, "read")
    entries = register.rows(actor(), community, **_register_args())
    return jsonify({"items": [register_entry_json(e) for e in entries], "total": len(entries)})


@bp.get("/register")
def group_register():
    entries = register.rows(actor(), None, **_register_args())
    return jsonify({"items": [register_entry_json(e) for e in entries], "total": len(entries)})
