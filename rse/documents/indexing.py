"""What documents hands to search: each live document with the extracted text of its current version."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from rse import indexing, permissions
from rse.indexing import SearchItem, content_scope, self_scope
from rse.urls import internal_path

from .controlled.models import ControlledDocument, ControlRole, Status
from .models import Document, DocumentVersion


def _scopes(document: Document) -> tuple[str, ...]:
    """Who may find it: the space's readers; a controlled document never in force, its circuit only."""
    control = document.control
    if control is not None and control.status == Status.DRAFT:
        return tuple(sorted(self_scope(user_id) for user_id in control.circuit))
    return (content_scope(document.community_id),)


def _description(document: Document) -> str:
    """Its description, after a controlled document's code (what a printed copy cites)."""
    code = document.control.code if document.control is not None else ""
    return " ".join(filter(None, (code, document.description or "")))


def load_documents(session: Session, ids: list[int]) -> dict[int, SearchItem]:
    rows = session.execute(
        select(Document, DocumentVersion.extracted_text, DocumentVersion.kind)
        .outerjoin(DocumentVersion, and_(DocumentVersion.document_id == Document.id,
                                         DocumentVersion.number == Document.current_number))
        .where(Document.id.in_(ids), Document.deleted_at.is_(None))
    ).all()
    return {
        document.id: SearchItem(
            source="document", id=document.id, kind="document", subkind=file_kind or "",
            scopes=_scopes(document),
            url=internal_path("documents.show", document_id=document.id), date=document.updated_at,
            title=document.title, tags=tuple(document.tags or ()), description=_description(document),
            body=text or "", community_id=document.community_id, author_id=document.created_by_id,
        )
        for document, text, file_kind in rows
    }


def visible_documents(actor: Any, ids: list[int]) -> set[int]:
    from rse.database import db

    return set(db.session.scalars(select(Document.id).where(
        Document.id.in_(ids), Document.deleted_at.is_(None), permissions.readable(actor, Document))))


def register() -> None:
    indexing.register_source(indexing.Source(
        name="document", load=load_documents, visible=visible_documents,
        batches=lambda session, size: indexing.id_batches(session, Document, Document.deleted_at.is_(None), size),
    ))
    indexing.watch(Document, "document", lambda d: [("document", d.id)],
                   fields=("title", "description", "tags", "deleted_at", "current_number", "community_id"))
    indexing.watch(ControlledDocument, "document", lambda c: [("document", c.document_id)],
                   fields=("status", "in_force_number", "code"))
    indexing.watch(ControlRole, "document", lambda r: [("document", r.document_id)])
    indexing.watch(DocumentVersion, "document", lambda v: [("document", v.document_id)],
                   fields=("extracted_text", "extraction"))
