"""API: action plans of a space, their objectives and actions, each action's indicators and values,
links, history; "my actions" and a plan's summary."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from rse import permissions
from rse.communities import service as communities
from rse.errors import ValidationError
from rse.i18n import local_today
from rse.plans import service as plans

from . import actor, bp, created, field, id_field, json_body, page_args
from .serializers import (
    action_change_json,
    action_json,
    action_link_json,
    indicator_json,
    indicator_value_json,
    objective_json,
    plan_json,
    plan_summary_json,
)

TITLED_FIELDS = {"title", "description"}
ACTION_FIELDS = {"title", "description", "owner_id", "co_owners", "start_date", "due_date", "status", "progress",
                 "priority"}
# A change may also move the action to another objective of its plan, or edit its result note.
CHANGE_FIELDS = ACTION_FIELDS | {"objective_id", "result_note", "row_version"}
INDICATOR_FIELDS = {"name", "unit", "value_type", "baseline", "target"}
VALUE_FIELDS = {"measured_on", "value", "source"}
FILTERS = ("owner", "status", "objective", "due_within", "q", "sort", "order")
MY_ACTIONS_LIMIT = 200


def _only(data: dict, allowed: set[str]) -> dict:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(fields={name: _("Champ inconnu.") for name in sorted(unknown)})
    return data


def _typed(data: dict, kinds: dict[str, type | tuple]) -> dict:
    """The fields of `data` checked for their JSON type (null allowed: the service says if it may be)."""
    for name, kind in kinds.items():
        if data.get(name) is not None:
            field(data, name, kind)
    return data


def _action_body(data: dict) -> dict:
    _typed(data, {"title": str, "description": str, "start_date": str, "due_date": str, "status": str,
                  "progress": int, "priority": str, "result_note": str})
    for name in ("owner_id", "objective_id"):
        if data.get(name) is not None:
            id_field(data, name)
    co_owners = data.get("co_owners")
    if co_owners is not None and (not isinstance(co_owners, list) or any(
            isinstance(v, bool) or not isinstance(v, int) for v in co_owners)):
        raise ValidationError(fields={"co_owners": _("Liste d'identifiants attendue.")})
    return data


def _seen(users_ids) -> set[int]:
    return plans.visible_user_ids(actor(), users_ids)


def _people_of(actions) -> set[int]:
    return _seen({user_id for a in actions for user_id in a.owner_ids})


def _action_payload(action) -> dict:
    return action_json(action, today=local_today(), seen=_people_of([action]), links=plans.links(actor(), action))


def _plan_payload(plan) -> dict:
    return plan_json(plan, can_manage=permissions.can(actor(), "manage", plan))


def _page(rows: list) -> tuple[list, dict]:
    limit, offset = page_args()
    return rows[offset:offset + limit], {"total": len(rows), "limit": limit, "offset": offset}


def _action_list(actions: list) -> dict:
    shown, counts = _page(actions)
    today, seen = local_today(), _people_of(shown)
    return {"items": [action_json(a, today=today, seen=seen, links=plans.links(actor(), a)) for a in shown],
            **counts}


# --- Plans and objectives -----------------------------------------------------------------------------

@bp.get("/communities/<int:community_id>/plans")
def community_plans(community_id: int):
    community = communities.get_community(actor(), community_id, "read")
    rows = plans.plans_of(actor(), community)
    return jsonify({"items": [_plan_payload(p) for p in rows], "total": len(rows)})


@bp.post("/communities/<int:community_id>/plans")
def create_plan(community_id: int):
    community = communities.get_community(actor(), community_id, "read")
    data = _typed(_only(json_body(), TITLED_FIELDS), {"title": str, "description": str})
    return created(_plan_payload(plans.create_plan(actor(), community, data)))


@bp.get("/plans/<int:plan_id>")
def get_plan(plan_id: int):
    return jsonify(_plan_payload(plans.get_plan(actor(), plan_id)))


@bp.patch("/plans/<int:plan_id>")
def update_plan(plan_id: int):
    plan = plans.get_plan(actor(), plan_id)
    data = _typed(_only(json_body(), TITLED_FIELDS), {"title": str, "description": str})
    return jsonify(_plan_payload(plans.update_plan(actor(), plan, data)))


@bp.post("/plans/<int:plan_id>/archive")
def archive_plan(plan_id: int):
    plan = plans.get_plan(actor(), plan_id)
    plans.archive_plan(actor(), plan)
    return jsonify(_plan_payload(plan))


@bp.get("/plans/<int:plan_id>/objectives")
def plan_objectives(plan_id: int):
    plan = plans.get_plan(actor(), plan_id)
    return jsonify({"items": [objective_json(o) for o in plan.objectives], "total": len(plan.objectives)})


@bp.post("/plans/<int:plan_id>/objectives")
def add_objective(plan_id: int):
    plan = plans.get_plan(actor(), plan_id)
    data = _typed(_only(json_body(), TITLED_FIELDS), {"title": str, "description": str})
    return created(objective_json(plans.add_objective(actor(), plan, data)))


@bp.patch("/objectives/<int:objective_id>")
def update_objective(objective_id: int):
    objective = plans.get_objective(actor(), objective_id)
    data = _typed(_only(json_body(), TITLED_FIELDS), {"title": str, "description": str})
    return jsonify(objective_json(plans.update_objective(actor(), objective, data)))


@bp.get("/plans/<int:plan_id>/summary")
def plan_summary(plan_id: int):
    plan = plans.get_plan(actor(), plan_id)
    return jsonify(plan_summary_json(plans.summary(actor(), plan)))


# --- Actions ------------------------------------------------------------------------------------------

@bp.get("/plans/<int:plan_id>/actions")
def plan_actions(plan_id: int):
    plan = plans.get_plan(actor(), plan_id)
    order = request.args.get("order")
    if order not in (None, "", "asc", "desc"):
        raise ValidationError(fields={"order": _("asc ou desc.")})
    filters = plans.clean_filters({name: request.args.get(name) for name in FILTERS})
    return jsonify(_action_list(plans.plan_actions(actor(), plan, filters)))


@bp.post("/objectives/<int:objective_id>/actions")
def create_action(objective_id: int):
    objective = plans.get_objective(actor(), objective_id)
    data = _action_body(_only(json_body(), ACTION_FIELDS))
    return created(_action_payload(plans.create_action(actor(), objective, data)))


@bp.get("/me/actions")
def my_actions():
    return jsonify(_action_list(plans.my_actions(actor(), limit=MY_ACTIONS_LIMIT)))


@bp.get("/actions/<int:action_id>")
def get_action(action_id: int):
    return jsonify(_action_payload(plans.get_action(actor(), action_id)))


@bp.patch("/actions/<int:action_id>")
def update_action(action_id: int):
    action = plans.get_action(actor(), action_id)
    data = _action_body(_only(json_body(), CHANGE_FIELDS))
    row_version = field(data, "row_version", int)
    changes = {name: value for name, value in data.items() if name != "row_version"}
    return jsonify(_action_payload(plans.update_action(actor(), action, changes, row_version=row_version)))


@bp.post("/actions/<int:action_id>/close")
def close_action(action_id: int):
    action = plans.get_action(actor(), action_id)
    data = _only(json_body(), {"status", "result_note", "row_version"})
    plans.close_action(actor(), action, status=field(data, "status", str),
                       result_note=field(data, "result_note", str), row_version=field(data, "row_version", int))
    return jsonify(_action_payload(action))


@bp.post("/actions/<int:action_id>/reopen")
def reopen_action(action_id: int):
    action = plans.get_action(actor(), action_id)
    data = _only(json_body(), {"row_version"})
    plans.reopen_action(actor(), action, row_version=field(data, "row_version", int))
    return jsonify(_action_payload(action))


@bp.get("/actions/<int:action_id>/history")
def action_history(action_id: int):
    action = plans.get_action(actor(), action_id)
    changes = plans.history(actor(), action)
    seen = _seen({c.user_id for c in changes})
    def title(kind, item_id):
        return plans.linked_title(actor(), kind, item_id)

    return jsonify({"items": [action_change_json(c, seen, title) for c in changes], "total": len(changes)})


# --- Indicators ---------------------------------------------------------------------------------------

@bp.get("/actions/<int:action_id>/indicators")
def action_indicators(action_id: int):
    action = plans.get_action(actor(), action_id)
    return jsonify({"items": [indicator_json(i) for i in action.indicators], "total": len(action.indicators)})


@bp.post("/actions/<int:action_id>/indicators")
def add_indicator(action_id: int):
    action = plans.get_action(actor(), action_id)
    data = _typed(_only(json_body(), INDICATOR_FIELDS), {"name": str, "unit": str, "value_type": str,
                                                         "baseline": (int, float), "target": (int, float)})
    return created(indicator_json(plans.add_indicator(actor(), action, data)))


@bp.get("/indicators/<int:indicator_id>")
def get_indicator(indicator_id: int):
    return jsonify(indicator_json(plans.get_indicator(actor(), indicator_id)))


@bp.post("/indicators/<int:indicator_id>/values")
def record_value(indicator_id: int):
    indicator = plans.get_indicator(actor(), indicator_id)
    data = _typed(_only(json_body(), VALUE_FIELDS), {"measured_on": str, "value": (int, float), "source": str})
    return created(indicator_value_json(plans.record_value(actor(), indicator, data)))


# --- Links --------------------------------------------------------------------------------------------

@bp.get("/actions/<int:action_id>/links")
def action_links(action_id: int):
    action = plans.get_action(actor(), action_id)
    shown = plans.links(actor(), action)
    return jsonify({"items": [action_link_json(row, item) for row, item in shown], "total": len(shown)})


@bp.post("/actions/<int:action_id>/links")
def add_link(action_id: int):
    action = plans.get_action(actor(), action_id)
    data = _only(json_body(), {"kind", "item_id"})
    kind = field(data, "kind", str)
    item_id = id_field(data, "item_id")
    row = plans.link(actor(), action, kind, item_id)
    item = next(item for link, item in plans.links(actor(), action) if link.id == row.id)
    return created(action_link_json(row, item))


@bp.delete("/actions/<int:action_id>/links/<int:link_id>")
def remove_link(action_id: int, link_id: int):
    action = plans.get_action(actor(), action_id)
    plans.unlink(actor(), action, link_id)
    return "", 204
