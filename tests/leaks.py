"""The hidden world of the leak matrix: canary strings, who may read them, and how answers are compared.

Every hidden title, name, tag spelling, folder, file name and comment carries a canary: one ASCII
word starting with `Zqx7Canari` in mixed case. Requests only ever carry canaries in lower case
(a tag is asked for as `zqx7canaritagsecret`), so an echo of the request is never mistaken for a leak,
while the original spelling found anywhere in an answer is one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import quote

from rse.accounts import service as accounts
from rse.communities import invitations
from rse.communities import service as communities
from rse.database import db
from rse.dbtypes import utcnow
from rse.documents import service as documents
from rse.documents.controlled import reading
from rse.documents.controlled import service as controlled
from rse.feeds.models import Notification
from rse.feeds.publications import pins
from rse.feeds.publications import service as publications
from rse.feeds.social import comments, follows, reactions, suggestions
from rse.feeds.streams.service import encode_cursor
from rse.plans import service as plans
from rse.uploads import HashingSpool

from .documents.samples import pdf_bytes

PASSWORD = "correct-horse-battery-staple"
MISSING_ID = 999999

# Zones: who owns a canary. Each actor may not read some zones (READS below).
SECRET = "secret"              # the secret community and everything in it
TRASH = "trash"                # a trashed document of the secret community (its author and animators only)
PERSON = "person"              # a person who is only in the secret community (hidden from partners)
PRIVATE_SPACE = "private_space"  # the private community's name (staff may know it exists)
PRIVATE = "private"            # the private community's content
STAFF = "staff"                # content of a public community without partners
PERSONAL = "personal"          # the animator's own things: personal quick link, token, notifications
DRAFT = "draft"                # controlled documents' drafts in the partners' space: only their circuit (the animator)

ACTORS = ("admin", "member", "outsider", "partner", "stranger", "anonymous", "deactivated")

# The zones each actor may NOT read. The member is in the secret, private and partners' communities;
# the partner only in the partners' community; the deactivated account was in the secret one.
NOBODY = {SECRET, TRASH, PERSON, PRIVATE_SPACE, PRIVATE, STAFF, PERSONAL, DRAFT}
HIDDEN_ZONES = {
    "admin": {PERSONAL},
    "member": {TRASH, PERSONAL, DRAFT},
    "outsider": {SECRET, TRASH, PRIVATE, PERSONAL, DRAFT},
    "partner": NOBODY,
    "stranger": NOBODY,
    "anonymous": NOBODY,
    "deactivated": NOBODY,
}

CANARIES = {
    "Zqx7CanariEspaceSecret": SECRET,
    "Zqx7CanariDescriptionSecret": SECRET,
    "Zqx7CanariBilletSecret": SECRET,
    "Zqx7CanariTagSecret": SECRET,
    "Zqx7CanariQuestionSecret": SECRET,
    "Zqx7CanariCommentaireSecret": SECRET,
    "Zqx7CanariReponseSecret": SECRET,
    "Zqx7CanariWikiSecret": SECRET,
    "Zqx7CanariWikiCorpsUn": SECRET,
    "Zqx7CanariWikiCorpsDeux": SECRET,
    "Zqx7CanariLienSecret": SECRET,
    "Zqx7CanariAnnonceSecret": SECRET,
    "Zqx7CanariDocumentSecret": SECRET,
    "Zqx7CanariDocDescription": SECRET,
    "Zqx7CanariFichier": SECRET,
    "Zqx7CanariNoteVersion": SECRET,
    "Zqx7CanariDossierSecret": SECRET,
    "Zqx7CanariRaccourciSecret": SECRET,
    "Zqx7CanariCommentaireDocument": SECRET,
    "Zqx7CanariSuggestion": SECRET,
    # Made after everyone tried to follow the hidden things (the fan-out test).
    "Zqx7CanariNouveauBillet": SECRET,
    "Zqx7CanariNouveauCommentaire": SECRET,
    "Zqx7CanariNouvelleVersion": SECRET,
    "Zqx7CanariNouvelleSuggestion": SECRET,
    "Zqx7CanariCorbeille": TRASH,
    "Zqx7CanariPersonne": PERSON,
    "Zqx7CanariEtablissement": PERSON,  # the hidden person's contact details: the directory's filter lists
    "Zqx7CanariSite": PERSON,
    "Zqx7CanariFonction": PERSON,
    "Zqx7CanariEspacePrive": PRIVATE_SPACE,
    "Zqx7CanariBilletPrive": PRIVATE,
    "Zqx7CanariDocumentPrive": PRIVATE,
    "Zqx7CanariRaccourciPrive": PRIVATE,
    "Zqx7CanariDemande": PRIVATE,
    "Zqx7CanariBilletInterne": STAFF,
    "Zqx7CanariNouveauInterne": STAFF,
    "Zqx7CanariTagInterne": STAFF,
    "Zqx7CanariDocumentInterne": STAFF,
    # A controlled document never in force, and the draft version 2 of one in force (partners' space).
    "Zqx7CanariBrouillonMaitrise": DRAFT,
    "ZQX7CANARICODE": DRAFT,  # its code (codes are kept in capitals)
    "Zqx7CanariFichierBrouillon": DRAFT,
    "Zqx7CanariNoteCircuit": DRAFT,
    "Zqx7CanariFichierProjet": DRAFT,
    "Zqx7CanariNoteProjet": DRAFT,
    # An action plan of the secret space: its title, objective, action, result note and indicator.
    "Zqx7CanariPlanSecret": SECRET,
    "Zqx7CanariObjectifSecret": SECRET,
    "Zqx7CanariActionSecret": SECRET,
    "Zqx7CanariActionDescription": SECRET,
    "Zqx7CanariIndicateurSecret": SECRET,
    "Zqx7CanariSourceValeur": SECRET,
    "Zqx7CanariRaccourciPerso": PERSONAL,
    "Zqx7CanariJeton": PERSONAL,
}


def forbidden_canaries(actor: str) -> list[str]:
    zones = HIDDEN_ZONES[actor]
    return [canary for canary, zone in CANARIES.items() if zone in zones]


# --- The world --------------------------------------------------------------------------------------

def _user(role: str, email: str, name: str) -> object:
    return accounts.create_user(email=email, name=name, password=PASSWORD, role=role)


def _document(author, community, *, title: str, filename: str, **data):
    from flask import current_app

    spool = HashingSpool(current_app.config["UPLOAD_TMP"], current_app.config["MAX_UPLOAD_BYTES"])
    try:
        spool.write(pdf_bytes(title))
        spool.flush()
        document = documents.create_document(author, community, documents.Upload(spool, filename),
                                             {"title": title, **data})
        db.session.flush()
    finally:
        spool.close()
    return document


def _new_version(author, document, *, filename: str, note: str):
    from flask import current_app

    spool = HashingSpool(current_app.config["UPLOAD_TMP"], current_app.config["MAX_UPLOAD_BYTES"])
    try:
        spool.write(pdf_bytes(f"{document.title} v2"))
        spool.flush()
        documents.add_version(author, document, documents.Upload(spool, filename), note)
        db.session.flush()
    finally:
        spool.close()


def build_world() -> SimpleNamespace:
    """The actors, the secret, private, staff-only and partners' communities, and the hidden objects.

    Returns the users and `ids`: the key of every hidden object by placeholder name.
    """
    u = SimpleNamespace(
        admin=_user("admin", "admin@ght-exemple.fr", "Admin Principal"),
        animator=_user("staff", "animatrice@ght-exemple.fr", "Animatrice Espaces"),
        member=_user("staff", "membre@ght-exemple.fr", "Membre Partout"),
        person=_user("staff", "zqx7canari.personne@ght-exemple.fr", "Zqx7CanariPersonne Cachée"),
        requester=_user("staff", "demandeur@ght-exemple.fr", "Agent Demandeur"),
        # A partner of the private space: a suggestion of staff-only content to it is refused, and the
        # refusal must not count the members of a space the sender is not in (finding 5).
        private_partner=_user("partner", "prive@ars-exemple.fr", "Partenaire Privé"),
        outsider=_user("staff", "exterieur@ght-exemple.fr", "Agent Extérieur"),
        partner=_user("partner", "partenaire@ars-exemple.fr", "Partenaire Membre"),
        stranger=_user("partner", "etranger@ars-exemple.fr", "Partenaire Étranger"),
        deactivated=_user("staff", "desactive@ght-exemple.fr", "Compte Désactivé"),
    )
    u.person.organisation, u.person.site, u.person.job_title = (
        "CH Zqx7CanariEtablissement", "Zqx7CanariSite Nord", "Zqx7CanariFonction hygiéniste")
    db.session.flush()
    animator = u.animator
    secret = communities.create_community(animator, {
        "name": "Zqx7CanariEspaceSecret", "visibility": "secret",
        "description": "Préparation Zqx7CanariDescriptionSecret"})
    private = communities.create_community(animator, {"name": "Zqx7CanariEspacePrive", "visibility": "private"})
    internal = communities.create_community(animator, {"name": "Espace interne public", "visibility": "public"})
    partners = communities.create_community(animator, {"name": "Espace partenaires", "visibility": "private"})
    for community, people in ((secret, (u.member, u.person, u.deactivated)), (private, (u.member, u.private_partner)),
                              (internal, (u.member,)), (partners, (u.member, u.partner))):
        for person in people:
            communities.add_member(animator, community, person, "member")
    db.session.flush()

    post = publications.publish(animator, secret, {"kind": "post", "body": "Zqx7CanariBilletSecret",
                                            "tags": ["Zqx7CanariTagSecret"]})
    question = publications.publish(animator, secret, {"kind": "question", "title": "Zqx7CanariQuestionSecret"})
    wiki = publications.publish(animator, secret, {"kind": "wiki", "title": "Zqx7CanariWikiSecret",
                                            "body": "Zqx7CanariWikiCorpsUn"})
    publications.update_publication(animator, wiki, {"body": "Zqx7CanariWikiCorpsDeux"})
    link = publications.publish(animator, secret, {"kind": "link", "title": "Zqx7CanariLienSecret",
                                            "url": "https://intranet.ght-exemple.fr/comite"})
    announcement = publications.publish(animator, secret, {"kind": "announcement", "title": "Zqx7CanariAnnonceSecret",
                                                    "body": "Réunion"})
    comment = comments.add_comment(u.member, question, "Zqx7CanariCommentaireSecret")
    answer = comments.add_comment(animator, question, "Zqx7CanariReponseSecret")
    reactions.like(u.member, post)
    pins.pin(animator, post)
    folder = documents.create_folder(animator, secret, "Zqx7CanariDossierSecret")
    db.session.flush()
    document = _document(animator, secret, title="Zqx7CanariDocumentSecret", filename="Zqx7CanariFichier.pdf",
                         description="Zqx7CanariDocDescription", tags=["Zqx7CanariTagSecret"], folder_id=folder.id)
    _new_version(animator, document, filename="Zqx7CanariFichier2.pdf", note="Zqx7CanariNoteVersion")
    comments.add_comment(u.member, document, "Zqx7CanariCommentaireDocument")
    trashed = _document(animator, secret, title="Zqx7CanariCorbeille", filename="corbeille.pdf")
    documents.trash_document(animator, trashed)
    quicklink = communities.add_link(animator, "Zqx7CanariRaccourciSecret", "https://intranet.ght-exemple.fr/s",
                                     community=secret)
    invitation = invitations.invite(animator, secret, "invitee@ars-exemple.fr", "member")
    suggestions.suggest(animator, post, users=[u.member.id], message="Zqx7CanariSuggestion")
    follows.follow(u.member, "document", document.id)
    follows.follow(u.member, "tag", "Zqx7CanariTagSecret")

    private_post = publications.publish(animator, private, {"kind": "post", "body": "Zqx7CanariBilletPrive"})
    private_doc = _document(animator, private, title="Zqx7CanariDocumentPrive", filename="prive.pdf")
    private_link = communities.add_link(animator, "Zqx7CanariRaccourciPrive", "https://intranet.ght-exemple.fr/p",
                                        community=private)
    join_request = communities.request_to_join(u.requester, private, "Zqx7CanariDemande")

    internal_post = publications.publish(animator, internal, {"kind": "post", "body": "Zqx7CanariBilletInterne",
                                                       "tags": ["Zqx7CanariTagInterne"]})
    internal_doc = _document(animator, internal, title="Zqx7CanariDocumentInterne", filename="interne.pdf")
    partners_post = publications.publish(animator, partners, {"kind": "post", "body": "Bienvenue aux partenaires"})
    # Controlled documents of the partners' space, whose circuit is the animator alone: a draft in
    # approval, and a protocol in force whose version 2 is a draft; the space must read the latter.
    circuit_only = {"writers": [animator.id], "approvers": [animator.id]}
    controlled_draft = _document(animator, partners, title="Zqx7CanariBrouillonMaitrise",
                                 filename="Zqx7CanariFichierBrouillon.pdf",
                                 control={"code": "ZQX7CANARICODE-001", **circuit_only})
    controlled.submit(animator, controlled_draft, note="Zqx7CanariNoteCircuit")
    controlled_doc = _document(animator, partners, title="Protocole des partenaires", filename="vigueur.pdf",
                               control={"code": "PART-PRO-001", **circuit_only})
    first = controlled.submit(animator, controlled_doc)
    controlled.decide(animator, controlled_doc, verdict="approve", sha256=first.sha256)
    _new_version(animator, controlled_doc, filename="Zqx7CanariFichierProjet.pdf", note="Zqx7CanariNoteProjet")
    reading.require_reading(animator, controlled_doc, {"communities": [partners.id]})
    # Spaces where the outsider and the partner may write: the hidden keys are also sent inside them
    # (a secret folder as a parent, a secret document as an attachment, a hidden person mentioned).
    own = communities.create_community(u.outsider, {"name": "Espace de l'agent extérieur", "visibility": "private"})
    own_doc = _document(u.outsider, own, title="Note de l'extérieur", filename="note.pdf")
    forum = communities.create_community(animator, {"name": "Forum public", "visibility": "public"})
    communities.add_member(animator, forum, u.partner, "member")
    forum_post = publications.publish(animator, forum, {"kind": "post", "body": "Questions ouvertes"})

    # An action plan of the secret space: the member owns its action, which points at the secret document.
    plan = plans.create_plan(animator, secret, {"title": "Zqx7CanariPlanSecret"})
    objective = plans.add_objective(animator, plan, {"title": "Zqx7CanariObjectifSecret"})
    action = plans.create_action(animator, objective, {
        "title": "Zqx7CanariActionSecret", "description": "Zqx7CanariActionDescription", "owner_id": u.member.id,
        "due_date": "2025-06-30", "status": "in_progress"})
    indicator = plans.add_indicator(animator, action, {"name": "Zqx7CanariIndicateurSecret", "value_type": "integer"})
    plans.record_value(animator, indicator, {"measured_on": "2025-03-31", "value": 3, "source": "Zqx7CanariSourceValeur"})
    action_link = plans.link(animator, action, "document", document.id)
    partners_plan = plans.create_plan(animator, partners, {"title": "Plan des partenaires"})
    partners_objective = plans.add_objective(animator, partners_plan, {"title": "Coopérer"})
    partners_action = plans.create_action(animator, partners_objective, {
        "title": "Rédiger la convention", "owner_id": u.partner.id})

    personal_link = communities.add_link(animator, "Zqx7CanariRaccourciPerso", "https://agenda.ght-exemple.fr")
    _token, token = accounts.issue_token(animator, kind="personal", name="Zqx7CanariJeton",
                                         ttl=timedelta(days=30))
    db.session.flush()
    notification = db.session.scalar(
        db.select(Notification).where(Notification.user_id == animator.id).order_by(Notification.id))
    db.session.commit()

    ids = {
        "secret": secret.id, "private": private.id, "internal": internal.id, "partners": partners.id,
        "post": post.id, "question": question.id, "wiki": wiki.id, "link": link.id,
        "announcement": announcement.id, "comment": comment.id, "answer": answer.id,
        "folder": folder.id, "document": document.id, "trashed": trashed.id,
        "quicklink": quicklink.id, "invitation": invitation.id,
        "private_post": private_post.id, "private_doc": private_doc.id, "private_link": private_link.id,
        "join_request": join_request.id, "internal_post": internal_post.id, "internal_doc": internal_doc.id,
        "partners_post": partners_post.id, "controlled_draft": controlled_draft.id,
        "controlled": controlled_doc.id, "draft_version": 2, "own": own.id, "own_doc": own_doc.id, "forum": forum.id,
        "forum_post": forum_post.id, "person_handle": "zqx7canari.personne",
        "personal_link": personal_link.id, "token": token.id,
        "partners_plan": partners_plan.id, "partners_action": partners_action.id,
        "notification": notification.id if notification else None,
        "person": u.person.id, "animator": animator.id, "member": u.member.id, "requester": u.requester.id,
        "tag": "zqx7canaritagsecret", "internal_tag": "zqx7canaritaginterne",
        "secret_name": "zqx7canariespacesecret", "private_name": "zqx7canariespaceprive",
        "version": 2, "wiki_version": 1, "cursor": encode_cursor(10 ** 9),
        "plan": plan.id, "objective": objective.id, "action": action.id, "indicator": indicator.id,
        "action_link": action_link.id,
    }
    return SimpleNamespace(users=u, ids=ids)


def deactivate(user) -> None:
    user.deactivated_at = utcnow()
    db.session.commit()


# --- Answers ------------------------------------------------------------------------------------------

# Headers that differ between two identical answers for reasons that say nothing about the target.
IGNORED_HEADERS = {
    "date",        # the clock
    "set-cookie",  # the signed session changes at every request (it carries the flashes and a timestamp)
    "x-request-id",  # a fresh id per request
    "content-length",  # the echoed key's length (3 or 999999); the bodies are compared once normalised
    # Rate-limit counters go down by one between the two requests of a pair.
    "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after",
}

_VOLATILE = [
    # The CSRF token in forms and meta tags is signed with a timestamp: a new one at every render.
    (re.compile(r'(name="csrf_token"[^>]*value=")[^"]*(")'), r"\1<csrf>\2"),
    (re.compile(r'(value=")[^"]*("[^>]*name="csrf_token")'), r"\1<csrf>\2"),
    (re.compile(r'(name="csrf-token" content=")[^"]*(")'), r"\1<csrf>\2"),
    (re.compile(r'("csrf_token":\s*")[^"]*(")'), r"\1<csrf>\2"),
    # The moment a row of the actor's own was made (a follow in JSON): the clock, not the target.
    (re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?'), "<time>"),
    # Request ids echoed in error pages and JSON errors.
    (re.compile(r'("request_id":\s*")[^"]*(")'), r"\1<rid>\2"),
    (re.compile(r'(data-request-id=")[^"]*(")'), r"\1<rid>\2"),
]


@dataclass
class Answer:
    """One request's answer as compared: status, kept headers, body, and the next page's body."""

    status: int
    headers: dict[str, str]
    body: str
    next_body: str = ""
    raw: list[str] = field(default_factory=list)  # every text checked for canaries (headers, bodies)


def steady(text: str) -> str:
    """`text` without what changes at every render: CSRF tokens, timestamps, request ids."""
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def normalise(text: str, path: str, key_values: dict[str, str]) -> str:
    """`text` without what changes from one request to the next, and without the request's own key.

    The request's path is echoed in redirects (`?next=`), form actions and links: every spelling of it
    becomes `<path>`, so the answers for a hidden key and for a missing one can be compared. A word
    key (a tag, a name) is echoed as typed: it becomes its placeholder's name. A numeric key is
    not replaced elsewhere: small ids also occur by chance in links to other objects and in SVG
    paths, which must stay as they are.
    """
    text = steady(text)
    for variant in sorted(_path_variants(path), key=len, reverse=True):
        text = re.sub(re.escape(variant) + r"(?![\w%])", "<path>", text)
    for name, value in sorted(key_values.items(), key=lambda kv: -len(kv[1])):
        if not value.isdigit():
            text = re.sub(re.escape(value), f"<{name}>", text, flags=re.IGNORECASE)
    return text


def _path_variants(path: str) -> set[str]:
    """The spellings of a path in pages and headers: as is, and URL-encoded as a `next` value."""
    return {path, quote(path, safe="/?"), quote(path, safe="/?&="), quote(path, safe="/"), quote(path, safe=""),
            quote(path, safe="/?").replace("&", "&amp;"), path.replace("&", "&amp;")}


def leaked(texts: list[str], canaries: list[str], request_text: str) -> list[str]:
    """The canaries found in `texts` (case-sensitive), except those the request itself carried."""
    found = []
    for canary in canaries:
        if canary in request_text:
            continue
        if any(canary in text for text in texts):
            found.append(canary)
    return found


@dataclass
class Figures:
    """What the matrix did: printed at the end of the module (and asserted by its coverage test)."""

    routes: set = field(default_factory=set)
    actors: set = field(default_factory=set)
    requests: int = 0
    cases: int = 0
    leaks: list = field(default_factory=list)

    def report(self) -> str:
        return (f"leak matrix: {len(self.routes)} route × method pairs × {len(self.actors)} actors, "
                f"{self.cases} cases, {self.requests} requests, {len(self.leaks)} leaks found")
