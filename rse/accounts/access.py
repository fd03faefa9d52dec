"""Who may do what on the platform as a whole (the rules for Site)."""

from rse import permissions
from rse.permissions import SITE, Decision, Site

from .models import Role

_SITE_RULES = {
    "administer": {Role.ADMIN},
    "audit.read": {Role.ADMIN},
    "community.create": {Role.ADMIN, Role.STAFF},
    "directory.read": {Role.ADMIN, Role.STAFF, Role.PARTNER},
    "use": {Role.ADMIN, Role.STAFF, Role.PARTNER},
}


def site_policy(actor, action: str, target: Site) -> Decision:
    if actor is None:
        return Decision.HIDDEN
    allowed = _SITE_RULES.get(action)
    if allowed is None:
        raise LookupError(f"unknown site action {action!r}")
    return Decision.ALLOW if actor.role in allowed else Decision.DENY


__all__ = ["SITE", "site_policy"]


def register() -> None:
    """Hand these rules to the permission layer (called by the package's init_app)."""
    permissions.register(Site, policy=site_policy)
