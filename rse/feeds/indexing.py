"""What feeds hands to search: publications (and wiki pages) and comments.

Texts are indexed as plain text (the Markdown rendered, then its tags stripped, each block
ending on a blank line as rse.excerpts says), so that snippets read as the page does. A comment
takes its publication's or document's community; when that changes (deleted, trashed, retitled)
its comments are reindexed with it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from rse import indexing, permissions
from rse.documents.models import Document
from rse.indexing import SearchItem, content_scope
from rse.urls import internal_path

from .markdown import html_text
from .models import Comment, Kind, Publication

_PUBLICATION_FIELDS = ("title", "body", "body_html", "tags", "url", "place", "kind", "deleted_at", "community_id")


def plain(html: str) -> str:
    return html_text(html)


# Publications.

def publication_item(publication: Publication) -> SearchItem:
    return SearchItem(
        source="publication", id=publication.id,
        kind="wiki" if publication.kind == Kind.WIKI else "publication", subkind=publication.kind,
        scopes=(content_scope(publication.community_id),),
        url=internal_path("publications.show", publication_id=publication.id),
        date=publication.created_at if publication.kind != Kind.WIKI else publication.updated_at,
        title=publication.title, tags=tuple(publication.tags or ()), link=publication.url or "",
        place=publication.place or "", body=plain(publication.body_html),
        community_id=publication.community_id, author_id=publication.author_id,
    )


def load_publications(session: Session, ids: list[int]) -> dict[int, SearchItem]:
    rows = session.scalars(select(Publication).where(Publication.id.in_(ids), Publication.deleted_at.is_(None)))
    return {p.id: publication_item(p) for p in rows}


def visible_publications(actor: Any, ids: list[int]) -> set[int]:
    from rse.database import db

    return set(db.session.scalars(select(Publication.id).where(
        Publication.id.in_(ids), permissions.readable(actor, Publication))))


# Comments.

def _comment_rows(session: Session, condition):
    """Live comments on live targets, with the target's title and community."""
    return session.execute(
        select(Comment, Publication.title, Publication.community_id, Document.title, Document.community_id)
        .outerjoin(Publication, and_(Comment.publication_id == Publication.id, Publication.deleted_at.is_(None)))
        .outerjoin(Document, and_(Comment.document_id == Document.id, Document.deleted_at.is_(None)))
        .where(condition, Comment.deleted_at.is_(None),
               or_(Publication.id.is_not(None), Document.id.is_not(None)))
    ).all()


def load_comments(session: Session, ids: list[int]) -> dict[int, SearchItem]:
    items = {}
    for comment, p_title, p_community, d_title, d_community in _comment_rows(session, Comment.id.in_(ids)):
        if comment.publication_id is not None:
            url = internal_path("publications.show", publication_id=comment.publication_id)
            heading, community_id = p_title, p_community
        else:
            url = internal_path("documents.show", document_id=comment.document_id)
            heading, community_id = d_title, d_community
        items[comment.id] = SearchItem(
            source="comment", id=comment.id, kind="comment", scopes=(content_scope(community_id),),
            url=f"{url}#commentaire-{comment.id}", date=comment.created_at, heading=heading,
            body=plain(comment.body_html), community_id=community_id, author_id=comment.author_id,
        )
    return items


def visible_comments(actor: Any, ids: list[int]) -> set[int]:
    """Comments the actor may read, on a live target (a trashed document's comments are not searched)."""
    from rse.database import db

    live_target = or_(Comment.publication_id.is_not(None), select(Document.id).where(
        Document.id == Comment.document_id, Document.deleted_at.is_(None)).exists())
    return set(db.session.scalars(select(Comment.id).where(
        Comment.id.in_(ids), live_target, permissions.readable(actor, Comment))))


def _comments_of(column):
    def dependents(session: Session, ids: list[int]) -> list[tuple[str, int]]:
        return [("comment", cid) for cid in session.scalars(select(Comment.id).where(column.in_(ids)))]

    return dependents


def register() -> None:
    indexing.register_source(indexing.Source(
        name="publication", load=load_publications, visible=visible_publications,
        batches=lambda session, size: indexing.id_batches(session, Publication, Publication.deleted_at.is_(None), size),
    ))
    indexing.register_source(indexing.Source(
        name="comment", load=load_comments, visible=visible_comments,
        batches=lambda session, size: indexing.id_batches(session, Comment, Comment.deleted_at.is_(None), size),
    ))
    indexing.watch(Publication, "publication", lambda p: [("publication", p.id)], fields=_PUBLICATION_FIELDS)
    indexing.watch(Comment, "comment", lambda c: [("comment", c.id)], fields=("body", "body_html", "deleted_at"))
    indexing.add_dependents("publication", _comments_of(Comment.publication_id))
    indexing.add_dependents("document", _comments_of(Comment.document_id))
