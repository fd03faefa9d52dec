"""A plan's table as its page shows it: one page of light rows (the columns the table shows, not
whole actions), the co-owners of that page in one query, and the totals above it.

Reading whole actions costs far more than their SQL (SQLAlchemy builds each action, its owner,
objective and co-owner collection); the table needs none of that, and shows PAGE_SIZE actions at a
time so that a plan of thousands stays quick to open (docs/BENCHMARKS.md, « Action plans »).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from rse import permissions
from rse.accounts.models import User
from rse.database import db

from .models import OPEN_STATUSES, Action, ActionOwner, Objective, Plan
from .service import Filters, filtered_actions, sorted_actions

PAGE_SIZE = 100
COLUMNS = (Action.id, Action.title, Action.objective_id, Objective.title, Action.owner_id, Action.start_date,
           Action.due_date, Action.status, Action.progress, Action.priority)


@dataclass(slots=True)
class ActionRow:
    """What one row of the table shows of an action."""

    id: int
    title: str
    objective_id: int
    objective_title: str
    owner_id: int | None
    start_date: date | None
    due_date: date | None
    status: str
    progress: int
    priority: str
    co_owner_ids: list[int] = field(default_factory=list)  # sorted

    @classmethod
    def of(cls, action: Action) -> ActionRow:
        """The row of an action already loaded (the row answered to htmx after an edit)."""
        return cls(action.id, action.title, action.objective_id, action.objective.title, action.owner_id,
                   action.start_date, action.due_date, action.status, action.progress, action.priority,
                   sorted(action.co_owner_ids))

    @property
    def owner_ids(self) -> set[int]:
        return {*self.co_owner_ids, *([self.owner_id] if self.owner_id else [])}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_late(self, today: date) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < today


@dataclass
class TablePage:
    rows: list[ActionRow]
    total: int      # the actions that pass the filters, on every page
    page: int       # 1..pages
    pages: int

    @property
    def first(self) -> int:
        """The position of the page's first row among `total` (1-based; 0 when there is none)."""
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def table_page(actor: User, plan: Plan, filters: Filters, today: date, page: int = 1) -> TablePage:
    """One page of the plan's actions the actor reads, filtered and sorted as `filters` say (a page
    past the last is the last)."""
    permissions.require(actor, "read", plan)
    statement = filtered_actions(actor, plan, filters, today, *COLUMNS)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = [ActionRow(*values) for values in db.session.execute(
        sorted_actions(statement, filters).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))]
    if rows:
        by_id = {row.id: row for row in rows}
        for action_id, user_id in db.session.execute(
                select(ActionOwner.action_id, ActionOwner.user_id).where(ActionOwner.action_id.in_(by_id))
                .order_by(ActionOwner.action_id, ActionOwner.user_id)):
            by_id[action_id].co_owner_ids.append(user_id)
    return TablePage(rows, total, page, pages)
