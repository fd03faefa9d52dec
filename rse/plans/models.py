"""Action plans of a space: a plan holds objectives, an objective holds actions, an action may
carry indicators measured over time.

An action's owner and co-owners update it; every change is kept (ActionChange, only ever added
to) with who made it and when. Two people editing one action at once cannot overwrite each other:
each write names the row version it started from (Action.row_version) and a stale one is refused.
"Late" is not stored: an open action whose due date has passed is late (`Action.is_late`, and
`late_condition` for queries).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rse.accounts.models import User
from rse.communities.models import Community
from rse.database import Model
from rse.dbtypes import UTCDateTime, utcnow


class ActionStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    ABANDONED = "abandoned"


OPEN_STATUSES = (ActionStatus.NOT_STARTED, ActionStatus.IN_PROGRESS)
CLOSED_STATUSES = (ActionStatus.DONE, ActionStatus.ABANDONED)


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class ValueType(StrEnum):
    """What an indicator's values are: whole numbers (beds, visits), decimals (a ratio), or a percentage."""

    INTEGER = "integer"
    DECIMAL = "decimal"
    PERCENT = "percent"


class Plan(Model):
    __tablename__ = "plans"
    __table_args__ = (Index("ix_plans_community_id", "community_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    objectives: Mapped[list[Objective]] = relationship(
        back_populates="plan", order_by="(Objective.position, Objective.id)", cascade="all, delete-orphan",
        passive_deletes=True)
    community: Mapped[Community] = relationship(lazy="joined")


class Objective(Model):
    __tablename__ = "plan_objectives"
    __table_args__ = (Index("ix_plan_objectives_plan_id", "plan_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan: Mapped[Plan] = relationship(back_populates="objectives")


class Action(Model):
    __tablename__ = "plan_actions"
    __table_args__ = (
        CheckConstraint("status IN ('not_started', 'in_progress', 'done', 'abandoned')", name="status"),
        CheckConstraint("priority IN ('low', 'normal', 'high')", name="priority"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        CheckConstraint("start_date IS NULL OR due_date IS NULL OR start_date <= due_date", name="dates"),
        Index("ix_plan_actions_plan_id", "plan_id", "id"),
        Index("ix_plan_actions_objective_id", "objective_id"),
        Index("ix_plan_actions_community_id", "community_id"),
        Index("ix_plan_actions_owner_id", "owner_id"),
        Index("ix_plan_actions_due_date", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    objective_id: Mapped[int] = mapped_column(ForeignKey("plan_objectives.id", ondelete="CASCADE"))
    # The plan's community, kept on the action: what the permission filters and the streams look at.
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    start_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=ActionStatus.NOT_STARTED)
    progress: Mapped[int] = mapped_column(default=0)
    priority: Mapped[str] = mapped_column(String(8), default=Priority.NORMAL)
    result_note: Mapped[str] = mapped_column(Text, default="")  # said when the action is closed
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reminders and the stream's « en retard » line, each sent once per due date (a moved date sends again).
    reminded_week_for: Mapped[date | None] = mapped_column(Date)
    reminded_due_for: Mapped[date | None] = mapped_column(Date)
    late_announced_for: Mapped[date | None] = mapped_column(Date)
    row_version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012  (SQLAlchemy reads it as a plain dict)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="joined")
    objective: Mapped[Objective] = relationship(lazy="joined")
    # Its space, as the code about items in general (comments, notifications, streams) reads `item.community`.
    community: Mapped[Community] = relationship(viewonly=True)
    co_owner_rows: Mapped[list[ActionOwner]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin", order_by="ActionOwner.user_id")
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="action", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(Indicator.position, Indicator.id)")

    @property
    def co_owner_ids(self) -> set[int]:
        return {row.user_id for row in self.co_owner_rows}

    @property
    def owner_ids(self) -> set[int]:
        """The owner and the co-owners: who may update the action."""
        return self.co_owner_ids | ({self.owner_id} if self.owner_id else set())

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_late(self, today: date) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < today


def late_condition(today: date):
    """SQL on Action: open, and its due date has passed."""
    return and_(Action.status.in_(OPEN_STATUSES), Action.due_date.is_not(None), Action.due_date < today)


def due_within_condition(today: date, days: int):
    """SQL on Action: open, due between today and `days` days from now (late ones excluded)."""
    return and_(Action.status.in_(OPEN_STATUSES), Action.due_date >= today,
                Action.due_date <= today + timedelta(days=days))


def owned_by_condition(user_id: int):
    """SQL on Action: the user owns or co-owns it."""
    return or_(Action.owner_id == user_id,
               Action.id.in_(select(ActionOwner.action_id).where(ActionOwner.user_id == user_id)))


class ActionOwner(Model):
    """A co-owner of an action (the owner is Action.owner_id)."""

    __tablename__ = "plan_action_owners"
    __table_args__ = (Index("ix_plan_action_owners_user_id", "user_id"),)

    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)

    user: Mapped[User] = relationship(lazy="joined")


class ActionChange(Model):
    """One change of an action: who, when, and each field's value before and after. Only ever added to."""

    __tablename__ = "plan_action_changes"
    __table_args__ = (Index("ix_plan_action_changes_action_id", "action_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # "created", "updated", "closed", "reopened", "indicator", "value", "linked", "unlinked"
    event: Mapped[str] = mapped_column(String(12))
    # {field: [before, after]} for an update; what was added for the others.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship(lazy="joined")


class ActionLink(Model):
    """A document or a publication of the action's space that the action points to."""

    __tablename__ = "plan_action_links"
    __table_args__ = (
        CheckConstraint("(publication_id IS NULL) <> (document_id IS NULL)", name="one_target"),
        UniqueConstraint("action_id", "document_id"),
        UniqueConstraint("action_id", "publication_id"),
        Index("ix_plan_action_links_document_id", "document_id"),
        Index("ix_plan_action_links_publication_id", "publication_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"))
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Indicator(Model):
    __tablename__ = "plan_indicators"
    __table_args__ = (
        CheckConstraint("value_type IN ('integer', 'decimal', 'percent')", name="value_type"),
        Index("ix_plan_indicators_action_id", "action_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40), default="")
    value_type: Mapped[str] = mapped_column(String(8), default=ValueType.DECIMAL)
    baseline: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    action: Mapped[Action] = relationship(back_populates="indicators")
    values: Mapped[list[IndicatorValue]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin",
        order_by="(IndicatorValue.measured_on, IndicatorValue.id)")

    @property
    def latest(self) -> IndicatorValue | None:
        return self.values[-1] if self.values else None


class IndicatorValue(Model):
    __tablename__ = "plan_indicator_values"
    __table_args__ = (Index("ix_plan_indicator_values_indicator_id", "indicator_id", "measured_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("plan_indicators.id", ondelete="CASCADE"))
    measured_on: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(300), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
