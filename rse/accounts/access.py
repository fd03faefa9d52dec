"""Who may do what on the platform as a whole (the rules for Site), and who counts as a contact."""

from collections.abc import Callable
from typing import Any

from rse import permissions
from rse.permissions import SITE, Decision, Site

from .models import Role

_SITE_RULES = {
    "administer": {Role.ADMIN},
    "audit.read": {Role.ADMIN},
    "community.create": {Role.ADMIN, Role.STAFF},
    "directory.read": {Role.ADMIN, Role.STAFF, Role.PARTNER},
    "register.read": {Role.ADMIN, Role.STAFF},  # the group's register of controlled documents
    "use": {Role.ADMIN, Role.STAFF, Role.PARTNER},
}


def site_policy(actor, action: str, target: Site) -> Decision:
    if actor is None:
        return Decision.HIDDEN
    allowed = _SITE_RULES.get(action)
    if allowed is None:
        raise LookupError(f"unknown site action {action!r}")
    return Decision.ALLOW if actor.role in allowed else Decision.DENY


__all__ = ["SITE", "contacts_of", "register_contacts", "site_policy"]

# Accounts know no spaces: the package that owns them says who shares one with whom.
_contacts: list[Callable[[int], Any]] = []


def register_contacts(rule: Callable[[int], Any]) -> None:
    """`rule(user_id)`: a SQL condition on User, true for the people who share a space with that user."""
    _contacts[:] = [rule]


def contacts_of(user_id: int):
    """A SQL condition on User: the people who share at least one space with `user_id`."""
    if not _contacts:
        raise LookupError("no contacts rule registered (the communities package registers it)")
    return _contacts[0](user_id)


def register() -> None:
    """Hand these rules to the permission layer (called by the package's init_app)."""
    permissions.register(Site, policy=site_policy)
