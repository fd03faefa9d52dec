"""Controlled documents: identity and roles, the circuit of a version (checking, approval, in force),
withdrawal, and the lock « en modification ». Permission checks go through rse.documents.access.

Every decision is a CircuitDecision row (who, when, the comment, the sha256 of the bytes decided on)
and an audit entry. A circuit is closed once (approved, returned, cancelled) and never reopened: a
version sent back is submitted again in a new circuit, so no earlier decision is ever lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select

from rse import audit, permissions, signals
from rse.accounts.models import User
from rse.communities.models import Community
from rse.database import db
from rse.dbtypes import utcnow
from rse.errors import Conflict, ValidationError
from rse.i18n import local_day, local_today
from rse.validation import clean_text

from ..models import Document, DocumentVersion
from .models import Circuit, CircuitDecision, CircuitRole, ControlledDocument, ControlRole, DocType, Stage, Status

# Keyed by str: the enums are StrEnums, and forms and URLs hand in their plain values.
TYPE_LABELS: dict[str, LazyString] = {
    DocType.PROTOCOL: _l("Protocole"), DocType.PROCEDURE: _l("Procédure"),
    DocType.INSTRUCTION: _l("Mode opératoire"), DocType.FORM: _l("Formulaire"),
    DocType.RECORD: _l("Enregistrement"), DocType.OTHER: _l("Autre"),
}
# The middle part of a suggested code: HYG-PRO-012.
TYPE_CODES: dict[str, str] = {DocType.PROTOCOL: "PRO", DocType.PROCEDURE: "PRC", DocType.INSTRUCTION: "MO",
              DocType.FORM: "FOR", DocType.RECORD: "ENR", DocType.OTHER: "DOC"}
ROLE_LABELS = {CircuitRole.WRITER: _l("Rédaction"), CircuitRole.CHECKER: _l("Vérification"),
               CircuitRole.APPROVER: _l("Approbation")}
STAGE_LABELS: dict[str, LazyString] = {Stage.CHECKING: _l("En vérification"), Stage.APPROVAL: _l("En approbation"),
                Stage.APPROVED: _l("Approuvée"), Stage.RETURNED: _l("Renvoyée en rédaction"),
                Stage.CANCELLED: _l("Circuit annulé")}
STATUS_LABELS: dict[str, LazyString] = {Status.DRAFT: _l("En rédaction"), Status.IN_FORCE: _l("En vigueur"),
                                        Status.WITHDRAWN: _l("Retiré")}
LOCK_HOURS = (4, 24, 72, 168)
CODE_PATTERN = re.compile(r"[A-Z0-9](?:[A-Z0-9._-]{0,38}[A-Z0-9])?")
MAX_APPLIES_TO = 30


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 January + 1 month: 28 or 29 February)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --- Reading ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class State:
    """What a page says about a controlled document: one label, and the facts behind it."""

    status: str
    stage: str | None          # the open circuit's stage, if any
    label: str
    overdue: bool              # « révision dépassée »


def state(document: Document, today: date | None = None) -> State:
    circuit = open_circuit(document)
    return describe(document, control_of(document), circuit.stage if circuit else None, today or local_today())


def describe(document: Document, control: ControlledDocument, stage: str | None, today: date) -> State:
    """The state of a controlled document whose open circuit (if any) is at `stage`."""
    overdue = (control.status == Status.IN_FORCE and document.review_by is not None and document.review_by <= today)
    if control.status == Status.DRAFT:
        label = str(STAGE_LABELS[stage]) if stage else str(_l("En rédaction"))
    else:
        label = str(STATUS_LABELS[control.status])
    return State(status=control.status, stage=stage, label=label, overdue=overdue)


def control_of(document: Document) -> ControlledDocument:
    """The control of a document the caller knows to be controlled (the steps' rules refuse the others)."""
    if document.control is None:
        raise LookupError(f"document {document.id} is not controlled")
    return document.control


def open_circuit(document: Document) -> Circuit | None:
    return db.session.scalar(select(Circuit).where(Circuit.document_id == document.id, Circuit.closed_at.is_(None)))


def circuits(actor: User, document: Document) -> list[tuple[Circuit, list[CircuitDecision]]]:
    """Every circuit of the document, newest first, with its decisions: for the people in the circuit."""
    permissions.require(actor, "read_drafts", document)
    rows = list(db.session.scalars(select(Circuit).where(Circuit.document_id == document.id)
                                   .order_by(Circuit.id.desc())))
    decisions: dict[int, list[CircuitDecision]] = {c.id: [] for c in rows}
    for decision in db.session.scalars(select(CircuitDecision).where(CircuitDecision.document_id == document.id)
                                       .order_by(CircuitDecision.id)):
        decisions[decision.circuit_id].append(decision)
    return [(c, decisions[c.id]) for c in rows]


def approvers_of(document: Document, number: int | None) -> list[User]:
    """Who approved the version in force (named on its banner, seen by every reader)."""
    if number is None:
        return []
    circuit_id = db.session.scalar(select(Circuit.id).where(
        Circuit.document_id == document.id, Circuit.version_number == number, Circuit.stage == Stage.APPROVED)
        .order_by(Circuit.id.desc()).limit(1))
    if circuit_id is None:
        return []
    return list(db.session.scalars(select(User).join(CircuitDecision, CircuitDecision.user_id == User.id).where(
        CircuitDecision.circuit_id == circuit_id, CircuitDecision.stage == Stage.APPROVAL,
        CircuitDecision.verdict == "approve").order_by(CircuitDecision.id)))


def people(document: Document, role: str) -> list[User]:
    ids = document.control.people(role) if document.control else set()
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name, User.id)))


def visible_people(actor: User, users) -> list[User]:
    """The people among `users` the actor may see, in the same order."""
    users = [u for u in users if u is not None]
    if not users:
        return []
    seen = set(db.session.scalars(select(User.id).where(User.id.in_({u.id for u in users}),
                                                        permissions.visible(actor, User))))
    return [u for u in users if u.id in seen]


def role_choices(actor: User, community: Community) -> list[User]:
    """The people who may be named in a circuit: those who can read the space, the actor may see."""
    permissions.require(actor, "read", community)
    return list(db.session.scalars(select(User).where(
        permissions.readers(community), permissions.visible(actor, User)).order_by(User.name, User.id)))


def suggested_code(community: Community, doc_type: str) -> str:
    """The next code of the space's rule: its prefix, the type's part, the next free number."""
    prefix = code_prefix(community)
    stem = f"{prefix}-{TYPE_CODES.get(doc_type, 'DOC')}-"
    used = db.session.scalars(select(ControlledDocument.code_key).where(ControlledDocument.code_key.like(f"{stem}%")))
    numbers = [int(code[len(stem):]) for code in used if code[len(stem):].isdigit()]
    return f"{stem}{max(numbers, default=0) + 1:03d}"


def code_prefix(community: Community) -> str:
    """The space's prefix: the one its documents already use, else the first letters of its name."""
    last = db.session.scalar(select(ControlledDocument.code).where(ControlledDocument.community_id == community.id)
                             .order_by(ControlledDocument.created_at.desc()).limit(1))
    if last and "-" in last:
        return last.split("-", 1)[0]
    import unicodedata

    letters = "".join(ch for ch in unicodedata.normalize("NFKD", community.name).upper() if "A" <= ch <= "Z")
    return (letters[:3] or "DOC")


# --- Identity and roles -------------------------------------------------------------------------

def _clean_code(value) -> str:
    code = clean_text(value, "code", max_length=40, required=True).upper()
    if not CODE_PATTERN.fullmatch(code):
        raise ValidationError(fields={"code": _(
            "Un code s'écrit en lettres majuscules, chiffres et tirets, par exemple HYG-PRO-012.")})
    return code


def _clean_people(document: Document, data: dict, field: str) -> set[int]:
    raw = data.get(field) or []
    if not isinstance(raw, list | tuple | set):
        raise ValidationError(fields={field: _("Liste de personnes attendue.")})
    ids: set[int] = set()
    for value in raw:
        try:
            ids.add(int(value))
        except (TypeError, ValueError):
            raise ValidationError(fields={field: _("Personne inconnue.")}) from None
    if not ids:
        return ids
    known = set(db.session.scalars(select(User.id).where(User.id.in_([i for i in ids if 0 < i < 2**31]),
                                                         permissions.readers(document.community))))
    if known != ids:
        raise ValidationError(fields={field: _(
            "Seules les personnes qui ont accès à l'espace peuvent avoir un rôle dans le circuit.")})
    return ids


def _clean_identity(document: Document, data: dict, control: ControlledDocument | None) -> dict:
    errors: dict[str, str] = {}
    cleaned: dict = {}

    def field(name, clean):
        try:
            cleaned[name] = clean()
        except ValidationError as exc:
            errors.update(exc.fields or {name: exc.message})

    field("code", lambda: _clean_code(data.get("code")))
    doc_type = data.get("doc_type") or DocType.PROTOCOL
    if doc_type not in set(DocType):
        errors["doc_type"] = _("Type de document inconnu.")
    cleaned["doc_type"] = doc_type
    rule = data.get("approval_rule") or "all"
    if rule not in {"all", "any"}:
        errors["approval_rule"] = _("Choisissez « toutes les approbations » ou « une seule ».")
    cleaned["approval_rule"] = rule
    try:
        months = int(data.get("review_months") or 24)
        if not 1 <= months <= 120:
            raise ValueError
        cleaned["review_months"] = months
    except (TypeError, ValueError):
        errors["review_months"] = _("Une durée entre 1 et 120 mois.")
    places = data.get("applies_to") or []
    if isinstance(places, str):
        places = places.split(",")
    if not isinstance(places, list | tuple):
        errors["applies_to"] = _("Liste d'établissements ou de sites attendue.")
        places = []
    cleaned_places: list[str] = []
    for place in places:
        try:
            text = clean_text(place, "applies_to", max_length=120)
        except ValidationError as exc:
            errors.update(exc.fields or {})
            continue
        if text and text.casefold() not in {p.casefold() for p in cleaned_places}:
            cleaned_places.append(text)
    if len(cleaned_places) > MAX_APPLIES_TO:
        errors["applies_to"] = _("Au plus %(n)d établissements ou sites.", n=MAX_APPLIES_TO)
    cleaned["applies_to"] = cleaned_places
    for name in ("writers", "checkers", "approvers"):
        field(name, lambda name=name: _clean_people(document, data, name))
    if not errors:
        if not cleaned["writers"]:
            errors["writers"] = _("Nommez au moins une personne à la rédaction.")
        if not cleaned["approvers"]:
            errors["approvers"] = _("Nommez au moins une personne à l'approbation.")
    if "code" in cleaned:
        clash = db.session.scalar(select(ControlledDocument.document_id).where(
            ControlledDocument.code_key == cleaned["code"]))
        if clash is not None and clash != document.id:
            # Said the same whether or not the actor may read that document: the code is taken.
            errors["code"] = _("Ce code est déjà attribué à un autre document maîtrisé.")
    if errors:
        raise ValidationError(fields=errors)
    return cleaned


def set_control(actor: User, document: Document, data: dict) -> ControlledDocument:
    """Make a document controlled, or change its identity and roles."""
    permissions.require(actor, "control", document)
    control = document.control
    cleaned = _clean_identity(document, data, control)
    created = control is None
    if control is None:
        control = ControlledDocument(document_id=document.id, community_id=document.community_id,
                                     status=Status.DRAFT)
        db.session.add(control)
    before = {r.role + ":" + str(r.user_id) for r in control.roles}
    control.code, control.code_key = cleaned["code"], cleaned["code"]
    control.doc_type, control.approval_rule = cleaned["doc_type"], cleaned["approval_rule"]
    control.review_months, control.applies_to = cleaned["review_months"], cleaned["applies_to"]
    wanted = {(role, uid) for role, key in ((CircuitRole.WRITER, "writers"), (CircuitRole.CHECKER, "checkers"),
                                             (CircuitRole.APPROVER, "approvers")) for uid in cleaned[key]}
    control.roles[:] = [r for r in control.roles if (r.role, r.user_id) in wanted]
    have = {(r.role, r.user_id) for r in control.roles}
    for role, uid in sorted(wanted - have):
        control.roles.append(ControlRole(document_id=document.id, user_id=uid, role=role))
    document.updated_at = utcnow()
    db.session.flush()
    db.session.expire(document, ["control"])
    after = {r.role + ":" + str(r.user_id) for r in control.roles}
    details = {"community_id": document.community_id, "code": control.code, "type": control.doc_type,
               "roles_added": sorted(after - before), "roles_removed": sorted(before - after)}
    if created:
        audit.record("document.controlled", actor=actor, target=document, details=details)
    else:
        audit.record("document.control_changed", actor=actor, target=document, details=details)
    signals.document_changed.send(document, actor=actor)
    return control


# --- The circuit --------------------------------------------------------------------------------

def _locked_circuit(document: Document) -> Circuit | None:
    """The open circuit, read under a row lock (PostgreSQL; SQLite serialises writers itself) and
    fresh from the database, so that two people deciding at once are counted one after the other."""
    circuit_id = db.session.scalar(select(Circuit.id).where(
        Circuit.document_id == document.id, Circuit.closed_at.is_(None)))
    if circuit_id is None:
        return None
    return db.session.scalar(select(Circuit).where(Circuit.id == circuit_id).with_for_update()
                             .execution_options(populate_existing=True))


def _version(document: Document, number: int) -> DocumentVersion:
    return db.session.scalars(select(DocumentVersion).where(
        DocumentVersion.document_id == document.id, DocumentVersion.number == number)).one()


def latest_number(document: Document) -> int:
    return db.session.scalar(select(func.max(DocumentVersion.number)).where(
        DocumentVersion.document_id == document.id)) or 0


def submit(actor: User, document: Document, *, renewal: bool = False, note: str = "") -> Circuit:
    """Send the latest version (or, for a renewal, the version in force as it is) into the circuit."""
    permissions.require(actor, "submit", document)
    control = control_of(document)
    note = clean_text(note, "note", max_length=2000, multiline=True)
    # The lock comes first: of two submissions at once, the second sees the first's circuit.
    db.session.execute(select(ControlledDocument.document_id).where(
        ControlledDocument.document_id == document.id).with_for_update())
    if _locked_circuit(document) is not None:
        raise Conflict(_("Une version de ce document est déjà dans le circuit."), code="circuit_open")
    if control.status == Status.WITHDRAWN:
        raise Conflict(_("Ce document est retiré : il ne peut plus être soumis."), code="withdrawn")
    if renewal:
        if control.status != Status.IN_FORCE or control.in_force_number is None:
            raise Conflict(_("Seul un document en vigueur peut être reconduit sans modification."),
                           code="not_in_force")
        number = control.in_force_number
    else:
        number = latest_number(document)
        if control.in_force_number is not None and number <= control.in_force_number:
            raise Conflict(_("Déposez d'abord une nouvelle version, ou reconduisez la version en vigueur "
                             "sans modification."), code="nothing_to_submit")
    if not control.people(CircuitRole.APPROVER):
        raise Conflict(_("Nommez au moins une personne à l'approbation avant de soumettre."), code="no_approver")
    version = _version(document, number)
    stage = Stage.CHECKING if control.people(CircuitRole.CHECKER) else Stage.APPROVAL
    circuit = Circuit(document_id=document.id, version_number=number, sha256=version.blob_sha256,
                      renewal=renewal, stage=stage, note=note, submitted_by_id=actor.id)
    db.session.add(circuit)
    db.session.flush()
    audit.record("document.submitted", actor=actor, target=document,
                 details={"community_id": document.community_id, "version": number, "sha256": circuit.sha256,
                          "renewal": renewal, "stage": stage})
    _announce(document, _AWAITING[stage], actor, circuit, _deciders(control, stage))
    return circuit


_AWAITING = {Stage.CHECKING: "to_check", Stage.APPROVAL: "to_approve"}


def _deciders(control: ControlledDocument, stage: str) -> set[int]:
    return control.people(CircuitRole.CHECKER if stage == Stage.CHECKING else CircuitRole.APPROVER)


def decide(actor: User, document: Document, *, verdict: str, sha256: str, comment: str = "",
           effective: date | None = None) -> Circuit:
    """A checker's or an approver's decision on the version in the circuit, on the bytes they saw."""
    permissions.require(actor, "read_drafts", document)
    if verdict not in {"approve", "return"}:
        raise ValidationError(fields={"verdict": _("Approuver ou renvoyer en rédaction.")})
    comment = clean_text(comment, "comment", max_length=4000, multiline=True)
    if verdict == "return" and not comment:
        raise ValidationError(fields={"comment": _("Dites ce qui doit être repris.")})
    circuit = _locked_circuit(document)
    if circuit is None:
        raise Conflict(_("Aucune version de ce document n'attend de décision."), code="no_circuit")
    control = control_of(document)
    db.session.refresh(control)
    step = "check" if circuit.stage == Stage.CHECKING else "approve"
    permissions.require(actor, step, document)
    if not isinstance(sha256, str) or sha256 != circuit.sha256:
        raise Conflict(_("La version soumise a changé depuis que vous l'avez ouverte : relisez-la avant de "
                         "décider."), code="changed_since_submission")
    if db.session.scalar(select(CircuitDecision.id).where(
            CircuitDecision.circuit_id == circuit.id, CircuitDecision.stage == circuit.stage,
            CircuitDecision.user_id == actor.id)) is not None:
        raise Conflict(_("Vous avez déjà donné votre décision sur cette version."), code="already_decided")
    if effective is not None and effective < local_today():
        raise ValidationError(fields={"effective": _("La date d'effet ne peut pas être passée.")})
    decision = CircuitDecision(circuit_id=circuit.id, document_id=document.id, version_number=circuit.version_number,
                               stage=circuit.stage, user_id=actor.id, verdict=verdict, comment=comment,
                               sha256=circuit.sha256)
    db.session.add(decision)
    db.session.flush()
    details = {"community_id": document.community_id, "version": circuit.version_number,
               "sha256": circuit.sha256, "verdict": verdict, "comment": comment[:500]}
    if circuit.stage == Stage.CHECKING:
        audit.record("document.checked", actor=actor, target=document, details=details)
    else:
        audit.record("document.approved", actor=actor, target=document, details=details)
    if verdict == "return":
        _close(circuit, Stage.RETURNED)
        _announce(document, "returned", actor, circuit, control.people(CircuitRole.WRITER))
        return circuit
    if not _stage_complete(control, circuit):
        return circuit
    if circuit.stage == Stage.CHECKING:
        circuit.stage = Stage.APPROVAL
        db.session.flush()
        _announce(document, _AWAITING[Stage.APPROVAL], actor, circuit, _deciders(control, Stage.APPROVAL))
        return circuit
    _close(circuit, Stage.APPROVED)
    _bring_into_force(actor, document, circuit, effective or local_today())
    return circuit


def _stage_complete(control: ControlledDocument, circuit: Circuit) -> bool:
    approved = set(db.session.scalars(select(CircuitDecision.user_id).where(
        CircuitDecision.circuit_id == circuit.id, CircuitDecision.stage == circuit.stage,
        CircuitDecision.verdict == "approve")))
    needed = _deciders(control, circuit.stage)
    if circuit.stage == Stage.APPROVAL and control.approval_rule == "any":
        return bool(approved & needed)
    return needed <= approved


def _close(circuit: Circuit, stage: str) -> None:
    circuit.stage, circuit.closed_at = stage, utcnow()
    db.session.flush()


def _bring_into_force(actor: User, document: Document, circuit: Circuit, effective: date) -> None:
    control = control_of(document)
    previous = control.in_force_number
    control.status, control.in_force_number, control.effective_date = Status.IN_FORCE, circuit.version_number, effective
    control.withdrawn_at = None
    document.current_number = circuit.version_number
    document.review_by = add_months(effective, control.review_months)
    document.updated_at = utcnow()
    control.locked_by_id = control.locked_at = control.lock_expires_at = None
    db.session.flush()
    audit.record("document.in_force", actor=actor, target=document,
                 details={"community_id": document.community_id, "version": circuit.version_number,
                          "sha256": circuit.sha256, "previous": previous, "renewal": circuit.renewal,
                          "effective": effective.isoformat(), "review_by": document.review_by.isoformat()})
    signals.document_changed.send(document, actor=actor)
    _announce(document, "in_force", actor, circuit, control.circuit)


def withdraw(actor: User, document: Document, comment: str) -> None:
    permissions.require(actor, "withdraw", document)
    comment = clean_text(comment, "comment", max_length=2000, multiline=True, required=True)
    control = control_of(document)
    if control.status != Status.IN_FORCE:
        raise Conflict(_("Seul un document en vigueur peut être retiré."), code="not_in_force")
    circuit = _locked_circuit(document)
    if circuit is not None:
        _close(circuit, Stage.CANCELLED)
    control.status, control.withdrawn_at = Status.WITHDRAWN, utcnow()
    document.updated_at = utcnow()
    db.session.flush()
    audit.record("document.withdrawn", actor=actor, target=document,
                 details={"community_id": document.community_id, "version": control.in_force_number,
                          "comment": comment[:500]})
    signals.document_changed.send(document, actor=actor)


def version_added(document: Document, version: DocumentVersion) -> None:
    """A new version of a controlled document is a draft: it cancels the circuit of an older one
    (whose deciders saw other bytes) and releases the lock."""
    control = control_of(document)
    circuit = _locked_circuit(document)
    if circuit is not None and circuit.version_number < version.number:
        _close(circuit, Stage.CANCELLED)
    control.locked_by_id = control.locked_at = control.lock_expires_at = None


def _announce(document: Document, event: str, actor: User, circuit: Circuit, user_ids: set[int]) -> None:
    signals.controlled_document_event.send(document, event=event, actor=actor, version=circuit.version_number,
                                           user_ids=set(user_ids))


# --- The lock « en modification » ---------------------------------------------------------------

def lock(actor: User, document: Document, hours: int = 24) -> ControlledDocument:
    permissions.require(actor, "lock", document)
    if hours not in LOCK_HOURS:
        raise ValidationError(fields={"hours": _("Durée de réservation inconnue.")})
    db.session.execute(select(ControlledDocument.document_id).where(
        ControlledDocument.document_id == document.id).with_for_update())
    control = control_of(document)
    db.session.refresh(control)
    now = utcnow()
    holder = control.lock_holder(now)
    if holder is not None and holder != actor.id:
        raise Conflict(_("Ce document est déjà en modification par quelqu'un d'autre."), code="locked")
    control.locked_by_id, control.locked_at = actor.id, (control.locked_at if holder == actor.id else now)
    control.lock_expires_at = now + timedelta(hours=hours)
    db.session.flush()
    audit.record("document.locked", actor=actor, target=document,
                 details={"community_id": document.community_id, "hours": hours})
    return control


def unlock(actor: User, document: Document) -> None:
    control = document.control
    if control is None:
        permissions.require(actor, "unlock", document)
        return
    holder = control.lock_holder(utcnow())
    if holder is None:
        permissions.require(actor, "read", document)
        raise Conflict(_("Ce document n'est pas en modification."), code="not_locked")
    if holder != actor.id:
        permissions.require(actor, "unlock", document)
    previous = control.locked_by_id
    control.locked_by_id = control.locked_at = control.lock_expires_at = None
    db.session.flush()
    audit.record("document.unlocked", actor=actor, target=document,
                 details={"community_id": document.community_id, "holder": previous, "broken": holder != actor.id})


# --- Stamped copies -----------------------------------------------------------------------------

def stamp_for(actor: User, document: Document, version: DocumentVersion, *, original: bool = False):
    """The footer a download of this PDF version carries (None: the bytes as stored).

    Every version that came into force is stamped with its code, number and effective date; the
    unstamped original goes only to the people of the circuit who ask for it. Drafts are not in
    force and carry no stamp (only the circuit sees them).
    """
    from ..stamping import Stamp

    control = document.control
    if control is None or version.content_type != "application/pdf":
        return None
    if original and permissions.can(actor, "download_original", document):
        return None
    if version.number == control.in_force_number:
        effective = control.effective_date
    else:
        closed = db.session.scalar(select(Circuit.closed_at).where(
            Circuit.document_id == document.id, Circuit.version_number == version.number,
            Circuit.stage == Stage.APPROVED).order_by(Circuit.id.desc()).limit(1))
        if closed is None:
            return None
        effective = local_day(closed)  # the day where the users are
    return Stamp(code=control.code, version=version.number, effective=effective or local_today(),
                 notice=_("Document non maîtrisé une fois imprimé"))
