"""What the digest remembers: each person's frequency, each send per period, and what they opened on the site."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rse.database import Model
from rse.dbtypes import UTCDateTime, utcnow


class Frequency(StrEnum):
    WEEKLY = "weekly"
    DAILY = "daily"
    NEVER = "never"


class Status(StrEnum):
    """What became of a send (`deliveries` says how each comes about)."""

    CLAIMED = "claimed"        # committed just before the message's last line left; the answer not yet recorded
    SENT = "sent"              # accepted by the server
    EMPTY = "empty"            # nothing new: no email
    FAILED = "failed"          # refused for good (next_attempt_at NULL) or to retry at next_attempt_at
    UNCERTAIN = "uncertain"    # the last line left, no answer was recorded: counted as sent, never resent


DELIVERED = (Status.SENT, Status.CLAIMED, Status.UNCERTAIN)  # the server has the message


class DigestSubscription(Model):
    """A person's digest frequency; no row means weekly (the default everybody gets)."""

    __tablename__ = "digest_subscriptions"
    __table_args__ = (CheckConstraint("frequency IN ('weekly', 'daily', 'never')", name="frequency"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    frequency: Mapped[str] = mapped_column(String(10), default=Frequency.WEEKLY)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestDelivery(Model):
    """One digest for one person and period. The unique (user_id, period) row is the at-most-once
    guarantee: a run inserts it before sending, so a second run or an overlapping shard cannot."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (
        UniqueConstraint("user_id", "period"),
        CheckConstraint("status IN ('claimed', 'sent', 'empty', 'failed', 'uncertain')", name="status"),
        Index("ix_digest_deliveries_status", "status", "period"),
        Index("ix_digest_deliveries_user_id_sent_at", "user_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=Status.CLAIMED)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    items: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(String(500), default="")


class ItemView(Model):
    """A person opened a publication or a document page: the digest does not offer it again."""

    __tablename__ = "item_views"
    __table_args__ = (
        CheckConstraint("(publication_id IS NULL) <> (document_id IS NULL)", name="one_target"),
        # One row per person and item, updated in place (see digest.service.record_view).
        Index("ix_item_views_user_id_publication_id", "user_id", "publication_id", unique=True),
        Index("ix_item_views_user_id_document_id", "user_id", "document_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
