"""Audit trail: who did what to what, when, from where."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from flask import Flask, request

from rse.database import db

from .models import AuditEntry

# Set by the web layer for each request so that services never read the request.
current_ip: ContextVar[str] = ContextVar("audit_ip", default="")

ACTIONS = (
    "login.success", "login.failure", "logout", "credentials.ended",
    "password.reset_requested", "password.reset",
    "invitation.sent", "invitation.accepted", "invitation.revoked",
    "membership.added", "membership.removed", "membership.role_changed",
    "membership.requested", "membership.request_refused",
    "community.created", "community.updated",
    "user.created", "user.deactivated", "user.reactivated", "user.expiry_changed", "user.role_changed",
    "token.created", "token.revoked",
    "document.uploaded", "document.version_added", "document.downloaded", "document.updated",
    "document.trashed", "document.restored",
    "publication.create", "publication.edit", "publication.delete", "publication.pin", "publication.unpin",
    "publication.wiki_restore", "comment.create", "comment.edit", "comment.delete", "question.accept",
    "suggestion.create",
    "digest.frequency_changed", "digest.unsubscribed",
)


def record(action: str, *, actor: Any = None, target: Any = None, actor_label: str = "",
           details: dict | None = None) -> AuditEntry:
    """Add an audit entry to the current transaction."""
    entry = AuditEntry(
        action=action,
        actor_id=getattr(actor, "id", None),
        actor_label=actor_label or getattr(actor, "email", "") or "",
        ip=current_ip.get(),
        details=details or {},
    )
    if target is not None:
        entry.target_type = type(target).__name__.lower()
        entry.target_id = str(getattr(target, "id", "") or "")
        entry.target_label = str(getattr(target, "email", None) or getattr(target, "name", "") or "")[:254]
    db.session.add(entry)
    return entry


def init_app(app: Flask) -> None:
    @app.before_request
    def remember_ip():
        current_ip.set(request.remote_addr or "")

    from .views import bp

    app.register_blueprint(bp)
