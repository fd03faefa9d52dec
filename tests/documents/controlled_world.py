"""Controlled documents brought to a state through the services: the helpers the reading, review,
digest and hidden-drafts tests share (no fixture here: each test says what world it needs)."""

from __future__ import annotations

from flask import current_app

from rse.accounts.models import User
from rse.database import db
from rse.documents import service as documents
from rse.documents.controlled import service as controlled
from rse.uploads import HashingSpool

from .samples import pdf_bytes


def control(code: str, writers, checkers, approvers, **fields) -> dict:
    """The identity of a controlled document naming these people (users) in its circuit."""
    return {"code": code, "doc_type": "protocol", "writers": [u.id for u in writers],
            "checkers": [u.id for u in checkers], "approvers": [u.id for u in approvers],
            "approval_rule": "all", **fields}


def upload(content: bytes, name: str = "protocole.pdf") -> documents.Upload:
    spool = HashingSpool(current_app.config["UPLOAD_TMP"], current_app.config["MAX_UPLOAD_BYTES"])
    spool.write(content)
    spool.flush()
    return documents.Upload(spool, name)


def add_draft(writer, document, text: str, *, filename: str = "protocole.pdf", note: str = ""):
    version = documents.add_version(writer, document, upload(pdf_bytes(text), filename), note=note)
    db.session.commit()
    return version


def bring_into_force(document, *, renewal: bool = False):
    """Submit the latest version (or renew the one in force) and have every checker and approver
    approve it, each as themselves."""
    control = document.control
    writer = min(control.people("writer"))
    circuit = controlled.submit(db.session.get(User, writer), document, renewal=renewal)
    for role in ("checker", "approver"):
        for user_id in sorted(control.people(role)):
            controlled.decide(db.session.get(User, user_id), document, verdict="approve", sha256=circuit.sha256)
    db.session.commit()
    return circuit
