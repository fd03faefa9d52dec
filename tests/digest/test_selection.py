"""`select_digests` itself: which entries land in which section of each person's digest, in which order and with
which counts, for a batch of people at once (no SMTP, no command)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel import dates as babel_dates
from flask import current_app
from sqlalchemy import select, update

from rse.accounts.models import User
from rse.communities import service as communities
from rse.communities.models import Community, Membership
from rse.database import db
from rse.dbtypes import utcnow
from rse.digest import periods, ranking, rendering, selection, window
from rse.digest.entries import Digest, Entry
from rse.digest.models import DigestDelivery, ItemView, Status
from rse.digest.selection import select_digests
from rse.documents import service as documents
from rse.documents.models import Document
from rse.feeds.models import Activity, Notification, Pin, Publication
from rse.feeds.notifications import service as notifications
from rse.feeds.publications import pins
from rse.feeds.publications import service as publications
from rse.feeds.social import answers, comments, follows, reactions, suggestions
from rse.i18n import local_day, local_today
from rse.mail import deliver_pending
from rse.mail.models import OutboundEmail
from rse.uploads import HashingSpool
from tests.documents.samples import pdf_bytes
from tests.services import free_port

from .conftest import publish

# --- Helpers ------------------------------------------------------------------------------------


def week(now: datetime) -> periods.Period:
    return periods.current("weekly", now, ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))


def floor_of(now: datetime) -> datetime:
    """The furthest back a digest of this week looks: one period before it."""
    period = week(now)
    return period.start - period.length


def digests_of(*people: User, now: datetime | None = None) -> dict[int, Digest]:
    db.session.commit()
    now = now or utcnow()
    return select_digests(list(people), week(now), now)


def digest_of(person: User, now: datetime | None = None) -> Digest:
    return digests_of(person, now=now)[person.id]


def titles(entries: list[Entry]) -> list[str]:
    return [e.title for e in entries]


def new_titles(digest: Digest) -> list[str]:
    """The new items, best first, across communities."""
    return [e.title for section in digest.communities for e in section.entries]


def sections(digest: Digest) -> list[tuple[str, list[str], int]]:
    return [(s.community.name, titles(s.entries), s.more) for s in digest.communities]


def newcomers(digest: Digest) -> dict[str, list[str]]:
    return {community.name: names for community, names in digest.new_members}


def communities_in(digest: Digest) -> set[str]:
    """Every community anything of this digest comes from, whatever the section."""
    entries = [*digest.for_you, *digest.pinned, *digest.questions, *digest.due_documents]
    entries += [e for section in digest.communities for e in section.entries]
    names = {e.community.name for e in entries}
    names |= {s.community.name for s in digest.communities}
    return names | {community.name for community, _names in digest.new_members}


def happened_at(item: Publication | Document, at: datetime) -> None:
    """Move an item, and the activity lines that announced it, to `at`."""
    if isinstance(item, Document):
        db.session.execute(update(Document).where(Document.id == item.id).values(created_at=at, updated_at=at))
        db.session.execute(update(Activity).where(Activity.document_id == item.id).values(created_at=at))
    else:
        db.session.execute(update(Publication).where(Publication.id == item.id).values(created_at=at, updated_at=at))
        db.session.execute(update(Activity).where(Activity.publication_id == item.id).values(created_at=at))
    db.session.commit()


def version_at(document: Document, number: int, at: datetime) -> None:
    db.session.execute(update(Activity).where(Activity.document_id == document.id,
                                              Activity.version_number == number).values(created_at=at))
    db.session.commit()


def joined_at(person: User, community: Community, at: datetime) -> None:
    db.session.execute(update(Membership).where(Membership.user_id == person.id,
                                                Membership.community_id == community.id).values(created_at=at))
    db.session.commit()


def opened(person: User, item: Publication | Document, at: datetime) -> None:
    target = {"document_id": item.id} if isinstance(item, Document) else {"publication_id": item.id}
    db.session.add(ItemView(user_id=person.id, viewed_at=at, **target))
    db.session.commit()


def handle(person: User) -> str:
    return person.email.split("@")[0]


def add_version(author: User, document: Document, text: str) -> None:
    spool = HashingSpool(current_app.config["UPLOAD_TMP"], current_app.config["MAX_UPLOAD_BYTES"])
    try:
        spool.write(pdf_bytes(text))
        spool.flush()
        documents.add_version(author, document, documents.Upload(spool, "nouvelle-version.pdf"))
        db.session.commit()
    finally:
        spool.close()


def notification(person: User, kind: str) -> Notification:
    return db.session.scalars(select(Notification).where(Notification.user_id == person.id,
                                                         Notification.kind == kind)).one()


# --- "For you" ----------------------------------------------------------------------------------


def test_for_you_holds_unread_notifications_first_with_why_they_are_there(create_user, space):
    reader, colleague = create_user("staff", name="Lucie Lectrice"), create_user("staff", name="Claire Collègue")
    notifications.set_preferences(reader, {"mention": "digest", "suggestion": "digest"})
    community, animator = space(reader, colleague, name="Pharmacie")
    publish(colleague, community, "Inventaire des stupéfiants", body=f"@{handle(reader)} peux-tu vérifier ?")
    own = publish(reader, community, "Reliquats de la semaine")
    comments.add_comment(colleague, own, "Je regarde demain")
    proposed = publish(animator, community, "Procédure de rétrocession")
    suggestions.suggest(colleague, proposed, users=[reader.id], message="À lire")
    db.session.commit()

    digest = digest_of(reader)
    assert [(e.title, e.note) for e in digest.for_you] == [
        ("Inventaire des stupéfiants", "Claire Collègue vous a mentionné"),
        ("Reliquats de la semaine", "Nouveau commentaire de Claire Collègue"),
        ("Procédure de rétrocession", "Claire Collègue vous le propose"),
    ]
    assert new_titles(digest) == []  # what is "for you" is not repeated among the new items


def test_several_notifications_on_one_item_make_one_entry(create_user, space):
    reader = create_user("staff")
    first, second = create_user("staff", name="Premier Commentateur"), create_user("staff", name="Second")
    community, _animator = space(reader, first, second)
    own = publish(reader, community, "Retour d'expérience")
    comments.add_comment(first, own, "Merci")
    comments.add_comment(second, own, "Très utile")
    db.session.commit()

    digest = digest_of(reader)
    assert [(e.title, e.note) for e in digest.for_you] == [
        ("Retour d'expérience", "Nouveau commentaire de Premier Commentateur")]


def test_for_you_leaves_out_read_emailed_and_switched_off_notifications(create_user, space):
    reader, colleague = create_user("staff"), create_user("staff")
    notifications.set_preferences(reader, {"mention": "digest", "comment": "never"})
    community, _animator = space(reader, colleague)
    publish(colleague, community, "Mention déjà lue", body=f"Bonjour @{handle(reader)}")
    notifications.mark_read(reader, [notification(reader, "mention").id])
    emailed = publish(colleague, community, "Proposition déjà envoyée")
    suggestions.suggest(colleague, emailed, users=[reader.id])  # immediate by default: emailed at once
    own = publish(reader, community, "Commentaires coupés")
    comments.add_comment(colleague, own, "Un avis")  # comments switched off ("never")
    follows.follow(reader, "person", colleague.id)
    db.session.commit()
    publish(colleague, community, "Publié par une personne suivie")
    assert notification(reader, "suggestion").email_id is not None

    digest = digest_of(reader)
    assert [(e.title, e.note) for e in digest.for_you] == [
        ("Publié par une personne suivie", f"Publié par {colleague.name}, que vous suivez")]
    # A notification read on the site leaves its item among the community's new items; an item
    # already sent by an immediate email is not repeated anywhere.
    assert new_titles(digest) == ["Mention déjà lue"]


@pytest.mark.outage
def test_an_immediate_email_still_waiting_in_the_outbox_does_not_keep_its_item_out_of_the_digest(
        app, create_user, space, smtp_server):
    reader, colleague = create_user("staff"), create_user("staff")
    community, _animator = space(reader, colleague)
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens: the email waits
    post = publish(colleague, community, "Proposition en attente")
    suggestions.suggest(colleague, post, users=[reader.id])  # immediate by default
    db.session.commit()
    [email] = db.session.scalars(select(OutboundEmail).where(OutboundEmail.recipient == reader.email)).all()
    db.session.refresh(email)
    assert email.sent_at is None and email.attempts == 1
    assert [e.title for e in digest_of(reader).for_you] == ["Proposition en attente"]

    smtp_server.clear()
    app.config["MAIL_URL"] = smtp_server.url
    assert deliver_pending(now=True)["sent"] == 1
    assert [m["To"] for m in smtp_server.received()] == [reader.email]
    assert digest_of(reader).for_you == [] and "Proposition en attente" not in new_titles(digest_of(reader))


def test_for_you_holds_only_notifications_since_the_previous_digest(create_user, space):
    reader, colleague = create_user("staff"), create_user("staff")
    notifications.set_preferences(reader, {"mention": "digest"})
    community, _animator = space(reader, colleague)
    now = utcnow()
    previous = week(now - timedelta(days=7))
    sent_at = previous.start + timedelta(days=3)
    db.session.add(DigestDelivery(user_id=reader.id, period=previous.key, status=Status.SENT, sent_at=sent_at))
    before = publish(colleague, community, "Mention déjà résumée", body=f"@{handle(reader)} pour info")
    happened_at(before, sent_at - timedelta(hours=1))
    db.session.execute(update(Notification).where(Notification.publication_id == before.id)
                       .values(created_at=sent_at - timedelta(hours=1)))
    publish(colleague, community, "Mention nouvelle", body=f"@{handle(reader)} pour info")

    assert titles(digest_of(reader).for_you) == ["Mention nouvelle"]


def test_for_you_holds_only_notifications_from_the_persons_communities(create_user, create_community, space):
    reader, colleague = create_user("staff"), create_user("staff")
    notifications.set_preferences(reader, {"mention": "digest"})
    community, _animator = space(reader, colleague, name="Bloc opératoire")
    open_space = create_community(colleague, visibility="public", name="Forum ouvert")
    publish(colleague, open_space, "Mention dans un espace public", body=f"@{handle(reader)} qu'en penses-tu ?")
    publish(colleague, community, "Mention dans mon espace", body=f"@{handle(reader)} qu'en penses-tu ?")
    # Staff may read a public community: the mention was notified, yet the digest reads member communities only.
    assert db.session.scalar(select(Notification.id).where(Notification.community_id == open_space.id,
                                                           Notification.user_id == reader.id)) is not None

    digest = digest_of(reader)
    assert titles(digest.for_you) == ["Mention dans mon espace"]
    assert communities_in(digest) == {"Bloc opératoire"}


def test_a_notification_about_a_deleted_item_is_left_out(create_user, space, create_document):
    reader, colleague = create_user("staff"), create_user("staff")
    notifications.set_preferences(reader, {"mention": "digest", "version": "digest"})
    community, animator = space(reader, colleague)
    gone = publish(colleague, community, "Bientôt supprimée", body=f"@{handle(reader)} regarde")
    document = create_document(community, animator, title="Classeur retiré", filename="classeur.pdf")
    follows.follow(reader, "document", document.id)
    db.session.commit()
    add_version(animator, document, "Version 2")
    assert {n.kind for n in db.session.scalars(select(Notification).where(Notification.user_id == reader.id))} == {
        "mention", "version"}
    publications.delete_publication(colleague, gone)
    documents.trash_document(animator, document)

    digest = digest_of(reader)
    assert digest.for_you == [] and digest.communities == []


# --- Pinned -------------------------------------------------------------------------------------


def test_newly_pinned_items_have_their_own_section_and_are_not_repeated_below(create_user, space):
    reader = create_user("staff")
    community, animator = space(reader, name="Urgences")
    old = publish(animator, community, "Plan blanc")
    happened_at(old, utcnow() - timedelta(days=40))  # long published, newly pinned: news all the same
    fresh = publish(animator, community, "Astreinte des fêtes")
    publish(animator, community, "Autre nouvelle")
    pins.pin(animator, old)
    pins.pin(animator, fresh)
    db.session.commit()

    digest = digest_of(reader)
    assert titles(digest.pinned) == ["Plan blanc", "Astreinte des fêtes"]  # in pin order
    assert all(e.community.name == "Urgences" for e in digest.pinned)
    assert sections(digest) == [("Urgences", ["Autre nouvelle"], 0)]


def test_a_pin_made_before_the_window_is_not_news(create_user, space):
    reader = create_user("staff")
    community, animator = space(reader)
    publication = publish(animator, community, "Épinglé depuis longtemps")
    happened_at(publication, utcnow() - timedelta(days=40))
    pins.pin(animator, publication)
    db.session.execute(update(Pin).values(created_at=utcnow() - timedelta(days=40)))

    digest = digest_of(reader)
    assert digest.pinned == [] and digest.communities == []


def test_an_expired_pin_is_left_out(create_user, space):
    reader = create_user("staff")
    community, animator = space(reader)
    lasting, expired = publish(animator, community, "Épingle en cours"), publish(animator, community, "Épingle finie")
    happened_at(lasting, utcnow() - timedelta(days=40))
    happened_at(expired, utcnow() - timedelta(days=40))
    pins.pin(animator, lasting, until=utcnow() + timedelta(days=2))
    pins.pin(animator, expired, until=utcnow() + timedelta(hours=1))
    db.session.commit()

    assert titles(digest_of(reader, now=utcnow() + timedelta(hours=2)).pinned) == ["Épingle en cours"]


def test_a_pinned_item_already_for_you_is_not_repeated(create_user, space):
    reader = create_user("staff")
    notifications.set_preferences(reader, {"mention": "digest"})
    community, animator = space(reader)
    publication = publish(animator, community, "Consigne pour toi", body=f"@{handle(reader)} à appliquer")
    pins.pin(animator, publication)
    db.session.commit()

    digest = digest_of(reader)
    assert titles(digest.for_you) == ["Consigne pour toi"]
    assert digest.pinned == [] and digest.communities == []


def test_a_pinned_item_the_person_wrote_is_left_out(create_user, space):
    reader = create_user("staff")
    community, animator = space(reader)
    pins.pin(animator, publish(animator, community, "Ma propre annonce", kind="announcement"))
    db.session.commit()

    assert digest_of(animator).pinned == []
    assert titles(digest_of(reader).pinned) == ["Ma propre annonce"]


def test_a_pinned_item_opened_after_its_last_change_is_left_out(create_user, space):
    reader = create_user("staff")
    community, animator = space(reader)
    publication = publish(animator, community, "Déjà lue puis épinglée")
    happened_at(publication, utcnow() - timedelta(days=2))
    opened(reader, publication, utcnow() - timedelta(days=1))
    pins.pin(animator, publication)
    db.session.commit()

    assert digest_of(reader).pinned == []


# --- New items: grouping and caps ---------------------------------------------------------------


def test_new_items_are_grouped_by_community_best_community_first(create_user, space):
    reader = create_user("staff")
    cardio, cardio_animator = space(reader, name="Cardiologie")
    radio, radio_animator = space(reader, name="Radiologie")
    now = utcnow()
    for community, author, title, hours in ((cardio, cardio_animator, "Écho de stress", 3),
                                            (radio, radio_animator, "Nouveau scanner", 1),
                                            (radio, radio_animator, "Planning IRM", 4)):
        happened_at(publish(author, community, title), now - timedelta(hours=hours))

    digest = digest_of(reader, now=now)
    assert sections(digest) == [("Radiologie", ["Nouveau scanner", "Planning IRM"], 0),
                                ("Cardiologie", ["Écho de stress"], 0)]
    assert digest.communities[0].url.endswith(f"/espaces/{radio.id}")


def test_new_items_are_capped_per_community_and_in_all_and_the_rest_is_counted(create_user, space, monkeypatch):
    """Ranked a1 a2 a3 b1 b2 b3 c1 (by recency): 2 per community leave a3 out, 4 in all leave b3 and c1 out."""
    monkeypatch.setattr(ranking, "PER_COMMUNITY", 2)
    monkeypatch.setattr(ranking, "IN_ALL", 4)
    reader = create_user("staff")
    spaces = {name: space(reader, name=name) for name in ("Alpha", "Bêta", "Gamma")}
    now = utcnow()
    for hours, (name, title) in enumerate((("Alpha", "a1"), ("Alpha", "a2"), ("Alpha", "a3"), ("Bêta", "b1"),
                                           ("Bêta", "b2"), ("Bêta", "b3"), ("Gamma", "c1")), start=1):
        community, animator = spaces[name]
        happened_at(publish(animator, community, title), now - timedelta(hours=hours))

    digest = digest_of(reader, now=now)
    assert sections(digest) == [("Alpha", ["a1", "a2"], 1), ("Bêta", ["b1", "b2"], 1), ("Gamma", [], 1)]


def test_new_items_within_the_caps_are_all_shown(create_user, space):
    reader = create_user("staff")
    community, animator = space(reader, name="Logistique")
    for n in range(12):
        publish(animator, community, f"Livraison {n}")

    [section] = digest_of(reader).communities
    assert len(section.entries) == ranking.PER_COMMUNITY == 10 and section.more == 2


# --- New items: what is left out ----------------------------------------------------------------


def test_what_the_person_wrote_is_left_out(create_user, space, create_document):
    reader, colleague = create_user("staff"), create_user("staff")
    community, _animator = space(reader, colleague)
    publish(reader, community, "Mon compte rendu")
    create_document(community, reader, title="Mon tableau de garde", filename="garde.pdf")
    publish(colleague, community, "Compte rendu d'un collègue")

    digests = digests_of(reader, colleague)
    assert new_titles(digests[reader.id]) == ["Compte rendu d'un collègue"]
    assert sorted(new_titles(digests[colleague.id])) == ["Mon compte rendu", "Mon tableau de garde"]


def test_an_item_the_person_wrote_stays_out_when_someone_else_changes_it(create_user, space, create_document):
    reader, colleague = create_user("staff"), create_user("staff")
    community, animator = space(reader, colleague)
    document = create_document(community, reader, title="Mon protocole", filename="mien.pdf")
    wiki = publish(reader, community, "Ma page de service", body="Version de départ", kind="wiki")
    for item in (document, wiki):
        happened_at(item, utcnow() - timedelta(days=20))
    add_version(animator, document, "Révisé par l'animateur")
    publications.update_publication(colleague, wiki, {"body": "Complété par un collègue"})
    db.session.commit()

    digests = digests_of(reader, colleague)
    assert digests[reader.id].communities == []
    assert [(e.title, e.note) for e in digests[colleague.id].communities[0].entries] == [
        ("Mon protocole", "Nouvelle version")]  # the colleague's own edit of the page is not news to them


def test_a_change_the_person_made_is_not_news_to_them(create_user, space):
    reader, colleague = create_user("staff"), create_user("staff")
    community, animator = space(reader, colleague)
    wiki = publish(animator, community, "Annuaire du service", body="Version de départ", kind="wiki")
    happened_at(wiki, utcnow() - timedelta(days=20))
    publications.update_publication(reader, wiki, {"body": "Mis à jour par moi"})
    db.session.commit()

    digests = digests_of(reader, colleague)
    assert digests[reader.id].communities == []
    assert new_titles(digests[colleague.id]) == ["Annuaire du service"]


def test_an_item_the_person_changed_last_is_not_news_until_someone_changes_it_again(create_user, space):
    reader, colleague = create_user("staff"), create_user("staff")
    community, animator = space(reader, colleague)
    wiki = publish(animator, community, "Procédure d'astreinte", body="Version de départ", kind="wiki")
    publications.update_publication(reader, wiki, {"body": "Relu et complété"})
    db.session.commit()
    assert new_titles(digest_of(reader)) == []  # published this week, but the reader's edit came after

    publications.update_publication(colleague, wiki, {"body": "Numéros mis à jour"})
    db.session.commit()
    assert new_titles(digest_of(reader)) == ["Procédure d'astreinte"]


def test_an_item_opened_after_its_last_change_is_left_out(create_user, space, create_document):
    reader = create_user("staff")
    community, animator = space(reader)
    read_post = publish(animator, community, "Note déjà lue")
    read_document = create_document(community, animator, title="Fiche déjà consultée", filename="fiche.pdf")
    publish(animator, community, "Note jamais ouverte")
    now = utcnow()
    for item in (read_post, read_document):
        happened_at(item, now - timedelta(hours=2))
        opened(reader, item, now - timedelta(hours=1))

    assert new_titles(digest_of(reader, now=now)) == ["Note jamais ouverte"]


def test_an_item_changed_since_it_was_opened_comes_back(create_user, space, create_document):
    reader = create_user("staff")
    community, animator = space(reader)
    earlier = utcnow()
    document = create_document(community, animator, title="Protocole transfusion", filename="transfusion.pdf")
    wiki = publish(animator, community, "Annuaire des astreintes", body="Première version", kind="wiki")
    for item in (document, wiki):
        happened_at(item, earlier - timedelta(hours=3))
        opened(reader, item, earlier - timedelta(hours=2))
    add_version(animator, document, "Deuxième version du protocole")
    publications.update_publication(animator, wiki, {"body": "Deuxième version"})
    db.session.commit()

    digest = digest_of(reader)
    assert sorted((e.title, e.note) for e in digest.communities[0].entries) == [
        ("Annuaire des astreintes", ""), ("Protocole transfusion", "Nouvelle version")]


def test_deleted_publications_and_trashed_documents_are_left_out(create_user, space, create_document):
    reader = create_user("staff")
    community, animator = space(reader)
    publications.delete_publication(animator, publish(animator, community, "Publication retirée"))
    documents.trash_document(animator, create_document(community, animator, title="Document à la corbeille"))
    publish(animator, community, "Publication restée")

    assert new_titles(digest_of(reader)) == ["Publication restée"]


def test_a_deleted_item_is_left_out_even_if_its_activity_is_not_hidden(create_user, space, create_document):
    """The item's own deletion mark is enough, whatever the activity lines say."""
    reader = create_user("staff")
    community, animator = space(reader)
    publication = publish(animator, community, "Supprimée en base")
    document = create_document(community, animator, title="Retiré en base")
    publish(animator, community, "Toujours là")
    db.session.execute(update(Publication).where(Publication.id == publication.id).values(deleted_at=utcnow()))
    db.session.execute(update(Document).where(Document.id == document.id).values(deleted_at=utcnow()))
    assert not any(db.session.scalars(select(Activity.hidden)))

    assert new_titles(digest_of(reader)) == ["Toujours là"]


def test_hidden_activities_are_left_out(create_user, space):
    reader = create_user("staff")
    community, animator = space(reader)
    hidden = publish(animator, community, "Activité masquée")
    publish(animator, community, "Activité visible")
    db.session.execute(update(Activity).where(Activity.publication_id == hidden.id).values(hidden=True))

    assert new_titles(digest_of(reader)) == ["Activité visible"]


# --- The window ---------------------------------------------------------------------------------


def test_the_window_starts_at_the_previous_digest_sent(create_user, space):
    reader = create_user("staff")
    community, animator = space(reader)
    now = utcnow()
    previous = week(now - timedelta(days=7))
    sent_at = previous.start + timedelta(days=3)
    db.session.add(DigestDelivery(user_id=reader.id, period=previous.key, status=Status.SENT, sent_at=sent_at))
    happened_at(publish(animator, community, "Déjà dans la lettre précédente"), sent_at - timedelta(hours=1))
    happened_at(publish(animator, community, "Après la lettre précédente"), sent_at + timedelta(hours=1))

    digest = digest_of(reader, now=now)
    assert digest.since == sent_at
    assert new_titles(digest) == ["Après la lettre précédente"]


def test_a_digest_not_sent_does_not_move_the_window(create_user, space):
    reader = create_user("staff")
    community, animator = space(reader)
    now = utcnow()
    previous = week(now - timedelta(days=7))
    db.session.add(DigestDelivery(user_id=reader.id, period=previous.key, status=Status.EMPTY,
                                  claimed_at=previous.start + timedelta(days=3)))
    happened_at(publish(animator, community, "Avant la lettre vide"), floor_of(now) + timedelta(days=1))

    digest = digest_of(reader, now=now)
    assert digest.since == floor_of(now)
    assert new_titles(digest) == ["Avant la lettre vide"]


def test_the_digest_of_this_very_period_does_not_narrow_its_own_window(create_user, space):
    """A preview after this week's digest went out shows the same news, not an empty page."""
    reader = create_user("staff")
    community, animator = space(reader)
    now = utcnow()
    db.session.add(DigestDelivery(user_id=reader.id, period=week(now).key, status=Status.SENT,
                                  sent_at=now - timedelta(minutes=1)))
    happened_at(publish(animator, community, "Dans la lettre de cette semaine"), now - timedelta(hours=1))

    digest = digest_of(reader, now=now)
    assert digest.since == floor_of(now)
    assert new_titles(digest) == ["Dans la lettre de cette semaine"]


def test_each_person_of_a_batch_has_their_own_window(create_user, space):
    """What happened before one person's previous digest is still news to someone who got none."""
    informed, newcomer = create_user("staff"), create_user("staff")
    for person in (informed, newcomer):
        notifications.set_preferences(person, {"mention": "digest"})
    community, animator = space(informed, newcomer, name="Réanimation")
    now = utcnow()
    floor = floor_of(now)
    sent_at = floor + timedelta(days=3)
    db.session.add(DigestDelivery(user_id=informed.id, period=week(now - timedelta(days=7)).key,
                                  status=Status.SENT, sent_at=sent_at))
    before = floor + timedelta(days=2)
    mention = publish(animator, community, "Mention avant la lettre",
                      body=f"@{handle(informed)} et @{handle(newcomer)} à lire")
    pinned = publish(animator, community, "Épinglée avant la lettre")
    pins.pin(animator, pinned)
    publish(animator, community, "Publiée avant la lettre")
    communities.add_member(animator, community, create_user("staff", name="Arrivé avant la lettre"), "member")
    for item in (mention, pinned):
        happened_at(item, before)
    db.session.execute(update(Activity).values(created_at=before))
    db.session.execute(update(Notification).values(created_at=before))
    db.session.execute(update(Pin).values(created_at=before))
    db.session.execute(update(Membership).where(Membership.created_at > now - timedelta(days=1))
                       .values(created_at=before))

    digests = digests_of(informed, newcomer, now=now)
    assert digests[informed.id].since == sent_at and digests[newcomer.id].since == floor
    fresh = digests[newcomer.id]
    assert titles(fresh.for_you) == ["Mention avant la lettre"] and titles(fresh.pinned) == ["Épinglée avant la lettre"]
    assert new_titles(fresh) == ["Publiée avant la lettre"]
    assert newcomers(fresh) == {"Réanimation": ["Arrivé avant la lettre"]}
    told = digests[informed.id]
    assert told.for_you == told.pinned == told.communities == told.new_members == []
    assert told.is_empty


def test_the_window_never_reaches_further_back_than_one_period(create_user, space):
    long_ago, never = create_user("staff"), create_user("staff")
    community, animator = space(long_ago, never)
    now = utcnow()
    floor = floor_of(now)
    db.session.add(DigestDelivery(user_id=long_ago.id, period=week(now - timedelta(days=35)).key,
                                  status=Status.SENT, sent_at=floor - timedelta(days=28)))
    happened_at(publish(animator, community, "Trop ancien"), floor - timedelta(hours=1))
    happened_at(publish(animator, community, "Juste dans la fenêtre"), floor + timedelta(hours=1))
    happened_at(publish(animator, community, "Plus tard que maintenant"), now + timedelta(hours=1))

    digests = digests_of(long_ago, never, now=now)
    for person in (long_ago, never):
        assert digests[person.id].since == floor
        assert new_titles(digests[person.id]) == ["Juste dans la fenêtre"]


# --- Ranking ------------------------------------------------------------------------------------


def test_likes_comments_same_question_presses_and_announcements_rank_new_items(create_user, space):
    reader, fans = create_user("staff"), [create_user("staff") for _ in range(3)]
    community, animator = space(reader, *fans)
    liked = publish(animator, community, "Trois fois aimée")
    for fan in fans:
        reactions.like(fan, liked)
    shared = publish(animator, community, "Question partagée", kind="question")
    reactions.press_same_question(fans[0], shared)
    reactions.like(fans[1], shared)
    publish(animator, community, "Annonce officielle", kind="announcement")
    discussed = publish(animator, community, "Une fois commentée")
    comments.add_comment(fans[0], discussed, "Bonne idée")
    publish(animator, community, "Sans réaction")
    db.session.commit()
    now = utcnow()
    at = now - timedelta(days=1)
    db.session.execute(update(Activity).values(created_at=at))  # the same recency for all

    digest = digest_of(reader, now=now)
    recency = 6 * (1 - (now - at) / (now - digest.since))
    ranked = [(e.title, e.score) for e in digest.communities[0].entries]
    assert ranked == [
        ("Trois fois aimée", pytest.approx(6 + recency)),        # 2 × 3 likes
        ("Question partagée", pytest.approx(5 + recency)),       # 3 × 1 press + 2 × 1 like
        ("Annonce officielle", pytest.approx(4 + recency)),      # announcement
        ("Une fois commentée", pytest.approx(3 + recency)),      # 3 × 1 comment
        ("Sans réaction", pytest.approx(recency)),
    ]
    liked_entry = digest.communities[0].entries[0]
    assert (liked_entry.likes, liked_entry.comments, liked_entry.same_questions) == (3, 0, 0)


def test_recency_gives_up_to_six_points_over_the_window(create_user, space):
    reader = create_user("staff")
    community, animator = space(reader)
    now = utcnow()
    since = floor_of(now)
    happened_at(publish(animator, community, "Au milieu de la fenêtre"), since + (now - since) / 2)
    happened_at(publish(animator, community, "À l'instant"), now)
    happened_at(publish(animator, community, "Au début de la fenêtre"), since)

    digest = digest_of(reader, now=now)
    assert [(e.title, e.score) for e in digest.communities[0].entries] == [
        ("À l'instant", pytest.approx(6)), ("Au milieu de la fenêtre", pytest.approx(3)),
        ("Au début de la fenêtre", pytest.approx(0))]


def test_ties_go_to_the_newer_item(create_user, space):
    """2 comments at the very start of the window (6 + 0) against nothing just now (0 + 6): the newer first."""
    reader, fan = create_user("staff"), create_user("staff")
    community, animator = space(reader, fan)
    now = utcnow()
    discussed = publish(animator, community, "Discutée mais au début")
    for text in ("Premier avis", "Second avis"):
        comments.add_comment(fan, discussed, text)
    happened_at(discussed, floor_of(now))
    happened_at(publish(animator, community, "Publiée à l'instant"), now)

    digest = digest_of(reader, now=now)
    assert [(e.title, e.score) for e in digest.communities[0].entries] == [
        ("Publiée à l'instant", 6), ("Discutée mais au début", 6)]


def test_recency_can_outrank_a_like(create_user, space):
    reader, fan = create_user("staff"), create_user("staff")
    community, animator = space(reader, fan)
    now = utcnow()
    since = floor_of(now)
    old_liked = publish(animator, community, "Aimée mais ancienne")
    reactions.like(fan, old_liked)
    happened_at(old_liked, since + (now - since) / 10)  # 2 + 0.6 points
    happened_at(publish(animator, community, "Récente sans réaction"), now - timedelta(minutes=1))  # ~6 points

    assert new_titles(digest_of(reader, now=now)) == ["Récente sans réaction", "Aimée mais ancienne"]


def test_a_new_version_of_a_followed_document_gets_eight_points(create_user, space, create_document):
    reader = create_user("staff")
    notifications.set_preferences(reader, {"version": "never"})  # else it would be "for you"
    community, animator = space(reader)
    followed = create_document(community, animator, title="Protocole suivi", filename="suivi.pdf")
    other = create_document(community, animator, title="Protocole non suivi", filename="autre.pdf")
    follows.follow(reader, "document", followed.id)
    db.session.commit()
    now = utcnow()
    for document in (followed, other):
        happened_at(document, now - timedelta(days=3))
        add_version(animator, document, f"{document.title}, version 2")
    version_at(followed, 2, now - timedelta(hours=2))
    version_at(other, 2, now - timedelta(hours=1))  # more recent: first without the bonus

    digest = digest_of(reader, now=now)
    window = now - digest.since
    assert digest.for_you == []
    assert [(e.title, e.note, e.score) for e in digest.communities[0].entries] == [
        ("Protocole suivi", "Nouvelle version", pytest.approx(8 + 6 * (1 - timedelta(hours=2) / window))),
        ("Protocole non suivi", "Nouvelle version", pytest.approx(6 * (1 - timedelta(hours=1) / window))),
    ]


# --- Open questions -----------------------------------------------------------------------------

def waiting() -> datetime:
    """Asked before the digest's window (so not among the new items), still recent enough to remind of."""
    return utcnow() - timedelta(days=20)



def test_open_questions_are_listed_most_shared_first_up_to_the_cap(create_user, space, monkeypatch):
    monkeypatch.setattr(selection, "QUESTIONS", 3)
    reader, fans = create_user("staff"), [create_user("staff") for _ in range(2)]
    community, animator = space(reader, *fans, name="Hygiène")
    asked = {title: publish(animator, community, title, kind="question")
             for title in ("Q1 sans écho", "Q2 deux fois", "Q3 une fois", "Q4 sans écho")}
    for question in asked.values():
        happened_at(question, waiting())
    for fan in fans:
        reactions.press_same_question(fan, asked["Q2 deux fois"])
    reactions.press_same_question(fans[0], asked["Q3 une fois"])
    db.session.commit()

    digest = digest_of(reader)
    assert titles(digest.questions) == ["Q2 deux fois", "Q3 une fois", "Q4 sans écho"]  # newest first on ties
    assert {e.community.name for e in digest.questions} == {"Hygiène"}


def test_ones_own_question_is_not_a_reminder_and_takes_no_place(create_user, space, monkeypatch):
    monkeypatch.setattr(selection, "QUESTIONS", 1)
    reader, fan = create_user("staff"), create_user("staff")
    community, animator = space(reader, fan)
    own = publish(reader, community, "Ma question", kind="question")
    reactions.press_same_question(fan, own)
    happened_at(own, waiting())
    happened_at(publish(animator, community, "La question d'un autre", kind="question"), waiting())

    digests = digests_of(reader, fan)
    assert titles(digests[reader.id].questions) == ["La question d'un autre"]
    assert titles(digests[fan.id].questions) == ["Ma question"]


def test_a_new_question_appears_once_among_its_spaces_news_and_not_again_as_a_reminder(create_user, space):
    reader, fan = create_user("staff"), create_user("staff")
    community, animator = space(reader, fan, name="Hygiène")
    new = publish(animator, community, "Question de cette semaine", kind="question")
    reactions.press_same_question(fan, new)
    happened_at(publish(animator, community, "Question d'il y a trois semaines", kind="question"), waiting())

    digest = digest_of(reader)
    assert sections(digest) == [("Hygiène", ["Question de cette semaine"], 0)]
    assert titles(digest.questions) == ["Question d'il y a trois semaines"]


def test_a_new_question_left_out_of_a_full_space_section_is_still_a_reminder(create_user, space, monkeypatch):
    monkeypatch.setattr(ranking, "PER_COMMUNITY", 1)
    reader = create_user("staff")
    community, animator = space(reader, name="Hygiène")
    publish(animator, community, "Annonce importante", kind="announcement")
    publish(animator, community, "Question en attente", kind="question")

    digest = digest_of(reader)
    assert sections(digest) == [("Hygiène", ["Annonce importante"], 1)]
    assert titles(digest.questions) == ["Question en attente"]


def test_a_question_older_than_the_age_limit_is_not_a_reminder(create_user, space):
    reader = create_user("staff")
    community, animator = space(reader)
    now = utcnow()
    happened_at(publish(animator, community, "Un peu trop vieille", kind="question"),
                now - window.QUESTION_AGE - timedelta(minutes=1))
    happened_at(publish(animator, community, "Encore d'actualité", kind="question"),
                now - window.QUESTION_AGE + timedelta(minutes=1))

    assert titles(digest_of(reader, now=now).questions) == ["Encore d'actualité"]


def test_a_question_with_a_good_answer_or_deleted_is_not_a_reminder(create_user, space):
    reader, colleague = create_user("staff"), create_user("staff")
    community, animator = space(reader, colleague)
    answered = publish(animator, community, "Question résolue", kind="question")
    answers.accept_answer(animator, comments.add_comment(colleague, answered, "Voici la réponse"))
    publications.delete_publication(animator, publish(animator, community, "Question retirée", kind="question"))
    commented = publish(animator, community, "Question commentée sans bonne réponse", kind="question")
    comments.add_comment(colleague, commented, "Je ne sais pas")
    db.session.commit()
    for question in (answered, commented):
        happened_at(question, waiting())

    assert titles(digest_of(reader).questions) == ["Question commentée sans bonne réponse"]


# --- New members --------------------------------------------------------------------------------


def test_new_members_since_the_window_are_listed_per_community(create_user, space):
    reader = create_user("staff")
    urgences, animator = space(reader, name="Urgences")
    pediatrie, other = space(reader, name="Pédiatrie")
    animators = {urgences.id: animator, pediatrie.id: other}
    now = utcnow()
    people = {name: create_user("staff", name=name) for name in ("Alice", "Bruno", "Chloé", "Denis")}
    for name, community, hours in (("Bruno", urgences, 2), ("Alice", urgences, 3), ("Chloé", pediatrie, 1),
                                   ("Denis", urgences, 24 * 30)):
        communities.add_member(animators[community.id], community, people[name], "member")
        joined_at(people[name], community, now - timedelta(hours=hours))

    digests = digests_of(reader, people["Alice"], now=now)
    assert newcomers(digests[reader.id]) == {"Urgences": ["Alice", "Bruno"], "Pédiatrie": ["Chloé"]}
    assert newcomers(digests[people["Alice"].id]) == {"Urgences": ["Bruno"]}  # not oneself


def test_deactivated_and_expired_newcomers_are_not_announced(create_user, space):
    reader = create_user("staff")
    community, animator = space(reader, name="Gériatrie")
    active, deactivated, expired = (create_user("staff", name="Compte actif"), create_user("staff", name="Désactivé"),
                                    create_user("partner", name="Expiré"))
    for person in (active, deactivated, expired):
        communities.add_member(animator, community, person, "member")
    deactivated.deactivated_at = utcnow()  # after they joined: an inactive account cannot be added
    expired.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()

    assert newcomers(digest_of(reader)) == {"Gériatrie": ["Compte actif"]}


# --- Documents due for review -------------------------------------------------------------------


def test_documents_due_for_review_go_to_the_animators_and_their_creator_only(create_user, space, create_document):
    creator, reader = create_user("staff"), create_user("staff")
    community, animator = space(creator, reader, name="Qualité")
    _elsewhere, other_animator = space(creator, name="Ailleurs")
    today = local_today()
    happened_at(create_document(community, creator, title="Procédure à réviser", review_by=today + timedelta(days=5)),
                waiting())  # not news any more: only a reminder

    digests = digests_of(creator, reader, animator, other_animator)
    assert titles(digests[animator.id].due_documents) == ["Procédure à réviser"]
    assert titles(digests[creator.id].due_documents) == ["Procédure à réviser"]
    assert digests[reader.id].due_documents == [] and digests[other_animator.id].due_documents == []


def test_a_new_document_due_for_review_appears_once_among_its_spaces_news_with_its_date(
        create_user, space, create_document):
    creator = create_user("staff")
    community, animator = space(creator, name="Qualité")
    review_by = local_today() + timedelta(days=5)
    create_document(community, creator, title="Procédure à réviser", review_by=review_by)

    digest = digest_of(animator)
    assert sections(digest) == [("Qualité", ["Procédure à réviser"], 0)]
    [entry] = digest.communities[0].entries
    assert entry.note == "À réviser avant le " + babel_dates.format_date(review_by, "medium", locale="fr")
    assert digest.due_documents == []
    text = rendering.render(digest).text
    assert text.count("Procédure à réviser") == 1 and "À réviser avant le" in text


def test_documents_due_for_review_say_overdue_or_due_soon(create_user, space, create_document):
    community, animator = space(name="Stérilisation")
    now = utcnow()
    today = local_day(now)
    for title, days in (("Dans deux semaines", 14), ("En retard", -3), ("Trop loin", 15), ("Aujourd'hui", 0)):
        create_document(community, animator, title=title, filename=f"{days + 10}.pdf",
                        review_by=today + timedelta(days=days))
    documents.trash_document(animator, create_document(community, animator, title="À la corbeille",
                                                       filename="corbeille.pdf", review_by=today))
    create_document(community, animator, title="Sans échéance", filename="sans.pdf")
    db.session.commit()

    def day(days: int) -> str:  # « 7 déc. 2026 », as every date in the product
        return babel_dates.format_date(today + timedelta(days=days), "medium", locale="fr")

    due = digest_of(animator, now=now).due_documents
    assert [(e.title, e.note) for e in due] == [
        ("En retard", f"Révision en retard depuis le {day(-3)}"),
        ("Aujourd'hui", f"À réviser avant le {day(0)}"),
        ("Dans deux semaines", f"À réviser avant le {day(14)}"),
    ]


# --- Worth sending ------------------------------------------------------------------------------


def test_reminders_alone_do_not_make_a_digest_worth_sending(create_user, space, create_document):
    member = create_user("staff")
    community, animator = space(member)
    now = utcnow()
    question = publish(member, community, "Question restée ouverte", kind="question")
    document = create_document(community, animator, title="Fiche à réviser", review_by=now.date() + timedelta(days=3))
    for item in (question, document):
        happened_at(item, now - timedelta(days=20))  # before the window, within the questions' age

    digest = digest_of(animator, now=now)
    assert titles(digest.questions) == ["Question restée ouverte"]
    assert titles(digest.due_documents) == ["Fiche à réviser"]
    assert digest.item_count == 0 and digest.is_empty


def test_every_news_section_counts_towards_the_items_but_new_members(create_user, space):
    reader, colleague = create_user("staff"), create_user("staff")
    notifications.set_preferences(reader, {"mention": "digest"})
    community, animator = space(reader, colleague)
    publish(colleague, community, "Pour toi", body=f"@{handle(reader)} tiens")
    pins.pin(animator, publish(animator, community, "Épinglée"))
    publish(animator, community, "Nouvelle 1")
    publish(animator, community, "Nouvelle 2")
    communities.add_member(animator, community, create_user("staff", name="Arrivée récente"), "member")
    db.session.commit()

    digest = digest_of(reader)
    assert (len(digest.for_you), len(digest.pinned), len(new_titles(digest)), len(digest.new_members)) == (1, 1, 2, 1)
    assert digest.item_count == 4 and not digest.is_empty  # new members are told, not counted


def test_nothing_at_all_is_empty(create_user, space):
    reader = create_user("staff")
    space(reader)
    digest = digest_of(reader)
    assert digest.item_count == 0 and digest.is_empty


def test_new_members_alone_do_not_make_a_digest_worth_sending(create_user, space):
    reader = create_user("staff")
    community, animator = space(reader, name="Maternité")
    communities.add_member(animator, community, create_user("staff", name="Sage-femme arrivée"), "member")

    digest = digest_of(reader)
    assert newcomers(digest) == {"Maternité": ["Sage-femme arrivée"]}
    assert digest.is_empty


# --- A batch of people --------------------------------------------------------------------------


def test_a_batch_gives_each_person_their_own_digest(create_user, create_community, space, create_document):
    ana, sam = create_user("staff", name="Ana"), create_user("staff", name="Sam")
    partner = create_user("partner", name="Partenaire ARS")
    admin = create_user("admin", name="Administratrice")
    for person in (ana, sam):
        notifications.set_preferences(person, {"mention": "digest"})
    shared, shared_animator = space(ana, partner, name="CPOM Tilleuls")
    board, board_animator = space(ana, sam, name="Comité de direction")
    public = create_community(board_animator, visibility="public", name="Forum public")
    publish(shared_animator, shared, "Diagnostic partagé")
    publish(board_animator, board, "Budget confidentiel", body=f"@{handle(ana)} à valider")
    pins.pin(board_animator, publish(board_animator, board, "Ordre du jour épinglé"))
    publish(board_animator, board, "Arbitrages en suspens", kind="question")
    create_document(board, sam, title="Plan de financement", review_by=local_today())
    communities.add_member(board_animator, board, create_user("staff", name="Nouvelle directrice"), "member")
    publish(board_animator, public, "Ouvert à tous", body=f"@{handle(sam)} tu peux lire ceci")
    db.session.commit()

    digests = digests_of(ana, partner, sam, admin, board_animator)
    assert set(digests) == {ana.id, partner.id, sam.id, admin.id, board_animator.id}
    assert all(d.user.id == uid for uid, d in digests.items())

    mine = digests[ana.id]
    assert communities_in(mine) == {"CPOM Tilleuls", "Comité de direction"}
    assert titles(mine.for_you) == ["Budget confidentiel"]
    assert titles(mine.pinned) == ["Ordre du jour épinglé"]
    assert sorted(new_titles(mine)) == ["Arbitrages en suspens", "Diagnostic partagé", "Plan de financement"]
    assert newcomers(mine) == {"Comité de direction": ["Nouvelle directrice"]}

    theirs = digests[partner.id]
    assert communities_in(theirs) == {"CPOM Tilleuls"}
    assert new_titles(theirs) == ["Diagnostic partagé"]
    assert theirs.for_you == theirs.pinned == theirs.questions == theirs.due_documents == []
    assert theirs.new_members == []

    his = digests[sam.id]  # mentioned in a public community he is not a member of: not in his digest
    assert db.session.scalar(select(Notification.id).where(Notification.user_id == sam.id)) is not None
    assert communities_in(his) == {"Comité de direction"}
    assert his.for_you == [] and titles(his.pinned) == ["Ordre du jour épinglé"]
    assert sorted(new_titles(his)) == ["Arbitrages en suspens", "Budget confidentiel"]
    # The new question is among its space's news: the reminders do not repeat it.
    assert his.questions == [] and titles(his.due_documents) == ["Plan de financement"]

    animator_digest = digests[board_animator.id]  # Sam's new document is among the news, with its date, once
    assert "Plan de financement" in new_titles(animator_digest) and animator_digest.due_documents == []
    assert newcomers(animator_digest) == {"Comité de direction": ["Nouvelle directrice"]}

    # An administrator may read every community, but their digest reads only those they belong to.
    assert digests[admin.id].is_empty and communities_in(digests[admin.id]) == set()
    assert digests[admin.id].questions == digests[admin.id].due_documents == []
    for digest in digests.values():
        assert "Ouvert à tous" not in new_titles(digest)


def test_a_person_in_no_community_gets_an_empty_digest(create_user, space):
    loner = create_user("staff")
    community, animator = space()
    publish(animator, community, "Rien pour les autres")
    now = utcnow()

    digest = digest_of(loner, now=now)
    assert digest.since == floor_of(now) and digest.period == week(now)
    assert digest.is_empty and digest.questions == [] and digest.due_documents == []
    assert select_digests([], week(now), now) == {}
