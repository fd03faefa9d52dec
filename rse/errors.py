"""Domain exceptions and their mapping to HTTP: HTML pages and the JSON error shape."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.exceptions import HTTPException

from rse import transactions
from rse.database import db, unreachable
from rse.extensions import login_manager

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A refusal a user can understand; `code` is stable, `message` is shown.

    A refusal rolls back its unit of work, unless it `keeps_work`: what was flushed before it is
    committed all the same (the audit entry of a failed login must outlive the refusal).
    """

    status = 400
    code = "bad_request"
    default_message = _l("La demande est invalide.")

    def __init__(self, message: str | None = None, *, code: str | None = None, fields=None,
                 keeps_work: bool = False):
        self.message = str(message) if message is not None else str(self.default_message)
        if code:
            self.code = code
        self.fields = fields or {}
        self.keeps_work = keeps_work
        super().__init__(self.message)


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"
    default_message = _l("Authentification requise.")


class PermissionDenied(DomainError):
    """Refused. `hidden` means the actor may not even know the target exists: 404."""

    status, code = 403, "forbidden"
    default_message = _l("Vous n'avez pas les droits pour cette action.")

    def __init__(self, message=None, *, hidden: bool = False, code=None):
        if hidden:
            message = message or str(NotFound.default_message)
        super().__init__(message, code=code)
        self.hidden = hidden
        if hidden:
            self.status, self.code = 404, "not_found"


class NotFound(DomainError):
    status, code = 404, "not_found"
    default_message = _l("Introuvable.")


class Conflict(DomainError):
    status, code = 409, "conflict"


class Gone(DomainError):
    status, code = 410, "gone"


class PayloadTooLarge(DomainError):
    status, code = 413, "payload_too_large"


class ServiceUnavailable(DomainError):
    """A backing service (storage, search, mail) is down: nothing was changed; try again later."""

    status, code = 503, "service_unavailable"
    default_message = _l("Le service est momentanément indisponible. Réessayez dans quelques minutes.")
    retry_after = 60  # seconds, in the Retry-After header


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached (rse.database.unreachable); a restart takes seconds."""

    code = "database_unavailable"
    default_message = _l("Le service est momentanément indisponible. Réessayez dans un instant.")
    retry_after = 10


class ValidationError(DomainError):
    status, code = 422, "validation_error"
    default_message = _l("Certaines valeurs sont invalides.")


class TooManyRequests(DomainError):
    status, code = 429, "too_many_requests"
    default_message = _l("Trop de tentatives. Réessayez dans quelques minutes.")


# Blueprints of pages' scripts (not the API) whose errors are answered in the JSON shape too.
_JSON_BLUEPRINTS: set[str] = set()


def answer_json(blueprint: str) -> None:
    """Answer the errors of this blueprint's routes in the JSON error shape, as the API does."""
    _JSON_BLUEPRINTS.add(blueprint)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.blueprint in _JSON_BLUEPRINTS


def json_error(status: int, code: str, message: str, fields=None):
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = {k: str(v) for k, v in fields.items()}
    body = {"error": error}
    return jsonify(body), status


_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 410: "gone", 413: "payload_too_large",
    415: "unsupported_media_type", 416: "range_not_satisfiable", 422: "validation_error",
    429: "too_many_requests", 503: "service_unavailable",
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        transactions.end_refused(exc)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, ServiceUnavailable) else {}
        if wants_json():
            body, status = json_error(exc.status, exc.code, exc.message, exc.fields)
            return body, status, headers
        # A page reached by a link (a filter in its address) says which value is wrong, as a form would.
        details = [str(text) for text in dict.fromkeys(exc.fields.values()) if str(text) != exc.message]
        return render_template("errors/error.html", status=exc.status, message=exc.message,
                               details=details), exc.status, headers

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        if not unreachable(exc):
            return unexpected(exc)
        # One line, no traceback: during an outage every request comes here.
        log.warning("database unreachable on %s %s: %s", request.method, request.path,
                    str(exc.orig).strip().partition("\n")[0])
        # The answer is made without the database: nobody is signed in on it (their account cannot
        # be read, and what was read of it went with the rollback), so the page is the anonymous
        # one, in the browser's language, with no menu and no bell. The session cookie is left as
        # it is: the same browser is signed in again once the database is back.
        login_manager._update_request_context_with_user()
        return domain_error(DatabaseUnavailable())

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = str(_l("Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez."))
        if wants_json():
            return json_error(400, "csrf_failed", message)
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        original = getattr(exc, "original_exception", None)
        if isinstance(original, DBAPIError) and unreachable(original):  # an error page that needed the database
            return database_error(original)
        status = exc.code or 500
        if status == 429:
            message = str(TooManyRequests.default_message)
        elif status == 404:
            message = str(NotFound.default_message)
        elif status == 413:
            message = str(_l("La requête est trop volumineuse."))
        elif status == 405:
            message = str(_l("Cette méthode n'est pas permise ici."))
        elif status == 401:
            message = str(Unauthorized.default_message)
        else:
            message = str(_l("La demande est invalide.")) if status < 500 else \
                str(_l("Une erreur inattendue est survenue."))
        if wants_json():
            body, status = json_error(status, _HTTP_CODES.get(status, "error"), message)
        else:
            body = render_template("errors/error.html", status=status, message=message)
        # The exception's own headers say how to do better: Allow on a 405, Content-Range on a 416,
        # WWW-Authenticate on a 401. Its Content-Type is that of Werkzeug's page, not of ours.
        return body, status, [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]

    @app.errorhandler(IntegrityError)
    def integrity_error(exc: IntegrityError):
        # Services check for duplicates first; reaching the database's own constraint means a
        # concurrent request won the race (two submits of one form): nothing was written.
        db.session.rollback()
        log.warning("constraint refused a write on %s %s: %s", request.method, request.path, exc.orig)
        message = str(_l("Cette action a été faite en même temps par une autre requête. Rechargez la page."))
        if wants_json():
            return json_error(409, "concurrent_change", message)
        return render_template("errors/error.html", status=409, message=message), 409

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()  # the error page may query (header, bell): not on a failed transaction
        message = str(_l("Une erreur inattendue est survenue. L'équipe technique a été prévenue."))
        if wants_json():
            return json_error(500, "internal_error", message)
        return render_template("errors/error.html", status=500, message=message), 500
