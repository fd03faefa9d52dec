"""Publications: what each kind needs, tags, place, attachments, edit and delete rights, wiki versions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rse.database import db
from rse.errors import Conflict, NotFound, PermissionDenied, ValidationError
from rse.feeds.models import Activity, Attachment, Pin, Publication, Tagging, WikiVersion
from rse.feeds.publications import pins, wiki
from rse.feeds.publications import service as publications
from rse.feeds.streams import service as streams

MINIMAL = {
    "post": {"body": "Bonjour à tous"},
    "announcement": {"title": "Nouvelle cafétéria", "body": "Ouverture lundi."},
    "question": {"title": "Où trouver le protocole ?"},
    "link": {"url": "https://www.ght-exemple.fr/protocoles"},
    "wiki": {"title": "Procédure d'accueil", "body": "Étape 1"},
}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _ids(page):
    return [item.item.id for item in page.items]


# --- Each kind ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(MINIMAL))
def test_each_kind_is_published_with_its_activity(world, kind, publish):
    public = world.spaces["public"]
    publication = publish(world.member, public, kind, **MINIMAL[kind])
    assert (publication.kind, publication.author_id, publication.community_id) == (kind, world.member.id, public.id)
    activity = db.session.scalar(select(Activity).where(Activity.publication_id == publication.id))
    assert (activity.verb, activity.kind, activity.community_id) == ("published", kind, public.id)
    assert _ids(streams.community(world.member, public)) == [publication.id]


@pytest.mark.parametrize(("kind", "missing"), [
    ("post", "body"),
    ("announcement", "title"),
    ("announcement", "body"),
    ("question", "title"),
    ("link", "url"),
    ("wiki", "title"),
    ("wiki", "body"),
])
def test_each_kind_requires_its_fields(world, kind, missing, refused):
    data = {"kind": kind, **MINIMAL[kind], missing: "   "}
    error = refused(ValidationError, publications.publish, world.member, world.spaces["public"], data)
    assert missing in error.fields
    assert _count(Publication) == 0 and _count(Activity) == 0


def test_a_question_needs_no_body(world, publish):
    question = publish(world.member, world.spaces["public"], "question", body="", **MINIMAL["question"])
    assert question.body == "" and question.title == "Où trouver le protocole ?"


def test_body_is_rendered_once_when_saved(world, publish):
    post = publish(world.member, world.spaces["public"], body="**Important** : lire *ceci*")
    assert "<strong>Important</strong>" in post.body_html and "<em>ceci</em>" in post.body_html


@pytest.mark.parametrize("url", [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "  javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "ftp://ftp.ght-exemple.fr/fichier",
    "vbscript:msgbox(1)",
    "//evil.example/",
    "https://",
    "www.ght-exemple.fr",
])
def test_a_link_takes_only_http_or_https(world, url, refused):
    error = refused(ValidationError, publications.publish, world.member, world.spaces["public"],
                     {"kind": "link", "url": url})
    assert "url" in error.fields
    assert _count(Publication) == 0


def test_link_title_defaults_to_its_url(world, publish):
    link = publish(world.member, world.spaces["public"], "link", url="http://intranet.ght-exemple.fr/menu")
    assert link.title == "http://intranet.ght-exemple.fr/menu"
    named = publish(world.member, world.spaces["public"], "link", title="Le menu")
    assert named.title == "Le menu"


def test_link_title_emptied_on_edit_falls_back_to_the_url(world, publish):
    link = publish(world.member, world.spaces["public"], "link", title="Le menu")
    publications.update_publication(world.member, link, {"title": ""})
    db.session.commit()
    assert link.title == link.url


def test_only_a_link_carries_a_url(world, refused):
    error = refused(ValidationError, publications.publish, world.member, world.spaces["public"],
                     {"kind": "post", "body": "Voir", "url": "https://www.ght-exemple.fr/"})
    assert "url" in error.fields


def test_a_reader_may_not_publish(world, create_user, refused):
    from rse.communities import service as communities

    reader = create_user("staff")
    communities.add_member(world.animator, world.spaces["public"], reader, "reader")
    db.session.commit()
    error = refused(PermissionDenied, publications.publish, reader, world.spaces["public"], {"kind": "post", "body": "x"})
    assert not error.hidden
    assert _count(Publication) == 0


def test_a_partner_outside_the_community_gets_not_found(world, refused):
    error = refused(PermissionDenied, publications.publish, world.stranger, world.spaces["public"],
                     {"kind": "post", "body": "x"})
    assert error.hidden and error.status == 404


# --- Tags and place -----------------------------------------------------------------------------

def test_tags_are_kept_as_first_typed_and_matched_folded(world, publish):
    post = publish(world.member, world.spaces["public"], tags=["Hôpital", "hopital", "HÔPITAL", "Hygiène des mains"])
    assert post.tags == ["Hôpital", "Hygiène des mains"]
    rows = db.session.execute(select(Tagging.tag, Tagging.label).where(Tagging.publication_id == post.id)
                              .order_by(Tagging.id)).all()
    assert [tuple(r) for r in rows] == [("hopital", "Hôpital"), ("hygiene des mains", "Hygiène des mains")]
    for asked in ("hopital", "HOPITAL", "Hôpital", "  hôpital "):
        assert _ids(streams.tag(world.member, asked)) == [post.id]
    assert streams.tag_label(None, "hopital") == "hopital"  # nobody reads the spelling


def test_tags_from_a_comma_separated_string(world, publish):
    post = publish(world.member, world.spaces["public"], tags="urgences, #Pédiatrie ,,  nuit ")
    assert post.tags == ["urgences", "Pédiatrie", "nuit"]


def test_editing_tags_moves_the_item_between_tag_streams(world, publish):
    post = publish(world.member, world.spaces["public"], tags=["Cardiologie"])
    publications.update_publication(world.member, post, {"tags": ["Neurologie"]})
    db.session.commit()
    assert _ids(streams.tag(world.member, "cardiologie")) == []
    assert _ids(streams.tag(world.member, "neurologie")) == [post.id]


def test_place_is_kept(world, publish):
    post = publish(world.member, world.spaces["public"], place="Site Nord, bâtiment B, 2e étage")
    assert db.session.get(Publication, post.id).place == "Site Nord, bâtiment B, 2e étage"


# --- Attachments --------------------------------------------------------------------------------

def test_attachments_are_documents_of_the_same_community_in_order(world, create_document, publish):
    public = world.spaces["public"]
    first = create_document(public, world.member, title="Premier")
    second = create_document(public, world.member, title="Second")
    post = publish(world.member, public, attachments=[second.id, first.id])
    assert [d.id for d in publications.attachments(post)] == [second.id, first.id]


def test_a_document_of_another_community_cannot_be_attached(world, create_document, refused):
    elsewhere = create_document(world.spaces["private"], world.member)
    error = refused(ValidationError, publications.publish, world.member, world.spaces["public"],
                     {"kind": "post", "body": "Voir", "attachments": [elsewhere.id]})
    assert "attachments" in error.fields
    assert _count(Publication) == 0 and _count(Attachment) == 0


def test_a_trashed_document_cannot_be_attached_and_leaves_the_list_when_trashed(world, create_document, publish, refused):
    from rse.documents import service as documents

    public = world.spaces["public"]
    kept, trashed = create_document(public, world.member), create_document(public, world.member)
    post = publish(world.member, public, attachments=[kept.id])
    documents.trash_document(world.member, trashed)
    db.session.commit()
    error = refused(ValidationError, publications.update_publication, world.member, post,
                     {"attachments": [kept.id, trashed.id]})
    assert "attachments" in error.fields
    assert [d.id for d in publications.attachments(post)] == [kept.id]
    documents.trash_document(world.member, kept)
    db.session.commit()
    assert publications.attachments(post) == []


def test_attachments_must_be_ids(world, refused):
    error = refused(ValidationError, publications.publish, world.member, world.spaces["public"],
                     {"kind": "post", "body": "Voir", "attachments": ["un", "deux"]})
    assert "attachments" in error.fields


# --- Edit ---------------------------------------------------------------------------------------

def test_the_author_edits_their_post(world, publish):
    post = publish(world.member, world.spaces["public"], body="Avant")
    publications.update_publication(world.member, post, {"body": "Après **modif**"})
    db.session.commit()
    fresh = db.session.get(Publication, post.id)
    assert fresh.body == "Après **modif**" and "<strong>modif</strong>" in fresh.body_html


@pytest.mark.parametrize("who", ["animator", "admin", "partner"])
def test_only_the_author_edits_a_post(world, who, publish, refused):
    post = publish(world.member, world.spaces["public"], body="Avant")
    error = refused(PermissionDenied, publications.update_publication, getattr(world, who), post, {"body": "Après"})
    assert not error.hidden
    assert db.session.get(Publication, post.id).body == "Avant"


@pytest.mark.parametrize("who", ["stranger", "outsider"])
def test_who_may_not_read_gets_not_found_on_edit(world, who, publish, refused):
    post = publish(world.member, world.spaces["private"], body="Avant")
    error = refused(PermissionDenied, publications.update_publication, getattr(world, who), post, {"body": "Après"})
    assert error.hidden


def test_edit_refuses_unknown_fields(world, publish, refused):
    post = publish(world.member, world.spaces["public"], body="Avant")
    error = refused(ValidationError, publications.update_publication, world.member, post, {"kind": "wiki"})
    assert "kind" in error.fields
    assert db.session.get(Publication, post.id).kind == "post"


def test_any_contributor_edits_a_wiki_page(world, publish):
    page = publish(world.animator, world.spaces["public"], "wiki", **MINIMAL["wiki"])
    publications.update_publication(world.member, page, {"body": "Étape 1\nÉtape 2"})
    publications.update_publication(world.admin, page, {"body": "Étape 1\nÉtape 2\nÉtape 3"})
    db.session.commit()
    authors = [v.author_id for v in wiki.wiki_versions(world.member, page)]
    assert authors == [world.admin.id, world.member.id, world.animator.id]


def test_a_reader_may_not_edit_a_wiki_page(world, create_user, publish, refused):
    from rse.communities import service as communities

    reader = create_user("staff")
    communities.add_member(world.animator, world.spaces["public"], reader, "reader")
    page = publish(world.animator, world.spaces["public"], "wiki")
    refused(PermissionDenied, publications.update_publication, reader, page, {"body": "Vandale"})
    assert _count(WikiVersion) == 1


# --- Delete -------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["member", "animator", "admin"])
def test_author_animator_or_admin_deletes_and_it_leaves_every_stream(world, who, publish, refused):
    public = world.spaces["public"]
    post = publish(world.member, public, tags=["Cantine"])
    pins.pin(world.animator, post)
    pins.pin(world.admin, post, home=True)
    db.session.commit()
    publications.delete_publication(getattr(world, who), post)
    db.session.commit()
    assert _count(Pin) == 0
    assert post.id not in _ids(streams.home(world.member))
    assert post.id not in _ids(streams.community(world.member, public))
    assert post.id not in _ids(streams.tag(world.member, "cantine"))
    assert post.id not in _ids(streams.person(world.member, world.member))
    assert streams.home(world.member).pins == []
    error = refused(PermissionDenied, publications.get_publication, world.member, post.id)
    assert error.hidden


def test_another_member_may_not_delete(world, create_user, publish, refused):
    post = publish(world.animator, world.spaces["public"])
    error = refused(PermissionDenied, publications.delete_publication, world.member, post)
    assert not error.hidden
    assert db.session.get(Publication, post.id).deleted_at is None


@pytest.mark.parametrize("who", ["stranger", "outsider"])
def test_who_may_not_read_gets_not_found_on_delete(world, who, publish, refused):
    post = publish(world.animator, world.spaces["private"])
    error = refused(PermissionDenied, publications.delete_publication, getattr(world, who), post)
    assert error.hidden
    assert db.session.get(Publication, post.id).deleted_at is None


def test_a_deleted_publication_is_deleted_once(world, publish, refused):
    post = publish(world.member, world.spaces["public"])
    publications.delete_publication(world.member, post)
    db.session.commit()
    error = refused(PermissionDenied, publications.delete_publication, world.member, post)
    assert error.hidden


# --- Wiki versions ------------------------------------------------------------------------------

def _wiki(publish, world, body="Ligne A\nLigne B"):
    return publish(world.animator, world.spaces["public"], "wiki", title="Accueil", body=body)


def test_every_wiki_edit_is_a_version_and_an_edit_without_change_adds_none(world, publish):
    page = _wiki(publish, world)
    publications.update_publication(world.member, page, {"body": "Ligne A\nLigne B\nLigne C", "note": "ajout C"})
    db.session.commit()
    publications.update_publication(world.member, page, {"body": "Ligne A\nLigne B\nLigne C"})
    publications.update_publication(world.member, page, {"title": "Accueil", "place": "Site Sud"})
    db.session.commit()
    versions = wiki.wiki_versions(world.member, page)
    assert [(v.number, v.note) for v in versions] == [(2, "ajout C"), (1, "")]
    assert page.wiki_number == 2
    edited = db.session.scalars(select(Activity.version_number).where(
        Activity.publication_id == page.id, Activity.verb == "edited")).all()
    assert edited == [2]


def test_wiki_title_change_is_a_version(world, publish):
    page = _wiki(publish, world)
    publications.update_publication(world.member, page, {"title": "Accueil des nouveaux"})
    db.session.commit()
    assert [v.title for v in wiki.wiki_versions(world.member, page)] == ["Accueil des nouveaux", "Accueil"]


def test_diff_between_any_two_versions(world, publish):
    page = _wiki(publish, world, "Ligne A\nLigne B\nLigne C")
    publications.update_publication(world.member, page, {"body": "Ligne A\nLigne B modifiée\nLigne C"})
    publications.update_publication(world.member, page, {"body": "Ligne A\nLigne B modifiée\nLigne C\nLigne D"})
    db.session.commit()
    diff = wiki.wiki_diff(world.member, page, 1, 3)
    assert ("-", "Ligne B") in diff and ("+", "Ligne B modifiée") in diff and ("+", "Ligne D") in diff
    assert ("=", "Ligne A") in diff and ("=", "# Accueil") in diff
    backwards = wiki.wiki_diff(world.member, page, 3, 1)
    assert ("+", "Ligne B") in backwards and ("-", "Ligne D") in backwards
    assert [tag for tag, _line in wiki.wiki_diff(world.member, page, 2, 2)] == ["="] * 4


def test_diff_of_a_missing_version_is_not_found(world, publish):
    page = _wiki(publish, world)
    for number in (0, 2, "1", None):
        with pytest.raises(NotFound):
            wiki.wiki_diff(world.member, page, 1, number)


def test_restoring_an_old_version_adds_a_new_one_with_its_content(world, publish):
    page = _wiki(publish, world, "Version un")
    publications.update_publication(world.member, page, {"title": "Autre titre", "body": "Version deux"})
    db.session.commit()
    restored = wiki.restore_wiki_version(world.member, page, 1)
    db.session.commit()
    assert (restored.number, restored.restored_from, restored.body, restored.title) == (3, 1, "Version un", "Accueil")
    fresh = db.session.get(Publication, page.id)
    assert (fresh.title, fresh.body, fresh.wiki_number) == ("Accueil", "Version un", 3)
    assert "Version un" in fresh.body_html
    assert [v.number for v in wiki.wiki_versions(world.member, page)] == [3, 2, 1]


def test_restoring_the_current_version_is_a_conflict(world, publish, refused):
    page = _wiki(publish, world)
    publications.update_publication(world.member, page, {"body": "Nouveau"})
    db.session.commit()
    error = refused(Conflict, wiki.restore_wiki_version, world.member, page, 2)
    assert error.code == "already_current"
    assert _count(WikiVersion) == 2


def test_restoring_is_refused_to_who_may_not_edit(world, publish, refused):
    page = _wiki(publish, world)
    publications.update_publication(world.member, page, {"body": "Nouveau"})
    db.session.commit()
    error = refused(PermissionDenied, wiki.restore_wiki_version, world.outsider, page, 1)
    assert not error.hidden  # a staff member reads a public community's wiki but does not edit it
    assert _count(WikiVersion) == 2


def test_versions_are_only_for_who_may_read(world, publish):
    page = publish(world.animator, world.spaces["secret"], "wiki")
    with pytest.raises(PermissionDenied) as error:
        wiki.wiki_versions(world.outsider, page)
    assert error.value.hidden
