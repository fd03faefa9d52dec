"""Audit trail: who did what to what, when, from where."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from flask import Flask, request

from rse.database import db

from .actions import ACTIONS, LABELS
from .models import AuditEntry
from .subjects import Subject
from .subjects import register as register_subject

__all__ = ["ACTIONS", "LABELS", "AuditEntry", "Subject", "current_ip", "init_app", "record", "register_subject"]

# Set by the web layer for each request so that services never read the request.
current_ip: ContextVar[str] = ContextVar("audit_ip", default="")


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
