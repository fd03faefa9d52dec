"""Reading the audit trail for administrators: the filters of the page, a page of entries, the export."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import String, and_, cast, false, func, or_, select

from rse import permissions
from rse.database import db

from . import subjects
from .actions import LABELS
from .details import Row, rows
from .models import AuditEntry

PAGE_SIZE = 100
EXPORT_LIMIT = 100_000
EXPORT_BATCH = 500
# Detail keys that name the person an entry concerns, and the space it happened in.
_PERSON_KEYS = ("user_id", "author_id")


@dataclass
class Filters:
    """The filters of the page as read from its query string, with a French message per bad value."""

    action: str = ""
    person: int | None = None
    space: int | None = None
    address: str = ""
    ip: str = ""
    since: date | None = None
    until: date | None = None
    typed: dict[str, str] = field(default_factory=dict)  # each value as given, to show it back
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        return any(self.typed.values())


def read_filters(actor: Any, args) -> Filters:
    typed = {name: (args.get(name) or "").strip()[:254]
             for name in ("action", "personne", "espace", "acteur", "ip", "du", "au")}
    found = Filters(typed=typed)
    errors = found.errors
    if action := typed["action"]:
        # A code, or the start of a family of codes ("membership": every change of members).
        if action in LABELS or any(code.startswith(action + ".") for code in LABELS):
            found.action = action
        else:
            errors["action"] = _("Cette action n'existe pas : choisissez-la dans la liste.")
    found.person = _thing(actor, "user", typed["personne"], errors, "personne",
                          _("Cette personne n'existe pas : choisissez-la dans la liste."))
    found.space = _thing(actor, "community", typed["espace"], errors, "espace",
                         _("Cet espace n'existe pas : choisissez-le dans la liste."))
    found.address = typed["acteur"].lower()
    if ip := typed["ip"]:
        try:
            found.ip = str(ipaddress.ip_address(ip))
        except ValueError:
            errors["ip"] = _("Adresse IP invalide (ex. : 192.0.2.10).")
    for name in ("du", "au"):
        if typed[name]:
            try:
                setattr(found, "since" if name == "du" else "until", date.fromisoformat(typed[name]))
            except ValueError:
                errors[name] = _("Date invalide : choisissez un jour dans le calendrier (aaaa-mm-jj).")
    if found.since and found.until and found.until < found.since:
        errors["au"] = _("La date de fin est avant la date de début.")
    return found


def _thing(actor: Any, kind: str, value: str, errors: dict, name: str, message: str) -> int | None:
    """The id of a person or a space picked in a list, if it exists and the actor may see it."""
    if not value:
        return None
    subject = subjects.named(kind)
    if subject is None or not value.isdigit() or len(value) > 18:
        errors[name] = message
        return None
    row = db.session.get(subject.model, int(value))
    if row is None or not permissions.can(actor, "read", row):
        errors[name] = message
        return None
    return row.id


def choices(actor: Any, kind: str) -> list[tuple[int, str]]:
    """What a filter's list offers: the people or spaces the actor may see, by name."""
    subject = subjects.named(kind)
    if subject is None:
        return []
    found = db.session.scalars(select(subject.model).where(permissions.visible(actor, subject.model)))
    labelled = [(row.id, subject.title(row) + (f" ({subject.subtitle(row)})" if subject.subtitle else ""))
                for row in found]
    return sorted(labelled, key=lambda choice: choice[1].casefold())


def _statement(filters: Filters):
    """The audit query for valid filters."""
    statement = select(AuditEntry)
    if filters.errors:
        return statement.where(false())
    if filters.action in LABELS:
        statement = statement.where(AuditEntry.action == filters.action)
    elif filters.action:
        statement = statement.where(AuditEntry.action.startswith(filters.action + "."))
    if filters.person is not None:
        statement = statement.where(_concerns_person(filters.person))
    if filters.space is not None:
        statement = statement.where(_in_space(filters.space))
    if filters.address:
        statement = statement.where(func.lower(AuditEntry.actor_label).contains(filters.address, autoescape=True))
    if filters.ip:
        statement = statement.where(AuditEntry.ip == filters.ip)
    # Days are those of the people reading the log (Europe/Paris by default), not UTC days.
    local = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    if filters.since:
        statement = statement.where(AuditEntry.created_at >= datetime.combine(filters.since, time.min, local))
    if filters.until:
        statement = statement.where(AuditEntry.created_at <= datetime.combine(filters.until, time.max, local))
    return statement


def _concerns_person(user_id: int):
    """What the person did, and what was done to them (their account, their membership)."""
    return or_(AuditEntry.actor_id == user_id, _targets("user", str(user_id)),
               *(AuditEntry.details[key].as_integer() == user_id for key in _PERSON_KEYS))


def _in_space(community_id: int):
    """The space itself, and what happened to its members, publications, documents and comments."""
    conditions = [_targets("community", str(community_id)),
                  AuditEntry.details["community_id"].as_integer() == community_id]
    for subject in subjects.all_named():
        if subject.in_community is not None:
            ids = subject.in_community(community_id)
            conditions.append(and_(AuditEntry.target_type == subject.name, AuditEntry.target_id.in_(
                ids.with_only_columns(cast(ids.selected_columns[0], String)))))
    return or_(*conditions)


def _targets(kind: str, target_id: str):
    return and_(AuditEntry.target_type == kind, AuditEntry.target_id == target_id)


def page(actor: Any, args, number: int) -> tuple[list[Row], int, Filters]:
    """A page of the entries matching the filters, newest first, their total and the filters read."""
    permissions.require(actor, "audit.read")
    filters = read_filters(actor, args)
    statement = _statement(filters)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    entries = list(db.session.scalars(statement.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE)
                                      .offset((number - 1) * PAGE_SIZE)))
    return rows(actor, entries), total, filters


def export(actor: Any, args) -> Iterator[Row]:
    """Every entry matching the filters (at most EXPORT_LIMIT), oldest first, read in batches, each
    batch's names looked up together. Nothing for filters with a bad value.

    Refused at once; read only as the response streams (a server-side cursor does not outlive
    a commit made after the view returns)."""
    permissions.require(actor, "audit.read")
    statement = _statement(read_filters(actor, args))

    def entries() -> Iterator[Row]:
        found = iter(db.session.scalars(statement.order_by(AuditEntry.id).limit(EXPORT_LIMIT)
                                        .execution_options(yield_per=EXPORT_BATCH)))
        while batch := list(islice(found, EXPORT_BATCH)):
            yield from rows(actor, batch)

    return entries()
