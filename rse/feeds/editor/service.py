"""What the editor of a post, a comment or a wiki page asks while one writes: whom "@…" may name
and whether each may read where one writes, who a text names in vain, how the text will look,
and a dropped file stored as a document of the space.

Every function takes the writer first; what they may not see is never named. The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select

from rse import permissions
from rse.accounts.models import User
from rse.communities import service as communities
from rse.communities.access import active_people
from rse.communities.models import Community
from rse.database import db
from rse.documents import service as documents
from rse.documents.models import Document
from rse.errors import BadRequest
from rse.feeds import mentions
from rse.feeds.models import Publication
from rse.feeds.publications import service as publications
from rse.urls import internal_path
from rse.validation import clean_text

SUGGESTIONS = 8
QUERY_MAX = 64
PREVIEW_MAX = max(publications.BODY_MAX.values())

Target = Community | Publication | Document


@dataclass
class Candidate:
    """A person "@…" may name, and whether they may read where one writes (else: not told)."""

    user: User
    may_read: bool

    @property
    def handle(self) -> str:
        return handle_of(self.user)


def handle_of(user: User) -> str:
    """How a text names a person: the local part of their address ("@marie.durand")."""
    return user.email.split("@", 1)[0]


def writing_target(actor: User, *, community_id: Any = None, publication_id: Any = None,
                   document_id: Any = None) -> Target:
    """Where one writes: a space (a new publication), a publication (its edit, a comment on it) or a
    document (a comment on it), if the writer may read it (else NotFound, as for its page)."""
    given = [(kind, value) for kind, value in (("community", community_id), ("publication", publication_id),
                                               ("document", document_id)) if value is not None]
    if len(given) != 1:
        raise BadRequest(_("Indiquez où vous écrivez : un espace, une publication ou un document."),
                         code="missing_target")
    kind, value = given[0]
    if kind == "community":
        return communities.get_community(actor, value, "read")
    if kind == "publication":
        return publications.get_publication(actor, value)
    return documents.get_document(actor, value)


def _space(target: Target) -> Community:
    return target if isinstance(target, Community) else target.community


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def suggest_people(actor: User, target: Target, query: Any) -> list[Candidate]:
    """The active people the writer may see whose name (a word of it) or address begins with
    `query`, those who may read `target` first; the others are kept, marked."""
    query = clean_text(query, "q", max_length=QUERY_MAX).lstrip("@").lower()
    condition = and_(permissions.visible(actor, User), active_people(), User.id != actor.id)
    if query:
        prefix = _like_prefix(query)
        condition = and_(condition, or_(func.lower(User.email).like(prefix, escape="\\"),
                                        func.lower(User.name).like(prefix, escape="\\"),
                                        func.lower(User.name).like("% " + prefix, escape="\\"),
                                        func.lower(User.name).like("%-" + prefix, escape="\\")))
    reads = permissions.readers(target)
    rows = db.session.execute(
        select(User, case((reads, True), else_=False)).where(condition)
        .order_by(case((reads, 0), else_=1), User.name, User.id).limit(SUGGESTIONS)).all()
    return [Candidate(user, bool(may_read)) for user, may_read in rows]


def mention_warnings(actor: User, target: Target, text: Any) -> list[str]:
    """A sentence for each person the text names who will not be told (mentions.unreached)."""
    text = clean_text(text, "body", max_length=PREVIEW_MAX, multiline=True)
    return mentions.unreached_warnings(actor, text, target)


def preview(actor: User, target: Target, text: Any) -> str:
    """The text as it will be published: rendered and sanitised as every body is, mentions included."""
    text = clean_text(text, "body", max_length=PREVIEW_MAX, multiline=True)
    return mentions.render(text, mentions.resolve(actor, text, target))


def attach_file(actor: User, target: Target, upload: documents.Upload | None) -> Document:
    """A file dropped or pasted into the text, stored as a document of the space (the documents
    page's checks and refusals, word for word)."""
    return documents.create_document(actor, _space(target), upload, {})


def file_link(document: Document) -> str:
    """The Markdown link to a document, for the text (pictures too: bodies render no image)."""
    label = document.title.replace("\\", "").replace("[", "(").replace("]", ")")
    return f"[{label}]({internal_path('documents.show', document_id=document.id)})"
