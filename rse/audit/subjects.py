"""What audit entries name: people, spaces, items, comments — each kind registered by the package that owns it.

An entry keeps its target as a type and an id (`user` 12) and its details may hold ids too
(`user_id`, `community_id`). The audit log sits below every feature package, so it names no model:
accounts registers people, communities their spaces, feeds comments; publications and documents
come from the item registry (rse.items). The log shows a name only if the administrator reading
it may read the thing (the permission layer decides), and says the thing is gone otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from rse import items, permissions
from rse.database import db


@dataclass(frozen=True)
class Subject:
    name: str  # as entries record it: type(target).__name__.lower()
    model: Any  # a mapped class, with an integer `id`
    title: Callable[[Any], str]
    url: Callable[[Any], str]
    gone: Any  # what the log says of one that was deleted (or that the reader may not read)
    subtitle: Callable[[Any], str] | None = None  # told apart from a namesake: a person's address
    # The ids of the rows of this kind that belong to a space (a SELECT), for the filter by space.
    in_community: Callable[[int], Any] | None = None


_subjects: dict[str, Subject] = {}

# Items are registered with rse.items, which has no word for a deleted one.
_GONE_ITEMS = {"publication": _l("Publication supprimée"), "document": _l("Document supprimé")}


def register(subject: Subject) -> None:
    _subjects[subject.name] = subject


def named(name: str) -> Subject | None:
    """The subject called `name` (a registered one, else an item kind), or None."""
    if name in _subjects:
        return _subjects[name]
    kind = items.named(name)
    if kind is None:
        return None
    model: Any = kind.model
    community_column = getattr(model, "community_id", None)
    return Subject(
        name=kind.name, model=model, title=kind.title, url=items.url,
        gone=_GONE_ITEMS.get(kind.name, _l("Élément supprimé")),
        in_community=(None if community_column is None
                      else lambda community_id: select(model.id).where(community_column == community_id)))


def all_named() -> list[Subject]:
    names = [*_subjects, *(kind.name for kind in items.kinds() if kind.name not in _subjects)]
    return [subject for name in names if (subject := named(name)) is not None]


@dataclass(frozen=True)
class Name:
    """How the log shows one thing: its title and link, or that it is gone."""

    label: str
    url: str | None = None
    gone: bool = False
    detail: str = ""  # what tells it from a namesake (a person's address)

    def plain(self) -> str:
        return f"{self.label} ({self.detail})" if self.detail else self.label


class Names:
    """The things a page of entries names, loaded in one query per kind, as one reader may see them."""

    def __init__(self, reader: Any, wanted: Iterable[tuple[str, Any]]):
        self.reader = reader
        self._found: dict[tuple[str, int], Any] = {}
        ids: dict[str, set[int]] = {}
        for name, value in wanted:
            number = _as_id(value)
            if number is not None and named(name) is not None:
                ids.setdefault(name, set()).add(number)
        for name, numbers in ids.items():
            subject = named(name)
            assert subject is not None
            for row in db.session.scalars(select(subject.model).where(subject.model.id.in_(sorted(numbers)))):
                self._found[(name, row.id)] = row

    def get(self, name: str, value: Any, snapshot: str = "") -> Name:
        """The title and link of a thing, or that it is gone (a deleted one with the name recorded at the time)."""
        subject, number = named(name), _as_id(value)
        row = self._found.get((name, number)) if number is not None else None
        if subject is None:
            return Name(snapshot or f"#{value}")
        gone = str(subject.gone)
        if row is None:  # deleted: the name recorded at the time, if any (only administrators read the log)
            return Name(f"{snapshot} ({gone.lower()})" if snapshot else gone, gone=True)
        if not permissions.can(self.reader, "read", row):  # hidden from this reader: not even its old name
            return Name(gone, gone=True)
        return Name(subject.title(row), subject.url(row),
                    detail=subject.subtitle(row) if subject.subtitle is not None else "")


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None
