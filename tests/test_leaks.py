"""The body-checking permission matrix: every route, every method, every actor who may not read a
hidden object; no canary in any answer, and a hidden key answered exactly as a missing one.

The world (tests/leaks.py) hides a canary word in every title, name, tag spelling, file name,
folder and comment of a secret community, a private one, a public one without partners and the
animator's own things. Each case below is one request (path, method, form or JSON body, htmx or
not) whose placeholders are filled twice: with the hidden object's key and with a missing one.
For each actor who may not read the hidden object, both answers (status, headers, body, and the
next page where a redirect or a form post leaves a flash) must carry no canary, and must be the
same once normalised (tests/leaks.py says what is normalised and why). Cases without a hidden
key ("plain") only check the canaries, for every actor.

test_matrix_figures prints, for each database, the route × method pairs and actors covered, the
requests made and the leaks found (a leak found and not yet mended is a strict xfail, with its reason).
"""

from __future__ import annotations

import io
import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from rse.accounts.service import issue_token
from rse.communities.models import Community
from rse.database import db as _db
from rse.extensions import limiter

from . import leaks
from .api.matrix import fill
from .conftest import BACKENDS
from .documents.samples import pdf_bytes
from .leaks import (
    ACTORS,
    DRAFT,
    HIDDEN_ZONES,
    MISSING_ID,
    PERSON,
    PERSONAL,
    PRIVATE,
    PRIVATE_SPACE,
    SECRET,
    STAFF,
    TRASH,
    Answer,
    Figures,
)

# The full matrix: some 1,600 requests per backend, two minutes. The fast loop leaves it to CI.
pytestmark = pytest.mark.slow

HX = {"HX-Request": "true"}
FLASH_PAGE = "/profil/mot-de-passe"


@dataclass
class Case:
    """One request of the matrix. `zone`: the zone of the hidden key (None: a plain case)."""

    method: str
    path: str
    zone: str | None = None
    data: dict | None = None
    json: dict | list | None = None
    htmx: bool = False
    upload: bool = False        # a multipart body with a small PDF under "file"
    fresh: bool = False         # ends the actor's session or token: run it on a client of its own
    keep: tuple = ()            # placeholders not replaced by the missing key (the actor may know them)
    echo: tuple = ()            # numeric keys the answer echoes back (?dossier=, a filter chip, a form value)
    forbid: tuple = ()          # (zone, pattern): must not appear to who may not read the zone (counts)
    # Each answer makes or renames a row of its own: its new id and the name typed show in the answer
    # and the next page in many forms (links, monograms, element ids), so the pair is compared by status
    # and headers (the new id normalised); the canaries are still looked for in every text.
    creates: bool = False
    xfail: dict = field(default_factory=dict)  # actor -> reason, for leaks known today
    label: str = ""

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def id(self) -> str:
        body = self.data or (self.json if isinstance(self.json, dict) else None) or {}
        label = self.label or " ".join(str(body[k]).strip("{}") for k in ("target", "key", "action") if k in body)
        extra = f"[{label}]" if label else ""
        return f"{self.method} {self.path}{' hx' if self.htmx else ''}{extra}"


PARTNERS = ("partner", "stranger")
OUTSIDERS = ("outsider", "partner", "stranger")
COUNT = r"\d+ membres? de «"   # a member count of a space named in a suggestion error


def _cases() -> list[Case]:
    c: list[Case] = []
    add = c.append
    # --- Plain pages and lists: no hidden key, every actor; only the canaries are checked.
    for path in ("/", "/?kind=question", "/espaces", "/espaces?vue=miens", "/espaces?q=zqx7canari", "/annuaire",
                 "/annuaire?q=zqx7canari", "/annuaire?vue=contacts", "/fil", "/notifications", "/notifications/preferences",
                 "/recherche?q=zqx7canaribilletsecret", "/recherche?q=zqx7canaridocumentsecret",
                 "/recherche?q=zqx7canaritagsecret&tri=date", "/recherche/suggestions?q=zqx7canari",
                 "/profil", "/profil/preferences", "/profil/mot-de-passe", "/profil/jetons", "/profil/lettre",
                 "/digest/preview", "/digest/preview/courriel", "/espaces/nouveau", "/admin/utilisateurs",
                 "/admin/utilisateurs?q=zqx7canari", "/admin/utilisateurs/nouveau",
                 "/admin/journal", "/admin/journal/export.csv", "/admin/lettre", "/connexion",
                 "/mot-de-passe/oubli", "/mot-de-passe/reinitialiser/jeton-inconnu",
                 "/invitations/jeton-inconnu", "/digest/desabonnement/jeton-inconnu",
                 "/manifest.webmanifest", "/favicon.ico", "/healthz"):
        add(Case("GET", path))
    add(Case("GET", "/fil", htmx=True))
    add(Case("GET", "/fil?cursor={cursor}", htmx=True))  # a page below every activity: all of the stream
    add(Case("GET", "/recherche?q=zqx7canari", htmx=True))
    for prefix in ("zqx7canaritag", "zqx7canaripers", "zqx7canariespace", "zqx7canarido"):
        add(Case("GET", f"/recherche/suggestions?q={prefix}"))
        add(Case("GET", f"/api/v1/autocomplete?q={prefix}"))
        add(Case("GET", f"/proposer/personnes?publication={{partners_post}}&q={prefix}"))
    for path in ("/api/v1/me", "/api/v1/feed", "/api/v1/feed?kind=document", "/api/v1/follows",
                 "/api/v1/notifications", "/api/v1/notifications/preferences", "/api/v1/communities",
                 "/api/v1/users", "/api/v1/users?q=zqx7canari", "/api/v1/autocomplete?q=zqx7canari",
                 "/api/v1/search?q=zqx7canaribilletsecret", "/api/v1/search?q=zqx7canaritagsecret",
                 "/api/v1/openapi.json"):
        add(Case("GET", path))
    # Plain form posts: bad or harmless input; the next page's flashes are checked too.
    add(Case("POST", "/connexion", data={"email": "zqx7canari.personne@ght-exemple.fr", "password": "faux"}))
    add(Case("POST", "/mot-de-passe/oubli", data={"email": "zqx7canari.personne@ght-exemple.fr"}))
    add(Case("POST", "/mot-de-passe/reinitialiser/jeton-inconnu", data={"password": "x" * 16, "confirm": "x" * 16}))
    add(Case("POST", "/invitations/jeton-inconnu", data={"name": "Nouveau", "password": "x" * 16}))
    add(Case("POST", "/digest/desabonnement/jeton-inconnu", data={}))
    add(Case("POST", "/profil", data={}))
    add(Case("POST", "/profil/preferences", data={"theme": "ocean", "background": "uni", "locale": "fr"}))
    add(Case("POST", "/profil/mot-de-passe", data={"current": "faux", "password": "y" * 16, "confirm": "y" * 16}))
    add(Case("POST", "/profil/jetons", data={"name": "Tableur", "days": 30}))
    add(Case("POST", "/profil/lettre", data={}))
    add(Case("POST", "/admin/utilisateurs/nouveau", data={"name": "Nouvelle", "email": "pas-une-adresse"}))
    add(Case("POST", "/notifications/preferences", data={}))
    add(Case("POST", "/notifications/tout-lire", data={}))
    add(Case("POST", "/liens", data={"title": "Agenda", "url": "https://agenda.ght-exemple.fr"}))
    add(Case("POST", "/deconnexion", data={}, fresh=True))
    add(Case("POST", "/api/v1/notifications/read", json={}))
    add(Case("PUT", "/api/v1/notifications/preferences", json={"comment": "never"}))
    add(Case("POST", "/api/v1/tokens", json={"email": "zqx7canari.personne@ght-exemple.fr", "password": "faux"}))
    add(Case("DELETE", "/api/v1/tokens/current", fresh=True))
    add(Case("POST", "/api/v1/invitations/jeton-inconnu/accept", json={"name": "Nouveau", "password": "x" * 16}))
    # Finding 5: a suggestion to a space the sender may see but is not in must not count its members.
    add(Case("POST", "/proposer?publication={internal_post}", data={"communities": "{private}"},
             forbid=((PRIVATE, COUNT),), label="count"))
    add(Case("POST", "/api/v1/suggestions", json={"item": {"type": "publication", "id": "{internal_post}"},
                                                  "communities": ["{private}"]}, forbid=((PRIVATE, COUNT),), label="count"))

    # --- The secret community and everything in it.
    s = SECRET
    for path in ("/espaces/{secret}", "/espaces/{secret}/membres", "/espaces/{secret}/parametres",
                 "/espaces/{secret}/publier", "/espaces/{secret}/faq", "/espaces/{secret}/fil",
                 "/espaces/{secret}/documents", "/espaces/{secret}/documents?dossier={folder}",
                 "/espaces/{secret}/documents/a-reviser", "/espaces/{secret}/corbeille"):
        add(Case("GET", path, s))
    add(Case("GET", "/espaces/{secret}/fil", s, htmx=True))
    for action in ("rejoindre", "quitter", "demander"):
        add(Case("POST", f"/espaces/{{secret}}/{action}", s, data={"message": "Bonjour"}))
    add(Case("POST", "/espaces/{secret}/membres", s, data={"email": "nouveau@ars-exemple.fr", "role": "member"}))
    add(Case("POST", "/espaces/{secret}/membres/{person}/role", s, data={"role": "member"}))
    add(Case("POST", "/espaces/{secret}/membres/{person}/retirer", s, data={}))
    add(Case("POST", "/espaces/{secret}/parametres", s, data={"name": "Nouveau nom", "visibility": "secret"}))
    add(Case("POST", "/espaces/{secret}/publier", s, data={"kind": "post", "body": "Bonjour"}))
    add(Case("POST", "/espaces/{secret}/liens", s, data={"title": "Lien", "url": "https://www.ght-exemple.fr/"}))
    add(Case("POST", "/espaces/{secret}/dossiers", s, data={"name": "Nouveau dossier"}))
    add(Case("POST", "/espaces/{secret}/documents", s, data={"title": "Dépôt"}, upload=True))
    add(Case("POST", "/espaces/{secret}/invitations/{invitation}/annuler", s, data={}))
    # Finding 3: a staff member learns a secret space's name by creating or renaming a space.
    add(Case("POST", "/espaces/nouveau", s, data={"name": "{secret_name}", "visibility": "public"}, creates=True))
    add(Case("POST", "/espaces/{own}/parametres", s, data={"name": "{secret_name}", "visibility": "private"}, creates=True,
             keep=("own",)))
    add(Case("POST", "/api/v1/communities", s, json={"name": "{secret_name}"}, creates=True))
    add(Case("PATCH", "/api/v1/communities/{own}", s, json={"name": "{secret_name}"}, keep=("own",), creates=True))
    for path in ("/publications/{post}", "/publications/{post}/jaime", "/publications/{post}/modifier",
                 "/publications/{wiki}/historique", "/publications/{wiki}/diff?de=1&a=2",
                 "/publications/{wiki}/versions/{wiki_version}", "/publications/{question}",
                 "/publications/{link}", "/publications/{announcement}", "/commentaires/{comment}/modifier",
                 "/proposer?publication={post}", "/proposer?document={document}",
                 "/proposer/personnes?publication={post}&q=membre"):
        add(Case("GET", path, s))
    add(Case("GET", "/publications/{post}/jaime", s, htmx=True))
    for path, data in (("/publications/{post}/jaime", {}), ("/publications/{post}/jaime/retirer", {}),
                       ("/publications/{question}/meme-question", {}),
                       ("/publications/{question}/meme-question/retirer", {}),
                       ("/publications/{post}/epingler", {"portee": "espace"}),
                       ("/publications/{post}/desepingler", {}),
                       ("/publications/{post}/modifier", {"body": "Modifié"}),
                       ("/publications/{wiki}/versions/{wiki_version}/restaurer", {}),
                       ("/publications/{post}/commentaires", {"body": "Vu"}),
                       ("/documents/{document}/commentaires", {"body": "Vu"}),
                       ("/commentaires/{comment}/modifier", {"body": "Relu"}),
                       ("/commentaires/{answer}/bonne-reponse", {}),
                       ("/commentaires/{comment}/supprimer", {}),
                       ("/publications/{announcement}/supprimer", {}),
                       ("/proposer?publication={post}", {"users": "{member}", "message": "Pour toi"}),
                       ("/dossiers/{folder}/renommer", {"name": "Renommé"}),
                       ("/documents/{document}/modifier", {"title": "Renommé"}),
                       ("/documents/{document}/versions/1/restaurer", {}),
                       ("/documents/{document}/corbeille", {}),
                       ("/liens/{quicklink}/monter", {}), ("/liens/{quicklink}/supprimer", {})):
        add(Case("POST", path, s, data=data))
    for path in ("/publications/{post}/jaime", "/publications/{post}/jaime/retirer",
                 "/publications/{question}/meme-question", "/publications/{question}/meme-question/retirer"):
        add(Case("POST", path, s, data={}, htmx=True))
    for path in ("/documents/{document}", "/documents/{document}/lecteur",
                 "/documents/{document}/versions/{version}/apercu", "/documents/{document}/versions/{version}/contenu",
                 "/documents/{document}/versions/1/contenu?inline=1"):
        add(Case("GET", path, s))
    add(Case("POST", "/documents/{document}", s, data={"note": "v3"}, upload=True))
    # The writing editor: "@" suggestions, mention warnings, preview and dropped files, on each kind of target.
    for target in ("espace={secret}", "publication={post}", "document={document}"):
        add(Case("GET", f"/editeur/personnes?{target}&q=zqx7canari", s))
        add(Case("POST", f"/editeur/mentions?{target}", s, data={"body": "Bonjour @zqx7canari"}))
        add(Case("POST", f"/editeur/apercu?{target}", s, data={"body": "**Bonjour** @zqx7canari"}))
        add(Case("POST", f"/editeur/fichiers?{target}", s, data={}, upload=True))
    # Finding 1: unfollowing (and the follow button) named any document or person, and an unknown id was a 500.
    for htmx in (False, True):
        add(Case("POST", "/suivre", s, data={"target": "document", "key": "{document}", "action": "unfollow"},
                 echo=("document",),
                 htmx=htmx))
        add(Case("POST", "/suivre", s, data={"target": "document", "key": "{document}", "action": "follow"},
                 htmx=htmx))
        # Finding 2: the follow button echoes the original spelling of a tag only a secret space uses.
        add(Case("POST", "/suivre", s, data={"target": "tag", "key": "{tag}", "action": "follow"}, htmx=htmx))
        add(Case("POST", "/suivre", s, data={"target": "tag", "key": "{tag}", "action": "unfollow"}, htmx=htmx))
    add(Case("GET", "/mots-cles/{tag}", s))
    add(Case("GET", "/mots-cles/{tag}/fil", s, htmx=True))
    add(Case("GET", "/mots-cles/{tag}/fil", s))
    add(Case("GET", "/espaces/{secret}/fil?cursor={cursor}", s, htmx=True, keep=("cursor",)))
    add(Case("GET", "/api/v1/communities/{secret}/documents?trash=1", s))
    add(Case("GET", "/api/v1/tags/{tag}/feed", s))
    # The API on the secret community.
    for path in ("/api/v1/communities/{secret}", "/api/v1/communities/{secret}/members",
                 "/api/v1/communities/{secret}/feed", "/api/v1/communities/{secret}/documents",
                 "/api/v1/publications/{post}", "/api/v1/publications/{post}/comments",
                 "/api/v1/publications/{post}/likes", "/api/v1/documents/{document}",
                 "/api/v1/documents/{document}/comments", "/api/v1/documents/{document}/versions/{version}/content",
                 "/api/v1/documents/{document}/versions/{version}/thumbnail"):
        add(Case("GET", path, s))
    for method, path, body in (
            ("PATCH", "/api/v1/communities/{secret}", {"description": "Nouvelle"}),
            ("POST", "/api/v1/communities/{secret}/members", {"user_id": "{member}"}),
            ("PATCH", "/api/v1/communities/{secret}/members/{person}", {"role": "member"}),
            ("DELETE", "/api/v1/communities/{secret}/members/{person}", None),
            ("POST", "/api/v1/communities/{secret}/publications", {"kind": "post", "body": "Bonjour"}),
            ("POST", "/api/v1/invitations", {"email": "autre@ars-exemple.fr", "community_id": "{secret}"}),
            ("PATCH", "/api/v1/publications/{post}", {"body": "Modifié"}),
            ("POST", "/api/v1/publications/{post}/comments", {"body": "Merci"}),
            ("PUT", "/api/v1/publications/{post}/like", None), ("DELETE", "/api/v1/publications/{post}/like", None),
            ("PUT", "/api/v1/publications/{post}/pin", None), ("DELETE", "/api/v1/publications/{post}/pin", None),
            ("PUT", "/api/v1/publications/{question}/same-question", None),
            ("DELETE", "/api/v1/publications/{question}/same-question", None),
            ("PATCH", "/api/v1/comments/{comment}", {"body": "Relu"}),
            ("POST", "/api/v1/comments/{answer}/accept", None),
            ("DELETE", "/api/v1/comments/{comment}", None),
            ("DELETE", "/api/v1/publications/{announcement}", None),
            ("PATCH", "/api/v1/documents/{document}", {"title": "Renommé"}),
            ("POST", "/api/v1/documents/{document}/comments", {"body": "Merci"}),
            ("POST", "/api/v1/documents/{document}/versions/1/restore", None),
            ("DELETE", "/api/v1/documents/{document}", None),
            ("PUT", "/api/v1/follows", {"target": "document", "key": "{document}"}),
            ("DELETE", "/api/v1/follows", {"target": "document", "key": "{document}"}),
            ("PUT", "/api/v1/follows", {"target": "tag", "key": "{tag}"}),
            ("DELETE", "/api/v1/follows", {"target": "tag", "key": "{tag}"}),
            ("POST", "/api/v1/suggestions", {"item": {"type": "publication", "id": "{post}"}, "users": ["{member}"]}),
            ("POST", "/api/v1/suggestions", {"item": {"type": "document", "id": "{document}"},
                                             "communities": ["{secret}"]})):
        add(Case(method, path, s, json=body))
    add(Case("POST", "/api/v1/communities/{secret}/documents", s, data={"title": "Dépôt"}, upload=True))
    add(Case("POST", "/api/v1/documents/{document}/versions", s, data={"note": "v3"}, upload=True))

    # Hidden keys inside a space the actor writes to: the outsider's own, the partner's public forum.
    for space in ("own", "forum"):
        keep = (space,)
        for method, path, body, upload, echo in (
                ("GET", f"/espaces/{{{space}}}/documents?dossier={{folder}}", None, False, ()),
                ("POST", f"/espaces/{{{space}}}/documents", {"title": "Dépôt", "folder_id": "{folder}"}, True, ()),
                ("POST", f"/espaces/{{{space}}}/dossiers", {"name": "Sous-dossier", "parent_id": "{folder}"}, False,
                 ("folder",)),
                ("POST", f"/espaces/{{{space}}}/publier", {"kind": "post", "body": "Voir", "attachments": "{document}"},
                 False, ()),
                ("POST", f"/api/v1/communities/{{{space}}}/documents", {"title": "Dépôt", "folder_id": "{folder}"},
                 True, ())):
            add(Case(method, path, s, data=body, upload=upload, keep=keep, echo=echo, label="in-space"))
        add(Case("POST", f"/api/v1/communities/{{{space}}}/publications", s, keep=keep, label="in-space",
                 json={"kind": "post", "body": "Voir", "attachments": ["{document}"]}))
    add(Case("POST", "/documents/{own_doc}/modifier", s, data={"title": "Note", "folder_id": "{folder}"},
             keep=("own_doc",)))
    add(Case("PATCH", "/api/v1/documents/{own_doc}", s, json={"folder_id": "{folder}"}, keep=("own_doc",)))

    # Search filters naming a hidden space, tag or author.
    for path in ("/recherche?q=zqx7canari&community={secret}", "/recherche?q=r%C3%A9union&community={secret}",
                 "/recherche?q=zqx7canari&tag={tag}", "/recherche?tag={tag}",
                 "/api/v1/search?q=zqx7canari&community={secret}", "/api/v1/search?q=r%C3%A9union&tag={tag}",
                 "/api/v1/search?tag={tag}", "/documents/{document}/lecteur?version=1"):
        add(Case("GET", path, s, echo=("secret",) if "community" in path else ()))
    for path in ("/recherche?q=zqx7canari&author={person}", "/api/v1/search?q=zqx7canari&author={person}"):
        add(Case("GET", path, PERSON, echo=("person",)))

    # --- The trashed document: only its author, the animators and administrators know it.
    for path in ("/documents/{trashed}", "/api/v1/documents/{trashed}", "/documents/{trashed}/versions/1/contenu"):
        add(Case("GET", path, TRASH))
    add(Case("POST", "/documents/{trashed}/restaurer", TRASH, data={}))
    add(Case("POST", "/api/v1/documents/{trashed}/restore", TRASH))
    add(Case("POST", "/suivre", TRASH, data={"target": "document", "key": "{trashed}", "action": "unfollow"}))

    # --- A person only in the secret community: partners may not know them.
    for path in ("/personnes/{person}", "/personnes/{person}/fil", "/personnes/{person}/photo",
                 "/admin/utilisateurs/{person}", "/api/v1/users/{person}", "/api/v1/users/{person}/feed",
                 "/proposer?publication={partners_post}&ajouter={person}"):
        add(Case("GET", path, PERSON, keep=("partners_post",)))
    add(Case("GET", "/personnes/{person}/fil", PERSON, htmx=True))
    add(Case("POST", "/admin/utilisateurs/{person}/desactiver", PERSON, data={}))
    add(Case("POST", "/admin/utilisateurs/{person}/reactiver", PERSON, data={}))
    add(Case("POST", "/admin/utilisateurs/{person}/expiration", PERSON, data={"expiry-expires_on": "2030-01-31"}))
    add(Case("POST", "/admin/utilisateurs/{person}/role", PERSON, data={"role-role": "staff"}))
    add(Case("POST", "/admin/utilisateurs/{person}/lien-mot-de-passe", PERSON, data={}))
    add(Case("POST", "/proposer?publication={partners_post}", PERSON, data={"users": "{person}"},
             keep=("partners_post",)))
    add(Case("POST", "/api/v1/suggestions", PERSON, json={"item": {"type": "publication", "id": "{partners_post}"},
                                                        "users": ["{person}"]}, keep=("partners_post",)))
    for htmx in (False, True):
        add(Case("POST", "/suivre", PERSON, data={"target": "person", "key": "{person}", "action": "unfollow"},
                 echo=("person",),
                 htmx=htmx))
        add(Case("POST", "/suivre", PERSON, data={"target": "person", "key": "{person}", "action": "follow"},
                 htmx=htmx))
    add(Case("PUT", "/api/v1/follows", PERSON, json={"target": "person", "key": "{person}"}))
    # A mention names a person: the partner mentions, in a public forum, someone they may not know.
    mention = "Bonjour @{person_handle}"
    add(Case("POST", "/espaces/{forum}/publier", PERSON, data={"kind": "post", "body": mention}, keep=("forum",),
             label="mention", creates=True))
    add(Case("POST", "/api/v1/communities/{forum}/publications", PERSON, json={"kind": "post", "body": mention},
             keep=("forum",), label="mention", creates=True))
    add(Case("POST", "/publications/{forum_post}/commentaires", PERSON, data={"body": mention},
             keep=("forum_post",), label="mention", creates=True))
    add(Case("POST", "/api/v1/publications/{forum_post}/comments", PERSON, json={"body": mention},
             keep=("forum_post",), label="mention", creates=True))

    # --- The private community: its name is known to staff, its content only to members.
    for path in ("/espaces/{private}", "/espaces/{private}/membres", "/espaces/{private}/fil",
                 "/api/v1/communities/{private}", "/api/v1/communities/{private}/members"):
        add(Case("GET", path, PRIVATE_SPACE))
    add(Case("POST", "/espaces/{private}/demander", PRIVATE_SPACE, data={"message": "Bonjour"}))
    add(Case("POST", "/espaces/nouveau", PRIVATE_SPACE, data={"name": "{private_name}", "visibility": "public"}))
    for action in ("accepter", "refuser"):
        add(Case("POST", f"/espaces/{{private}}/demandes/{{join_request}}/{action}", PRIVATE_SPACE, data={}))
        add(Case("POST", f"/espaces/{{private}}/demandes/{{join_request}}/{action}", PRIVATE, data={},
                 keep=("private",), label="staff"))
    for path in ("/publications/{private_post}", "/documents/{private_doc}", "/api/v1/publications/{private_post}",
                 "/api/v1/documents/{private_doc}"):
        add(Case("GET", path, PRIVATE))
    # Finding 6: a quick link of a private space answered 403 to a non-member, 404 when missing.
    for action in ("monter", "descendre", "supprimer"):
        add(Case("POST", f"/liens/{{private_link}}/{action}", PRIVATE, data={}))

    # --- A public community without partners.
    for path in ("/publications/{internal_post}", "/documents/{internal_doc}", "/mots-cles/{internal_tag}",
                 "/api/v1/publications/{internal_post}", "/api/v1/documents/{internal_doc}",
                 "/api/v1/tags/{internal_tag}/feed", "/espaces/{internal}/fil", "/mots-cles/{internal_tag}/fil"):
        add(Case("GET", path, STAFF))
    add(Case("GET", "/mots-cles/{internal_tag}/fil", STAFF, htmx=True))

    # --- Controlled documents: a draft never in force, the draft version 2 of one in force.
    for path in ("/api/v1/documents/{controlled}", "/api/v1/documents/{controlled}/control",
                 "/api/v1/communities/{partners}/register", "/api/v1/communities/{partners}/register?q=zqx7canari",
                 "/api/v1/register", "/api/v1/register?state=approval", "/api/v1/me/readings",
                 "/api/v1/communities/{partners}/documents", "/api/v1/communities/{partners}/control/next-code"):
        add(Case("GET", path))
    d = DRAFT
    for path in ("/api/v1/documents/{controlled_draft}", "/api/v1/documents/{controlled_draft}/control",
                 "/api/v1/documents/{controlled_draft}/circuits", "/api/v1/documents/{controlled_draft}/readings",
                 "/api/v1/documents/{controlled_draft}/versions/1/content"):
        add(Case("GET", path, d))
    add(Case("GET", "/api/v1/documents/{controlled}/versions/{draft_version}/content", d, keep=("controlled",)))
    add(Case("GET", "/api/v1/documents/{controlled}/versions/{draft_version}/thumbnail", d, keep=("controlled",)))
    for method, path, body in (
            ("PUT", "/api/v1/documents/{controlled_draft}/control",
             {"code": "AUTRE-PRO-001", "writers": ["{member}"], "approvers": ["{member}"]}),
            ("POST", "/api/v1/documents/{controlled_draft}/circuit", {}),
            ("POST", "/api/v1/documents/{controlled_draft}/circuit/decisions", {"verdict": "approve", "sha256": "0"}),
            ("POST", "/api/v1/documents/{controlled_draft}/withdraw", {"comment": "Retiré"}),
            ("POST", "/api/v1/documents/{controlled_draft}/lock", {"hours": 4}),
            ("DELETE", "/api/v1/documents/{controlled_draft}/lock", None),
            ("POST", "/api/v1/documents/{controlled_draft}/readings", {"communities": ["{partners}"]}),
            ("POST", "/api/v1/documents/{controlled_draft}/readings/confirm", None),
            ("POST", "/api/v1/documents/{controlled_draft}/readings/remind", None)):
        add(Case(method, path, d, json=body, keep=("member", "partners")))
    for path in ("/api/v1/communities/{secret}/register", "/api/v1/communities/{secret}/control/next-code"):
        add(Case("GET", path, s))
    # The same through the pages.
    # (The exports are the register's rows compressed, where no canary could be read: the pages stand for them.)
    for path in ("/documents/{controlled}", "/espaces/{partners}/registre", "/espaces/{partners}/registre?q=zqx7canari",
                 "/registre", "/registre?etat=approval"):
        add(Case("GET", path))
    for path in ("/documents/{controlled_draft}", "/documents/{controlled_draft}/maitrise",
                 "/documents/{controlled_draft}/lecture", "/documents/{controlled_draft}/versions/1/contenu"):
        add(Case("GET", path, d))
    add(Case("GET", "/documents/{controlled}/versions/{draft_version}/contenu", d, keep=("controlled",)))
    for path, data in (
            ("/documents/{controlled_draft}/maitrise",
             {"code": "AUTRE-PRO-001", "doc_type": "protocol", "approval_rule": "all", "review_months": "24",
              "writers": "{member}", "approvers": "{member}"}),
            ("/documents/{controlled_draft}/circuit", {}),
            ("/documents/{controlled_draft}/circuit/decision", {"verdict": "approve", "sha256": "0"}),
            ("/documents/{controlled_draft}/retrait", {"comment": "Retiré"}),
            ("/documents/{controlled_draft}/reservation", {"hours": "4"}),
            ("/documents/{controlled_draft}/lecture", {"communities": "{partners}"}),
            ("/documents/{controlled_draft}/lecture/confirmer", {}),
            ("/documents/{controlled_draft}/lecture/relancer", {})):
        add(Case("POST", path, d, data=data, keep=("member", "partners")))
    add(Case("GET", "/espaces/{secret}/registre", s))

    # --- Action plans: a plan of the secret space whose action the member owns.
    for path in ("/api/v1/me/actions", "/api/v1/search?q=zqx7canariactionsecret",
                 "/api/v1/search?q=membre&kind=action", "/recherche?q=zqx7canariactionsecret&kind=action"):
        add(Case("GET", path))
    for path in ("/api/v1/communities/{secret}/plans", "/api/v1/plans/{plan}", "/api/v1/plans/{plan}/objectives",
                 "/api/v1/plans/{plan}/actions", "/api/v1/plans/{plan}/actions?status=late&sort=owner",
                 "/api/v1/plans/{plan}/summary", "/api/v1/actions/{action}", "/api/v1/actions/{action}/history",
                 "/api/v1/actions/{action}/indicators", "/api/v1/actions/{action}/links",
                 "/api/v1/indicators/{indicator}"):
        add(Case("GET", path, s))
    for method, path, body in (
            ("POST", "/api/v1/communities/{secret}/plans", {"title": "Nouveau plan"}),
            ("PATCH", "/api/v1/plans/{plan}", {"description": "Revu"}),
            ("POST", "/api/v1/plans/{plan}/archive", None),
            ("POST", "/api/v1/plans/{plan}/objectives", {"title": "Nouvel objectif"}),
            ("PATCH", "/api/v1/objectives/{objective}", {"title": "Objectif renommé"}),
            ("POST", "/api/v1/objectives/{objective}/actions", {"title": "Nouvelle action"}),
            ("PATCH", "/api/v1/actions/{action}", {"progress": 50, "row_version": 1}),
            ("POST", "/api/v1/actions/{action}/close", {"status": "done", "result_note": "Fait", "row_version": 1}),
            ("POST", "/api/v1/actions/{action}/reopen", {"row_version": 1}),
            ("POST", "/api/v1/actions/{action}/indicators", {"name": "Taux", "value_type": "percent"}),
            ("POST", "/api/v1/indicators/{indicator}/values", {"measured_on": "2025-04-30", "value": 4}),
            ("POST", "/api/v1/actions/{action}/links", {"kind": "document", "item_id": "{document}"}),
            ("DELETE", "/api/v1/actions/{action}/links/{action_link}", None)):
        add(Case(method, path, s, json=body))
    # --- An action plan of the secret space: its import and its exports. (The files are compressed, where
    # no canary could be read; those who may not read the plan get an error page, which is checked.)
    for path in ("/plans/{plan}/import", "/plans/{plan}/export.xlsx", "/plans/{plan}/export.pdf"):
        add(Case("GET", path, s))
    add(Case("POST", "/plans/{plan}/import", s, data={}, upload=True))
    add(Case("POST", "/plans/{plan}/import/confirmer", s, data={"token": "x" * 32}))
    # --- Action plans: the secret space's plan, and hidden keys sent inside the partners' plan.
    for path in ("/espaces/{secret}/plans", "/plans/{plan}", "/plans/{plan}?status=late&sort=title",
                 "/plans/{plan}/calendrier", "/plans/{plan}/calendrier?annee=2026", "/plans/{plan}/synthese",
                 "/actions/{action}", "/actions/{action}/ligne?edit=1"):
        add(Case("GET", path, s))
    add(Case("GET", "/actions/{action}/ligne?edit=1", s, htmx=True))
    for path, data in (("/espaces/{secret}/plans", {"title": "Nouveau plan"}),
                       ("/plans/{plan}", {"title": "Plan renommé"}),
                       ("/plans/{plan}/objectifs", {"title": "Nouvel objectif"}),
                       ("/plans/{plan}/actions", {"title": "Nouvelle action", "objective_id": "{objective}"}),
                       ("/actions/{action}", {"row_version": "1", "progress": "50"}),
                       ("/actions/{action}/cloture", {"row_version": "1", "status": "done",
                                                           "result_note": "Fait"}),
                       ("/actions/{action}/reouverture", {"row_version": "1"}),
                       ("/actions/{action}/indicateurs", {"name": "Taux", "value_type": "percent"}),
                       ("/indicateurs/{indicator}/valeurs", {"measured_on": "2026-02-01", "value": "4"}),
                       ("/actions/{action}/liens", {"item": "document-{document}"}),
                       ("/actions/{action}/liens/{action_link}/retirer", {})):
        add(Case("POST", path, s, data=data))
    add(Case("POST", "/actions/{action}", s, data={"row": "1", "row_version": "1", "progress": "50"},
             htmx=True))
    # The partner owns an action of the partners' plan: a hidden document or publication is refused as a missing one.
    for item in ("document-{document}", "publication-{post}"):
        add(Case("POST", "/actions/{partners_action}/liens", s, data={"item": item}, keep=("partners_action",),
                 label="in-plan"))
    add(Case("POST", "/plans/{partners_plan}/actions", s, keep=("partners_plan",), label="in-plan",
             data={"title": "Action", "objective_id": "{objective}"}))

    # --- The animator's own things.
    for action in ("monter", "descendre", "supprimer"):
        add(Case("POST", f"/liens/{{personal_link}}/{action}", PERSONAL, data={}))
    add(Case("POST", "/profil/jetons/{token}/revoquer", PERSONAL, data={}))
    add(Case("GET", "/notifications/{notification}", PERSONAL))

    return c


CASES = _cases()

# Routes the matrix cannot request as an actor, with the reason.
EXEMPT = {
    "/static/<path:filename>": "static files of the app, the same for everyone; no object behind them",
}


def _actors(case: Case) -> list[str]:
    if case.zone is None:
        return list(ACTORS)
    return [actor for actor in ACTORS if case.zone in HIDDEN_ZONES[actor]]


def _params():
    params, seen = [], set()
    for case in CASES:
        for actor in _actors(case):
            ident = f"{case.id}-{case.zone or 'plain'}-{actor}"
            n = 2
            while ident in seen:
                ident, n = f"{case.id}-{case.zone or 'plain'}-{actor}-{n}", n + 1
            seen.add(ident)
            marks = [pytest.mark.xfail(strict=True, reason=case.xfail[actor])] if actor in case.xfail else []
            params.append(pytest.param(case, actor, id=ident, marks=marks))
    return params


# --- The world, once per database ------------------------------------------------------------------

FIGURES: dict[str, Figures] = {}


class LeakWorld:
    """The hidden world on one backend, one logged-in web client and one API client per actor."""

    def __init__(self, app, backend: str):
        self.app, self.backend = app, backend
        built = leaks.build_world()
        self.users, self.ids = built.users, built.ids
        self.figures = FIGURES.setdefault(backend, Figures())
        self._names = itertools.count(1)
        self.web, self.api = {}, {}
        for actor in ACTORS:
            self.web[actor], self.api[actor] = self.clients(actor)
        leaks.deactivate(self.users.deactivated)

    def clients(self, actor: str):
        """A web client through the login form and an API client with a token, made while active."""
        web, api = self.app.test_client(), self.app.test_client()
        if actor == "anonymous":
            return web, api
        user = getattr(self.users, actor)
        reactivate = user.deactivated_at is not None
        if reactivate:  # the account is deactivated under a live session and a live token
            user.deactivated_at = None
            _db.session.commit()
        response = web.post("/connexion", data={"email": user.email, "password": leaks.PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        token, _record = issue_token(user, kind="login", name="matrice", ttl=timedelta(hours=2))
        _db.session.commit()
        api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        if reactivate:
            leaks.deactivate(user)
        return web, api

    def missing(self, actor: str) -> dict:
        """The missing counterpart of every placeholder (names are new for each request pair)."""
        n = next(self._names)
        values = {name: MISSING_ID for name, value in self.ids.items() if isinstance(value, int)}
        values.update(tag="zqx7canaritaginconnu", internal_tag="zqx7canaritaginconnu",
                      person_handle="zqx7canari.absent",
                      secret_name=f"zqx7canari espace libre {actor} {n}",
                      private_name=f"zqx7canari espace libre {actor} {n}",
                      version=self.ids["version"], wiki_version=self.ids["wiki_version"])
        return values


@pytest.fixture(scope="module", params=BACKENDS)
def leak_world(request, _backends):
    """The world, built once per database for the whole module (a clean database first)."""
    state = _backends(request.param)
    saved = dict(state.app.config)
    state.reset()
    was_enabled = limiter.enabled
    limiter.enabled = False  # the matrix logs in and posts far more than a person would
    try:
        with state.app.app_context():
            own_world = LeakWorld(state.app, request.param)
            yield own_world
            _db.session.remove()
    finally:
        limiter.enabled = was_enabled
        state.app.config.clear()
        state.app.config.update(saved)


# --- Requests and checks -----------------------------------------------------------------------------

def _placeholders(case: Case) -> set[str]:
    text = f"{case.path} {case.data} {case.json}"
    return set(re.findall(r"\{(\w+)\}", text))


def _text(response) -> str:
    return response.get_data().decode("utf-8", errors="replace")


def _send(world: LeakWorld, client, case: Case, values: dict) -> tuple[Answer, str]:
    """Send `case` with `values`; the answer and the request's own text (what it may echo)."""
    path = case.path.format(**values)
    headers = HX if case.htmx else {}
    kwargs: dict = {}
    if case.json is not None:
        kwargs["json"] = fill(case.json, values)
    if case.data is not None or case.upload:
        data = fill(case.data or {}, values)
        if case.upload:
            data["file"] = (io.BytesIO(pdf_bytes("Dépôt de la matrice")), "depot.pdf")
        kwargs["data"] = data
    request_text = f"{path} {kwargs.get('json', '')} {case.data and fill(case.data, values)}"
    response = client.open(path, method=case.method, headers=headers, **kwargs)
    world.figures.requests += 1
    headers_kept = {k.lower(): v for k, v in response.headers.items() if k.lower() not in leaks.IGNORED_HEADERS}
    answer = Answer(response.status_code, headers_kept, _text(response),
                    raw=[_text(response), *(f"{k}: {v}" for k, v in response.headers.items())])
    if response.is_json:  # JSON escapes « and accents: check the decoded text too
        answer.raw.append(json.dumps(response.get_json(), ensure_ascii=False))
    response.close()  # a file sent by the app (favicon, download) is closed at once
    # The next page shows the flashes this request left: follow redirects, or else (a form post that
    # answered in place: an error page, an htmx fragment) open a light page of the base layout, which
    # shows every pending flash (anonymous: the login page, through its redirect).
    if not case.api:
        location = response.headers.get("Location") if 300 <= response.status_code < 400 else None
        if location is None and case.method != "GET":
            location = FLASH_PAGE
        hops = 0
        while location and location.startswith(("/", "http://maillage.test", "http://localhost")) and hops < 3:
            following = client.get(location)
            world.figures.requests += 1
            answer.next_body += f"\n--- {following.status_code} {location}\n{_text(following)}"
            answer.raw.append(_text(following))
            following.close()
            location = following.headers.get("Location") if 300 <= following.status_code < 400 else None
            hops += 1
    return answer, request_text


# The id of a row the request made (a community, a post, a comment) in links, redirects and JSON.
_NEW_ID = re.compile(r'(/espaces/|/publications/|/communities/|#commentaire-|"id":\s*)\d+')


def _comparable(answer: Answer, path: str, keys: dict, echoed: dict, *, creates: bool = False) -> tuple:
    def norm(text: str) -> str:
        text = leaks.normalise(text, path, keys)
        if creates:
            text = _NEW_ID.sub(r"\g<1><new>", text)
        # A key the request sent and the answer sends back as it came (a redirect to "?dossier=<the
        # folder given>", a search filter chip "Espace : <id>", the filter's hidden input): the same
        # key, not a sign of what exists. Only these contexts: small ids occur by chance elsewhere.
        for name, value in echoed.items():
            text = re.sub(rf"([?&]\w+=|name=\"\w+\" value=\"|: ){value}(?![\d.])", rf"\g<1><{name}>", text)
        return text

    if creates:
        return (answer.status, {k: norm(v) for k, v in sorted(answer.headers.items())}, "", "")
    return (answer.status, {k: norm(v) for k, v in sorted(answer.headers.items())}, norm(answer.body),
            norm(answer.next_body))


def _client(world: LeakWorld, case: Case, actor: str):
    if case.fresh:
        return world.clients(actor)[1 if case.api else 0]
    return (world.api if case.api else world.web)[actor]


def _diff(hidden: tuple, missing: tuple) -> str:
    import difflib

    parts = []
    for name, a, b in zip(("status", "headers", "body", "next page"), hidden, missing, strict=True):
        if a != b:
            if isinstance(a, str):
                lines = difflib.unified_diff(b.splitlines(), a.splitlines(), "missing", "hidden", n=1, lineterm="")
                parts.append(f"{name} differs:\n" + "\n".join(itertools.islice(lines, 30)))
            else:
                parts.append(f"{name}: hidden {a!r} / missing {b!r}")
    return "\n".join(parts)


@pytest.mark.parametrize(("case", "actor"), _params())
def test_no_leak(case: Case, actor: str, leak_world: LeakWorld):
    """No canary in any answer of `actor`; a hidden key is answered exactly as a missing one."""
    world = leak_world
    world.figures.routes.add((case.method, _rule_of(world.app, case)))
    world.figures.actors.add(actor)
    world.figures.cases += 1
    client = _client(world, case, actor)
    forbidden = leaks.forbidden_canaries(actor)
    last_community = _db.session.scalar(select(func.max(Community.id)))
    problems = []

    hidden, hidden_request = _send(world, client, case, world.ids)
    found = leaks.leaked(hidden.raw, forbidden, hidden_request)
    found += [pattern for zone, pattern in case.forbid
              if zone in HIDDEN_ZONES[actor] and any(re.search(pattern, text) for text in hidden.raw)]
    if found:
        problems.append(f"leaked {found} (status {hidden.status})")
    if case.zone is not None:
        missing_values = {**world.missing(actor), **{name: world.ids[name] for name in case.keep}}
        missing, missing_request = _send(world, client, case, missing_values)
        found_missing = leaks.leaked(missing.raw, forbidden, missing_request)
        if found_missing:
            problems.append(f"leaked {found_missing} on the missing key (status {missing.status})")
        used = _placeholders(case) - set(case.keep)
        a = _comparable(hidden, case.path.format(**world.ids), {name: str(world.ids[name]) for name in used},
                        {name: world.ids[name] for name in case.echo}, creates=case.creates)
        b = _comparable(missing, case.path.format(**missing_values), {name: str(missing_values[name])
                                                                      for name in used},
                        {name: missing_values[name] for name in case.echo}, creates=case.creates)
        if a != b:
            problems.append("hidden and missing keys answered differently:\n" + _diff(a, b))
    if case.label == "mention":
        _delete_mentions(world)
    if case.creates:
        _delete_new_communities(last_community)
    if problems:
        world.figures.leaks.append((case.id, actor, problems))
    assert not problems, f"{case.id} as {actor}:\n" + "\n".join(problems)


def _delete_new_communities(last_id: int) -> None:
    """Take away the communities a case made (named like a hidden one, they would otherwise be a
    visible name that the next cases' names clash with)."""
    _db.session.execute(delete(Community).where(Community.id > last_id))
    _db.session.commit()


def _delete_mentions(world: LeakWorld) -> None:
    """Take the mention cases' posts and comments away, so that a leak stored in one (a rendered
    name) does not show again on every later page of the same actor."""
    from rse.feeds.models import Comment, Publication
    from rse.feeds.publications import service as publications
    from rse.feeds.social import comments

    admin = world.users.admin
    for publication in _db.session.scalars(select(Publication).where(
            Publication.body.contains("@zqx7canari"), Publication.deleted_at.is_(None))):
        publications.delete_publication(admin, publication)
    for comment in _db.session.scalars(select(Comment).where(
            Comment.body.contains("@zqx7canari"), Comment.deleted_at.is_(None))):
        comments.delete_comment(admin, comment)
    _db.session.commit()


def _rule_of(app, case: Case) -> str:
    adapter = app.url_map.bind("maillage.test")
    path = case.path.split("?")[0].format(**dict.fromkeys(_placeholders(case), 1))
    rule, _args = adapter.match(path, method=case.method, return_rule=True)
    return rule.rule


def test_every_route_and_method_is_in_the_matrix(leak_world: LeakWorld):
    """Each rule × method of the app is requested by some case, or exempted with a reason."""
    app = leak_world.app
    covered = {(case.method, _rule_of(app, case)) for case in CASES}
    wanted = {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.rule not in EXEMPT
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert sorted(wanted - covered) == []
    assert set(EXEMPT) <= {rule.rule for rule in app.url_map.iter_rules()}


def test_the_canaries_are_there_for_those_who_may_read_them(leak_world: LeakWorld):
    """The matrix sees a canary where it is: the member reads the secret space, the animator the trash."""
    member = leak_world.web["member"]
    ids = leak_world.ids
    assert "Zqx7CanariBilletSecret" in _text(member.get(f"/publications/{ids['post']}"))
    assert "Zqx7CanariTagSecret" in _text(member.get(f"/mots-cles/{ids['tag']}"))
    assert "Zqx7CanariDocumentSecret" in _text(member.get(f"/documents/{ids['document']}"))
    assert "Zqx7CanariDossierSecret" in _text(member.get(f"/espaces/{ids['secret']}/documents"))
    assert "Zqx7CanariPersonne" in _text(leak_world.web["outsider"].get(f"/personnes/{ids['person']}"))
    assert "Zqx7CanariEspacePrive" in _text(leak_world.web["outsider"].get(f"/espaces/{ids['private']}"))
    assert "Zqx7CanariBilletInterne" in _text(leak_world.api["outsider"].get(
        f"/api/v1/publications/{ids['internal_post']}"))
    admin = leak_world.api["admin"]
    assert "ZQX7CANARICODE" in _text(admin.get(f"/api/v1/communities/{ids['partners']}/register"))
    assert "Zqx7CanariNoteProjet" in _text(admin.get(f"/api/v1/documents/{ids['controlled']}"))
    member_api = leak_world.api["member"]
    assert "Zqx7CanariActionSecret" in _text(member_api.get(f"/api/v1/actions/{ids['action']}"))
    assert "Zqx7CanariActionSecret" in _text(member_api.get("/api/v1/search?q=zqx7canariactionsecret"))
    assert "Zqx7CanariActionSecret" in _text(member_api.get("/api/v1/search?q=membre&kind=action"))
    assert "Zqx7CanariPlanSecret" in _text(leak_world.web["admin"].get(f"/plans/{ids['plan']}/import"))
    assert "Zqx7CanariActionSecret" in _text(member.get(f"/plans/{ids['plan']}"))
    assert "Zqx7CanariSourceValeur" in _text(member.get(f"/actions/{ids['action']}"))


def test_matrix_figures(leak_world: LeakWorld, capsys):
    """Print what the matrix did on this database (it runs after the matrix: tests run in file order)."""
    figures = leak_world.figures
    rules = [rule for rule in leak_world.app.url_map.iter_rules() if rule.rule not in EXEMPT]
    pairs = sum(len(rule.methods - {"HEAD", "OPTIONS"}) for rule in rules)
    with capsys.disabled():
        print(f"\n[{leak_world.backend}] {figures.report()} "
              f"(the app has {pairs} pairs on {len(rules)} rules, and {len(EXEMPT)} exempt)")
        for case_id, actor, problems in figures.leaks:
            print(f"  leak: {case_id} as {actor}: {problems[0].splitlines()[0]}")


def test_followers_notifications_and_digests_of_hidden_things_carry_no_canary(leak_world: LeakWorld, smtp_server):
    """Everyone tries to follow the hidden tag, document and person; new hidden content follows. No
    notification, stream, digest preview, notification email or weekly digest of an actor who may
    not read it carries a canary; the member, who may, is told (the fan-out did happen)."""
    from rse.communities.models import Community
    from rse.documents.models import Document
    from rse.feeds.publications import service as publications
    from rse.feeds.social import comments, suggestions

    world, app = leak_world, leak_world.app
    ids, users = world.ids, world.users
    saved = app.config["MAIL_URL"]
    app.config["MAIL_URL"] = smtp_server.url  # notification emails and digests over real SMTP
    smtp_server.clear()
    try:
        for actor in ACTORS:
            for body in ({"target": "tag", "key": "Zqx7CanariTagSecret".lower()},
                         {"target": "tag", "key": ids["internal_tag"]},
                         {"target": "document", "key": ids["document"]}, {"target": "person", "key": ids["person"]}):
                world.api[actor].put("/api/v1/follows", json=body)
        secret = _db.session.get(Community, ids["secret"])
        internal = _db.session.get(Community, ids["internal"])
        post = publications.publish(users.person, secret, {"kind": "post", "body": "Zqx7CanariNouveauBillet",
                                                      "tags": ["Zqx7CanariTagSecret"]})
        _db.session.commit()
        comments.add_comment(users.person, post, "Zqx7CanariNouveauCommentaire")
        _db.session.commit()
        leaks._new_version(users.animator, _db.session.get(Document, ids["document"]),
                           filename="Zqx7CanariFichier3.pdf", note="Zqx7CanariNouvelleVersion")
        _db.session.commit()
        suggestions.suggest(users.animator, post, communities=[ids["secret"]], message="Zqx7CanariNouvelleSuggestion")
        _db.session.commit()
        publications.publish(users.animator, internal, {"kind": "post", "body": "Zqx7CanariNouveauInterne",
                                                   "tags": ["Zqx7CanariTagInterne"]})
        _db.session.commit()
        runner = app.test_cli_runner()
        for period in _weeks():
            result = runner.invoke(args=["digest", "send", "--period", period])
            assert result.exit_code == 0, result.output
        mails = smtp_server.wait_for(1, timeout=2)
    finally:
        app.config["MAIL_URL"] = saved

    found = {}
    for actor in ACTORS:
        user = getattr(users, actor, None)
        texts = [_text(world.web[actor].get(path, headers=HX if path == "/fil" else {}))
                 for path in ("/notifications", "/", "/fil", "/digest/preview")]
        texts.append(_text(world.api[actor].get("/api/v1/notifications")))
        texts += [m.as_string() + _mail_text(m) for m in mails if user is not None and user.email in m["To"]]
        leaked = leaks.leaked(texts, leaks.forbidden_canaries(actor), "")
        if leaked:
            found[actor] = leaked
    assert found == {}
    # The partner's weekly digest was among the emails checked; the member was told of the new post.
    assert any(users.partner.email in m["To"] and "résumé" in m["Subject"] for m in mails)
    member_mails = [_mail_text(m) for m in mails if users.member.email in m["To"]]
    member_news = _text(world.web["member"].get("/notifications")) + "".join(member_mails)
    assert "Zqx7CanariNouveauBillet" in member_news or "Zqx7CanariNouveauCommentaire" in member_news


def _weeks() -> list[str]:
    """This ISO week and the last one: the digests that may hold what was just made."""
    from datetime import date

    weeks = []
    for back in (0, 1):
        year, week, _weekday = (date.today() - timedelta(weeks=back)).isocalendar()
        weeks.append(f"{year}-W{week:02d}")
    return weeks


def _mail_text(message) -> str:
    """Every part of an email, decoded (quoted-printable and base64 hide words from a plain search)."""
    return "\n".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")
