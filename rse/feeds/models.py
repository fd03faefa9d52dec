"""Publications and the social layer around them: comments, likes, pins, suggestions,
follows, notifications, and the activity rows the streams are read from."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rse.accounts.models import User
from rse.communities.models import Community
from rse.database import Model
from rse.dbtypes import UTCDateTime, utcnow


class Kind(StrEnum):
    POST = "post"
    ANNOUNCEMENT = "announcement"
    QUESTION = "question"
    LINK = "link"
    WIKI = "wiki"


# What a stream can be filtered on: the publication kinds, and documents.
STREAM_KINDS = (*(k.value for k in Kind), "document")


class Verb(StrEnum):
    PUBLISHED = "published"   # a publication was created
    EDITED = "edited"         # a wiki page got a new version
    UPLOADED = "uploaded"     # a document got a version (1 at upload)
    SUGGESTED = "suggested"   # someone suggested an item to people, a community or everyone
    IN_FORCE = "in_force"     # a version of a controlled document came into force
    CREATED = "created"       # an action of a plan was created
    COMPLETED = "completed"   # an action of a plan was done
    LATE = "late"             # an open action's due date passed (actor None)


class Publication(Model):
    __tablename__ = "publications"
    __table_args__ = (
        CheckConstraint("kind IN ('post', 'announcement', 'question', 'link', 'wiki')", name="kind"),
        Index("ix_publications_community_id_kind", "community_id", "kind"),
        Index("ix_publications_author_id", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # The sanitised rendering of `body`, made when it is saved (streams never render Markdown).
    body_html: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(2000))
    place: Mapped[str] = mapped_column(String(120), default="")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    # {"handle": user_id} of the @mentions resolved when the body was saved.
    mentions: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Counters kept with the rows they count, so that streams read no aggregates.
    like_count: Mapped[int] = mapped_column(default=0)
    comment_count: Mapped[int] = mapped_column(default=0)
    same_question_count: Mapped[int] = mapped_column(default=0)
    # The good answer of a question: one of its comments (plain id: comments point here already).
    # The comment chosen as a question's good answer. Comments point at their publication too: the
    # key is added once both tables exist.
    accepted_comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL", use_alter=True))
    wiki_number: Mapped[int] = mapped_column(default=0)

    community: Mapped[Community] = relationship(lazy="joined", innerjoin=True)
    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="joined")

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class WikiVersion(Model):
    """One state of a wiki page: never changed (restore adds a new one)."""

    __tablename__ = "wiki_versions"
    __table_args__ = (UniqueConstraint("publication_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(300), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    restored_from: Mapped[int | None] = mapped_column()

    author: Mapped[User | None] = relationship(lazy="joined")


class Attachment(Model):
    """A document of the same community attached to a publication."""

    __tablename__ = "attachments"

    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)


class Tagging(Model):
    """A tag on a publication or a document, by its folded form: what tag streams and follows match."""

    __tablename__ = "taggings"
    __table_args__ = (
        CheckConstraint("(publication_id IS NULL) <> (document_id IS NULL)", name="one_target"),
        Index("ix_taggings_tag", "tag"),
        Index("ix_taggings_publication_id", "publication_id"),
        Index("ix_taggings_document_id", "document_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(String(50))
    label: Mapped[str] = mapped_column(String(50))
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))


# Exactly one of an item table's columns is set (a publication, a document, or an action of a plan).
ONE_OF_THREE = ("(CASE WHEN publication_id IS NULL THEN 0 ELSE 1 END + CASE WHEN document_id IS NULL THEN 0 ELSE 1 END"
                " + CASE WHEN action_id IS NULL THEN 0 ELSE 1 END) = 1")


class Comment(Model):
    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint(ONE_OF_THREE, name="one_target"),
        Index("ix_comments_publication_id", "publication_id", "id"),
        Index("ix_comments_document_id", "document_id", "id"),
        Index("ix_comments_action_id", "action_id", "id"),
        Index("ix_comments_author_id", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    mentions: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="joined")


class Like(Model):
    __tablename__ = "likes"
    __table_args__ = (Index("ix_likes_user_id", "user_id"),)

    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class SameQuestion(Model):
    """"I have the same question": counted, and told when the answer comes."""

    __tablename__ = "same_questions"
    __table_args__ = (Index("ix_same_questions_user_id", "user_id"),)

    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Pin(Model):
    """A publication pinned to the top of its community's stream, or (scope "home") of everyone's home."""

    __tablename__ = "pins"
    __table_args__ = (
        UniqueConstraint("publication_id", "scope"),
        CheckConstraint("scope IN ('community', 'home')", name="scope"),
        Index("ix_pins_community_id", "community_id", "position"),
        Index("ix_pins_scope", "scope", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(10))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pinned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Suggestion(Model):
    """"Proposer à…": an item suggested to people, communities or everyone, with a short message."""

    __tablename__ = "suggestions"
    __table_args__ = (CheckConstraint("(publication_id IS NULL) <> (document_id IS NULL)", name="one_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(String(500), default="")
    everyone: Mapped[bool] = mapped_column(default=False)
    # {"users": [ids], "communities": [ids]} as asked, for the record.
    recipients: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sender: Mapped[User | None] = relationship(lazy="joined")


class Activity(Model):
    """One line of the streams: who did what, in which community, on which item.

    Streams read this table only through (community_id, id), (actor_id, id) and the
    deliveries index, newest first, so a page costs the same at 2 million rows as at 2,000.
    """

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("verb IN ('published', 'edited', 'uploaded', 'suggested', 'in_force', 'created', 'completed', "
                        "'late')", name="verb"),
        Index("ix_activities_community_id_id", "community_id", "id"),
        Index("ix_activities_community_id_kind_id", "community_id", "kind", "id"),
        Index("ix_activities_actor_id_id", "actor_id", "id"),
        Index("ix_activities_publication_id", "publication_id"),
        Index("ix_activities_document_id", "document_id"),
        Index("ix_activities_action_id", "action_id"),
        Index("ix_activities_everyone_id", "everyone", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a suggestion to people or to everyone (they reach streams through deliveries).
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verb: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(16))
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"))
    version_number: Mapped[int | None] = mapped_column()
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"))
    everyone: Mapped[bool] = mapped_column(default=False)
    # Hidden while its item is deleted or in the trash (kept, so a restore brings it back).
    hidden: Mapped[bool] = mapped_column(default=False)
    # A run of like activities (the forty actions of an imported plan) shows as one card: the run's
    # newest row counts them all (run_size), the others are folded into it (kept, out of the streams).
    # See rse.feeds.activity.add_to_run.
    run_size: Mapped[int | None] = mapped_column()
    folded: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Model):
    """An activity addressed to one person (a suggestion to people)."""

    __tablename__ = "deliveries"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True)


class FollowTarget(StrEnum):
    PERSON = "person"
    TAG = "tag"
    DOCUMENT = "document"


# The column of a follow that names what is followed, for each kind of target.
FOLLOWED_COLUMN = {FollowTarget.PERSON: "person_id", FollowTarget.DOCUMENT: "document_id", FollowTarget.TAG: "tag"}


class Follow(Model):
    """Someone follows a person, a tag or a document. A followed person or document is a real
    foreign key: deleting them takes their follows along."""

    __tablename__ = "follows"
    __table_args__ = (
        CheckConstraint("target IN ('person', 'tag', 'document')", name="target"),
        CheckConstraint("(target = 'person') = (person_id IS NOT NULL) AND (target = 'document') = "
                        "(document_id IS NOT NULL) AND (target = 'tag') = (tag IS NOT NULL)", name="one_target"),
        UniqueConstraint("user_id", "person_id"),
        UniqueConstraint("user_id", "document_id"),
        UniqueConstraint("user_id", "tag"),
        Index("ix_follows_person_id", "person_id"),
        Index("ix_follows_document_id", "document_id"),
        Index("ix_follows_tag", "tag"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(10))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    tag: Mapped[str | None] = mapped_column(String(50))  # folded
    label: Mapped[str] = mapped_column(String(50), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def key(self) -> int | str | None:
        """What is followed: the person's or the document's id, or the folded tag."""
        return getattr(self, FOLLOWED_COLUMN[FollowTarget(self.target)])

    @classmethod
    def of(cls, target: str, key: int | str) -> ColumnElement[bool]:
        """The SQL condition on follows of this target and key."""
        return getattr(cls, FOLLOWED_COLUMN[FollowTarget(target)]) == key


class NotificationKind(StrEnum):
    MENTION = "mention"          # someone @mentioned me
    SUGGESTION = "suggestion"    # something was suggested to me
    COMMENT = "comment"          # a comment on my publication or document, or on a question I share
    ANSWER = "answer"            # a question I asked or share got its good answer
    FOLLOWED = "followed"        # a person or a tag I follow published something
    VERSION = "version"          # a new version of a document I follow
    CIRCUIT = "circuit"          # a controlled document's circuit needs me, or sent back or approved my version
    READING = "reading"          # I am asked to read a document in force
    ACTION = "action"            # an action of a plan was given to me, or is due soon, or due today


class EmailMode(StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"
    NEVER = "never"


DEFAULT_EMAIL_MODES = {
    NotificationKind.MENTION: EmailMode.IMMEDIATE,
    NotificationKind.SUGGESTION: EmailMode.IMMEDIATE,
    NotificationKind.COMMENT: EmailMode.DIGEST,
    NotificationKind.ANSWER: EmailMode.IMMEDIATE,
    NotificationKind.FOLLOWED: EmailMode.DIGEST,
    NotificationKind.VERSION: EmailMode.DIGEST,
    NotificationKind.CIRCUIT: EmailMode.IMMEDIATE,
    NotificationKind.READING: EmailMode.IMMEDIATE,
    NotificationKind.ACTION: EmailMode.IMMEDIATE,
}


class Notification(Model):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('mention', 'suggestion', 'comment', 'answer', 'followed', 'version', 'circuit', 'reading', "
            "'action')",
            name="kind"),
        Index("ix_notifications_user_id_id", "user_id", "id"),
        Index("ix_notifications_unread", "user_id", sqlite_where=text("read_at IS NULL"),
              postgresql_where=text("read_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The community of the item: what the permission check at read time looks at.
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"))
    # For a circuit or reading notification: what happened ("to_check", "returned"...) to which version.
    event: Mapped[str] = mapped_column(String(16), default="")
    version_number: Mapped[int | None] = mapped_column()
    # How many items of one group this notification stands for (the actions of an imported plan given to
    # one person), when more than one: its item is the first of them.
    run_size: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The immediate email queued for it, if any: once delivered, the digest does not repeat its item.
    email_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_emails.id", ondelete="SET NULL"))

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")


class NotificationPreference(Model):
    __tablename__ = "notification_preferences"
    __table_args__ = (CheckConstraint("mode IN ('immediate', 'digest', 'never')", name="mode"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    mode: Mapped[str] = mapped_column(String(10))
