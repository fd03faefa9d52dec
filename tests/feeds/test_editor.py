"""The writing editor's endpoints: "@" suggestions (who may be named, who may read), mention warnings,
the preview and a dropped file; and the publish and comment forms that carry the editor."""

from __future__ import annotations

import re
from html import unescape
from io import BytesIO

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from rse.documents.models import Document
from rse.feeds.editor.service import handle_of
from rse.feeds.models import Publication
from tests.documents.samples import pdf_bytes
from tests.test_permissions import LOGIN, _web_client, expect

NO_ACCESS = "n'a pas accès à cet espace"


def _warning(name: str) -> str:
    return f"{name} n'a pas accès à cet espace : aucune notification ne lui sera envoyée."


def _people(client, **params) -> list[dict]:
    response = client.get("/editeur/personnes", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["people"]


def _names(people: list[dict]) -> list[str]:
    return [person["name"] for person in people]


def _page(response) -> str:
    return unescape(response.get_data(as_text=True))


# --- "@" suggestions: the permission matrix ---------------------------------------------------------

SUGGEST_PRIVATE = expect(200, LOGIN, outsider=403, stranger=404)


@pytest.mark.parametrize("actor", list(SUGGEST_PRIVATE))
def test_suggestions_in_a_private_space_follow_who_may_read_it(app, world, login, db, actor):
    client = _web_client(world, actor, login, db) or app.test_client()
    response = client.get("/editeur/personnes", query_string={"espace": world.spaces["private"].id, "q": ""})
    assert response.status_code == SUGGEST_PRIVATE[actor]
    if response.status_code == LOGIN:
        assert "/connexion" in response.headers["Location"]
    elif response.status_code != 200:
        assert response.json["error"]["code"] == {403: "forbidden", 404: "not_found"}[response.status_code]
        assert response.json["error"]["message"]


def test_suggestions_mark_people_who_cannot_read_and_keep_them(world, login):
    people = _people(login(world.animator), espace=world.spaces["private"].id, q="")
    by_name = {person["name"]: person for person in people}
    # Readers first, then the others, marked, never dropped; never oneself, never a closed account.
    assert _names(people) == ["Admin", "Membre", "Partenaire membre", "Agent extérieur", "Partenaire étranger"]
    assert by_name["Membre"] == {"id": world.member.id, "name": "Membre", "handle": handle_of(world.member),
                                 "job": "", "may_read": True, "note": None}
    assert by_name["Agent extérieur"]["may_read"] is False
    assert by_name["Agent extérieur"]["note"] == NO_ACCESS
    assert by_name["Partenaire étranger"]["note"] == NO_ACCESS  # a partner outside it: staff see them
    assert not {"Désactivé", "Expiré", "Animatrice"} & set(by_name)


def test_a_staff_writer_sees_a_partner_outside_the_space_marked(world, login):
    people = _people(login(world.animator), espace=world.spaces["private"].id, q="Partenaire")
    assert [(p["name"], p["may_read"]) for p in people] == [("Partenaire membre", True), ("Partenaire étranger", False)]


def test_a_partner_discovers_nobody_outside_their_spaces(world, login, create_user, create_community):
    elsewhere = create_user("staff", name="Marie Durand", email="marie.durand@ght-exemple.fr")
    create_community(elsewhere, name="Ailleurs", members=[(world.outsider, "member")])
    client = login(world.partner)
    people = _people(client, espace=world.spaces["private"].id, q="")
    assert set(_names(people)) == {"Animatrice", "Membre"}
    assert _people(client, espace=world.spaces["private"].id, q="marie") == []
    assert _people(client, espace=world.spaces["private"].id, q="Agent") == []
    # Nor through the warnings: a handle they may not see names nobody.
    response = client.post("/editeur/mentions", query_string={"espace": world.spaces["private"].id},
                           data={"body": f"Bonjour @{handle_of(elsewhere)} et @{handle_of(world.outsider)}"})
    assert response.json == {"warnings": []}


def test_an_administrator_is_not_offered_closed_accounts(world, login):
    people = _people(login(world.admin), espace=world.spaces["secret"].id, q="")
    assert "Désactivé" not in _names(people) and "Expiré" not in _names(people)
    assert ("Agent extérieur", False) in [(p["name"], p["may_read"]) for p in people]


def test_suggestions_match_a_word_of_the_name_or_the_address(world, login, create_user):
    marie = create_user("staff", name="Marie-Hélène Durand", email="mh.durand@ght-exemple.fr")
    client = login(world.animator)
    target = {"espace": world.spaces["public"].id}
    for query in ("mari", "durand", "mh.d", "@mh", "MH.DURAND"):
        assert [p["handle"] for p in _people(client, **target, q=query)] == ["mh.durand"], query
    assert _people(client, **target, q="%") == []
    assert _people(client, **target, q="_") == []
    assert marie.email.startswith("mh.durand@")


def test_suggestions_for_a_comment_on_a_publication_or_a_document(world, login, publish, create_document):
    post = publish(world.animator, world.spaces["private"], body="Ordre du jour")
    document = create_document(world.spaces["private"], world.animator, title="Plan blanc")
    client = login(world.member)
    for target in ({"publication": post.id}, {"document": document.id}):
        people = {p["name"]: p["may_read"] for p in _people(client, **target, q="")}
        assert people["Animatrice"] is True and people["Agent extérieur"] is False


@pytest.mark.parametrize(("params", "status", "code", "message"), [
    ({}, 400, "missing_target", "Indiquez où vous écrivez"),
    ({"espace": "1", "publication": "1"}, 400, "missing_target", "Indiquez où vous écrivez"),
    ({"espace": "abc"}, 400, "bad_id", "Identifiant invalide"),
    ({"espace": "99999999999999"}, 400, "bad_id", "Identifiant invalide"),
    ({"espace": "999999"}, 404, "not_found", "Introuvable"),
    ({"espace": "{public}", "q": "x" * 65}, 422, "validation_error", "64 caractères au maximum"),
    ({"espace": "{public}", "q": "a\x00b"}, 422, "validation_error", "caractères non autorisés"),
])
def test_bad_suggestion_requests_get_a_clear_json_error(world, login, params, status, code, message):
    params = {k: v.format(public=world.spaces["public"].id) for k, v in params.items()}
    response = login(world.member).get("/editeur/personnes", query_string=params)
    assert response.status_code == status
    error = response.json["error"]
    assert error["code"] == code
    assert message in error["message"] + " ".join(error.get("fields", {}).values())


# --- Mention warnings ---------------------------------------------------------------------------

def test_warnings_name_each_person_who_will_not_be_told(world, login):
    client = login(world.animator)
    text = (f"Pour @{handle_of(world.member)}, @{handle_of(world.outsider)} et @{handle_of(world.stranger)} ;"
            f" @{handle_of(world.deactivated)} et @personne.inconnue")
    response = client.post("/editeur/mentions", query_string={"espace": world.spaces["private"].id},
                           data={"body": text})
    assert response.status_code == 200
    assert response.json == {"warnings": [_warning("Agent extérieur"), _warning("Partenaire étranger")]}
    public = client.post("/editeur/mentions", query_string={"espace": world.spaces["public"].id}, data={"body": text})
    assert public.json == {"warnings": [_warning("Partenaire étranger")]}  # staff read a public space


def test_warnings_need_the_form_token(app, world, login):
    client = login(world.animator)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/editeur/mentions", query_string={"espace": world.spaces["public"].id},
                                              data={"body": "@x"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert response.json["error"]["code"] == "csrf_failed"
    assert "Le formulaire a expiré" in response.json["error"]["message"]


# --- Preview ------------------------------------------------------------------------------------

def test_the_preview_is_rendered_and_sanitised_by_the_server(world, login):
    text = (f"## Ordre du jour\n\n- **gras** et _italique_\n- pour @{handle_of(world.member)} et "
            f"@{handle_of(world.outsider)}\n\n<script>alert(1)</script> [x](javascript:alert(1))")
    response = login(world.animator).post("/editeur/apercu", query_string={"espace": world.spaces["private"].id},
                                          data={"body": text})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h2>Ordre du jour</h2>" in html and "<strong>gras</strong>" in html and "<em>italique</em>" in html
    assert f'<a href="/profil/{world.member.id}"' in html or f"/{world.member.id}" in html
    assert "@Membre</a>" in html
    assert f"@{handle_of(world.outsider)}" in html and "Agent extérieur" not in html  # not a reader: plain text
    assert "&lt;script&gt;" in html and "<script" not in html and 'href="javascript' not in html


def test_an_empty_preview_says_so_and_a_huge_one_is_refused(world, login):
    client = login(world.member)
    empty = client.post("/editeur/apercu", query_string={"espace": world.spaces["public"].id}, data={"body": "  "})
    assert "Rien à prévisualiser" in _page(empty)
    huge = client.post("/editeur/apercu", query_string={"espace": world.spaces["public"].id},
                       data={"body": "x" * 50_001})
    assert huge.status_code == 422
    assert huge.json["error"]["fields"] == {"body": "50000 caractères au maximum."}


def test_the_preview_of_a_hidden_publication_is_not_found(world, login, publish):
    post = publish(world.animator, world.spaces["secret"], body="Confidentiel")
    response = login(world.outsider).post("/editeur/apercu", query_string={"publication": post.id}, data={"body": "x"})
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


# --- Dropped files ------------------------------------------------------------------------------

def _documents(community) -> list[Document]:
    from rse.database import db

    return list(db.session.scalars(select(Document).where(Document.community_id == community.id)))


def _upload(client, target: dict, content: bytes, filename: str):
    # Encoded here, so that the request body is bytes in memory (the test client spools a large
    # one to a file of its own, left open when the server stops reading at the limit).
    boundary, body = encode_multipart({"file": FileStorage(BytesIO(content), filename)})
    return client.post("/editeur/fichiers", query_string=target, data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_a_dropped_file_becomes_a_document_of_the_space_and_a_link(world, login):
    space = world.spaces["private"]
    response = _upload(login(world.member), {"espace": space.id}, pdf_bytes(), "Compte rendu [CPOM].pdf")
    assert response.status_code == 201
    [document] = _documents(space)
    assert document.title == "Compte rendu [CPOM]" and document.created_by_id == world.member.id
    assert response.json == {
        "document": {"id": document.id, "title": "Compte rendu [CPOM]"},
        "markdown": f"[Compte rendu (CPOM)](/documents/{document.id})",
        "message": "« Compte rendu [CPOM] » est déposé dans les documents de l'espace.",
    }


def test_a_file_dropped_on_a_comment_of_a_document_goes_to_its_space(world, login, create_document):
    document = create_document(world.spaces["public"], world.animator, title="Plan blanc")
    response = _upload(login(world.member), {"document": document.id}, pdf_bytes(), "annexe.pdf")
    assert response.status_code == 201
    assert {d.title for d in _documents(world.spaces["public"])} == {"Plan blanc", "annexe"}


@pytest.mark.parametrize(("actor", "status", "code"), [
    ("outsider", 403, "forbidden"),   # reads a public space, does not contribute to it
    ("stranger", 404, "not_found"),  # a partner outside it
])
def test_only_contributors_drop_files(world, login, actor, status, code):
    response = _upload(login(getattr(world, actor)), {"espace": world.spaces["public"].id}, pdf_bytes(), "a.pdf")
    assert response.status_code == status and response.json["error"]["code"] == code
    assert _documents(world.spaces["public"]) == []


def test_anonymous_cannot_drop_files(app, world):
    response = _upload(app.test_client(), {"espace": world.spaces["public"].id}, pdf_bytes(), "a.pdf")
    assert response.status_code == LOGIN and "/connexion" in response.headers["Location"]


@pytest.mark.parametrize(("content", "filename", "code", "message"), [
    (b"", "vide.pdf", "validation_error", "Le fichier est vide."),
    (b"%PDF-1.4 pas vraiment", "photo.png", "content_mismatch", "photo.png"),
])
def test_refused_files_get_the_documents_page_message(world, login, content, filename, code, message):
    response = _upload(login(world.member), {"espace": world.spaces["public"].id}, content, filename)
    assert response.status_code == 422
    assert response.json["error"]["code"] == code
    assert message in response.json["error"]["fields"]["file"]
    assert _documents(world.spaces["public"]) == []


def test_a_file_over_the_limit_is_refused_with_the_limit(app, world, login):
    app.config["MAX_UPLOAD_BYTES"] = 2**20
    response = _upload(login(world.member), {"espace": world.spaces["public"].id}, b"%PDF-1.4\n" + b"0" * 2**20,
                       "gros.pdf")
    assert response.status_code == 413
    assert response.json["error"] == {"code": "file_too_large", "message": "Le fichier dépasse la taille maximale (1 Mo)."}
    assert _documents(world.spaces["public"]) == []


def test_no_file_is_a_clear_error(world, login):
    response = login(world.member).post("/editeur/fichiers", query_string={"espace": world.spaces["public"].id},
                                        data={})
    assert response.status_code == 422 and response.json["error"]["fields"] == {"file": "Choisissez un fichier."}


# --- The forms that carry the editor -----------------------------------------------------------

def test_the_publish_form_carries_the_editor_and_still_posts_a_plain_textarea(world, login):
    page = _page(login(world.member).get(f"/espaces/{world.spaces['private'].id}/publier"))
    assert re.search(r'<textarea[^>]*name="body"', page)
    for label in ("Gras", "Italique", "Titre", "Liste à puces", "Liste numérotée", "Lien", "Citation", "Aperçu",
                  "Joindre un fichier"):
        assert f">{label}<" in page, label
    assert f'data-people-url="/editeur/personnes?espace={world.spaces["private"].id}"' in page
    assert 'data-attachments="attachments"' in page and 'id="attachments"' in page  # the list a drop selects in
    assert "js/editor.js" in page


def test_comment_editors_name_their_item(world, login, publish, create_document):
    post = publish(world.animator, world.spaces["public"], body="Ouvert à tous")
    document = create_document(world.spaces["public"], world.animator, title="Plan blanc")
    client = login(world.member)
    page = _page(client.get(f"/publications/{post.id}"))
    assert f'data-people-url="/editeur/personnes?publication={post.id}"' in page
    assert f'data-upload-url="/editeur/fichiers?publication={post.id}"' in page  # a file joins the space, linked
    page = _page(client.get(f"/documents/{document.id}"))
    assert f'data-preview-url="/editeur/apercu?document={document.id}"' in page
    assert f'data-upload-url="/editeur/fichiers?document={document.id}"' in page


def test_a_reader_comments_but_drops_no_file(world, login, publish, create_user, create_document, db):
    from rse.communities import service as communities

    reader = create_user("staff")
    communities.add_member(world.animator, world.spaces["public"], reader, "reader")
    db.session.commit()
    post = publish(world.animator, world.spaces["public"], body="Ouvert à tous")
    document = create_document(world.spaces["public"], world.animator, title="Plan blanc")
    client = login(reader)
    for path in (f"/publications/{post.id}", f"/documents/{document.id}"):
        page = _page(client.get(path))
        assert "data-editor" in page and "Publier le commentaire" in page, path
        assert "data-upload-url" not in page and "Joindre un fichier" not in page, path


def test_a_reader_who_may_not_contribute_sees_no_editor(world, login, publish):
    post = publish(world.animator, world.spaces["public"], body="Ouvert à tous")
    page = _page(login(world.outsider).get(f"/publications/{post.id}"))
    assert "Ouvert à tous" in page and "data-editor" not in page


def test_saving_a_text_that_names_a_non_reader_says_so(world, login, db):
    client = login(world.animator)
    body = f"Avis de @{handle_of(world.member)} et @{handle_of(world.outsider)} attendu"
    response = client.post(f"/espaces/{world.spaces['private'].id}/publier", data={"kind": "post", "body": body},
                           follow_redirects=True)
    page = _page(response)
    assert "Publication enregistrée." in page
    assert _warning("Agent extérieur") in page
    publication = db.session.scalar(select(Publication).order_by(Publication.id.desc()))
    assert publication.mentions == {handle_of(world.member): world.member.id}  # the non-reader is not told
    comment = client.post(f"/publications/{publication.id}/commentaires",
                          data={"body": f"Relance @{handle_of(world.outsider)}"}, follow_redirects=True)
    assert "Commentaire publié." in _page(comment) and _warning("Agent extérieur") in _page(comment)


def test_publishing_with_a_dropped_file_attaches_it(world, login, db):
    client = login(world.member)
    space = world.spaces["private"]
    dropped = _upload(client, {"espace": space.id}, pdf_bytes(), "ordre-du-jour.pdf").json
    response = client.post(f"/espaces/{space.id}/publier", follow_redirects=True, data={
        "kind": "post", "body": f"Voir {dropped['markdown']}", "attachments": [str(dropped["document"]["id"])]})
    page = _page(response)
    assert f'href="/documents/{dropped["document"]["id"]}"' in page
    assert db.session.scalar(select(func.count()).select_from(Publication)) == 1
