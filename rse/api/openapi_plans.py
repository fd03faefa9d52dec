"""The action plans part of the OpenAPI document: plans, objectives, actions, indicators and their
values, links, history, "my actions" and a plan's summary."""

from __future__ import annotations

from rse.plans.models import ActionStatus, Priority, ValueType
from rse.plans.service import MAX_CO_OWNERS, MAX_DUE_WITHIN, SORTS

from .openapi import ID, B, I, S, _errors, _json, _obj, _op, _path_param, _query, _ref, line, text

COMMUNITY_ID = _path_param("community_id")
PLAN_ID = _path_param("plan_id")
OBJECTIVE_ID = _path_param("objective_id")
ACTION_ID = _path_param("action_id")
INDICATOR_ID = _path_param("indicator_id")
LINK_ID = _path_param("link_id")
PERSON = {"type": "object", "properties": {"id": I, "name": S}}
NULLABLE_S = {"type": "string", "nullable": True}
NUMBER = {"type": "number"}
NULLABLE_NUMBER = {"type": "number", "nullable": True}
DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_DATE_TIME = {**DATE_TIME, "nullable": True}
DAY = {"type": "string", "format": "date"}
NULLABLE_DAY = {**DAY, "nullable": True}
STATUSES = [s.value for s in ActionStatus]
STATUS = {"type": "string", "enum": STATUSES}
PRIORITY = {"type": "string", "enum": [p.value for p in Priority]}
VALUE_TYPE = {"type": "string", "enum": [v.value for v in ValueType]}
ROW_VERSION = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1,
               "description": "The row_version of the action as the writer last read it (409 stale_action otherwise)"}
PAGING = [_query("limit", "integer", "1 to 200 (50 by default)", minimum=1, maximum=200),
          _query("offset", "integer", "0 to 100,000", minimum=0, maximum=100_000)]


def _list(name: str, *, paged: bool = False) -> dict:
    extra = {"limit": I, "offset": I} if paged else {}
    return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(name)}, "total": I, **extra}}


def _titled(required: bool) -> dict:
    return _obj(["title"] if required else [], title=line(200, required=True), description=text(10_000))


def _action_body(*, change: bool) -> dict:
    props = {
        "title": line(200, required=True), "description": text(10_000),
        "owner_id": {**ID, "nullable": True, "description": "A member of the space (422 otherwise)"},
        "co_owners": {"type": "array", "items": ID, "maxItems": MAX_CO_OWNERS,
                      "description": "Members of the space"},
        "start_date": NULLABLE_DAY, "due_date": {**NULLABLE_DAY, "description": "Not before start_date"},
        "status": {**STATUS, "description": "done and abandoned go through /close" if change else
                   "not_started or in_progress"},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100}, "priority": PRIORITY,
    }
    if change:
        props |= {"objective_id": {**ID, "description": "Another objective of the same plan (animators)"},
                  "result_note": text(4000), "row_version": ROW_VERSION}
        return _obj(["row_version"], **props)
    return _obj(["title"], **props)


def plans_paths() -> dict:
    plan = _json(_ref("Plan"))
    action = _json(_ref("Action"))
    indicator = _json(_ref("Indicator"))
    action_errors = _errors("400", "401", "403", "404", "409", "422")
    filters = [
        {**_query("owner", description="Owned or co-owned by this person"), "schema": ID},
        {**_query("status", description="A status, or late (open and past due), or open"),
         "schema": {"type": "string", "enum": [*STATUSES, "late", "open"]}},
        {**_query("objective", description="Of this objective"), "schema": ID},
        _query("due_within", "integer", "Open and due within this many days", minimum=0, maximum=MAX_DUE_WITHIN),
        {**_query("q", description="In the title or the description"), "schema": line(100)},
        {**_query("sort", description="due (default), title, status, owner, progress, priority or objective"),
         "schema": {"type": "string", "enum": list(SORTS)}},
        {**_query("order", description="asc (default) or desc"), "schema": {"type": "string", "enum": ["asc", "desc"]}},
        *PAGING,
    ]
    return {
        "/communities/{community_id}/plans": {
            "get": _op("The live action plans of a space", {
                "200": _json(_list("Plan")), **_errors("401", "403", "404")}, params=[COMMUNITY_ID], tag="plans"),
            "post": _op("Create an action plan in a space (animators)", {
                "201": _json(_ref("Plan"), "Created"), **_errors("400", "401", "403", "404", "422")},
                body=_titled(True), params=[COMMUNITY_ID], tag="plans"),
        },
        "/plans/{plan_id}": {
            "get": _op("An action plan with its objectives", {"200": plan, **_errors("401", "404")},
                       params=[PLAN_ID], tag="plans"),
            "patch": _op("Change a plan's title or description (animators)", {
                "200": plan, **_errors("400", "401", "403", "404", "422")},
                body=_titled(False), params=[PLAN_ID], tag="plans"),
        },
        "/plans/{plan_id}/archive": {"post": _op("Archive a plan: no longer listed in its space (animators)", {
            "200": plan, **_errors("401", "403", "404")}, params=[PLAN_ID], tag="plans")},
        "/plans/{plan_id}/objectives": {
            "get": _op("A plan's objectives, in order", {
                "200": _json(_list("Objective")), **_errors("401", "404")}, params=[PLAN_ID], tag="plans"),
            "post": _op("Add an objective at the end of a plan (animators)", {
                "201": _json(_ref("Objective"), "Created"), **_errors("400", "401", "403", "404", "422")},
                body=_titled(True), params=[PLAN_ID], tag="plans"),
        },
        "/objectives/{objective_id}": {"patch": _op("Change an objective's title or description (animators)", {
            "200": _json(_ref("Objective")), **_errors("400", "401", "403", "404", "422")},
            body=_titled(False), params=[OBJECTIVE_ID], tag="plans")},
        "/plans/{plan_id}/summary": {"get": _op(
            "A plan's summary: actions per status and per objective, the late ones, those due within 30 days, "
            "each indicator's latest value against its target", {
                "200": _json(_ref("PlanSummary")), **_errors("401", "404")}, params=[PLAN_ID], tag="plans")},
        "/plans/{plan_id}/actions": {"get": _op("The actions of a plan, filtered and sorted", {
            "200": _json(_list("Action", paged=True)), **_errors("401", "404", "422")},
            params=[PLAN_ID, *filters], tag="plans")},
        "/objectives/{objective_id}/actions": {"post": _op(
            "Create an action of an objective (animators); its owners are told", {
                "201": _json(_ref("Action"), "Created"), **_errors("400", "401", "403", "404", "422")},
            body=_action_body(change=False), params=[OBJECTIVE_ID], tag="plans")},
        "/me/actions": {"get": _op("My open actions (owned or co-owned) in every space: late first, then by due date", {
            "200": _json(_list("Action", paged=True)), **_errors("401")}, params=PAGING, tag="plans")},
        "/actions/{action_id}": {
            "get": _op("An action with its links and indicators", {"200": action, **_errors("401", "404")},
                       params=[ACTION_ID], tag="plans"),
            "patch": _op("Change an action from the row_version last read (owners; owners and objective: "
                         "animators, 422 managers_only); 409 stale_action if it changed since, 422 "
                         "result_note_required to close it here", {"200": action, **action_errors},
                         body=_action_body(change=True), params=[ACTION_ID], tag="plans"),
        },
        "/actions/{action_id}/close": {"post": _op(
            "Close an action, done or abandoned, saying its result (owners); 409 already_closed or stale_action", {
                "200": action, **action_errors},
            body=_obj(["status", "result_note", "row_version"],
                      status={"type": "string", "enum": ["done", "abandoned"]},
                      result_note=text(4000, required=True), row_version=ROW_VERSION),
            params=[ACTION_ID], tag="plans")},
        "/actions/{action_id}/reopen": {"post": _op(
            "Reopen a closed action, in progress (owners); 409 not_closed or stale_action", {
                "200": action, **action_errors},
            body=_obj(["row_version"], row_version=ROW_VERSION), params=[ACTION_ID], tag="plans")},
        "/actions/{action_id}/history": {"get": _op("Every change of an action, newest first: who, what, when", {
            "200": _json(_list("ActionChange")), **_errors("401", "404")}, params=[ACTION_ID], tag="plans")},
        "/actions/{action_id}/indicators": {
            "get": _op("An action's indicators with their values", {
                "200": _json(_list("Indicator")), **_errors("401", "404")}, params=[ACTION_ID], tag="plans"),
            "post": _op("Add an indicator to an action (owners)", {
                "201": _json(_ref("Indicator"), "Created"), **_errors("400", "401", "403", "404", "422")},
                body=_obj(["name"], name=line(200, required=True), unit=line(40), value_type=VALUE_TYPE,
                          baseline={**NULLABLE_NUMBER, "description": "Of the indicator's type (whole, 0 to 100…)"},
                          target=NULLABLE_NUMBER),
                params=[ACTION_ID], tag="plans"),
        },
        "/indicators/{indicator_id}": {"get": _op("An indicator with its values", {
            "200": indicator, **_errors("401", "404")}, params=[INDICATOR_ID], tag="plans")},
        "/indicators/{indicator_id}/values": {"post": _op(
            "Record a value of an indicator (owners): a whole number for integer, 0 to 100 for percent", {
                "201": _json(_ref("IndicatorValue"), "Recorded"), **_errors("400", "401", "403", "404", "422")},
            body=_obj(["measured_on", "value"], measured_on=DAY, value=NUMBER, source=line(300)),
            params=[INDICATOR_ID], tag="plans")},
        "/actions/{action_id}/links": {
            "get": _op("The documents and publications an action points to, those the caller reads", {
                "200": _json(_list("ActionLink")), **_errors("401", "404")}, params=[ACTION_ID], tag="plans"),
            "post": _op("Point an action at a document or a publication of its space (owners); 422 otherwise", {
                "201": _json(_ref("ActionLink"), "Linked"), **_errors("400", "401", "403", "404", "422")},
                body=_obj(["kind", "item_id"], kind={"type": "string", "enum": ["document", "publication"]},
                          item_id=ID),
                params=[ACTION_ID], tag="plans"),
        },
        "/actions/{action_id}/links/{link_id}": {"delete": _op("Remove a link of an action (owners)", {
            "204": {"description": "Removed"}, **_errors("401", "403", "404")},
            params=[ACTION_ID, LINK_ID], tag="plans")},
    }


_COUNTS = {"type": "object", "additionalProperties": I}
_BRIEF = {"type": "object", "properties": {"id": I, "title": S, "due_date": NULLABLE_DAY, "status": STATUS}}
PLANS_SCHEMAS = {
    "Objective": {"type": "object", "properties": {
        "id": I, "plan_id": I, "title": S, "description": S, "position": I}},
    "Plan": {"type": "object", "properties": {
        "id": I, "community_id": I, "title": S, "description": S, "created_at": DATE_TIME,
        "updated_at": DATE_TIME, "archived_at": NULLABLE_DATE_TIME,
        "objectives": {"type": "array", "items": _ref("Objective")},
        "can_manage": {**B, "description": "The caller may change the plan and its objectives, create actions"}}},
    "IndicatorValue": {"type": "object", "properties": {
        "id": I, "indicator_id": I, "measured_on": DAY, "value": NUMBER, "source": S, "created_at": DATE_TIME}},
    "Indicator": {"type": "object", "properties": {
        "id": I, "action_id": I, "name": S, "unit": S, "value_type": VALUE_TYPE, "baseline": NULLABLE_NUMBER,
        "target": NULLABLE_NUMBER, "latest": NULLABLE_NUMBER,
        "values": {"type": "array", "items": _ref("IndicatorValue")}}},
    "ActionLink": {"type": "object", "properties": {
        "id": I, "kind": {"type": "string", "enum": ["document", "publication"]}, "item_id": I, "title": S,
        "url": S, "created_at": DATE_TIME}},
    "Action": {"type": "object", "properties": {
        "id": I, "plan_id": I, "community_id": I,
        "objective": {"type": "object", "properties": {"id": I, "title": S}},
        "title": S, "description": S,
        "owner": {**PERSON, "nullable": True, "description": "None too when the caller may not see them"},
        "co_owners": {"type": "array", "items": PERSON, "description": "Those the caller may see"},
        "start_date": NULLABLE_DAY, "due_date": NULLABLE_DAY, "status": STATUS,
        "late": {**B, "description": "Open and past its due date"},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100}, "priority": PRIORITY, "result_note": S,
        "closed_at": NULLABLE_DATE_TIME, "row_version": I, "created_at": DATE_TIME, "updated_at": DATE_TIME,
        "links": {"type": "array", "items": _ref("ActionLink")},
        "indicators": {"type": "array", "items": _ref("Indicator")}}},
    "ActionChange": {"type": "object", "properties": {
        "id": I, "event": {"type": "string", "enum": ["created", "updated", "closed", "reopened", "indicator",
                                                      "value", "linked", "unlinked"]},
        "user": {**PERSON, "nullable": True},
        "changes": {"type": "object", "description": "{field: [before, after]} for a change; what was added otherwise"},
        "created_at": DATE_TIME}},
    "PlanSummary": {"type": "object", "properties": {
        "total": I, "by_status": _COUNTS, "done_ratio": NUMBER,
        "late": {"type": "array", "items": _BRIEF}, "due_soon": {"type": "array", "items": _BRIEF},
        "by_objective": {"type": "array", "items": {"type": "object", "properties": {
            "objective": {"type": "object", "properties": {"id": I, "title": S}}, "counts": _COUNTS}}},
        "indicators": {"type": "array", "items": {"type": "object", "properties": {
            "id": I, "action_id": I, "name": S, "unit": S, "baseline": NULLABLE_NUMBER, "target": NULLABLE_NUMBER,
            "latest": NULLABLE_NUMBER, "ratio": NULLABLE_NUMBER}}}}},
}
