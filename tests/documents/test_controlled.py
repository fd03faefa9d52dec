"""Controlled documents: identity, the circuit from draft to in force, drafts hidden, the lock."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from rse import permissions
from rse.audit.models import AuditEntry
from rse.database import db as _db
from rse.documents import service as documents
from rse.documents.controlled import service as controlled
from rse.documents.controlled.models import Circuit, CircuitDecision, Stage, Status
from rse.errors import Conflict, NotFound, PermissionDenied, ValidationError
from rse.feeds.models import Activity, Notification
from rse.uploads import HashingSpool

from .samples import pdf_bytes


def _upload(app, content: bytes, name: str = "protocole.pdf") -> documents.Upload:
    spool = HashingSpool(app.config["UPLOAD_TMP"], app.config["MAX_UPLOAD_BYTES"])
    spool.write(content)
    spool.flush()
    return documents.Upload(spool, name)


@pytest.fixture
def hygiene(app, create_user, create_community, create_document):
    """A space with a writer, two checkers (one a partner), two approvers, a reader and an outsider,
    and a protocol controlled from its first version."""
    people = {name: create_user(role, name=name.title(), organisation=org) for name, role, org in (
        ("writer", "staff", "CH Nord"), ("checker", "staff", "CH Sud"), ("partner", "partner", "ARS"),
        ("approver", "staff", "CH Nord"), ("approver2", "staff", "CH Est"), ("reader", "staff", "CH Sud"),
        ("outsider", "staff", "CH Nord"))}
    space = create_community(people["writer"], name="Hygiène", members=[
        (people[n], "member") for n in ("checker", "partner", "approver", "approver2", "reader")])
    control = {"code": "HYG-PRO-012", "doc_type": "protocol", "applies_to": ["CH Nord", "CH Sud"],
               "writers": [people["writer"].id], "checkers": [people["checker"].id, people["partner"].id],
               "approvers": [people["approver"].id, people["approver2"].id], "approval_rule": "all"}
    document = create_document(space, people["writer"], title="Hygiène des mains", control=control,
                               content=pdf_bytes("brouillon un"))
    return document, people


def _walk_to_force(document, people):
    sha = documents.current_version(document).blob_sha256 if document.control.in_force_number is None else None
    circuit = controlled.submit(people["writer"], document)
    sha = circuit.sha256
    for who in ("checker", "partner"):
        controlled.decide(people[who], document, verdict="approve", sha256=sha)
    for who in ("approver", "approver2"):
        controlled.decide(people[who], document, verdict="approve", sha256=sha)
    _db.session.commit()
    return circuit


def test_a_protocol_goes_from_draft_to_in_force_and_its_readers_see_it_only_then(app, hygiene):
    document, people = hygiene
    reader, outsider = people["reader"], people["outsider"]
    assert document.control.status == Status.DRAFT
    # A draft never in force does not exist for its readers: 404, not 403.
    assert permissions.decide(reader, "read", document) is permissions.Decision.HIDDEN
    assert permissions.can(people["partner"], "read", document)  # a partner checker sees it
    assert _db.session.scalar(select(func.count(Activity.id)).where(Activity.document_id == document.id)) == 0
    circuit = controlled.submit(people["writer"], document)
    _db.session.commit()
    assert circuit.stage == Stage.CHECKING
    told = {n.user_id for n in _db.session.scalars(select(Notification).where(Notification.document_id == document.id))}
    assert told == {people["checker"].id, people["partner"].id}
    controlled.decide(people["checker"], document, verdict="approve", sha256=circuit.sha256)
    assert circuit.stage == Stage.CHECKING  # the partner has not decided yet
    controlled.decide(people["partner"], document, verdict="approve", sha256=circuit.sha256)
    assert circuit.stage == Stage.APPROVAL
    controlled.decide(people["approver"], document, verdict="approve", sha256=circuit.sha256)
    assert circuit.stage == Stage.APPROVAL  # "all" approvers
    controlled.decide(people["approver2"], document, verdict="approve", sha256=circuit.sha256)
    _db.session.commit()
    assert circuit.stage == Stage.APPROVED and document.control.status == Status.IN_FORCE
    assert document.control.in_force_number == 1 and document.review_by is not None
    assert permissions.can(reader, "read", document)
    assert permissions.decide(outsider, "read", document) is permissions.Decision.HIDDEN  # not in the space
    assert [u.name for u in controlled.approvers_of(document, 1)] == ["Approver", "Approver2"]
    verbs = _db.session.scalars(select(Activity.verb).where(Activity.document_id == document.id)).all()
    assert verbs == ["in_force"]
    decisions = _db.session.scalars(select(CircuitDecision).where(CircuitDecision.document_id == document.id)).all()
    assert len(decisions) == 4 and {d.sha256 for d in decisions} == {circuit.sha256}
    actions = set(_db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(document.id))))
    assert {"document.submitted", "document.checked", "document.approved", "document.in_force"} <= actions


def test_a_new_version_is_a_draft_while_the_approved_one_stays_in_force(app, hygiene):
    document, people = hygiene
    _walk_to_force(document, people)
    documents.add_version(people["writer"], document, _upload(app, pdf_bytes("brouillon deux")))
    _db.session.commit()
    assert document.current_number == 1  # readers keep version 1
    assert [v.number for v in documents.list_versions(people["reader"], document)] == [1]
    assert [v.number for v in documents.list_versions(people["checker"], document)] == [2, 1]
    with pytest.raises(NotFound):
        documents.get_version(people["reader"], document, 2)
    assert _db.session.scalar(select(func.count(Activity.id)).where(Activity.document_id == document.id)) == 1
    circuit = controlled.submit(people["writer"], document)
    controlled.decide(people["checker"], document, verdict="return", sha256=circuit.sha256, comment="Étape 3 floue")
    _db.session.commit()
    assert circuit.stage == Stage.RETURNED and document.control.in_force_number == 1
    # Sent back, then submitted again: a new circuit; the earlier decision is kept.
    again = controlled.submit(people["writer"], document)
    assert again.id != circuit.id
    _db.session.commit()
    assert _db.session.scalar(select(func.count(CircuitDecision.id)).where(
        CircuitDecision.circuit_id == circuit.id)) == 1


def test_refusals_change_nothing(app, hygiene, refused):
    document, people = hygiene
    decisions = lambda: _db.session.scalar(select(func.count(CircuitDecision.id)))  # noqa: E731
    refused(PermissionDenied, controlled.submit, people["checker"], document, unchanged=decisions)
    circuit = controlled.submit(people["writer"], document)
    _db.session.commit()
    refused(PermissionDenied, controlled.decide, people["approver"], document, verdict="approve",
            sha256=circuit.sha256, unchanged=decisions)  # not their stage
    error = refused(Conflict, controlled.decide, people["checker"], document, verdict="approve",
                    sha256="0" * 64, unchanged=decisions)
    assert error.code == "changed_since_submission"
    refused(ValidationError, controlled.decide, people["checker"], document, verdict="return",
            sha256=circuit.sha256, comment="", unchanged=decisions)
    controlled.decide(people["checker"], document, verdict="approve", sha256=circuit.sha256)
    _db.session.commit()
    error = refused(Conflict, controlled.decide, people["checker"], document, verdict="approve",
                    sha256=circuit.sha256, unchanged=decisions)
    assert error.code == "already_decided"
    refused(Conflict, controlled.submit, people["writer"], document, unchanged=decisions)


def test_a_code_already_used_is_a_clear_error(app, hygiene, create_document, refused):
    document, people = hygiene
    other = create_document(document.community, people["writer"], title="Autre")
    error = refused(ValidationError, controlled.set_control, people["writer"], other,
                    {"code": "hyg-pro-012", "writers": [people["writer"].id], "approvers": [people["approver"].id]})
    assert "déjà attribué" in error.fields["code"]
    assert other.control is None
    assert controlled.suggested_code(document.community, "protocol") == "HYG-PRO-013"


def test_an_approval_of_bytes_replaced_since_submission_is_refused(app, hygiene, refused):
    document, people = hygiene
    _walk_to_force(document, people)
    documents.add_version(people["writer"], document, _upload(app, pdf_bytes("v2")))
    circuit = controlled.submit(people["writer"], document)
    _db.session.commit()
    documents.add_version(people["writer"], document, _upload(app, pdf_bytes("v3")))
    _db.session.commit()
    assert circuit.stage == Stage.CANCELLED
    error = refused(Conflict, controlled.decide, people["checker"], document, verdict="approve", sha256=circuit.sha256)
    assert error.code == "no_circuit"


def test_two_approvers_deciding_at_once_both_count_once(app, hygiene):
    document, people = hygiene
    circuit = controlled.submit(people["writer"], document)
    for who in ("checker", "partner"):
        controlled.decide(people[who], document, verdict="approve", sha256=circuit.sha256)
    _db.session.commit()
    document_id, sha = document.id, circuit.sha256
    barrier, errors = threading.Barrier(2), []

    def approve(user_id):
        from rse.accounts.models import User
        from rse.documents.models import Document
        from rse.transactions import commit_with_retry

        with app.app_context():
            try:
                barrier.wait()
                commit_with_retry(lambda: controlled.decide(
                    _db.session.get(User, user_id), _db.session.get(Document, document_id),
                    verdict="approve", sha256=sha))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=approve, args=(people[n].id,)) for n in ("approver", "approver2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    _db.session.expire_all()
    rows = _db.session.scalars(select(CircuitDecision).where(CircuitDecision.circuit_id == circuit.id,
                                                             CircuitDecision.stage == Stage.APPROVAL)).all()
    assert sorted(r.user_id for r in rows) == sorted([people["approver"].id, people["approver2"].id])
    assert _db.session.get(Circuit, circuit.id).stage == Stage.APPROVED
    assert document.control.status == Status.IN_FORCE


def test_the_lock_is_seen_by_all_and_broken_by_an_animator(app, hygiene, refused):
    document, people = hygiene
    _walk_to_force(document, people)
    controlled.lock(people["writer"], document, 24)
    _db.session.commit()
    refused(PermissionDenied, controlled.lock, people["reader"], document, 24)
    refused(PermissionDenied, controlled.unlock, people["reader"], document)
    documents.add_version(people["writer"], document, _upload(app, pdf_bytes("v2")))
    _db.session.commit()
    assert document.control.locked_by_id is None  # a new version releases it
    controlled.lock(people["writer"], document, 4)
    _db.session.commit()
    animator = document.community  # the writer created the space: they animate it; an admin breaks it too
    del animator


def test_the_reading_report_gives_the_rates_per_establishment_and_per_space(app, hygiene):
    from rse.documents.controlled import reading

    document, people = hygiene
    _walk_to_force(document, people)
    reading.require_reading(people["approver"], document, {"communities": [document.community_id]})
    for who in ("writer", "checker"):
        reading.confirm(people[who], document)
    _db.session.commit()
    report = reading.report(people["writer"], document)
    assert (report.overall.done, report.overall.total) == (2, 6)
    assert {(r.label, r.done, r.total) for r in report.establishments} == {
        ("ARS", 0, 1), ("CH Est", 0, 1), ("CH Nord", 1, 2), ("CH Sud", 1, 2)}
    assert [(r.label, r.done, r.total) for r in report.communities] == [("Hygiène", 2, 6)]
