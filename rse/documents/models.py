"""Folders, documents, their immutable versions, and the content-addressed blobs they point to."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rse.accounts.models import User
from rse.communities.models import Community
from rse.database import Model, db
from rse.dbtypes import UTCDateTime, utcnow


class Folder(Model):
    __tablename__ = "folders"
    __table_args__ = (
        # Names are unique among siblings (two partial indexes: NULL parents are distinct in SQL).
        Index("uq_folders_sibling_name", "community_id", "parent_id", "name", unique=True,
              sqlite_where=text("parent_id IS NOT NULL"), postgresql_where=text("parent_id IS NOT NULL")),
        Index("uq_folders_root_name", "community_id", "name", unique=True,
              sqlite_where=text("parent_id IS NULL"), postgresql_where=text("parent_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("folders.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Blob(Model):
    """Bytes stored once, under a key derived from their sha256; shared by identical versions.

    Identical bytes may sit in spaces that cannot see each other: nothing a version shows may
    depend on another version having the same bytes (see DocumentVersion.thumbnail_key and
    blobs.store_blob).
    """

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(db.BigInteger)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Derived data, made after the upload commits (thumbnails live under their own key); a version
    # shows it only once its own processing has made it again (DocumentVersion.thumbnail_key).
    thumbnail_key: Mapped[str | None] = mapped_column(String(200))


class Document(Model):
    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_community_id_folder_id", "community_id", "folder_id"),
        Index("ix_documents_review_by", "community_id", "review_by"),
        Index("ix_documents_deleted_at", "deleted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    folder_id: Mapped[int | None] = mapped_column(ForeignKey("folders.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    review_by: Mapped[date | None] = mapped_column(Date)
    current_number: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    community: Mapped[Community] = relationship(lazy="joined", innerjoin=True)
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    # Set for a controlled document (code, roles, circuit): see rse.documents.controlled.
    control: Mapped[ControlledDocument | None] = relationship(lazy="selectin", viewonly=True)

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None


class DocumentVersion(Model):
    """One upload of a document: never changed, never overwritten (restore adds a new one)."""

    __tablename__ = "document_versions"
    __table_args__ = (
        UniqueConstraint("document_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("extraction IN ('pending', 'done', 'failed', 'skipped')", name="extraction"),
        Index("ix_document_versions_blob_sha256", "blob_sha256"),
        Index("ix_document_versions_pending", "extraction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(db.BigInteger)
    note: Mapped[str] = mapped_column(String(1000), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    restored_from: Mapped[int | None] = mapped_column()
    extraction: Mapped[str] = mapped_column(String(10), default="pending")
    extracted_text: Mapped[str | None] = mapped_column(Text)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="joined")
    blob: Mapped[Blob] = relationship(lazy="joined", innerjoin=True)

    @property
    def thumbnail_key(self) -> str | None:
        """Where this version's thumbnail is stored; None until this version's own processing ran.

        The image is stored once per content, but a version uploaded with bytes already processed
        in another space (perhaps a secret one) must not show it at once: that would tell the
        uploader the file exists somewhere. Processing always renders it again (blobs.process_versions),
        so a version that shows a thumbnail is one that made it, from its own bytes and type.
        """
        from .previews import can_preview

        if self.extraction == "pending" or not can_preview(self.content_type):
            return None
        return self.blob.thumbnail_key


from .controlled.models import ControlledDocument  # noqa: E402  (the relationship above names it)
