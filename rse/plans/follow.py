"""The follow-up of actions: their lines in the space's stream, the notifications of their owners
(given an action, reminded a week before and on the due date), and the daily reminder run.

The service tells what happened through `signals.plan_action_event`; the listeners here write the
stream's activity (created, completed, late) and the notifications (with their emails, per each
person's settings). `remind` is what `flask plans remind` runs each morning.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import or_, select, update

from rse import signals
from rse.database import db
from rse.feeds.activity import add_to_run
from rse.feeds.models import Activity, NotificationKind, Verb
from rse.feeds.notifications import service as notifications

from .models import OPEN_STATUSES, Action

WEEK_NOTICE = timedelta(days=7)
# What each event of an action writes in its space's stream (the others write nothing there).
STREAM_VERBS = {"created": Verb.CREATED, "done": Verb.COMPLETED, "late": Verb.LATE}
NOTIFIED_EVENTS = ("assigned", "reminder_week", "reminder_due")


def on_action_event(action: Action, *, event: str, actor=None, user_ids=(), run_size: int = 1, **_extra) -> None:
    """The stream's line and the notifications of an event of an action (`run_size`: how many actions
    of its plan, given at once, the one notification stands for)."""
    verb = STREAM_VERBS.get(event)
    if verb is not None:
        add_to_run(verb, actor, previous=_previous(action, verb), kind="action", community_id=action.community_id,
                   action_id=action.id)
    if event in NOTIFIED_EVENTS:
        notifications.notify(NotificationKind.ACTION, actor, action, user_ids, event=event,
                             run_size=run_size if run_size > 1 else None)


def _previous(action: Action, verb: str) -> Activity | None:
    """The last activity of this verb about an action in the action's space, if about one of the
    same plan: the line this one may take over (rse.feeds.activity.add_to_run)."""
    row = db.session.execute(
        select(Activity, Action.plan_id).join(Action, Action.id == Activity.action_id)
        .where(Activity.community_id == action.community_id, Activity.kind == "action", Activity.verb == verb,
               Activity.action_id != action.id)
        .order_by(Activity.id.desc()).limit(1)).first()
    return row[0] if row is not None and row[1] == action.plan_id else None


def connect() -> None:
    signals.plan_action_event.connect(on_action_event)


# --- The daily reminders ----------------------------------------------------------------------------

def _pending(today: date):
    """SQL on Action: open, with a reminder or the lateness line still to send for its current due
    date. The week's reminder goes out once in the seven days before the date (a run missed on the
    day itself is made up the next morning); the due date's, on the day; the late line, after it."""
    due = Action.due_date
    return (Action.status.in_(OPEN_STATUSES), due.is_not(None), or_(
        (due > today) & (due <= today + WEEK_NOTICE) & _not_for(Action.reminded_week_for),
        (due == today) & _not_for(Action.reminded_due_for),
        (due < today) & _not_for(Action.late_announced_for)))


def _not_for(column):
    return or_(column.is_(None), column != Action.due_date)


def _step(action: Action, today: date) -> tuple[str, str] | None:
    """What is to send for this action today: (event, the column that records it), or None."""
    due = action.due_date
    if action.status not in OPEN_STATUSES or due is None:
        return None
    if today < due <= today + WEEK_NOTICE and action.reminded_week_for != due:
        return "reminder_week", "reminded_week_for"
    if due == today and action.reminded_due_for != due:
        return "reminder_due", "reminded_due_for"
    if due < today and action.late_announced_for != due:
        return "late", "late_announced_for"
    return None


def remind(today: date) -> dict[str, int]:
    """Remind the owners of the open actions due within a week or today, and announce in their space's
    stream those whose due date has passed: each once per due date (a moved date reminds again).

    One transaction per action: the date recorded, the notifications, their emails in the outbox and
    the stream's line commit together, so a run killed at any point, or run twice, sends each exactly
    once. The date is recorded without touching the action's row version: a reminder is no edit, and
    an owner editing the action meanwhile must not be told someone else changed it."""
    counts = dict.fromkeys(("reminder_week", "reminder_due", "late"), 0)
    candidates = list(db.session.scalars(select(Action.id).where(*_pending(today))
                                         .order_by(Action.due_date, Action.id)))
    db.session.rollback()
    for action_id in candidates:
        # Read again under a row lock: a run beside this one sees the date recorded, and skips it.
        action = db.session.scalar(select(Action).where(Action.id == action_id, *_pending(today))
                                   .with_for_update(of=Action))
        step = _step(action, today) if action is not None else None
        if action is None or step is None:
            db.session.rollback()
            continue
        event, column = step
        db.session.execute(update(Action).where(Action.id == action.id).values({column: action.due_date})
                           .execution_options(synchronize_session=False))
        owners = action.owner_ids if event != "late" else set()
        signals.plan_action_event.send(action, event=event, actor=None, user_ids=owners)
        db.session.commit()
        counts[event] += 1
    return counts
