"""Hidden drafts reach no one outside their circuit: the proof through every channel.

Two controlled documents carry canary words: one never in force (its title, code, tag and text),
and one in force whose version 2 is a draft in its circuit (its file name, note and text). For a
reader of the space outside the circuit, a partner member and a staff member of no space (the
space is public: they read what is in force), no canary appears in search or autocomplete (the
pages here; the API on every engine in tests/search/test_controlled_drafts.py), the streams (pages
and API), the notifications (page and API), the emails written for them, or their digest; a
checker in the circuit is told of the drafts and sees them. Real flows, no mocks.
"""

from __future__ import annotations

import pytest
from sqlalchemy import or_, select

from rse.database import db
from rse.digest import rendering
from rse.documents.controlled import service as controlled
from rse.feeds.models import FollowTarget, Notification
from rse.feeds.social import follows
from rse.mail.models import OutboundEmail
from tests.digest.test_selection import digest_of

from .controlled_world import add_draft, bring_into_force, control
from .samples import pdf_bytes

# Words found nowhere else: the never-in-force document's title, code and text, then the draft
# version 2's file name, note and text.
CANARIES = ("zinzolin", "znz-pro-771", "ocarina", "grenadine", "notegrenat", "mandragore")
HIDDEN_TAG = "quetzal"  # the never-in-force document's tag (the tag page names it, so it is checked apart)
OUTSIDE = ("reader", "partner", "outsider")


@pytest.fixture
def drafts(create_user, create_community, create_document):
    people = {name: create_user(role, name=label) for name, role, label in (
        ("writer", "staff", "Wanda Rédactrice"), ("checker", "staff", "Charles Vérificateur"),
        ("approver", "staff", "Alice Approbatrice"), ("reader", "staff", "Rémi Lecteur"),
        ("partner", "partner", "Paul Partenaire"), ("outsider", "staff", "Oscar Ailleurs"))}
    space = create_community(people["writer"], name="Hygiène", visibility="public", members=[
        (people[n], "member") for n in ("checker", "approver", "reader", "partner")])
    circuit = ([people["writer"]], [people["checker"]], [people["approver"]])
    in_force = create_document(space, people["writer"], title="Hygiène des mains", tags="hygiene-mains",
                               content=pdf_bytes("Protocole en vigueur"), control=control("HYG-PRO-001", *circuit))
    bring_into_force(in_force)
    # Those outside the circuit follow everything they can: the writer, the tag, the document.
    for name in OUTSIDE:
        for target, key in ((FollowTarget.PERSON, people["writer"].id), (FollowTarget.TAG, HIDDEN_TAG),
                            (FollowTarget.DOCUMENT, in_force.id)):
            follows.follow(people[name], target, key)
    db.session.commit()
    never = create_document(space, people["writer"], title="Protocole zinzolin", tags=HIDDEN_TAG,
                            description="Fiche interne", content=pdf_bytes("Texte ocarina"),
                            control=control("ZNZ-PRO-771", *circuit))
    controlled.submit(people["writer"], never)
    db.session.commit()
    add_draft(people["writer"], in_force, "Texte mandragore", filename="grenadine-v2.pdf", note="notegrenat")
    controlled.submit(people["writer"], in_force)
    db.session.commit()
    return never, in_force, space, people


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [word for word in CANARIES if word in lowered]


@pytest.mark.parametrize("name", OUTSIDE)
def test_no_canary_reaches_anyone_outside_the_circuit(name, drafts, login, api):
    never, in_force, space, people = drafts
    person, writer = people[name], people["writer"]
    web, client = login(person), api(person)
    leaks: dict[str, list[str]] = {}

    def check(where: str, text: str) -> None:
        if found := _leaks(text):
            leaks[where] = found

    # Search and autocomplete, through the API on every engine: tests/search/test_controlled_drafts.py.
    for word in (*CANARIES, HIDDEN_TAG):
        for path in ("/recherche", "/recherche/suggestions"):
            page = web.get(path, query_string={"q": word}).get_data(as_text=True)
            assert f"/documents/{never.id}" not in page, (path, word)
            check(f"{path}?q={word}", page.replace(word, ""))  # the query itself is echoed
    # Streams: pages and API (what is in force is there: it is not hidden, its draft is).
    pages = ["/", f"/personnes/{writer.id}", f"/mots-cles/{HIDDEN_TAG}", f"/documents/{in_force.id}"]
    feeds = ["/api/v1/feed", f"/api/v1/users/{writer.id}/feed", f"/api/v1/tags/{HIDDEN_TAG}/feed"]
    pages.append(f"/espaces/{space.id}")
    feeds.append(f"/api/v1/communities/{space.id}/feed")
    for path in pages:
        response = web.get(path)
        assert response.status_code == 200, path
        check(path, response.get_data(as_text=True))
    for path in feeds:
        response = client.get(path)
        assert response.status_code == 200, path
        check(path, response.get_data(as_text=True))
        assert ("document", never.id) not in {(i["item_type"], i["item"]["id"]) for i in response.get_json()["items"]}
    assert web.get(f"/documents/{never.id}").status_code == 404
    # Notifications: none about the draft, on the page, in the API or in the database.
    check("/notifications", web.get("/notifications").get_data(as_text=True))
    check("/api/v1/notifications", client.get("/api/v1/notifications").get_data(as_text=True))
    assert db.session.scalars(select(Notification).where(
        Notification.user_id == person.id,
        or_(Notification.document_id == never.id, Notification.version_number == 2))).all() == []
    # Emails written for them, and their digest.
    for email in db.session.scalars(select(OutboundEmail).where(OutboundEmail.recipient == person.email)):
        check(f"email {email.subject}", f"{email.subject}\n{email.text_body}\n{email.html_body}")
    digest = digest_of(person)
    rendered = rendering.render(digest)
    check("digest", f"{rendered.subject}\n{rendered.text}\n{rendered.html}")
    assert leaks == {}
    # What is in force does reach them: the proof sees the channels it checks.
    assert "Hygiène des mains" in web.get(f"/espaces/{space.id}").get_data(as_text=True)
    stream = client.get(f"/api/v1/communities/{space.id}/feed").get_json()["items"]
    assert ("document", in_force.id) in {(i["item_type"], i["item"]["id"]) for i in stream}

def test_the_checker_in_the_circuit_is_told_and_sees_the_draft_version(drafts, api, login):
    _never, in_force, _space, people = drafts
    checker = people["checker"]
    notices = api(checker).get("/api/v1/notifications").get_data(as_text=True)
    assert "Protocole zinzolin" in notices
    told = {e.subject for e in db.session.scalars(select(OutboundEmail).where(OutboundEmail.recipient == checker.email))}
    assert {"À vérifier : Protocole zinzolin (version 1)", "À vérifier : Hygiène des mains (version 2)"} <= told
    assert "grenadine-v2.pdf" in login(checker).get(f"/documents/{in_force.id}").get_data(as_text=True)
