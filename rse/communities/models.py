"""Communities, memberships, join requests, invitations and quick-access links."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rse.accounts.models import User
from rse.database import Model
from rse.dbtypes import UTCDateTime, utcnow


class Visibility(StrEnum):
    PUBLIC = "public"    # every staff member reads and may join
    PRIVATE = "private"  # listed to staff; joined by request or invitation
    SECRET = "secret"    # invisible to non-members


class MemberRole(StrEnum):
    ANIMATOR = "animator"
    MEMBER = "member"
    READER = "reader"


class Community(Model):
    __tablename__ = "communities"
    __table_args__ = (CheckConstraint("visibility IN ('public', 'private', 'secret')", name="visibility"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)  # unique among what a person sees (service)
    description: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.PRIVATE)
    # Nothing of a sensitive community's content but titles ever leaves by email.
    sensitive: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def __repr__(self) -> str:
        return f"<Community {self.id} {self.name!r}>"


class Membership(Model):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("community_id", "user_id"),
        CheckConstraint("role IN ('animator', 'member', 'reader')", name="role"),
        Index("ix_memberships_user_id_community_id", "user_id", "community_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), default=MemberRole.MEMBER)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community] = relationship(lazy="joined", innerjoin=True)
    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class JoinRequest(Model):
    __tablename__ = "join_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'refused')", name="status"),
        # At most one pending request per person and community.
        Index("uq_join_requests_pending", "community_id", "user_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    community: Mapped[Community] = relationship(lazy="joined", innerjoin=True)
    user: Mapped[User] = relationship(lazy="joined", innerjoin=True, foreign_keys=[user_id])


class Invitation(Model):
    """An invitation of an email address into a community; only the token's sha256 is kept."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint("role IN ('animator', 'member', 'reader')", name="role"),
        Index("ix_invitations_email", "email"),
        Index("ix_invitations_community_id", "community_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The expiry given to the partner account the invitation creates, if any.
    account_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language of its email, of the acceptance page and of the account it creates.
    locale: Mapped[str | None] = mapped_column(String(8))

    community: Mapped[Community] = relationship(lazy="joined", innerjoin=True)
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > utcnow()


class QuickLink(Model):
    """A quick-access resource pinned on a community page or on one person's home page."""

    __tablename__ = "quick_links"
    __table_args__ = (
        CheckConstraint("(community_id IS NULL) <> (user_id IS NULL)", name="one_owner"),
        Index("ix_quick_links_community_id", "community_id", "position"),
        Index("ix_quick_links_user_id", "user_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(2000))
    position: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
