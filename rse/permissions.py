"""One permission layer: may this actor do this action on this target, and which rows may they see.

Every page, API call, listing, search result, feed, download, notification and digest asks
here. The rules for each kind of target are registered by the package that owns the target
(communities registers the rules for users and communities, and so on), so that lower
packages never import higher ones while there is still one entry point. Each package registers
them from its init_app (`register`); `check_complete` then refuses to start with a gap.

For one object: `can`, `require` and `decide` ask the type's *policy*. For lists, each type
registers beside its policy the SQL conditions that select the same rows in the database:
- `visible(actor, Model)`: the rows the actor may know exist (a private community's name);
- `readable(actor, Model)`: the rows whose content the actor may read, true exactly where
  `can(actor, "read", row)` is;
- `readers(target)`: the reverse, a condition on users true for the active people who may read
  `target` (who is notified, who may be suggested something).
A property test holds each SQL condition equal to its policy over a world of every kind of
actor and target; no other code decides on its own who may read a content table.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from rse.errors import PermissionDenied, Unauthorized


class Decision(Enum):
    ALLOW = "allow"
    DENY = "deny"      # the actor may know the target exists: 403
    HIDDEN = "hidden"  # the actor may not know it exists: 404


class Site:
    """The target of actions that concern the whole platform (administer, create a community)."""


SITE = Site()

Policy = Callable[[Any, str, Any], Decision]
Filter = Callable[[Any], Any]
_policies: dict[type, Policy] = {}
_visible: dict[type, Filter] = {}
_readable: dict[type, Filter] = {}
_readers: dict[type, Filter] = {}


def register(target_type: type, *, policy: Policy | None = None, visible: Filter | None = None,
             readable: Filter | None = None, readers: Filter | None = None) -> None:
    """Register the rules of one kind of target, each package for its own, from its init_app:

    - `policy(actor, action, target)`: the Decision for one object;
    - `visible(actor)`: the SQL condition on the rows the actor may know exist (the actor is None
      for nobody: anonymous, deactivated, expired);
    - `readable(actor)`: the SQL condition on the rows whose content the actor may read, exactly
      those for which `can(actor, "read", row)` holds;
    - `readers(target)`: the SQL condition on users true for the active people who may read `target`.
    """
    for registry, rule in ((_policies, policy), (_visible, visible), (_readable, readable), (_readers, readers)):
        if rule is not None:
            registry[target_type] = rule


def check_complete() -> None:
    """Fail at startup, not at request time: a type whose rows are filtered has a policy for single
    objects, and a type that may be read is listed by both filters."""
    missing = [f"{t.__name__}: no policy" for t in (*_visible, *_readable, *_readers) if t not in _policies]
    missing += [f"{t.__name__}: a readable filter and no visible one" for t in _readable if t not in _visible]
    missing += [f"{t.__name__}: a visible filter and no readable one" for t in _visible if t not in _readable]
    if missing:
        raise RuntimeError("incomplete permission rules: " + "; ".join(sorted(set(missing))))


def effective_actor(actor: Any) -> Any:
    """None for anonymous, deactivated and expired accounts: they act as nobody."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    if not getattr(actor, "is_active", False):
        return None
    return actor


def _unwrap(obj: Any) -> Any:
    """The object behind a proxy such as Flask-Login's current_user."""
    getter = getattr(obj, "_get_current_object", None)
    return getter() if getter is not None else obj


def decide(actor: Any, action: str, target: Any) -> Decision:
    actor = effective_actor(_unwrap(actor))
    target = _unwrap(target)
    for klass in type(target).__mro__:
        rule = _policies.get(klass)
        if rule is not None:
            return rule(actor, action, target)
    raise LookupError(f"no permission policy for {type(target).__name__}")


def can(actor: Any, action: str, target: Any = SITE) -> bool:
    return decide(actor, action, target) is Decision.ALLOW


def require(actor: Any, action: str, target: Any = SITE) -> None:
    """Raise unless allowed: Unauthorized for nobody, PermissionDenied otherwise."""
    decision = decide(actor, action, target)
    if decision is Decision.ALLOW:
        return
    if effective_actor(actor) is None:
        raise Unauthorized()
    raise PermissionDenied(hidden=decision is Decision.HIDDEN)


def _registered(registry: dict[type, Filter], model: type, what: str) -> Filter:
    try:
        return registry[model]
    except KeyError:
        raise LookupError(f"no {what} filter registered for {model.__name__}") from None


def visible(actor: Any, model: type):
    """A SQL condition on `model` true for the rows the actor may know exist."""
    return _registered(_visible, model, "visible")(effective_actor(_unwrap(actor)))


def readable(actor: Any, model: type):
    """A SQL condition on `model` true for the rows whose content the actor may read."""
    return _registered(_readable, model, "readable")(effective_actor(_unwrap(actor)))


def readers(target: Any):
    """A SQL condition on users true for the active people who may read `target`."""
    target = _unwrap(target)
    for klass in type(target).__mro__:
        rule = _readers.get(klass)
        if rule is not None:
            return rule(target)
    raise LookupError(f"no readers filter registered for {type(target).__name__}")


def registered_filters() -> dict[str, set[type]]:
    """The types each kind of filter is registered for (what the property test checks)."""
    return {"visible": set(_visible), "readable": set(_readable), "readers": set(_readers)}
