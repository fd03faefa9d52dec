"""Controlled documents: a document's identity (code, type, scope), its named roles, the approval
circuits of its versions with their append-only decisions, the lock, and reading campaigns.

A controlled document is an ordinary Document with one ControlledDocument row beside it. Readers
see the version in force (Document.current_number once one was approved); the other versions are
drafts, seen only by the people named in its circuit (see rse.documents.access).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rse.accounts.models import User
from rse.database import Model
from rse.dbtypes import UTCDateTime, utcnow


class DocType(StrEnum):
    PROTOCOL = "protocol"
    PROCEDURE = "procedure"
    INSTRUCTION = "instruction"
    FORM = "form"
    RECORD = "record"
    OTHER = "other"


class CircuitRole(StrEnum):
    WRITER = "writer"
    CHECKER = "checker"
    APPROVER = "approver"


class Status(StrEnum):
    """The document as its readers see it."""

    DRAFT = "draft"          # never in force: only its circuit sees it
    IN_FORCE = "in_force"
    WITHDRAWN = "withdrawn"  # no longer applies; its last version stays readable, marked


class Stage(StrEnum):
    """Where a circuit is: open (checking, approval) or closed (approved, returned, cancelled)."""

    CHECKING = "checking"
    APPROVAL = "approval"
    APPROVED = "approved"
    RETURNED = "returned"
    CANCELLED = "cancelled"  # a newer version was submitted, or the document was withdrawn


OPEN_STAGES = (Stage.CHECKING, Stage.APPROVAL)


class ControlledDocument(Model):
    __tablename__ = "controlled_documents"
    __table_args__ = (
        CheckConstraint("doc_type IN ('protocol', 'procedure', 'instruction', 'form', 'record', 'other')",
                        name="doc_type"),
        CheckConstraint("status IN ('draft', 'in_force', 'withdrawn')", name="status"),
        CheckConstraint("approval_rule IN ('all', 'any')", name="approval_rule"),
        CheckConstraint("review_months BETWEEN 1 AND 120", name="review_months"),
        Index("ix_controlled_documents_community_id", "community_id"),
    )

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    # Unique in the whole group, compared without case (the code is what a printed copy cites).
    code: Mapped[str] = mapped_column(String(40))
    code_key: Mapped[str] = mapped_column(String(40), unique=True)
    doc_type: Mapped[str] = mapped_column(String(16), default=DocType.PROTOCOL)
    applies_to: Mapped[list] = mapped_column(JSON, default=list)  # establishments and sites
    approval_rule: Mapped[str] = mapped_column(String(3), default="all")
    review_months: Mapped[int] = mapped_column(default=24)
    status: Mapped[str] = mapped_column(String(12), default=Status.DRAFT)
    in_force_number: Mapped[int | None] = mapped_column()
    effective_date: Mapped[date | None] = mapped_column(Date)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_reminded_for: Mapped[date | None] = mapped_column(Date)  # the review date writers were reminded of
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lock_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    locked_by: Mapped[User | None] = relationship(foreign_keys=[locked_by_id])
    roles: Mapped[list[ControlRole]] = relationship(lazy="selectin", cascade="all, delete-orphan",
                                                    order_by="ControlRole.user_id")

    def people(self, role: str) -> set[int]:
        return {r.user_id for r in self.roles if r.role == role}

    @property
    def circuit(self) -> set[int]:
        """Everyone named in it, whatever the role."""
        return {r.user_id for r in self.roles}

    def lock_holder(self, now: datetime) -> int | None:
        if self.locked_by_id is None or self.lock_expires_at is None or self.lock_expires_at <= now:
            return None
        return self.locked_by_id


class ControlRole(Model):
    __tablename__ = "controlled_roles"
    __table_args__ = (
        CheckConstraint("role IN ('writer', 'checker', 'approver')", name="role"),
        Index("ix_controlled_roles_user_id", "user_id"),
    )

    document_id: Mapped[int] = mapped_column(ForeignKey("controlled_documents.document_id", ondelete="CASCADE"),
                                             primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10), primary_key=True)


class Circuit(Model):
    """One submission of one version: checked, then approved, or sent back. Never reopened."""

    __tablename__ = "controlled_circuits"
    __table_args__ = (
        CheckConstraint("stage IN ('checking', 'approval', 'approved', 'returned', 'cancelled')", name="stage"),
        # At most one open circuit per document.
        Index("uq_controlled_circuits_open", "document_id", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
        Index("ix_controlled_circuits_document_id", "document_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("controlled_documents.document_id", ondelete="CASCADE"))
    version_number: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    renewal: Mapped[bool] = mapped_column(Boolean, default=False)  # « reconduit sans modification »
    stage: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class CircuitDecision(Model):
    """Who decided what on which exact bytes, when, and why. Rows are only ever added."""

    __tablename__ = "controlled_decisions"
    __table_args__ = (
        UniqueConstraint("circuit_id", "stage", "user_id"),
        CheckConstraint("stage IN ('checking', 'approval')", name="stage"),
        CheckConstraint("verdict IN ('approve', 'return')", name="verdict"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circuit_id: Mapped[int] = mapped_column(ForeignKey("controlled_circuits.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("controlled_documents.document_id", ondelete="CASCADE"))
    version_number: Mapped[int] = mapped_column()
    stage: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verdict: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="joined")


class ReadingCampaign(Model):
    """« Lecture obligatoire » of one version in force, for the people its targets named then."""

    __tablename__ = "reading_campaigns"
    __table_args__ = (Index("ix_reading_campaigns_document_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("controlled_documents.document_id", ondelete="CASCADE"))
    version_number: Mapped[int] = mapped_column()
    # {"communities": [ids], "establishments": [names], "people": [ids]}
    targets: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReadingRequirement(Model):
    __tablename__ = "reading_requirements"
    __table_args__ = (
        Index("ix_reading_requirements_user_pending", "user_id", "confirmed_at"),
        Index("ix_reading_requirements_document_id", "document_id"),
    )

    campaign_id: Mapped[int] = mapped_column(ForeignKey("reading_campaigns.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("controlled_documents.document_id", ondelete="CASCADE"))
    version_number: Mapped[int] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_version: Mapped[int | None] = mapped_column()
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which spaces' members this person was counted in, for the rate per space.
    via_communities: Mapped[list] = mapped_column(JSON, default=list)
