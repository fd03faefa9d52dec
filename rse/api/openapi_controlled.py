"""The controlled documents part of the OpenAPI document: identity and roles, the circuit, the lock,
mandatory reading and the register."""

from __future__ import annotations

from rse.documents.controlled.models import DocType, Stage, Status
from rse.documents.controlled.register import SORTS, STATES
from rse.documents.controlled.service import LOCK_HOURS, MAX_APPLIES_TO

from .openapi import ID, B, I, S, _errors, _json, _obj, _op, _optional_body, _path_param, _query, _ref, line, text

DOCUMENT_ID = _path_param("document_id")
COMMUNITY_ID = _path_param("community_id")
PERSON = {"type": "object", "properties": {"id": I, "name": S}}
NULLABLE_PERSON = {**PERSON, "nullable": True}
NULLABLE_S, NULLABLE_I = {"type": "string", "nullable": True}, {"type": "integer", "nullable": True}
DATE_TIME = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date", "nullable": True}
TYPES = [t.value for t in DocType]
CODE = {"type": "string", "maxLength": 40, "pattern": "^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,38}[A-Za-z0-9])?$",
        "description": "Letters, digits, dots, dashes and underscores; kept in capitals, unique in the group "
                       "(422 « déjà attribué » otherwise)"}


def _ids(max_items: int = 100, min_items: int = 0) -> dict:
    schema: dict = {"type": "array", "items": ID, "maxItems": max_items}
    if min_items:
        schema["minItems"] = min_items
    return schema


def _list(name: str) -> dict:
    return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(name)}, "total": I}}


def controlled_paths() -> dict:
    control = _json(_ref("ControlledDocument"))
    circuit = _json(_ref("Circuit"), "The circuit")
    register_params = [
        {**_query("state", description="Only this state (overdue: « révision dépassée »)"),
         "schema": {"type": "string", "enum": list(STATES)}},
        {**_query("type", description="Only this type"), "schema": {"type": "string", "enum": TYPES}},
        {**_query("q", description="In the code or the title"), "schema": line(100)},
        {**_query("sort", description="code (default), title, type, state, effective, review or reading"),
         "schema": {"type": "string", "enum": list(SORTS)}},
    ]
    register = _json(_list("RegisterEntry"))
    return {
        "/documents/{document_id}/control": {
            "get": _op("A controlled document: code, type, state, version in force, roles and lock "
                       "(404 not_controlled for an ordinary document)", {
                "200": control, **_errors("401", "404")}, params=[DOCUMENT_ID], tag="controlled"),
            "put": _op("Make a document controlled (201) or change its identity and roles (200): writers and "
                       "approvers, checkers optional, all people who can read the space", {
                "200": control, "201": _json(_ref("ControlledDocument"), "Now controlled"),
                **_errors("400", "401", "403", "404", "422")},
                body=_obj(["code", "writers", "approvers"], code=CODE, doc_type={"type": "string", "enum": TYPES},
                          applies_to={"type": "array", "items": line(120), "maxItems": MAX_APPLIES_TO},
                          approval_rule={"type": "string", "enum": ["all", "any"]},
                          review_months={"type": "integer", "minimum": 1, "maximum": 120},
                          writers=_ids(min_items=1), checkers=_ids(), approvers=_ids(min_items=1)),
                params=[DOCUMENT_ID], tag="controlled"),
        },
        "/communities/{community_id}/control/next-code": {"get": _op(
            "The next free code of the space's numbering rule for a type (contributors)", {
                "200": _json({"type": "object", "properties": {"code": S}}), **_errors("401", "403", "404")},
            params=[COMMUNITY_ID, {**_query("type", description="protocol by default"),
                                   "schema": {"type": "string", "enum": TYPES}}], tag="controlled")},
        "/documents/{document_id}/circuit": {"post": _op(
            "Submit the latest version to its checkers (or approvers), or (renewal) the version in force "
            "unchanged; 409 circuit_open, nothing_to_submit, not_in_force, withdrawn or no_approver", {
                "201": _json(_ref("Circuit"), "Submitted"), **_errors("400", "401", "403", "404", "409", "422")},
            body=_obj([], renewal=B, note=text(2000)), params=[DOCUMENT_ID], tag="controlled")},
        "/documents/{document_id}/circuit/decisions": {"post": _op(
            "Approve or send back the version in the circuit, on the bytes decided on (their sha256; "
            "409 changed_since_submission otherwise, already_decided, no_circuit)", {
                "201": circuit, **_errors("400", "401", "403", "404", "409", "422")},
            body=_obj(["verdict", "sha256"], verdict={"type": "string", "enum": ["approve", "return"]},
                      sha256={"type": "string", "maxLength": 64},
                      comment=text(4000, description="Required to send back"),
                      effective={"type": "string", "format": "date",
                                 "description": "Approvers: the day it comes into force (today by default)"}),
            params=[DOCUMENT_ID], tag="controlled")},
        "/documents/{document_id}/circuits": {"get": _op(
            "Every circuit, newest first, with its decisions (people in the circuit)", {
                "200": _json(_list("Circuit")), **_errors("401", "403", "404")},
            params=[DOCUMENT_ID], tag="controlled")},
        "/documents/{document_id}/withdraw": {"post": _op(
            "Withdraw a document in force (approvers, animators); 409 not_in_force", {
                "200": control, **_errors("400", "401", "403", "404", "409", "422")},
            body=_obj(["comment"], comment=text(2000, required=True)), params=[DOCUMENT_ID], tag="controlled")},
        "/documents/{document_id}/lock": {
            "post": _optional_body(_op("Take the document « en modification » for some hours, 24 by default "
                                       "(writers; 409 locked)", {
                "200": control, **_errors("400", "401", "403", "404", "409", "422")},
                body=_obj([], hours={"type": "integer", "enum": list(LOCK_HOURS)}),
                params=[DOCUMENT_ID], tag="controlled")),
            "delete": _op("Release the lock (its holder) or break it (animators); 409 not_locked", {
                "204": {"description": "Released"}, **_errors("401", "403", "404", "409")},
                params=[DOCUMENT_ID], tag="controlled"),
        },
        "/documents/{document_id}/readings": {
            "post": _op("Require the version in force to be read by spaces, establishments or people "
                        "(approvers, animators); 409 not_in_force", {
                "201": _json({"type": "object", "properties": {
                    "id": I, "version_number": I, "people": I, "report": _ref("ReadingReport")}}, "Required"),
                **_errors("400", "401", "403", "404", "409", "422")},
                body=_obj([], communities=_ids(), establishments={"type": "array", "items": S, "maxItems": 100},
                          people=_ids()),
                params=[DOCUMENT_ID], tag="controlled"),
            "get": _op("The reading of the version in force: overall, per establishment, per space, who is pending "
                       "(writers, approvers, animators)", {
                "200": _json(_ref("ReadingReport")), **_errors("401", "403", "404")},
                params=[DOCUMENT_ID], tag="controlled"),
        },
        "/documents/{document_id}/readings/confirm": {"post": _op(
            "« J'ai lu et compris »: confirm the reading of the version in force (409 nothing_to_confirm)", {
                "200": _json({"type": "object", "properties": {"confirmed": B, "version_number": I}}),
                **_errors("401", "403", "404", "409")}, params=[DOCUMENT_ID], tag="controlled")},
        "/documents/{document_id}/readings/remind": {"post": _op(
            "Email those who have not confirmed, unless reminded within a week", {
                "200": _json({"type": "object", "properties": {"sent": I, "skipped": I}}),
                **_errors("401", "403", "404", "409")}, params=[DOCUMENT_ID], tag="controlled")},
        "/me/readings": {"get": _op("The documents I am asked to read and have not confirmed", {
            "200": _json(_list("Document")), **_errors("401")}, tag="controlled")},
        "/communities/{community_id}/register": {"get": _op(
            "The register of a space's controlled documents the caller may read", {
                "200": register, **_errors("401", "404", "422")},
            params=[COMMUNITY_ID, *register_params], tag="controlled")},
        "/register": {"get": _op(
            "The group's register: every controlled document the caller may read (staff; 403 staff_only)", {
                "200": register, **_errors("401", "403", "422")}, params=register_params, tag="controlled")},
    }


_RATE = {"type": "object", "properties": {"label": S, "done": I, "total": I, "percent": I}}
CONTROLLED_SCHEMAS = {
    "ControlledDocument": {"type": "object", "properties": {
        "document_id": I, "community_id": I, "code": S, "type": {"type": "string", "enum": TYPES},
        "applies_to": {"type": "array", "items": S}, "approval_rule": {"type": "string", "enum": ["all", "any"]},
        "review_months": I, "status": {"type": "string", "enum": [s.value for s in Status]},
        "stage": {"type": "string", "nullable": True, "enum": [Stage.CHECKING.value, Stage.APPROVAL.value, None],
                  "description": "The open circuit's stage"},
        "state": {**S, "description": "As shown to readers"},
        "overdue": {**B, "description": "« révision dépassée »"},
        "in_force_number": NULLABLE_I, "effective_date": DATE, "review_by": DATE,
        "approved_by": {"type": "array", "items": PERSON},
        "lock": {"type": "object", "nullable": True, "properties": {
            "user": NULLABLE_PERSON, "since": DATE_TIME, "expires": DATE_TIME}},
        "writers": {"type": "array", "items": PERSON}, "checkers": {"type": "array", "items": PERSON},
        "approvers": {"type": "array", "items": PERSON},
        "latest_number": {**I, "description": "The latest version, draft included: people in the circuit only"}}},
    "Decision": {"type": "object", "properties": {
        "id": I, "stage": {"type": "string", "enum": [Stage.CHECKING.value, Stage.APPROVAL.value]},
        "verdict": {"type": "string", "enum": ["approve", "return"]}, "comment": S, "sha256": S,
        "version_number": I, "user": NULLABLE_PERSON, "created_at": DATE_TIME}},
    "Circuit": {"type": "object", "properties": {
        "id": I, "document_id": I, "version_number": I, "sha256": S, "renewal": B,
        "stage": {"type": "string", "enum": [s.value for s in Stage]}, "note": S, "submitted_by": NULLABLE_PERSON,
        "submitted_at": DATE_TIME, "closed_at": {**DATE_TIME, "nullable": True},
        "decisions": {"type": "array", "items": _ref("Decision")}}},
    "ReadingReport": {"type": "object", "properties": {
        "version": NULLABLE_I, "overall": {**_RATE, "nullable": True},
        "establishments": {"type": "array", "items": _RATE}, "communities": {"type": "array", "items": _RATE},
        "pending": {"type": "array", "items": PERSON}}},
    "RegisterEntry": {"type": "object", "properties": {
        "document_id": I, "community_id": I, "code": S, "title": S, "type": {"type": "string", "enum": TYPES},
        "type_label": S, "status": {"type": "string", "enum": [s.value for s in Status]},
        "stage": {"type": "string", "nullable": True, "enum": [Stage.CHECKING.value, Stage.APPROVAL.value, None]},
        "state": S, "in_force_number": NULLABLE_I, "effective_date": DATE, "next_review": DATE, "overdue": B,
        "reading": {"type": "object", "properties": {"done": I, "total": I, "percent": NULLABLE_I}}, "url": S}},
}
