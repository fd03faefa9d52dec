"""Mandatory reading on the home page, the review reminders of controlled documents (the email
command and the lists' « Révision dépassée »)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from rse.database import db
from rse.documents.controlled import reading
from rse.documents.controlled import service as controlled
from rse.documents.controlled.models import ControlledDocument
from rse.documents.review import remind_reviews
from rse.feeds.models import Notification
from rse.i18n import local_today
from rse.mail.models import OutboundEmail
from rse.signals import controlled_document_event

from .controlled_world import add_draft, bring_into_force, control
from .samples import pdf_bytes


@pytest.fixture
def hygiene(create_user, create_community, create_document):
    """A space with a protocol in force (version 1): its writer, checker, approver, two readers,
    a partner member, and a staff member of another space."""
    people = {name: create_user(role, name=label) for name, role, label in (
        ("writer", "staff", "Wanda Rédactrice"), ("checker", "staff", "Charles Vérificateur"),
        ("approver", "staff", "Alice Approbatrice"), ("reader", "staff", "Rémi Lecteur"),
        ("other", "staff", "Odile Lectrice"), ("partner", "partner", "Paul Partenaire"),
        ("outsider", "staff", "Oscar Ailleurs"))}
    space = create_community(people["writer"], name="Hygiène", members=[
        (people[n], "member") for n in ("checker", "approver", "reader", "other", "partner")])
    document = create_document(space, people["writer"], title="Hygiène des mains", content=pdf_bytes("v1"),
                               control=control("HYG-PRO-012", [people["writer"]], [people["checker"]],
                                               [people["approver"]]))
    bring_into_force(document)
    return document, people


def _ask(document, approver, *readers):
    campaign = reading.require_reading(approver, document, {"people": [r.id for r in readers]})
    db.session.commit()
    return campaign


# --- The home page ------------------------------------------------------------------------------

def test_the_home_page_lists_what_the_person_must_read_until_they_confirm(hygiene, login):
    document, people = hygiene
    _ask(document, people["approver"], people["reader"], people["partner"])
    for name in ("reader", "partner"):
        page = login(people[name]).get("/").get_data(as_text=True)
        assert "À lire et confirmer" in page, name
        assert f'href="/documents/{document.id}">Hygiène des mains</a>' in page
        assert "HYG-PRO-012 · version 1 · demandée par Alice Approbatrice le" in page
    # Not asked: no block at all.
    assert "À lire et confirmer" not in login(people["other"]).get("/").get_data(as_text=True)
    reading.confirm(people["reader"], document)
    db.session.commit()
    assert "À lire et confirmer" not in login(people["reader"]).get("/").get_data(as_text=True)
    assert "À lire et confirmer" in login(people["partner"]).get("/").get_data(as_text=True)


def test_a_newer_version_in_force_is_asked_again_only_through_a_new_campaign(hygiene, login):
    document, people = hygiene
    _ask(document, people["approver"], people["reader"])
    add_draft(people["writer"], document, "v2")
    assert [r.version for r in reading.pending_requests(people["reader"])] == [1]  # v1 stays in force
    bring_into_force(document)
    # The request named version 1: no longer asked, and version 2 is not asked by itself.
    assert reading.pending_requests(people["reader"]) == []
    assert "À lire et confirmer" not in login(people["reader"]).get("/").get_data(as_text=True)
    _ask(document, people["approver"], people["reader"])
    page = login(people["reader"]).get("/").get_data(as_text=True)
    assert "HYG-PRO-012 · version 2 · demandée par Alice Approbatrice" in page


def test_a_document_withdrawn_or_trashed_is_no_longer_asked(hygiene, login):
    document, people = hygiene
    _ask(document, people["approver"], people["reader"])
    controlled.withdraw(people["approver"], document, "Remplacé par la procédure du groupement")
    db.session.commit()
    assert reading.pending_requests(people["reader"]) == []
    assert "À lire et confirmer" not in login(people["reader"]).get("/").get_data(as_text=True)


def test_two_campaigns_asking_the_same_person_show_the_document_once(hygiene):
    document, people = hygiene
    _ask(document, people["approver"], people["reader"])
    reading.require_reading(people["approver"], document,
                            {"communities": [document.community_id]})
    db.session.commit()
    requests = reading.pending_requests(people["reader"])
    assert [(r.document.id, r.asked_by.name) for r in requests] == [(document.id, "Alice Approbatrice")]


# --- Review reminders ---------------------------------------------------------------------------

def _review_emails(person) -> list[OutboundEmail]:
    return list(db.session.scalars(select(OutboundEmail).where(
        OutboundEmail.recipient == person.email, OutboundEmail.subject.like("À réviser%"))))


def _set_review(document, days: int):
    document.review_by = local_today() + timedelta(days=days)
    db.session.commit()


def test_remind_reviews_emails_the_writers_once_per_review_date(app, hygiene, create_document):
    document, people = hygiene
    _set_review(document, 29)
    ordinary = create_document(document.community, people["writer"], title="Fiche ordinaire",
                               review_by=local_today() + timedelta(days=3))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["documents", "remind-reviews"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "reminded 1 writer(s) of 1 document(s)"
    db.session.rollback()
    emails = _review_emails(people["writer"])
    assert [e.subject for e in emails] == ["À réviser : Hygiène des mains (version 1)"]
    assert "« Hygiène des mains » (version 1) arrive à sa date de révision, dans l'espace Hygiène" in emails[0].text_body
    assert f"/documents/{document.id}" in emails[0].text_body
    for name in ("checker", "approver", "reader"):  # writers only
        assert _review_emails(people[name]) == []
    assert db.session.get(ControlledDocument, document.id).review_reminded_for == document.review_by
    # Run again: nothing more. The ordinary document is never part of it (the digest reminds of it).
    again = runner.invoke(args=["documents", "remind-reviews"])
    assert again.output.strip() == "reminded 0 writer(s) of 0 document(s)"
    db.session.rollback()
    assert len(_review_emails(people["writer"])) == 1
    assert ordinary.control is None
    # Renewed without change: a new review date, reminded again when it comes near.
    bring_into_force(document, renewal=True)
    _set_review(document, 10)
    runner.invoke(args=["documents", "remind-reviews"])
    db.session.rollback()
    assert len(_review_emails(people["writer"])) == 2


def test_remind_reviews_leaves_out_far_dates_drafts_and_withdrawn_documents(app, hygiene, create_document):
    document, people = hygiene
    _set_review(document, 31)
    draft = create_document(document.community, people["writer"], title="Brouillon",
                            control=control("HYG-PRO-013", [people["writer"]], [], [people["approver"]]),
                            review_by=local_today())
    withdrawn = create_document(document.community, people["writer"], title="Ancien protocole",
                                control=control("HYG-PRO-014", [people["writer"]], [], [people["approver"]]))
    bring_into_force(withdrawn)
    controlled.withdraw(people["approver"], withdrawn, "Obsolète")
    withdrawn.review_by = local_today()
    db.session.commit()
    assert remind_reviews(local_today()) == {"documents": 0, "people": 0}
    assert _review_emails(people["writer"]) == []
    assert draft.control.review_reminded_for is None


def test_a_run_killed_before_its_commit_reminds_at_the_next_run_once(app, hygiene):
    """The email is queued in the outbox in the transaction that records the review date: a run
    that dies before the commit leaves neither, the next run does both."""
    document, people = hygiene
    _set_review(document, -2)  # past already: reminded all the same, once

    def crash(_sender, **_kwargs):
        raise RuntimeError("killed")

    controlled_document_event.connect(crash)
    try:
        with pytest.raises(RuntimeError):
            remind_reviews(local_today())
    finally:
        controlled_document_event.disconnect(crash)
    db.session.rollback()
    assert _review_emails(people["writer"]) == []
    assert db.session.get(ControlledDocument, document.id).review_reminded_for is None
    assert remind_reviews(local_today()) == {"documents": 1, "people": 1}
    assert remind_reviews(local_today()) == {"documents": 0, "people": 0}
    assert len(_review_emails(people["writer"])) == 1
    told = db.session.scalars(select(Notification.event).where(Notification.user_id == people["writer"].id,
                                                               Notification.document_id == document.id))
    assert list(told).count("review_due") == 1


# --- « Révision dépassée » in the lists ---------------------------------------------------------

def test_the_lists_say_revision_depassee_for_a_controlled_document_in_force_from_its_date(
        hygiene, login, create_document):
    document, people = hygiene
    _set_review(document, 0)
    create_document(document.community, people["writer"], title="Fiche ordinaire", review_by=local_today())
    client = login(people["reader"])
    index = client.get(f"/espaces/{document.community_id}/documents").get_data(as_text=True)
    row = index[index.index("Hygiène des mains</a>"):]
    assert "Révision dépassée" in row[:row.index("</li>")]
    ordinary = index[index.index("Fiche ordinaire</a>"):]
    assert "Révision dépassée" not in ordinary[:ordinary.index("</li>")]  # an ordinary one: late tomorrow
    due = client.get(f"/espaces/{document.community_id}/documents/a-reviser").get_data(as_text=True)
    assert "Révision dépassée\u00a0: prévue le" in due
    assert due.count("Révision dépassée") == 1
