"""REST API v1: bearer tokens, JSON in and out, the same services as the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, overload

from flask import Blueprint, Flask, g, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from rse import transactions
from rse.dbtypes import is_id
from rse.errors import BadRequest, Unauthorized, ValidationError
from rse.extensions import csrf


class ApiBlueprint(Blueprint):
    """The API's blueprint: each handler is one unit of work (rse.transactions.unit_of_work), so
    that no handler commits: it returns, and its work is committed (run again on a clash with a
    concurrent request); it raises, and the error handler rolls it back and answers a JSON error."""

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **options):
        if view_func is not None:
            view_func = transactions.unit_of_work(view_func)
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)


bp = ApiBlueprint("api", __name__, url_prefix="/api/v1")

# How far a list may be paged into: beyond it a client is scanning, not reading (and offsets stay
# far from what the database's integers hold).
MAX_OFFSET = 100_000

# Endpoints that answer without a token.
OPEN_ENDPOINTS = {"api.create_token", "api.accept_invitation", "api.openapi"}


@bp.before_request
def authenticate():
    from rse.accounts.service import user_for_token

    g.api_user = None
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        g.api_user = user_for_token(token.strip())
        if g.api_user is None:
            raise Unauthorized(_("Jeton invalide, expiré ou révoqué."), code="invalid_token")
        transactions.commit()  # last_used_at
    elif request.endpoint not in OPEN_ENDPOINTS:
        raise Unauthorized(_("Un jeton d'accès est requis (en-tête Authorization: Bearer …)."))


@bp.after_request
def challenge(response):
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="maillage"')
    return response


def actor():
    return g.api_user


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 that says why."""
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        raise BadRequest(_("Le corps de la requête doit être un objet JSON."), code="malformed_json")
    return data


_TYPE_MESSAGES = {
    str: _l("Doit être un texte."),
    int: _l("Doit être un nombre entier."),
    bool: _l("Doit valoir true ou false."),
}


def field(data: dict, name: str, kind: type | tuple, *, required: bool = True, default: Any = None) -> Any:
    """A field of the JSON body checked for its type (bool is not taken for int)."""
    if name not in data or data[name] is None:
        if required:
            raise ValidationError(fields={name: _("Ce champ est obligatoire.")})
        return default
    value = data[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        raise ValidationError(fields={name: _TYPE_MESSAGES.get(kinds[0], _("Type de valeur invalide."))})
    return value


@overload
def id_field(data: dict, name: str, *, required: Literal[True] = True) -> int: ...
@overload
def id_field(data: dict, name: str, *, required: bool) -> int | None: ...
def id_field(data: dict, name: str, *, required: bool = True) -> int | None:
    """A field of the JSON body that names a row by its id (1 to MAX_ID), or a 422 naming it: a number
    no id column holds must not reach a query (SQLite overflows, PostgreSQL refuses the comparison)."""
    value = field(data, name, int, required=required)
    if value is not None and not is_id(value):
        raise ValidationError(fields={name: _("Identifiant invalide.")})
    return value


@overload
def query_int(name: str, default: int, low: int, high: int) -> int: ...
@overload
def query_int(name: str, default: None, low: int, high: int) -> int | None: ...
def query_int(name: str, default: int | None, low: int, high: int) -> int | None:
    """An integer of the query string between low and high, the default when absent, or a 400."""
    value = request.args.get(name, "")
    if value == "":
        return default
    # Digits only, and few: int() would take "1_000", " 7" or thousands of digits.
    number = int(value) if value.isascii() and value.isdecimal() and len(value) <= 10 else low - 1
    if not low <= number <= high:
        raise BadRequest(_("Paramètre %(name)s invalide : un entier de %(low)d à %(high)d est attendu.",
                           name=name, low=low, high=high), code="bad_pagination")
    return number

def iso_datetime(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 date and time with its time zone, or a 422 naming the field."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(fields={name: _("Date ISO 8601 attendue (2026-12-31T23:59:59+01:00).")}) from None
    if parsed.tzinfo is None:
        raise ValidationError(fields={name: _("Précisez le fuseau horaire (par exemple +01:00 ou Z).")})
    return parsed


_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def query_bool(name: str) -> bool:
    """A yes/no of the query string (true/false, 1/0; absent is false), or a 400 naming it."""
    value = request.args.get(name)
    if value is None:
        return False
    if value not in _BOOLEANS:
        raise BadRequest(_("Paramètre %(name)s invalide : true ou false est attendu.", name=name), code="bad_parameter")
    return _BOOLEANS[value]


def page_args(default_limit: int = 50, max_limit: int = 200) -> tuple[int, int]:
    """limit and offset of a listed page, bounded, or a 400 bad_pagination."""
    return query_int("limit", default_limit, 1, max_limit), query_int("offset", 0, 0, MAX_OFFSET)


def created(payload: dict, status: int = 201):
    return jsonify(payload), status


def init_app(app: Flask) -> None:
    from . import accounts, communities, controlled, documents, feeds, openapi, plans, search  # noqa: F401  (routes)

    csrf.exempt(bp)  # bearer tokens, never cookies: nothing for a forged request to ride on
    app.register_blueprint(bp)
