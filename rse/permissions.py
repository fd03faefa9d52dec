"""One permission layer: may this actor do this action on this target.

Every page, API call, listing and (later) search result, feed, download and
digest asks here. The rules for each kind of target are registered by the
package that owns the target (communities registers the rules for users and
communities, and so on), so that lower packages never import higher ones while
there is still one entry point: `can`, `require` and `readable`.
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
_policies: dict[type, Policy] = {}
_filters: dict[type, Callable[[Any], Any]] = {}


def policy(target_type: type) -> Callable[[Policy], Policy]:
    """Register the rules for one kind of target."""

    def decorator(fn: Policy) -> Policy:
        _policies[target_type] = fn
        return fn

    return decorator


def readable_filter(model: type) -> Callable:
    """Register the SQL condition selecting the rows of `model` an actor may read."""

    def decorator(fn):
        _filters[model] = fn
        return fn

    return decorator


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


def readable(actor: Any, model: type):
    """A SQL condition on `model` true for the rows the actor may read."""
    return _filters[model](effective_actor(actor))
