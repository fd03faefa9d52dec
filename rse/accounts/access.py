"""Who may do what on the platform as a whole (the rules for Site)."""

from rse.permissions import SITE, Decision, Site, policy

from .models import Role

_SITE_RULES = {
    "administer": {Role.ADMIN},
    "audit.read": {Role.ADMIN},
    "community.create": {Role.ADMIN, Role.STAFF},
    "directory.read": {Role.ADMIN, Role.STAFF, Role.PARTNER},
    "use": {Role.ADMIN, Role.STAFF, Role.PARTNER},
}


@policy(Site)
def site_policy(actor, action: str, target: Site) -> Decision:
    if actor is None:
        return Decision.HIDDEN
    allowed = _SITE_RULES.get(action)
    if allowed is None:
        raise LookupError(f"unknown site action {action!r}")
    return Decision.ALLOW if actor.role in allowed else Decision.DENY


__all__ = ["SITE", "site_policy"]
