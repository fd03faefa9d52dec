"""Feed pages: publish and edit, a publication with its comments, likes, pins and wiki history,
the streams with their filters and "Voir plus", follows; bad input; known XSS payloads."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from flask import url_for
from sqlalchemy import func, select

from rse.documents import service as documents
from rse.feeds.models import Activity, Comment, Follow, Like, Pin, Publication, SameQuestion, WikiVersion
from rse.feeds.publications import service as publications
from rse.feeds.social import answers, suggestions
from rse.uploads import HashingSpool

from ..documents.samples import pdf_bytes

HX = {"HX-Request": "true"}


def _count(db, model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


def _plain(response) -> str:
    """The page as read: tags removed, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def _more_link(html: str, path: str) -> str:
    found = re.search(rf'href="({re.escape(path)}\?[^"]*cursor=[^"]+)"', html)
    assert found, "no « Voir plus » link"
    return unescape(found.group(1))


# --- Publishing -------------------------------------------------------------------------------------

def test_publish_every_kind_through_the_form(world, login, create_document, db):
    public = world.spaces["public"]
    document = create_document(public, world.animator, title="Protocole mains")
    client = login(world.member)
    form = client.get(f"/espaces/{public.id}/publier?type=question").get_data(as_text=True)
    assert 'value="question" aria-describedby="kind-question-text" checked' in form
    assert "Protocole mains" in form  # the community's documents can be attached
    cases = [
        {"kind": "post", "body": "Réunion **jeudi**"},
        {"kind": "announcement", "title": "Nouveau protocole", "body": "Validé en CLIN", "place": "Hôpital Nord",
         "tags": "Hygiène, Protocoles", "attachments": str(document.id)},
        {"kind": "question", "title": "Qui garde les registres ?", "body": ""},
        {"kind": "link", "url": "https://www.sf2h.net/", "title": "", "body": "Recommandations nationales"},
        {"kind": "wiki", "title": "Fiche réflexe", "body": "## Mains\n- friction"},
    ]
    made = {}
    for data in cases:
        response = client.post(f"/espaces/{public.id}/publier", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        publication = db.session.scalars(select(Publication).order_by(Publication.id.desc())).first()
        assert publication.kind == data["kind"] and publication.author_id == world.member.id
        assert response.headers["Location"].endswith(f"/publications/{publication.id}")
        made[publication.kind] = publication

    announcement = made["announcement"]
    assert (announcement.tags, announcement.place) == (["Hygiène", "Protocoles"], "Hôpital Nord")
    page = client.get(f"/publications/{announcement.id}").get_data(as_text=True)
    assert "Nouveau protocole" in page and "Hôpital Nord" in page and "Publication enregistrée." in page
    assert 'href="/mots-cles/Hygi%C3%A8ne"' in page and f'href="/documents/{document.id}"' in page
    assert "<strong>jeudi</strong>" in client.get(f"/publications/{made['post'].id}").get_data(as_text=True)
    link = client.get(f"/publications/{made['link'].id}").get_data(as_text=True)
    assert made["link"].title == "https://www.sf2h.net/"
    assert 'href="https://www.sf2h.net/" rel="noopener noreferrer"' in link
    assert _count(db, WikiVersion, WikiVersion.publication_id == made["wiki"].id) == 1
    stream = client.get(f"/espaces/{public.id}").get_data(as_text=True)
    assert all(text in stream for text in ("Nouveau protocole", "Qui garde les registres ?", "Fiche réflexe"))


def test_publish_refuses_bad_input_with_a_clear_message_and_saves_nothing(world, login, db):
    public = world.spaces["public"]
    client = login(world.member)
    cases = [
        ({"kind": "post", "body": "   "}, "Ce champ est obligatoire."),
        ({"kind": "post", "body": "x" * 100_000}, "5000 caractères au maximum."),
        ({"kind": "announcement", "title": "", "body": "Sans titre"}, "Ce champ est obligatoire."),
        ({"kind": "sondage", "body": "Bonjour"}, "Type de publication inconnu"),
        ({"kind": "link", "url": "javascript:alert(1)"}, "Indiquez une adresse web commençant par https://"),
        ({"kind": "link", "url": "data:text/html;base64,PHNjcmlwdD4="}, "Indiquez une adresse web"),
        ({"kind": "post", "body": "Bonjour", "attachments": "999999"}, "Les documents joints doivent appartenir"),
        ({"kind": "post", "body": "Bonjour", "tags": "x" * 60}, "Mot-clé trop long"),
    ]
    for data, message in cases:
        response = client.post(f"/espaces/{public.id}/publier", data=data)
        text = _text(response)
        assert response.status_code == 422, (data["kind"], response.status_code)
        assert message in text and "Vérifiez les champs signalés" in text, message
    assert _count(db, Publication) == 0 and _count(db, Activity) == 0
    # What was typed comes back in the form.
    kept = _text(client.post(f"/espaces/{public.id}/publier", data={"kind": "announcement", "body": "Mon brouillon"}))
    assert "Mon brouillon</textarea>" in kept


def test_quick_post_box_on_the_community_stream(world, login, db):
    public = world.spaces["public"]
    client = login(world.member)
    page = client.get(f"/espaces/{public.id}").get_data(as_text=True)
    assert 'class="quick-post"' in page and f"/espaces/{public.id}/faq" in page
    assert "Le fil d'activité arrive bientôt" not in unescape(page)
    response = client.post(f"/espaces/{public.id}/publier", data={"kind": "post", "body": "Pot de départ vendredi"})
    assert response.status_code == 302
    assert "Pot de départ vendredi" in client.get(f"/espaces/{public.id}").get_data(as_text=True)
    # Someone who reads but does not contribute gets the stream without the box.
    outsider_page = login(world.outsider).get(f"/espaces/{public.id}").get_data(as_text=True)
    assert "Pot de départ vendredi" in outsider_page and 'class="quick-post"' not in outsider_page


def test_edit_then_delete_a_publication(world, login, db, publish):
    public = world.spaces["public"]
    post = publish(world.member, public, body="Premier jet", tags=["Achats"])
    client = login(world.member)
    form = client.get(f"/publications/{post.id}/modifier").get_data(as_text=True)
    assert "Premier jet</textarea>" in form and 'value="Achats"' in form
    response = client.post(f"/publications/{post.id}/modifier", data={"body": "Version corrigée",
                                                                      "tags": "Achats, Gants"})
    assert response.status_code == 302
    db.session.refresh(post)
    assert (post.body, post.tags) == ("Version corrigée", ["Achats", "Gants"])
    refused = client.post(f"/publications/{post.id}/modifier", data={"body": ""})
    assert refused.status_code == 422 and "Ce champ est obligatoire." in _text(refused)
    db.session.refresh(post)
    assert post.body == "Version corrigée"
    assert login(world.partner).get(f"/publications/{post.id}/modifier").status_code == 403

    page = client.get(f"/publications/{post.id}").get_data(as_text=True)
    assert "data-confirm=" in page and f"/publications/{post.id}/supprimer" in page
    response = client.post(f"/publications/{post.id}/supprimer")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/espaces/{public.id}")
    assert client.get(f"/publications/{post.id}").status_code == 404
    assert "Version corrigée" not in client.get(f"/espaces/{public.id}").get_data(as_text=True)


def test_wiki_history_diff_version_and_restore(world, login, db, publish):
    public = world.spaces["public"]
    wiki = publish(world.animator, public, kind="wiki", title="Fiche réflexe", body="ligne A\nligne B")
    client = login(world.member)
    response = client.post(f"/publications/{wiki.id}/modifier", data={
        "title": "Fiche réflexe", "body": "ligne A\nligne C", "note": "B devient C"})
    assert response.status_code == 302
    history = _text(client.get(f"/publications/{wiki.id}/historique"))
    assert "B devient C" in history and "Version 2" in history and "Membre" in history and "Animatrice" in history

    for path in (f"/publications/{wiki.id}/diff?de=1&a=2", f"/publications/{wiki.id}/diff"):
        diff = client.get(path)
        html = diff.get_data(as_text=True)
        assert diff.status_code == 200
        assert re.search(r'class="diff-block diff-block-changed">ligne A<br>\s*ligne <del><span class="visually-hidden">'
                         r'Retiré : </span>B</del><ins><span class="visually-hidden">Ajouté : </span>C</ins></p>', html)
        assert "1 passage modifié" in html and "passage ajouté" not in html and "passage retiré" not in html
        assert f'href="/publications/{wiki.id}/diff?de=1&amp;a=2&amp;vue=texte#comparaison"' in html
        raw = client.get(path + ("&" if "?" in path else "?") + "vue=texte").get_data(as_text=True)
        assert re.search(r'class="diff-line diff-del">.*?ligne B', raw)
        assert re.search(r'class="diff-line diff-add">.*?ligne C', raw)
        assert "1 ligne ajoutée" in raw and "1 ligne retirée" in raw
    for path in (f"/publications/{wiki.id}/diff?de=1&a=9", f"/publications/{wiki.id}/diff?de=x&a=2"):
        missing = client.get(path)
        assert missing.status_code == 404 and "Cette version n'existe pas." in _text(missing)

    old = _text(client.get(f"/publications/{wiki.id}/versions/1"))
    assert "ligne B" in old and "Restaurer cette version" in old
    response = client.post(f"/publications/{wiki.id}/versions/1/restaurer")
    assert response.status_code == 302
    db.session.refresh(wiki)
    assert (wiki.wiki_number, wiki.body) == (3, "ligne A\nligne B")
    restored = db.session.scalar(select(WikiVersion).where(WikiVersion.publication_id == wiki.id,
                                                           WikiVersion.number == 3))
    assert restored.restored_from == 1
    again = client.post(f"/publications/{wiki.id}/versions/3/restaurer", follow_redirects=True)
    assert "C'est déjà la version en cours." in _text(again)
    assert _count(db, WikiVersion, WikiVersion.publication_id == wiki.id) == 3

    post = publish(world.animator, public, body="Pas un wiki")
    assert client.get(f"/publications/{post.id}/historique").status_code == 404


# --- Likes, same question, comments, good answers ------------------------------------------------------

def test_like_toggles_with_htmx_and_a_second_like_changes_nothing(world, login, db, publish):
    post = publish(world.animator, world.spaces["public"], body="Bravo à l'équipe")
    client = login(world.member)
    liked = client.post(f"/publications/{post.id}/jaime", data={"uid": "a12", "next": "/"}, headers=HX)
    html = liked.get_data(as_text=True)
    assert liked.status_code == 200 and "<html" not in html
    assert 'id="a12-like"' in html and 'aria-pressed="true"' in html and "1 personne aime" in html
    assert f'hx-post="/publications/{post.id}/jaime/retirer"' in html

    twice = client.post(f"/publications/{post.id}/jaime", data={"uid": "a12"}, headers=HX)
    assert twice.status_code == 409 and "Vous aimez déjà cette publication." in _text(twice)
    plain = client.post(f"/publications/{post.id}/jaime", data={"next": f"/publications/{post.id}"})
    assert plain.status_code == 302 and plain.headers["Location"].endswith(f"/publications/{post.id}")
    assert "Vous aimez déjà cette publication." in _text(client.get(plain.headers["Location"]))
    db.session.refresh(post)
    assert post.like_count == 1 and _count(db, Like) == 1

    assert "Membre" in _text(client.get(f"/publications/{post.id}/jaime"))
    unliked = client.post(f"/publications/{post.id}/jaime/retirer", headers=HX)
    assert unliked.status_code == 200 and 'aria-pressed="false"' in unliked.get_data(as_text=True)
    not_liked = client.post(f"/publications/{post.id}/jaime/retirer", headers=HX)
    assert not_liked.status_code == 409 and "Vous n'aimiez pas cette publication." in _text(not_liked)
    db.session.refresh(post)
    assert post.like_count == 0 and _count(db, Like) == 0


def test_same_question_button(world, login, db, publish):
    public = world.spaces["public"]
    question = publish(world.animator, public, kind="question", title="Où sont les registres ?", body="")
    client = login(world.member)
    pressed = client.post(f"/publications/{question.id}/meme-question", headers=HX)
    assert pressed.status_code == 200 and "1 personne a la même question" in _text(pressed)
    assert 'aria-pressed="true"' in pressed.get_data(as_text=True)
    twice = client.post(f"/publications/{question.id}/meme-question", headers=HX)
    assert twice.status_code == 409 and "Vous avez déjà signalé cette question." in _text(twice)
    assert _count(db, SameQuestion) == 1

    author = login(world.animator)
    assert "same-button" not in author.get(f"/publications/{question.id}").get_data(as_text=True)
    refused = author.post(f"/publications/{question.id}/meme-question", follow_redirects=True)
    assert "Vous n'avez pas les droits pour cette action." in _text(refused)
    post = publish(world.animator, public, body="Un message")
    assert client.post(f"/publications/{post.id}/meme-question", headers=HX).status_code == 403
    assert _count(db, SameQuestion) == 1


def test_comments_good_answer_and_faq(world, login, db, publish):
    public = world.spaces["public"]
    question = publish(world.member, public, kind="question",
                        title="Combien de temps garder les registres ?", body="")
    partner, animator, asker = login(world.partner), login(world.animator), login(world.member)
    first = partner.post(f"/publications/{question.id}/commentaires", data={"body": "Un an, selon le **GHT**."})
    assert first.status_code == 302 and "#commentaire-" in first.headers["Location"]
    animator.post(f"/publications/{question.id}/commentaires", data={"body": "Voir le protocole entretien."})
    by_partner, by_animator = db.session.scalars(select(Comment).order_by(Comment.id)).all()

    empty = partner.post(f"/publications/{question.id}/commentaires", data={"body": "  "})
    assert empty.status_code == 422 and "Ce champ est obligatoire." in _text(empty)
    long = partner.post(f"/publications/{question.id}/commentaires", data={"body": "y" * 10_001})
    assert long.status_code == 422 and "10000 caractères au maximum." in _text(long)
    assert "y" * 10_001 in long.get_data(as_text=True)  # given back to be shortened, not lost
    assert _count(db, Comment) == 2

    assert "selon le **GHT**" in partner.get(f"/commentaires/{by_partner.id}/modifier").get_data(as_text=True)
    assert partner.post(f"/commentaires/{by_partner.id}/modifier", data={"body": "Un an."}).status_code == 302
    db.session.refresh(by_partner)
    assert by_partner.body == "Un an."
    assert asker.get(f"/commentaires/{by_partner.id}/modifier").status_code == 403

    assert "Marquer comme bonne réponse" not in _text(partner.get(f"/publications/{question.id}"))
    assert partner.post(f"/commentaires/{by_animator.id}/bonne-reponse").status_code == 403
    page = _text(asker.get(f"/publications/{question.id}"))
    assert "Marquer comme bonne réponse" in page
    assert asker.post(f"/commentaires/{by_animator.id}/bonne-reponse").status_code == 302
    db.session.refresh(question)
    assert question.accepted_comment_id == by_animator.id
    page = _text(asker.get(f"/publications/{question.id}"))
    assert page.index("Voir le protocole entretien.") < page.index("Un an.") and "Bonne réponse" in page
    assert "Résolue" in page

    faq = _text(asker.get(f"/espaces/{public.id}/faq"))
    assert "Combien de temps garder les registres ?" in faq and "Voir le protocole entretien." in faq

    # The asker moderates nothing; the animator removes any comment.
    assert asker.post(f"/commentaires/{by_partner.id}/supprimer").status_code == 403
    assert animator.post(f"/commentaires/{by_partner.id}/supprimer").status_code == 302
    db.session.refresh(by_partner)
    assert by_partner.deleted_at is not None
    assert "Un an." not in _text(asker.get(f"/publications/{question.id}"))


def test_document_page_has_comments_follow_and_suggest(world, login, create_document, db):
    document = create_document(world.spaces["public"], world.animator, title="Protocole BHRe")
    client = login(world.member)
    page = _text(client.get(f"/documents/{document.id}"))
    assert 'id="commentaires"' in page and "Suivre ce document" in page
    assert f"/proposer?document={document.id}" in page
    response = client.post(f"/documents/{document.id}/commentaires", data={"body": "Relu, rien à signaler."})
    comment = db.session.scalars(select(Comment)).one()
    assert comment.document_id == document.id
    assert response.headers["Location"].endswith(f"/documents/{document.id}#commentaire-{comment.id}")
    assert "Relu, rien à signaler." in _text(client.get(f"/documents/{document.id}"))
    refused = client.post(f"/documents/{document.id}/commentaires", data={"body": ""})
    assert refused.status_code == 422 and "Protocole BHRe" in _text(refused)

    followed = client.post("/suivre", headers=HX, data={
        "target": "document", "key": str(document.id), "action": "follow", "next": f"/documents/{document.id}"})
    assert followed.status_code == 200 and "Ne plus suivre ce document" in _text(followed)
    assert _count(db, Follow, Follow.user_id == world.member.id, Follow.target == "document") == 1
    stopped = client.post("/suivre", data={"target": "document", "key": str(document.id), "action": "unfollow",
                                           "next": f"/documents/{document.id}"})
    assert stopped.status_code == 302 and stopped.headers["Location"].endswith(f"/documents/{document.id}")
    assert "Vous ne suivez plus « Protocole BHRe »." in _text(client.get(stopped.headers["Location"]))
    assert _count(db, Follow) == 0
    assert client.post("/suivre", data={"target": "document", "key": "abc", "action": "follow"}).status_code == 404
    for key in ("99999999999", str(2**31)):  # beyond an integer column: not a database error
        assert client.post("/suivre", data={"target": "person", "key": key, "action": "follow"}).status_code == 404
    assert _count(db, Follow) == 0
    assert client.post("/suivre", data={"target": "document", "key": str(document.id),
                                        "action": "adorer"}).status_code == 400


def test_pins_in_a_community_and_on_every_home(world, login, db, publish):
    public = world.spaces["public"]
    old = publish(world.member, public, body="Ancien message important")
    for i in range(3):
        publish(world.member, public, body=f"Message récent {i}")
    animator, member = login(world.animator), login(world.member)
    page = _text(animator.get(f"/publications/{old.id}"))
    assert "Épingler en tête de l'espace" in page and "Épingler à l'accueil de tous" not in page

    pinned = animator.post(f"/publications/{old.id}/epingler", data={"portee": "espace", "until": "2099-12-31"})
    assert pinned.status_code == 302
    pin = db.session.scalars(select(Pin)).one()
    assert pin.scope == "community" and pin.until is not None
    stream = _text(member.get(f"/espaces/{public.id}"))
    assert stream.index("Ancien message important") < stream.index("Message récent 2") and "Épinglé" in stream

    assert member.post(f"/publications/{old.id}/epingler", data={"portee": "espace"}).status_code == 403
    past = animator.post(f"/publications/{old.id}/epingler", data={"portee": "espace", "until": "2020-01-01"},
                         follow_redirects=True)
    assert "La date de fin doit être dans le futur." in _text(past)
    db.session.refresh(pin)
    assert pin.until.year == 2099

    admin = login(world.admin)
    assert "Épingler à l'accueil de tous" in _text(admin.get(f"/publications/{old.id}"))
    assert admin.post(f"/publications/{old.id}/epingler", data={"portee": "accueil"}).status_code == 302
    assert _count(db, Pin, Pin.scope == "home") == 1
    home = login(world.outsider).get("/").get_data(as_text=True)  # not a member, but the space is public
    assert "Ancien message important" in home and "is-pinned" in home
    assert "Ancien message important" not in login(world.stranger).get("/").get_data(as_text=True)

    assert animator.post(f"/publications/{old.id}/desepingler", data={"portee": "espace"}).status_code == 302
    assert _count(db, Pin, Pin.scope == "community") == 0
    again = animator.post(f"/publications/{old.id}/desepingler", data={"portee": "espace"}, follow_redirects=True)
    assert "Cette publication n'est pas épinglée." in _text(again)


# --- Streams --------------------------------------------------------------------------------------------

def test_home_stream_filters_and_more_button(world, login, db, publish):
    public = world.spaces["public"]
    for i in range(25):
        publish(world.animator, public, body=f"Message numéro {i:02d}")
    publish(world.animator, public, kind="question", title="Une question ?", body="")
    client = login(world.member)
    home = client.get("/").get_data(as_text=True)
    assert "Fil d'actualité" in home and "Mes espaces" in home and "Mes accès rapides" in home
    assert "Une question ?" in home and "Message numéro 24" in home and "Message numéro 05" not in home
    more = _more_link(home, "/fil")
    assert 'hx-get="/fil?cursor=' in home and 'hx-swap="outerHTML"' in home

    fragment = client.get(more, headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and "Message numéro 05" in fragment and "Message numéro 00" in fragment
    assert "Message numéro 06" not in fragment and "stream-more" not in fragment and "data-stream-focus" in fragment
    without_js = client.get(more).get_data(as_text=True)
    assert "<html" in without_js and "Message numéro 00" in without_js

    questions = client.get("/?kind=question").get_data(as_text=True)
    assert "Une question ?" in questions and "Message numéro 24" not in questions
    assert re.search(r'aria-current="page">Questions<', questions)
    tab = client.get("/fil?kind=question", headers=HX).get_data(as_text=True)
    assert "<html" not in tab and 'id="fil"' in tab and "Une question ?" in tab and "Message numéro" not in tab


def test_forged_cursor_and_unknown_kind_get_a_clear_error(world, login, db, publish):
    public = world.spaces["public"]
    for i in range(22):
        publish(world.animator, public, body=f"Message {i}")
    client = login(world.member)
    cursor = _more_link(client.get("/").get_data(as_text=True), "/fil").split("cursor=")[1]
    for path in ("/fil?cursor=abc", f"/fil?cursor={cursor[:-2]}xx", f"/espaces/{public.id}/fil?cursor=eyJiIjoxfQ",
                 f"/personnes/{world.animator.id}/fil?cursor=1", "/mots-cles/hygiene/fil?cursor=zz"):
        page = client.get(path)
        assert page.status_code == 400 and "Curseur de pagination invalide" in _text(page), path
        fragment = client.get(path, headers=HX)
        assert fragment.status_code == 400 and "<html" not in fragment.get_data(as_text=True)
        assert "Curseur de pagination invalide" in _text(fragment) and 'role="alert"' in _text(fragment)
        assert fragment.get_data(as_text=True).strip().startswith('<li class="stream-more">')  # replaces the button
    for path in ("/?kind=sondage", f"/espaces/{public.id}?kind=sondage", "/mots-cles/hygiene?kind=sondage"):
        page = client.get(path)
        assert page.status_code == 422 and "Type inconnu" in _text(page), path
    fragment = client.get("/fil?kind=sondage", headers=HX)
    assert fragment.status_code == 422 and "Type inconnu" in _text(fragment)
    assert 'class="stream" id="fil"' in fragment.get_data(as_text=True)  # the stream it replaces


@pytest.mark.slow
def test_community_person_and_tag_streams_with_follows(world, login, db, publish):
    public, private = world.spaces["public"], world.spaces["private"]
    publish(world.animator, public, body="Gants nitrile", tags=["Achats"])
    publish(world.animator, private, kind="announcement", title="Calendrier des achats", body="Janvier",
             tags=["achats", "RH/Paie"])
    client = login(world.member)
    space = client.get(f"/espaces/{public.id}/fil", headers=HX).get_data(as_text=True)
    assert "Gants nitrile" in space and "Calendrier des achats" not in space

    profile = _text(client.get(f"/personnes/{world.animator.id}"))
    assert "Gants nitrile" in profile and "Calendrier des achats" in profile and "Suivre Animatrice" in profile
    assert "Suivre Membre" not in _text(client.get(f"/personnes/{world.member.id}"))  # not oneself
    followed = client.post("/suivre", headers=HX, data={"target": "person", "key": str(world.animator.id),
                                                        "action": "follow"})
    assert followed.status_code == 200 and "Ne plus suivre Animatrice" in _text(followed)
    assert _count(db, Follow, Follow.target == "person", Follow.person_id == world.animator.id) == 1
    person = client.get(f"/personnes/{world.animator.id}/fil?kind=announcement", headers=HX).get_data(as_text=True)
    assert "Calendrier des achats" in person and "Gants nitrile" not in person

    tag = _text(client.get("/mots-cles/ACHATS"))
    assert "Mot-clé « Achats »" in tag and "Gants nitrile" in tag and "Calendrier des achats" in tag
    followed = client.post("/suivre", headers=HX, data={"target": "tag", "key": "ACHATS", "action": "follow"})
    assert "Ne plus suivre ce mot-clé" in _text(followed)
    assert db.session.scalar(select(Follow.tag).where(Follow.target == "tag")) == "achats"
    assert "Ne plus suivre ce mot-clé" in _text(client.get("/mots-cles/achats"))
    only = client.get("/mots-cles/achats/fil?kind=announcement", headers=HX).get_data(as_text=True)
    assert "Calendrier des achats" in only and "Gants nitrile" not in only
    assert "Calendrier des achats" in client.get("/mots-cles/RH/Paie").get_data(as_text=True)
    assert "Calendrier des achats" in client.get("/mots-cles/RH/Paie/fil", headers=HX).get_data(as_text=True)


def test_suggestions_and_documents_show_in_the_home_stream(world, login, create_document, app, db, publish):
    public, private = world.spaces["public"], world.spaces["private"]
    post = publish(world.animator, public, body="Marché des gants attribué")
    suggestions.suggest(world.animator, post, users=[world.outsider.id], message="Pour information")
    suggestions.suggest(world.animator, post, communities=[private.id], message="À relayer")
    db.session.commit()
    document = create_document(private, world.animator, title="Compte rendu CPOM")
    spool = HashingSpool(app.config["UPLOAD_TMP"], app.config["MAX_UPLOAD_BYTES"])
    try:
        spool.write(pdf_bytes("v2"))
        spool.flush()
        documents.add_version(world.animator, document, documents.Upload(spool, "cr.pdf"))
        db.session.commit()
    finally:
        spool.close()

    outsider_home = _plain(login(world.outsider).get("/"))
    assert "Animatrice vous propose" in outsider_home and "Pour information" in outsider_home
    member_home = _plain(login(world.member).get("/"))
    assert "Animatrice propose à l'espace « Espace private »" in member_home and "À relayer" in member_home
    assert "a déposé la version 2 de ce document" in member_home and "Compte rendu CPOM" in member_home
    assert f'href="/documents/{document.id}"' in login(world.member).get("/").get_data(as_text=True)


# --- XSS ------------------------------------------------------------------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1) )",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "<svg onload=alert(1)>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    "<iframe src=javascript:alert(1)></iframe>",
    "<style>body{display:none}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    "javascript:alert(1)",
    "<object data=javascript:alert(1)>",
]
SHORT = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
         '"><script>', "javascript:alert(1)"]
BAD_URLS = ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "jav\tascript:alert(1)", " javascript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "vbscript:msgbox(1)", "//evil.example/x"]
TRICKY_URLS = ['https://exemple.fr/"><script>alert(1)</script>', "https://exemple.fr/?q=<img src=x onerror=alert(1)>",
               "https://exemple.fr/#javascript:alert(1)", "http://exemple.fr/a'onmouseover='alert(1)"]


URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "data", "poster", "xlink:href", "srcset",
                            "background"})


class _Audit(HTMLParser):
    """Every executable thing in a page: script tags, event handlers, script or data URLs, frames."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            self.problems.append(f"<script> {values}")
        if tag in {"iframe", "frame", "object", "embed", "style", "base", "applet", "link"} and not (
                tag == "link" and (values.get("href") or "").startswith("/")):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and value:
                flat = re.sub(r"[\x00-\x20]", "", value).lower()
                if flat.startswith(("javascript:", "data:", "vbscript:")):
                    self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "a" and re.match(r"(?i)\s*(https?:)?//", values.get("href") or ""):
            rel = set((values.get("rel") or "").split())
            if not {"noopener", "noreferrer"} <= rel:
                self.problems.append(f"external link without rel: {values.get('href')!r}")


def _audit(html: str) -> list[str]:
    parser = _Audit()
    parser.feed(html)
    parser.close()
    return parser.problems


@pytest.mark.slow
def test_known_xss_payloads_render_as_text_everywhere(world, login, app, db, publish):
    public = world.spaces["public"]
    client = login(world.member)
    made = []
    for i, payload in enumerate(PAYLOADS):
        made.append(publish(world.member, public, body=f"{payload}\n\n**{i}** {payload}"))
        made.append(publish(world.member, public, kind="announcement", title=payload[:200],
                             body=payload, place=payload[:120]))
    question = publish(world.member, public, kind="question", title=SHORT[0], body=SHORT[1],
                        tags=SHORT[:3], place=SHORT[2])
    wiki = publish(world.member, public, kind="wiki", title=SHORT[1], body="\n".join(PAYLOADS[:8]))
    publications.update_publication(world.member, wiki, {"body": "\n".join(PAYLOADS[8:]), "note": SHORT[0]})
    db.session.commit()
    for payload in PAYLOADS:
        client.post(f"/publications/{question.id}/commentaires", data={"body": payload})
    db.session.commit()
    answers.accept_answer(world.member, db.session.scalars(select(Comment).order_by(Comment.id)).first())
    db.session.commit()

    # Addresses that are not web addresses are refused; tricky but valid ones are kept, and shown safely.
    for url in BAD_URLS:
        refused = client.post(f"/espaces/{public.id}/publier", data={"kind": "link", "url": url, "title": "x"})
        assert refused.status_code == 422, url
    links = []
    for url in TRICKY_URLS:
        response = client.post(f"/espaces/{public.id}/publier", data={"kind": "link", "url": url, "title": SHORT[1],
                                                                        "body": "[x](javascript:alert(1))"})
        assert response.status_code == 302, url
        links.append(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert _count(db, Publication, Publication.kind == "link") == len(TRICKY_URLS)

    with app.test_request_context():
        tag_pages = [url_for("streams.tag", tag=tag) for tag in SHORT[:3]]
    pages = [f"/publications/{p.id}" for p in made] + [f"/publications/{i}" for i in links] + [
        f"/publications/{question.id}", f"/publications/{wiki.id}", f"/publications/{wiki.id}/historique",
        f"/publications/{wiki.id}/diff?de=1&a=2", f"/publications/{wiki.id}/versions/1",
        f"/publications/{wiki.id}/versions/2", f"/espaces/{public.id}", f"/espaces/{public.id}/faq",
        f"/personnes/{world.member.id}", "/", *tag_pages]
    cursor_page = _more_link(client.get("/").get_data(as_text=True), "/fil")
    problems = {}
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        found = _audit(response.get_data(as_text=True))
        if found:
            problems[path] = found
    for path in (cursor_page, "/fil?kind=announcement", f"/espaces/{public.id}/fil?kind=link"):
        found = _audit(client.get(path, headers=HX).get_data(as_text=True))
        if found:
            problems[path] = found
    assert problems == {}
    # The payloads were kept, as text.
    question_page = client.get(f"/publications/{question.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in question_page
    tag_page = client.get(tag_pages[1]).get_data(as_text=True)
    assert "Mot-clé « &lt;img src=x onerror=alert(1)&gt; »" in tag_page and f"/publications/{question.id}" in tag_page


def test_the_audit_finds_what_it_looks_for():
    """The XSS checker above is itself checked against the markup it must catch."""
    assert _audit('<p><script>alert(1)</script></p>')
    assert _audit('<img src="x" onerror="alert(1)">')
    assert _audit('<a href="jav&#x09;ascript:alert(1)">x</a>')
    assert _audit('<a href="https://exemple.fr/">x</a>')
    assert _audit("<iframe src='/'></iframe>")
    assert not _audit('<a href="https://exemple.fr/" rel="noopener noreferrer">x</a><script src="/static/js/app.js">'
                      '</script><p>&lt;script&gt;alert(1)&lt;/script&gt; onerror=alert(1)</p>')


def test_buttons_come_back_to_the_page_they_were_on(world, login, db, publish):
    public = world.spaces["public"]
    publish(world.animator, public, body="Commande groupée", tags=["Achats groupés"])
    client = login(world.member)
    page = client.get("/mots-cles/Achats groupés?kind=post").get_data(as_text=True)
    assert 'name="next" value="/mots-cles/Achats%20group%C3%A9s?kind=post"' in page
    followed = client.post("/suivre", data={"target": "tag", "key": "Achats groupés", "action": "follow",
                                            "next": "/mots-cles/Achats%20group%C3%A9s?kind=post"})
    assert followed.headers["Location"] == "/mots-cles/Achats%20group%C3%A9s?kind=post"
    for unsafe in ("//ailleurs.example/", "/\\ailleurs.example", "/\t/ailleurs.example", "https://ailleurs.example/"):
        response = client.post("/suivre", data={"target": "tag", "key": "Achats", "action": "follow", "next": unsafe})
        assert response.headers["Location"] == "/", unsafe
    empty = _text(client.get("/mots-cles/inconnu"))
    assert "Rien avec ce mot-clé" in empty
