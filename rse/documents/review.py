"""The review cycle of documents: who is reminded of a review date, from when, and the email that
reminds a controlled document's writers a month before it.

One rule for the digest's « Documents à réviser » and for `flask documents remind-reviews`: an
ordinary document's creator and its space's animators hear of it two weeks ahead; a controlled
document's writers, a month ahead, as long as it is in force (a draft or a withdrawn document has
no review to make).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, or_, select

from rse import audit, signals
from rse.database import db

from .controlled.models import CircuitRole, ControlledDocument, Status
from .models import Document

ORDINARY_NOTICE = timedelta(days=14)
CONTROLLED_NOTICE = timedelta(days=30)


def due_condition(today: date):
    """SQL on Document (outer-joined to ControlledDocument): its review is close enough for a reminder."""
    controlled = ControlledDocument.document_id.is_not(None)
    return and_(Document.review_by.is_not(None), or_(
        and_(~controlled, Document.review_by <= today + ORDINARY_NOTICE),
        and_(controlled, ControlledDocument.status == Status.IN_FORCE,
             Document.review_by <= today + CONTROLLED_NOTICE)))


def is_reminded(user_id: int, *, writers: set[int] | None, created_by_id: int | None, community_id: int,
                animated: set[int]) -> bool:
    """Whether this person is reminded of the document's review: its writers (`writers` is None for
    an ordinary document), else its creator and the animators of its space (`animated`: the spaces
    the person animates)."""
    if writers is not None:
        return user_id in writers
    return created_by_id == user_id or community_id in animated


def remind_reviews(today: date) -> dict[str, int]:
    """Email the writers of each controlled document in force whose review date is within a month
    (or past), once per review date, and record that date. One transaction per document: the
    emails are queued in the outbox in the same transaction as `review_reminded_for`, so a run
    killed at any point, or run twice, reminds each writer exactly once per review date."""
    counts = {"documents": 0, "people": 0}
    candidates = list(db.session.scalars(_unreminded(today).order_by(Document.review_by, Document.id)))
    db.session.rollback()
    for document_id in candidates:
        # Read again under a row lock: a run beside this one sees the date recorded, and skips it.
        document = db.session.scalar(_unreminded(today, Document).where(Document.id == document_id)
                                     .with_for_update(of=ControlledDocument))
        if document is None:
            db.session.rollback()
            continue
        control = document.control
        writers = control.people(CircuitRole.WRITER)
        control.review_reminded_for = document.review_by
        db.session.flush()
        audit.record("document.review_reminded", target=document, actor_label="scheduler",
                     details={"community_id": document.community_id, "version": control.in_force_number,
                              "review_by": document.review_by.isoformat(), "people": len(writers)})
        signals.controlled_document_event.send(document, event="review_due", actor=None,
                                               version=control.in_force_number, user_ids=writers)
        db.session.commit()
        counts["documents"] += 1
        counts["people"] += len(writers)
    return counts


def _unreminded(today: date, column=Document.id):
    return (select(column).join(ControlledDocument, ControlledDocument.document_id == Document.id).where(
        Document.deleted_at.is_(None), ControlledDocument.status == Status.IN_FORCE,
        Document.review_by.is_not(None), Document.review_by <= today + CONTROLLED_NOTICE,
        or_(ControlledDocument.review_reminded_for.is_(None),
            ControlledDocument.review_reminded_for != Document.review_by)))
