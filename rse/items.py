"""Items: what people comment on, follow, suggest, open and find in the streams, a publication or
a document.

The package that owns each kind registers it here (documents its documents, feeds its
publications, from their init_app), so that the code about items in general (comments,
suggestions, notifications, the digest) names no model and branches on no type. A table that
points at an item has one column per kind (`publication_id`, `document_id`), each a real foreign
key, and a check that exactly one is set: `ref(item)` is that column and its value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rse.database import db
from rse.urls import external_url, internal_path


@dataclass(frozen=True)
class ItemKind:
    name: str  # "publication", "document": how the API and the forms name the kind
    model: type
    column: str  # the column that points at an item of this kind in the tables that may
    endpoint: str  # its page, whose one argument is `column`'s value
    get: Callable[[Any, Any], Any]  # get(actor, id): the item if the actor may read it, else NotFound
    title: Callable[[Any], str]  # its title as lists and emails show it
    stream_kind: Callable[[Any], str]  # what an activity about it records ("post", "wiki", "document"…)
    # What groups items of this kind (an action's plan), where a run of them is seen together: a
    # stream card or a notification standing for several (rse.feeds.activity.add_to_run).
    group: Callable[[Any], Group] | None = None


@dataclass(frozen=True)
class Group:
    title: str
    endpoint: str  # its page, whose one argument is `key`: `value`
    key: str
    value: int

    def url(self, *, external: bool = False) -> str:
        return (external_url if external else internal_path)(self.endpoint, **{self.key: self.value})


_kinds: dict[str, ItemKind] = {}


def register(kind: ItemKind) -> None:
    _kinds[kind.name] = kind


def kinds() -> list[ItemKind]:
    return list(_kinds.values())


def named(name: Any) -> ItemKind | None:
    """The kind called `name`, or None for any other value (the caller says why it refuses)."""
    return _kinds.get(name) if isinstance(name, str) else None


def kind_of(item: Any) -> ItemKind:
    for kind in _kinds.values():
        if isinstance(item, kind.model):
            return kind
    raise LookupError(f"{type(item).__name__} is not a registered kind of item")


def ref(item: Any) -> dict[str, int]:
    """The column that points at `item` in an item table, and its value: {"document_id": 7}."""
    return {kind_of(item).column: item.id}


def pointed_at(row: Any) -> Any | None:
    """The item a row of an item table points at (a comment's, a tagging's…), or None if gone."""
    for kind in _kinds.values():
        item_id = getattr(row, kind.column, None)
        if item_id is not None:
            return db.session.get(kind.model, item_id)
    return None


def title(item: Any) -> str:
    return kind_of(item).title(item)


def group(item: Any) -> Group | None:
    """The group `item` belongs to (an action's plan), if its kind has groups."""
    found = kind_of(item).group
    return found(item) if found is not None else None


def url(item: Any, *, anchor: str = "", external: bool = False) -> str:
    kind = kind_of(item)
    build = external_url if external else internal_path
    return build(kind.endpoint, **{kind.column: item.id}) + anchor
