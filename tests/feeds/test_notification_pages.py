"""Notification pages: the bell, the list, opening one, marking all read, email preferences,
the "Proposer à…" form with its people picker, and who may open each of them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from rse.communities import service as communities
from rse.database import db
from rse.feeds.models import Notification, NotificationPreference, Suggestion
from rse.feeds.notifications import service as notifications
from rse.feeds.publications import service as publications
from rse.feeds.social import comments, suggestions
from tests.test_permissions import ACTORS, GONE, LOGIN, _web_client, expect


def _suggest(actor, item, **kwargs):
    suggestion = suggestions.suggest(actor, item, **kwargs)
    db.session.commit()
    return suggestion


def _suggestions() -> int:
    return db.session.scalar(select(func.count()).select_from(Suggestion))


def _text(response) -> str:
    return response.get_data(as_text=True)


def _unread(user) -> int:
    return notifications.unread_count(user)


# --- The bell -----------------------------------------------------------------------------------

def test_the_bell_says_how_many_notifications_are_unread(world, login, publish):
    client = login(world.member)
    page = _text(client.get("/espaces"))
    assert 'class="header-bell"' in page and "Notifications, aucune non lue" in page

    post = publish(world.animator, world.spaces["public"], body="Nouveau protocole")
    for _n in range(3):
        _suggest(world.animator, post, users=[world.member.id])
    page = _text(client.get("/espaces"))
    assert "3 notifications non lues" in page
    assert re.search(r'class="header-bell-count" aria-hidden="true">3</span>', page)
    assert 'href="/notifications"' in page


def test_anonymous_visitors_have_no_bell(client):
    page = _text(client.get("/connexion"))
    assert "header-bell" not in page and "/notifications" not in page


def test_a_page_still_renders_when_the_count_cannot_be_read(world, login, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def down(actor):
        raise OperationalError("SELECT count(*) FROM notifications", {}, Exception("server closed the connection"))

    client = login(world.member)
    monkeypatch.setattr(notifications, "unread_count", down)
    response = client.get("/espaces")
    assert response.status_code == 200 and "header-bell" not in _text(response)


# --- The list -----------------------------------------------------------------------------------

def test_the_list_says_who_did_what_newest_first(world, login, publish):
    handle = world.member.email.split("@")[0]
    private = world.spaces["private"]
    publish(world.animator, private, body=f"Merci @{handle} pour le relevé")
    wiki = publications.publish(world.animator, private, {"kind": "wiki", "title": "Procédure d'astreinte",
                                                     "body": "Appeler le cadre de garde"})
    db.session.commit()
    _suggest(world.animator, wiki, users=[world.member.id], message="À relire avant jeudi")
    own = publish(world.member, private, body="Ma question du jour")
    comments.add_comment(world.animator, own, "Voici un premier élément de réponse")
    db.session.commit()

    page = _text(login(world.member).get("/notifications"))
    lines = [
        "Animatrice vous a mentionné dans « Merci @",
        "Animatrice vous propose « Procédure d&#39;astreinte »",
        "Nouveau commentaire de Animatrice sur « Ma question du jour »",
    ]
    positions = [page.find(line) for line in lines]
    assert all(p > 0 for p in positions), positions
    assert positions == sorted(positions, reverse=True)  # newest first
    assert "À relire avant jeudi" in page and "Voici un premier élément de réponse" in page
    assert page.count("Non lue :") == 3 and "Espace private" in page
    assert 'href="/notifications/preferences"' in page


def test_opening_a_notification_marks_it_read_and_goes_to_the_item(world, login, publish):
    post = publish(world.member, world.spaces["public"], body="Qui a la clé du local ?")
    comment = comments.add_comment(world.animator, post, "Moi")
    db.session.commit()
    row = db.session.scalars(select(Notification).where(Notification.user_id == world.member.id)).one()
    client = login(world.member)

    response = client.get(f"/notifications/{row.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/publications/{post.id}#commentaire-{comment.id}")
    db.session.refresh(row)
    assert row.read_at is not None and _unread(world.member) == 0
    assert "Non lue :" not in _text(client.get("/notifications"))


def test_a_document_notification_opens_the_document(world, login, create_document):
    document = create_document(world.spaces["private"], world.animator, title="Plan blanc")
    _suggest(world.animator, document, users=[world.member.id])
    row = db.session.scalars(select(Notification).where(Notification.user_id == world.member.id)).one()
    response = login(world.member).get(f"/notifications/{row.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/documents/{document.id}")


def test_nobody_opens_the_notification_of_someone_else(world, login, publish):
    post = publish(world.animator, world.spaces["public"])
    _suggest(world.animator, post, users=[world.member.id])
    row = db.session.scalars(select(Notification)).one()
    assert login(world.partner).get(f"/notifications/{row.id}").status_code == 404
    assert login(world.member).get("/notifications/999999").status_code == 404
    db.session.refresh(row)
    assert row.read_at is None


def test_mark_all_read(world, login, publish):
    post = publish(world.animator, world.spaces["public"])
    _suggest(world.animator, post, users=[world.member.id, world.partner.id])
    _suggest(world.animator, post, users=[world.member.id])
    client = login(world.member)
    assert "Tout marquer comme lu" in _text(client.get("/notifications"))
    response = client.post("/notifications/tout-lire")
    assert response.status_code == 302 and response.headers["Location"].endswith("/notifications")
    assert _unread(world.member) == 0
    assert _unread(world.partner) == 1  # only one's own
    page = _text(client.get("/notifications"))
    assert "Tout marquer comme lu" not in page and "Non lue :" not in page


def test_the_unread_filter(world, login, publish):
    post = publish(world.animator, world.spaces["public"], body="Premier")
    second = publish(world.animator, world.spaces["public"], body="Second")
    _suggest(world.animator, post, users=[world.member.id])
    _suggest(world.animator, second, users=[world.member.id])
    first = db.session.scalars(select(Notification).where(Notification.publication_id == post.id)).one()
    notifications.mark_read(world.member, [first.id])
    db.session.commit()
    client = login(world.member)
    unread_page = _text(client.get("/notifications?non_lues=1"))
    assert "« Second »" in unread_page and "« Premier »" not in unread_page
    everything = _text(client.get("/notifications"))
    assert "« Second »" in everything and "« Premier »" in everything
    notifications.mark_read(world.member)
    db.session.commit()
    assert "Aucune notification non lue" in _text(client.get("/notifications?non_lues=1"))


@pytest.mark.slow
def test_more_notifications_come_by_keyset_pages(world, login, publish):
    posts = [publish(world.animator, world.spaces["public"], body=f"Note numéro {n:02d}") for n in range(35)]
    for post in posts:
        notifications.notify("comment", world.animator, post, [world.member.id])
    db.session.commit()
    client = login(world.member)
    page = _text(client.get("/notifications"))
    assert page.count('class="notification ') == 30
    assert "Note numéro 34" in page and "Note numéro 04" not in page
    before = re.search(r'href="/notifications\?before=(\d+)"', page).group(1)

    partial = _text(client.get(f"/notifications?before={before}", headers={"HX-Request": "true"}))
    assert "<html" not in partial and partial.count('class="notification ') == 5
    assert "Note numéro 04" in partial and "Note numéro 00" in partial and "Note numéro 05" not in partial
    assert "before=" not in partial  # the last page has no "Voir plus"

    full = client.get(f"/notifications?before={before}")
    assert full.status_code == 200 and "Revenir aux plus récentes" in _text(full)


def test_a_partner_removed_from_a_community_loses_its_notifications(world, login, publish):
    private = world.spaces["private"]
    post = publish(world.animator, private, body="Ordre du jour du comité")
    _suggest(world.animator, post, users=[world.partner.id], message="Pour préparer la réunion")
    row = db.session.scalars(select(Notification).where(Notification.user_id == world.partner.id)).one()
    client = login(world.partner)
    assert "1 notification non lue" in _text(client.get("/notifications"))
    assert "Ordre du jour du comité" in _text(client.get("/notifications"))

    communities.remove_member(world.animator, private, world.partner.id)
    db.session.commit()
    assert _unread(world.partner) == 0
    page = _text(client.get("/notifications"))
    assert "Ordre du jour du comité" not in page and "Pour préparer la réunion" not in page
    assert "Notifications, aucune non lue" in page
    assert client.get(f"/notifications/{row.id}").status_code == 404


# --- Email preferences --------------------------------------------------------------------------

def test_the_preferences_page_shows_every_kind_with_its_current_mode(world, login):
    response = login(world.member).get("/notifications/preferences", follow_redirects=True)
    assert response.request.path == "/profil/lettre"  # the old address leads to the one page of emails
    page = _text(response)
    for kind in ("mention", "suggestion", "comment", "answer", "followed", "version"):
        assert f'name="{kind}" value="immediate"' in page and f'name="{kind}" value="never"' in page
    assert 'name="mention" value="immediate" checked' in page
    assert 'name="comment" value="digest" checked' in page
    assert "Tout de suite" in page and "Dans le résumé" in page and "Jamais" in page
    assert "hebdomadaire" not in page  # the digest may be daily: no column says weekly


def test_saving_preferences(world, login):
    client = login(world.member)
    response = client.post("/notifications/preferences", data={"mention": "never", "comment": "immediate",
                                                               "like": "never"})
    assert response.status_code == 307 and response.headers["Location"].endswith("/profil/lettre")
    response = client.post("/profil/lettre", data={"mention": "never", "comment": "immediate", "like": "never"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/profil/lettre")
    assert notifications.preferences(world.member)["mention"] == "never"
    assert notifications.preferences(world.member)["comment"] == "immediate"
    page = _text(client.get("/profil/lettre"))
    assert 'name="mention" value="never" checked' in page and "Vos préférences de courriel sont enregistrées." in page


@pytest.mark.parametrize("value", ["weekly", "", "IMMEDIATE"])
def test_a_bad_preference_is_shown_and_nothing_is_saved(world, login, value):
    response = login(world.member).post("/notifications/preferences", data={"mention": "never", "comment": value},
                                        follow_redirects=True)
    assert response.status_code == 422
    page = _text(response)
    assert "Choisissez immediate, digest ou never." in page and 'id="pref-comment-error"' in page
    assert db.session.scalar(select(func.count()).select_from(NotificationPreference)) == 0


def test_the_account_preferences_link_to_the_email_preferences(world, login):
    assert 'href="/notifications/preferences"' in _text(login(world.member).get("/profil/preferences"))


# --- Suggest form -------------------------------------------------------------------------------

def test_the_suggest_form_shows_the_item_and_the_communities_one_may_suggest_to(world, login, create_community, publish):
    elsewhere = create_community(world.outsider, visibility="public", name="Espace des cadres")
    post = publish(world.animator, world.spaces["public"], body="Formation incendie", kind="announcement",
                    title="Formation incendie")
    page = _text(login(world.member).get(f"/proposer?publication={post.id}"))
    assert "Formation incendie" in page and 'name="message"' in page
    for space in (world.spaces["public"], world.spaces["private"], world.spaces["secret"], elsewhere):
        assert f'name="communities" value="{space.id}"' in page
    assert 'name="everyone"' not in page  # administrators only

    partner_page = _text(login(world.partner).get(f"/proposer?publication={post.id}"))
    assert f'name="communities" value="{elsewhere.id}"' not in partner_page
    assert f'name="communities" value="{world.spaces["private"].id}"' in partner_page
    assert 'name="everyone"' in _text(login(world.admin).get(f"/proposer?publication={post.id}"))


def test_suggest_to_a_person(world, login, publish):
    post = publish(world.animator, world.spaces["public"], body="Menu de la cantine")
    response = login(world.member).post(f"/proposer?publication={post.id}",
                                        data={"users": [str(world.outsider.id)], "message": "Jeudi : couscous"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/publications/{post.id}")
    suggestion = db.session.scalars(select(Suggestion)).one()
    assert (suggestion.sender_id, suggestion.message, suggestion.recipients["users"]) == (
        world.member.id, "Jeudi : couscous", [world.outsider.id])
    assert [n.user_id for n in db.session.scalars(select(Notification))] == [world.outsider.id]


def test_suggest_a_document_to_a_community(world, login, create_document):
    document = create_document(world.spaces["private"], world.animator, title="Plan blanc")
    response = login(world.member).post(f"/proposer?document={document.id}",
                                        data={"communities": [str(world.spaces["private"].id)]})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/documents/{document.id}")
    suggestion = db.session.scalars(select(Suggestion)).one()
    assert suggestion.document_id == document.id and suggestion.recipients["communities"] == [
        world.spaces["private"].id]
    told = set(db.session.scalars(select(Notification.user_id)))
    assert told == {world.animator.id, world.partner.id}


def test_an_admin_suggests_to_everyone(world, login, publish):
    post = publish(world.animator, world.spaces["public"], body="Portes ouvertes")
    response = login(world.admin).post(f"/proposer?publication={post.id}", data={"everyone": "y"})
    assert response.status_code == 302
    assert db.session.scalars(select(Suggestion)).one().everyone is True


@pytest.mark.parametrize("case", ["cannot_read", "partner_outside", "everyone", "too_long", "nobody", "not_ids"])
def test_refusals_are_form_errors_and_save_nothing(world, login, create_community, case, publish):
    private_post = publish(world.animator, world.spaces["private"], body="Compte rendu")
    other = create_community(world.outsider, visibility="public", name="Espace sans partenaire")
    actor, data, message = {
        "cannot_read": (world.member, {"users": [str(world.stranger.id)]},
                        "Ne peut pas lire cet élément : Partenaire étranger."),
        "partner_outside": (world.partner, {"communities": [str(other.id)]}, "Espace introuvable."),
        "everyone": (world.member, {"everyone": "y"}, "Seuls les administrateurs proposent à tout le monde."),
        "too_long": (world.member, {"users": [str(world.animator.id)], "message": "x" * 501},
                     "500 caractères au maximum."),
        "nobody": (world.member, {"message": "Pour vous"}, "Choisissez au moins une personne ou un espace."),
        "not_ids": (world.member, {"users": ["trois"]}, "Une liste d&#39;identifiants est attendue."),
    }[case]
    response = login(actor).post(f"/proposer?publication={private_post.id}", data=data)
    assert response.status_code == 422
    page = _text(response)
    assert message in page and 'class="alert alert-error"' in page
    assert _suggestions() == 0
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_the_form_keeps_what_was_typed_after_a_refusal(world, login, publish):
    post = publish(world.animator, world.spaces["private"], body="Compte rendu")
    page = _text(login(world.member).post(f"/proposer?publication={post.id}", data={
        "users": [str(world.animator.id), str(world.stranger.id)], "message": "Pour relecture",
        "communities": [str(world.spaces["public"].id)]}))
    assert f'name="users" value="{world.animator.id}"' in page and f'name="users" value="{world.stranger.id}"' in page
    assert "Pour relecture" in page
    assert re.search(rf'value="{world.spaces["public"].id}" checked', page)


def test_the_people_picker_searches_the_directory_and_flags_who_cannot_read(world, login, publish):
    post = publish(world.animator, world.spaces["private"], body="Compte rendu")
    client = login(world.member)
    partial = _text(client.get(f"/proposer/personnes?publication={post.id}&q=agent"))
    assert "<html" not in partial and "Agent extérieur" in partial
    assert "Ne peut pas lire cet élément" in partial  # the outsider is not in the private space
    assert f'name="ajouter" value="{world.outsider.id}"' not in partial

    partial = _text(client.get(f"/proposer/personnes?publication={post.id}&q=anim"))
    assert f'name="ajouter" value="{world.animator.id}"' in partial
    partial = _text(client.get(f"/proposer/personnes?publication={post.id}&ajouter={world.animator.id}"))
    assert f'<input type="hidden" name="users" value="{world.animator.id}">' in partial
    assert "Animatrice ajouté(e) aux destinataires." in partial
    partial = _text(client.get(
        f"/proposer/personnes?publication={post.id}&users={world.animator.id}&retirer={world.animator.id}"))
    assert 'name="users"' not in partial and "Personne pour l'instant." in partial


def test_a_partner_searches_only_the_people_they_share_a_community_with(world, login, publish):
    post = publish(world.animator, world.spaces["public"], body="Compte rendu")
    partial = _text(login(world.partner).get(f"/proposer/personnes?publication={post.id}&q=e"))
    assert "Membre" in partial and "Animatrice" in partial
    assert "Agent extérieur" not in partial and "Partenaire étranger" not in partial and "Expiré" not in partial


def test_without_javascript_the_picker_buttons_reload_the_form_and_save_nothing(world, login, publish):
    post = publish(world.animator, world.spaces["public"], body="Compte rendu")
    client = login(world.member)
    response = client.post(f"/proposer?publication={post.id}", data={"q": "agent", "chercher": "1",
                                                                     "message": "Gardé"})
    assert response.status_code == 200 and f'name="ajouter" value="{world.outsider.id}"' in _text(response)
    response = client.post(f"/proposer?publication={post.id}", data={"ajouter": str(world.outsider.id),
                                                                     "message": "Gardé"})
    page = _text(response)
    assert f'name="users" value="{world.outsider.id}"' in page and "Gardé" in page
    assert _suggestions() == 0


HUGE = "9" * 20  # beyond any database integer


def test_suggesting_needs_a_known_item(world, login):
    client = login(world.member)
    for query in ("", "?publication=abc", "?publication=999999", "?document=999999", "?publication=²",
                  f"?publication={HUGE}", "?publication=-1"):
        assert client.get(f"/proposer{query}").status_code == 404, query


def test_odd_ids_in_the_picker_and_the_form_are_refused_not_errors(world, login, publish):
    post = publish(world.animator, world.spaces["public"], body="Compte rendu")
    client = login(world.member)
    response = client.get(f"/proposer/personnes?publication={post.id}&users={HUGE}&users=²&ajouter={HUGE}")
    assert response.status_code == 200 and 'name="users"' not in _text(response)
    response = client.post(f"/proposer?publication={post.id}", data={"users": [HUGE], "communities": [HUGE]})
    assert response.status_code == 422 and _suggestions() == 0
    assert client.get(f"/notifications?before={HUGE}").status_code == 200
    assert client.get(f"/notifications/{HUGE}").status_code == 404


# --- Who may open what --------------------------------------------------------------------------

def _matrix_world(publish, world, create_document):
    posts = {v: publish(world.animator, world.spaces[v], body=f"Publication {v}") for v in ("public", "private", "secret")}
    document = create_document(world.spaces["private"], world.animator, title="Plan blanc")
    _suggest(world.animator, posts["public"], users=[world.member.id])
    notice = db.session.scalars(select(Notification).where(Notification.user_id == world.member.id)).one()
    return {"public": posts["public"].id, "private": posts["private"].id, "secret": posts["secret"].id,
            "document": document.id, "notice": notice.id}


PAGES = [
    ("/notifications", expect(200, LOGIN)),
    ("/notifications?non_lues=1", expect(200, LOGIN)),
    ("/notifications/preferences", expect(302, LOGIN)),
    ("/profil/lettre", expect(200, LOGIN)),
    ("/notifications/{notice}", expect(404, LOGIN, member=302)),
    ("/proposer?publication={public}", expect(200, LOGIN, stranger=404)),
    ("/proposer?publication={private}", expect(200, LOGIN, outsider=404, stranger=404)),
    ("/proposer?publication={secret}", expect(200, LOGIN, outsider=404, stranger=404)),
    ("/proposer?document={document}", expect(200, LOGIN, outsider=404, stranger=404)),
    ("/proposer/personnes?publication={private}&q=a", expect(200, LOGIN, outsider=404, stranger=404)),
]

POSTS = [
    ("/notifications/tout-lire", {}, expect(302, LOGIN)),
    ("/notifications/preferences", {"comment": "never"}, expect(307, LOGIN)),
    ("/profil/lettre", {"comment": "never"}, expect(302, LOGIN)),
    ("/proposer?publication={private}", {"message": "Bonjour"}, expect(422, LOGIN, outsider=404, stranger=404)),
    ("/proposer?publication={secret}", {"users": ["{member_id}"]},
     expect(302, LOGIN, outsider=404, stranger=404)),
]


@pytest.mark.parametrize("actor_name", ACTORS)
def test_who_may_open_the_notification_pages(actor_name, world, login, app, db, create_document, publish):
    ids = _matrix_world(publish, world, create_document)
    ids["member_id"] = world.member.id
    client = _web_client(world, actor_name, login, db) or app.test_client()
    wrong = []
    for path, statuses in PAGES:
        response = client.get(path.format(**ids))
        if response.status_code != statuses[actor_name]:
            wrong.append(f"GET {path}: {response.status_code}, expected {statuses[actor_name]}")
        if actor_name in GONE:
            assert "/connexion" in response.headers.get("Location", ""), path
    for path, data, statuses in POSTS:
        body = {k: [v.format(**ids) for v in val] if isinstance(val, list) else val for k, val in data.items()}
        response = client.post(path.format(**ids), data=body)
        if response.status_code != statuses[actor_name]:
            wrong.append(f"POST {path}: {response.status_code}, expected {statuses[actor_name]}")
    assert wrong == []
