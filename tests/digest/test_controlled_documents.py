"""Controlled documents in the digest: « À lire et confirmer » at the top of each digest until the
person confirms, and the review reminders of their writers (a month ahead, « révision dépassée »)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from babel import dates as babel_dates

from rse.communities import service as communities
from rse.database import db
from rse.dbtypes import utcnow
from rse.digest import rendering
from rse.digest import service as digest_service
from rse.documents.controlled import reading
from rse.documents.review import CONTROLLED_NOTICE, ORDINARY_NOTICE
from rse.i18n import local_today
from tests.documents.controlled_world import add_draft, bring_into_force, control
from tests.documents.samples import pdf_bytes

from .conftest import parts, settle
from .test_selection import digest_of, digests_of, titles


@pytest.fixture
def protocol(create_user, create_community, create_document):
    """A space whose animator created a protocol written by someone else, now in force."""
    people = {name: create_user(role, name=label) for name, role, label in (
        ("animator", "staff", "Anne Animatrice"), ("writer", "staff", "Wanda Rédactrice"),
        ("approver", "staff", "Alice Approbatrice"), ("reader", "staff", "Rémi Lecteur"),
        ("partner", "partner", "Paul Partenaire"), ("idle", "staff", "Irène Tranquille"))}
    space = create_community(people["animator"], name="Hygiène", members=[
        (people[n], "member") for n in ("writer", "approver", "reader", "partner", "idle")])
    document = create_document(space, people["animator"], title="Hygiène des mains", content=pdf_bytes("v1"),
                               control=control("HYG-PRO-012", [people["writer"]], [], [people["approver"]]))
    bring_into_force(document)
    settle()
    return document, people


def _ask(document, approver, *readers):
    reading.require_reading(approver, document, {"people": [r.id for r in readers]})
    db.session.commit()


def _asked_note(version: int) -> str:
    day = babel_dates.format_date(local_today(), "medium", locale="fr")
    return f"HYG-PRO-012 · version {version} · Demandée par Alice Approbatrice le {day}"


def test_the_reading_to_confirm_heads_every_digest_until_confirmed(protocol):
    document, people = protocol
    _ask(document, people["approver"], people["reader"], people["partner"])
    for name in ("reader", "partner"):
        digest = digest_of(people[name])
        assert [(e.title, e.note) for e in digest.readings] == [("Hygiène des mains", _asked_note(1))]
        assert not digest.is_empty  # enough for an email: each digest repeats it
        # Not repeated among the news or "for you" (the request's notification went out by email).
        assert digest.for_you == [] and all(e.key != ("document", document.id)
                                            for s in digest.communities for e in s.entries)
        text, html = parts_of(digest)
        assert text.index("== À lire et confirmer ==") < text.index("Hygiène des mains")
        assert "Ouvrez chaque document et confirmez « J'ai lu et compris » : il reste ici jusque-là." in text
        assert f"http://maillage.test/documents/{document.id}" in text
        assert ">À lire et confirmer</h2>" in html and _asked_note(1) in html
    assert digest_of(people["idle"]).readings == []
    # A week later, still there; once confirmed, gone.
    later = utcnow() + timedelta(days=7)
    assert titles(digest_of(people["reader"], now=later).readings) == ["Hygiène des mains"]
    reading.confirm(people["reader"], document)
    db.session.commit()
    assert digest_of(people["reader"], now=later).readings == []
    assert titles(digest_of(people["partner"], now=later).readings) == ["Hygiène des mains"]


def parts_of(digest) -> tuple[str, str]:
    rendered = rendering.render(digest)
    return rendered.text, rendered.html


def test_a_digest_with_only_a_reading_to_confirm_is_sent(protocol, sink, send):
    document, people = protocol
    _ask(document, people["approver"], people["reader"])
    digest_service.record_view(document, people["reader"])  # its coming into force: seen, no longer news
    digest = digest_of(people["reader"])
    assert digest.communities == [] and digest.for_you == [] and titles(digest.readings) == ["Hygiène des mains"]
    result = send("--user", people["reader"].email)
    assert result.exit_code == 0, result.output
    [message] = [m for m in sink.received() if m["Subject"].startswith("Votre résumé")]  # beside the request's email
    assert message["Subject"] == "Votre résumé Maillage : 1 nouveauté"
    text, _html = parts(message)
    assert "== À lire et confirmer ==" in text and "Hygiène des mains" in text


def test_a_newer_version_in_force_is_asked_in_the_digest_only_through_a_new_campaign(protocol):
    document, people = protocol
    _ask(document, people["approver"], people["reader"])
    add_draft(people["writer"], document, "v2")
    assert [e.note for e in digest_of(people["reader"]).readings] == [_asked_note(1)]  # v1 is still in force
    bring_into_force(document)
    assert digest_of(people["reader"]).readings == []
    _ask(document, people["approver"], people["reader"])
    assert [e.note for e in digest_of(people["reader"]).readings] == [_asked_note(2)]


def test_a_person_who_left_the_space_is_not_asked_in_the_digest(protocol):
    document, people = protocol
    _ask(document, people["approver"], people["reader"])
    communities.remove_member(people["animator"], document.community, people["reader"].id)
    db.session.commit()
    assert digest_of(people["reader"]).readings == []


def test_withdrawn_or_trashed_documents_are_no_longer_asked(protocol):
    from rse.documents import service as documents
    from rse.documents.controlled import service as controlled

    document, people = protocol
    _ask(document, people["approver"], people["reader"])
    controlled.withdraw(people["approver"], document, "Remplacé")
    db.session.commit()
    assert digest_of(people["reader"]).readings == []
    documents.trash_document(people["animator"], document)
    db.session.commit()
    assert digest_of(people["reader"]).readings == []


# --- Review ---------------------------------------------------------------------------------------

def _review_in(document, days: int) -> None:
    document.review_by = local_today() + timedelta(days=days)
    db.session.commit()


def test_a_controlled_documents_writers_are_reminded_a_month_ahead_and_they_only(protocol, create_document):
    document, people = protocol
    assert ORDINARY_NOTICE < timedelta(days=25) < CONTROLLED_NOTICE
    _review_in(document, 25)
    ordinary = create_document(document.community, people["animator"], title="Fiche ordinaire",
                               review_by=local_today() + timedelta(days=25))
    settle()
    digests = digests_of(*people.values())
    day = babel_dates.format_date(document.review_by, "medium", locale="fr")
    assert [(e.title, e.note) for e in digests[people["writer"].id].due_documents] == [
        ("Hygiène des mains", f"À réviser avant le {day}")]
    # Its creator and the space's animator are not reminded of it (one rule: its writers).
    for name in ("animator", "approver", "reader"):
        assert digests[people[name].id].due_documents == [], name
    assert ordinary.review_by > local_today() + ORDINARY_NOTICE  # ordinary: not yet


def test_a_controlled_document_past_its_review_says_revision_depassee(protocol):
    document, people = protocol
    _review_in(document, 0)
    [entry] = digest_of(people["writer"]).due_documents
    day = babel_dates.format_date(document.review_by, "medium", locale="fr")
    assert entry.note == f"Révision dépassée\u00a0: prévue le {day}"
    text, _html = parts_of(digest_of(people["writer"]))
    assert f"Révision dépassée\u00a0: prévue le {day}" in text


def test_a_withdrawn_document_has_no_review_to_remind_of(protocol):
    from rse.documents.controlled import service as controlled

    document, people = protocol
    _review_in(document, 3)
    controlled.withdraw(people["approver"], document, "Obsolète")
    db.session.commit()
    assert digest_of(people["writer"]).due_documents == []
