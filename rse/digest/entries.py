"""A person's digest and its entries: what the email shows of each item (title, link, author, and
an excerpt where excerpts may leave by email), section by section."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import Row

from rse.accounts.models import User
from rse.feeds import markdown, titles
from rse.urls import external_url

from .periods import Period


@dataclass
class Entry:
    key: tuple[str, int]  # ("publication" | "document" | "action", id)
    title: str
    url: str
    community: Row  # id, name, sensitive
    kind: str
    author: str = ""
    author_id: int | None = None  # left out of the line under the title when it is the reader
    excerpt: str = ""
    note: str = ""  # why it is here ("nouvelle version", "vous a mentionné", ...)
    likes: int = 0
    comments: int = 0
    same_questions: int = 0
    score: float = 0.0
    at: datetime | None = None


@dataclass
class CommunitySection:
    community: Row
    entries: list[Entry]
    more: int
    url: str


@dataclass
class Digest:
    user: User
    period: Period
    since: datetime
    readings: list[Entry] = field(default_factory=list)
    my_actions: list[Entry] = field(default_factory=list)        # « Vos actions »
    late_actions: list[Entry] = field(default_factory=list)      # « Actions en retard dans vos espaces »
    late_actions_more: int = 0                                   # those of them not shown (capped)
    for_you: list[Entry] = field(default_factory=list)
    pinned: list[Entry] = field(default_factory=list)
    communities: list[CommunitySection] = field(default_factory=list)
    questions: list[Entry] = field(default_factory=list)
    new_members: list[tuple[Row, list[str]]] = field(default_factory=list)
    due_documents: list[Entry] = field(default_factory=list)

    @property
    def item_count(self) -> int:
        """What is for the person (readings to confirm and actions to carry out included: each digest
        repeats them until done), newly pinned, and the new items shown."""
        return (len(self.readings) + len(self.my_actions) + len(self.late_actions) + len(self.for_you)
                + len(self.pinned) + sum(len(s.entries) for s in self.communities))

    @property
    def is_empty(self) -> bool:
        """Nothing new: reminders (open questions, new members, reviews due) alone do not make an email."""
        return self.item_count == 0


def excerpts_allowed(community: Row) -> bool:
    return not community.sensitive and bool(current_app.config.get("MAIL_EXCERPTS"))


def publication_entry(publication: Row, community: Row, *, note: str = "") -> Entry:
    allowed = excerpts_allowed(community)
    # An untitled post is named by its first words only where excerpts may leave by email.
    title = titles.publication_title(publication.title, publication.body, text_shown=allowed,
                                     community=community.name)
    return Entry(
        key=("publication", publication.id), title=title, community=community, kind=publication.kind,
        url=external_url("publications.show", publication_id=publication.id),
        author=publication.author_name or "", author_id=publication.author_id,
        excerpt=markdown.plain_excerpt(publication.body, 200) if allowed and publication.title else "",
        note=note, likes=publication.like_count, comments=publication.comment_count,
        same_questions=publication.same_question_count, at=publication.created_at)


def action_entry(action: Row, community: Row, *, note: str = "") -> Entry:
    """An action of a plan: its title, its plan and due date in the note, its owner as the author."""
    return Entry(key=("action", action.id), title=action.title, community=community, kind="action",
                 url=external_url("plans.action", action_id=action.id), author=action.owner_name or "",
                 author_id=action.owner_id, note=note)


def document_entry(document: Row, community: Row, *, note: str = "") -> Entry:
    allowed = excerpts_allowed(community)
    return Entry(
        key=("document", document.id), title=document.title, community=community, kind="document",
        url=external_url("documents.show", document_id=document.id),
        author=document.author_name or "", author_id=document.author_id,
        excerpt=markdown.plain_excerpt(document.description, 200) if allowed else "", note=note,
        at=document.updated_at)

