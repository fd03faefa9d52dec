"""Users, their photo, web sessions, API tokens and password-reset tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from rse.database import Model
from rse.dbtypes import UTCDateTime, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    PARTNER = "partner"


THEMES = ("ocean", "foret", "prune", "ardoise", "contraste")
BACKGROUNDS = ("uni", "vagues", "points", "maillage")


class User(UserMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'staff', 'partner')", name="role"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        Index("ix_users_name", "name"),
        Index("ix_users_organisation", "organisation"),
        Index("ix_users_site", "site"),
        Index("ix_users_job_title", "job_title"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), default=Role.STAFF)
    job_title: Mapped[str] = mapped_column(String(120), default="")
    organisation: Mapped[str] = mapped_column(String(120), default="")
    site: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    # A professional number, shown to colleagues unless its owner hides it (admins still see it).
    phone_visible: Mapped[bool] = mapped_column(default=True, server_default=true())
    bio: Mapped[str] = mapped_column(Text, default="")
    theme: Mapped[str] = mapped_column(String(20), default="ocean")
    background: Mapped[str] = mapped_column(String(20), default="uni")
    locale: Mapped[str | None] = mapped_column(String(8))
    has_photo: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_partner(self) -> bool:
        return self.role == Role.PARTNER

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()

    @property
    def is_active(self) -> bool:  # read by Flask-Login and by the permission layer
        return self.deactivated_at is None and not self.is_expired

    # The key of the web session this object was loaded for (or just opened), never stored:
    # Flask-Login keeps it in the cookie, the `user_sessions` table keeps its sha256.
    if TYPE_CHECKING:  # (not written as a class annotation: SQLAlchemy would take it for a column)
        session_key: str | None
    session_key = None

    def get_id(self) -> str:
        if self.session_key is None:
            raise RuntimeError("open a web session (accounts.web.sign_in) before logging a user in")
        return self.session_key

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserPhoto(Model):
    __tablename__ = "user_photos"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserSession(Model):
    """A signed-in browser. Its random key lives in the signed cookie and only its sha256 here:
    logging out deletes the row, so a cookie saved before is worth nothing after."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Model):
    """A bearer token; only its sha256 is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("kind IN ('login', 'personal')", name="kind"),
        Index("ix_api_tokens_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None and self.expires_at > utcnow()


class PasswordReset(Model):
    __tablename__ = "password_resets"
    __table_args__ = (Index("ix_password_resets_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
