"""The permission layer: the policy registry and the visible / readable / readers filter registries.

It holds four registries keyed by model type, and the functions that ask them:
- policies: who may do which action on one object. `decide`, `can` and `require` ask them
  (`require` raises Unauthorized or PermissionDenied, hidden or not).
- visible filters: the SQL condition on T for the rows an actor may know exist (a private
  community's name); asked through `visible(actor, T)`.
- readable filters: the SQL condition on T for the rows whose content an actor may read, true
  exactly where `can(actor, "read", row)` is; asked through `readable(actor, T)`.
- readers filters: the reverse, a condition on users true for the active people who may read a
  target (who is notified, who may be suggested something); asked through `readers(target)`.
This module knows no model: each feature package registers the rules and filters of the types it
owns with `register`, from its `access` module, called by its init_app (accounts: the site;
communities: communities, people and quick links; documents: documents and folders; feeds:
publications, comments and tags), so that lower packages never import higher ones.
`check_complete` refuses to start the app with a gap. Actors that are nobody (anonymous,
deactivated, expired) reach every rule and filter as None. tests/test_read_filters.py holds each
filter equal to its policy.
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
    if policy is not None:
        _policies[target_type] = policy
    for registry, rule in ((_visible, visible), (_readable, readable), (_readers, readers)):
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
