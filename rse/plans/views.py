"""Pages of action plans: a space's plans, a plan's table (edited in place with htmx), its timeline
and summary, and an action's page with its indicators, links and history."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from rse import items, permissions
from rse.communities import service as communities
from rse.errors import DomainError, ValidationError
from rse.forms import ActionForm, error_text, page_number, run_work
from rse.i18n import local_today
from rse.web import is_htmx

from . import access, charts, display, service, table
from .models import CLOSED_STATUSES, OPEN_STATUSES, Action, Plan

bp = Blueprint("plans", __name__)

# What the edit forms of an action send (the owners and objective only from an animator's form).
ACTION_FIELDS = ("title", "description", "owner_id", "objective_id", "start_date", "due_date", "status",
                 "progress", "priority")
EXPIRED = "Le formulaire a expiré. Rechargez la page et réessayez."


def _can(action: str, target: Any) -> bool:
    return permissions.can(current_user, action, target)


def _errors(refused: DomainError) -> dict[str, str]:
    """A refusal as the messages of a form: each field's beside it, the rest ("") at the top. A field
    the form does not show (the owners, to an owner who is no animator) is said at the top too."""
    errors = {name: str(message) for name, message in (refused.fields or {}).items()}
    if not errors or refused.code == "managers_only":
        errors[""] = error_text(refused)
    return errors


def _checked() -> DomainError | None:
    """The CSRF check of a posted form: None, or the refusal to show on it."""
    if ActionForm().validate_on_submit():
        return None
    return DomainError(_(EXPIRED), code="csrf_failed")


def _run(work) -> tuple[Any, DomainError | None]:
    refused = _checked()
    if refused is not None:
        refused.status = 400
        return None, refused
    return run_work(work)


def _action_data() -> dict:
    data: dict[str, Any] = {name: request.form.get(name) for name in ACTION_FIELDS if name in request.form}
    if "co_owners_shown" in request.form:
        data["co_owners"] = request.form.getlist("co_owners")
    return data


def _exchange(plan: Plan) -> dict[str, str]:
    """The import and export buttons, when the package that does them is there."""
    links = {}
    for key, endpoint, fmt in (("import", "plans_exchange.import_plan", None),
                               ("xlsx", "plans_exchange.export", "xlsx"), ("pdf", "plans_exchange.export", "pdf")):
        if endpoint in current_app.view_functions:
            try:
                links[key] = (url_for(endpoint, plan_id=plan.id, fmt=fmt) if fmt
                              else url_for(endpoint, plan_id=plan.id))
            except BuildError:
                continue
    return links


# --- A space's plans ------------------------------------------------------------------------------------

@bp.route("/espaces/<int:community_id>/plans", methods=["GET", "POST"])
def space_plans(community_id: int):
    community = communities.get_community(current_user, community_id, "read")
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        data = {"title": request.form.get("title"), "description": request.form.get("description", "")}
        plan, refused = _run(lambda: service.create_plan(current_user, community, data))
        if refused is None:
            flash(_("Plan « %(title)s » créé. Ajoutez-lui ses objectifs.", title=plan.title), "success")
            return redirect(url_for("plans.show", plan_id=plan.id))
        errors, status = _errors(refused), refused.status
    today = local_today()
    plans = service.plans_of(current_user, community)
    return render_template(
        "plans/space.html", community=community, plans=plans, today=today,
        counts=display.plan_counts(current_user, plans, today), can_manage=_can("manage", community),
        errors=errors, values=request.form, action_form=ActionForm(), labels=display.STATUS_LABELS), status


# --- A plan -----------------------------------------------------------------------------------------------

def _plan_page(plan: Plan, *, form: str = "", errors: dict | None = None, status: int = 200):
    filters = service.clean_filters(request.args)
    today = local_today()
    shown = table.table_page(current_user, plan, filters, today, page_number(request.args.get("page")))
    manage = _can("manage", plan)
    people = service.assignable_people(current_user, plan.community)
    names = display.people_named(current_user, display.owner_ids_of(shown.rows))
    return render_template(
        "plans/plan.html", plan=plan, community=plan.community, actions=shown.rows, shown=shown, filters=filters,
        today=today, names=names, people=people, can_manage=manage,
        editable=access.updatable_ids(current_user, plan, shown.rows),
        form=form, errors=errors or {}, values=request.form if form else {}, action_form=ActionForm(),
        exchange=_exchange(plan), labels=display.said(display.STATUS_LABELS),
        priorities=display.said(display.PRIORITY_LABELS),
        filtered=any(v for k, v in request.args.items() if k not in ("sort", "order", "page"))), status


@bp.route("/plans/<int:plan_id>", methods=["GET", "POST"])
def show(plan_id: int):
    plan = service.get_plan(current_user, plan_id)
    if request.method == "POST":  # the plan's title and description
        data = {"title": request.form.get("title"), "description": request.form.get("description", "")}
        _result, refused = _run(lambda: service.update_plan(current_user, plan, data))
        if refused is not None:
            return _plan_page(plan, form="plan", errors=_errors(refused), status=refused.status)
        flash(_("Plan enregistré."), "success")
        return redirect(url_for("plans.show", plan_id=plan.id))
    return _plan_page(plan)


@bp.route("/plans/<int:plan_id>/objectifs", methods=["POST"])
def add_objective(plan_id: int):
    plan = service.get_plan(current_user, plan_id)
    data = {"title": request.form.get("title"), "description": request.form.get("description", "")}
    objective, refused = _run(lambda: service.add_objective(current_user, plan, data))
    if refused is not None:
        return _plan_page(plan, form="objective", errors=_errors(refused), status=refused.status)
    flash(_("Objectif « %(title)s » ajouté.", title=objective.title), "success")
    return redirect(url_for("plans.show", plan_id=plan.id, _anchor="nouvelle-action"))


@bp.route("/plans/<int:plan_id>/actions", methods=["POST"])
def add_action(plan_id: int):
    plan = service.get_plan(current_user, plan_id)

    def work():
        permissions.require(current_user, "manage", plan)
        raw = request.form.get("objective_id", "")
        objective = next((o for o in plan.objectives if str(o.id) == raw.strip()), None)
        if objective is None:
            raise ValidationError(fields={"objective_id": _("Choisissez un objectif du plan.")})
        data = _action_data()
        data.pop("objective_id", None)
        data["co_owners"] = request.form.getlist("co_owners")
        return service.create_action(current_user, objective, data)

    action, refused = _run(work)
    if refused is not None:
        return _plan_page(plan, form="action", errors=_errors(refused), status=refused.status)
    flash(_("Action « %(title)s » ajoutée.", title=action.title), "success")
    return redirect(url_for("plans.show", plan_id=plan.id, _anchor=f"action-{action.id}"))


@bp.route("/plans/<int:plan_id>/calendrier")
def calendar(plan_id: int):
    plan = service.get_plan(current_user, plan_id)
    today = local_today()
    actions = service.plan_actions(current_user, plan, service.Filters(sort="objective"), today)
    years = display.years_of(actions, today)
    raw = request.args.get("annee", "")
    if raw:
        if not raw.isdigit() or int(raw) not in years:
            raise ValidationError(fields={"annee": _("Choisissez une année du plan.")})
        year = int(raw)
    else:
        year = today.year if today.year in years else years[0]
    bars, undated = display.timeline_year(actions, year, today)
    return render_template("plans/calendar.html", plan=plan, community=plan.community, bars=bars, undated=undated,
                           year=year, years=years, today=today, labels=display.STATUS_LABELS)


@bp.route("/plans/<int:plan_id>/synthese")
def summary(plan_id: int):
    plan = service.get_plan(current_user, plan_id)
    today = local_today()
    result = service.summary(current_user, plan, today)
    labels = display.STATUS_LABELS
    status_chart = charts.status_bars(
        _("Actions par statut"),
        [(key, str(label), result.by_status.get(key, 0)) for key, label in labels.items()]
        + [("late", _("En retard"), len(result.late))])
    objective_chart = charts.stacked_bars(
        _("Actions par objectif et par statut"),
        [(objective.title, [(key, str(label), counts.get(key, 0)) for key, label in labels.items()])
         for objective, counts in result.by_objective], _("aucune"))
    indicator_chart = charts.target_bars(
        _("Indicateurs : dernière valeur par rapport à la cible"),
        [(item.indicator.name, item.ratio, _indicator_said(item)) for item in result.indicators]
    ) if result.indicators else None
    return render_template("plans/summary.html", plan=plan, community=plan.community, summary=result, today=today,
                           status_chart=status_chart, objective_chart=objective_chart,
                           indicator_chart=indicator_chart, labels=labels)


def _indicator_said(item: service.IndicatorSummary) -> str:
    from flask_babel import format_decimal

    unit = f" {item.indicator.unit}" if item.indicator.unit else ""
    latest = format_decimal(item.latest) if item.latest is not None else "–"
    if item.indicator.target is None:
        return f"{latest}{unit}"
    return f"{latest} / {format_decimal(item.indicator.target)}{unit}"


# --- An action ----------------------------------------------------------------------------------------

def _row(action: Action, *, edit: bool = False, errors: dict | None = None, values: dict | None = None,
         status: int = 200):
    plan = action.objective.plan
    return render_template(
        "plans/_row_form.html" if edit else "plans/_row.html", action=action, row=table.ActionRow.of(action),
        plan=plan, today=local_today(),
        names=display.people_named(current_user, action.owner_ids), can_update=_can("update", action),
        can_manage=_can("manage", action),
        people=service.assignable_people(current_user, plan.community) if edit else [],
        errors=errors or {}, values=values, action_form=ActionForm(), labels=display.STATUS_LABELS,
        priorities=display.PRIORITY_LABELS), status


@bp.route("/actions/<int:action_id>/ligne")
def row(action_id: int):
    action = service.get_action(current_user, action_id)
    if not is_htmx():
        return redirect(url_for("plans.action", action_id=action.id))
    edit = request.args.get("edit") == "1" and _can("update", action) and action.is_open
    return _row(action, edit=edit)


def _action_page(action: Action, *, form: str = "", errors: dict | None = None, status: int = 200,
                 keep_values: bool = True):
    plan = action.objective.plan
    changes = service.history(current_user, action)
    linked = service.links(current_user, action)
    can_link = _can("link", action)
    linked_keys = {(items.kind_of(item).name, item.id) for _row, item in linked}
    return render_template(
        "plans/action.html", action=action, plan=plan, community=plan.community, today=local_today(),
        names=display.people_named(current_user, action.owner_ids),
        history=display.history_lines(current_user, action, changes),
        links=[(row, items.title(item), items.url(item)) for row, item in linked],
        linkable=[entry for entry in display.linkable(current_user, plan.community)
                  if (entry[0], entry[1]) not in linked_keys] if can_link else [],
        people=service.assignable_people(current_user, plan.community),
        can_update=_can("update", action), can_manage=_can("manage", action), can_close=_can("close", action),
        can_link=can_link, can_record=_can("record", action),
        form=form, errors=errors or {}, values=request.form if form and keep_values else {},
        action_form=ActionForm(), labels=display.STATUS_LABELS, priorities=display.PRIORITY_LABELS,
        value_types=display.VALUE_TYPE_LABELS, open_statuses=OPEN_STATUSES, closed_statuses=CLOSED_STATUSES), status


@bp.route("/actions/<int:action_id>", methods=["GET", "POST"])
def action(action_id: int):
    item = service.get_action(current_user, action_id)
    if request.method == "GET":
        return _action_page(item)
    in_row = is_htmx() and request.form.get("row") == "1"
    data = _action_data()
    result, refused = _run(lambda: service.update_action(current_user, item, data,
                                                         row_version=request.form.get("row_version")))
    if refused is None:
        if in_row:
            return _row(result)
        flash(_("Action enregistrée."), "success")
        return redirect(url_for("plans.action", action_id=item.id))
    fresh = service.get_action(current_user, action_id)  # the refusal rolled back: the stored values
    if in_row:
        if refused.code == "stale_action":
            return _row(fresh, edit=True, errors={"": refused.message, "stale": "1"}, status=refused.status)
        return _row(fresh, edit=True, errors=_errors(refused), values=request.form, status=refused.status)
    return _action_page(fresh, form="edit", errors=_errors(refused), status=refused.status,
                        keep_values=refused.code != "stale_action")


@bp.route("/actions/<int:action_id>/cloture", methods=["POST"])
def close(action_id: int):
    item = service.get_action(current_user, action_id)
    _result, refused = _run(lambda: service.close_action(
        current_user, item, status=request.form.get("status", ""), result_note=request.form.get("result_note"),
        row_version=request.form.get("row_version")))
    if refused is not None:
        return _action_page(service.get_action(current_user, action_id), form="close", errors=_errors(refused),
                            status=refused.status)
    flash(_("Action close."), "success")
    return redirect(url_for("plans.action", action_id=action_id))


@bp.route("/actions/<int:action_id>/reouverture", methods=["POST"])
def reopen(action_id: int):
    item = service.get_action(current_user, action_id)
    _result, refused = _run(lambda: service.reopen_action(current_user, item,
                                                          row_version=request.form.get("row_version")))
    if refused is not None:
        return _action_page(service.get_action(current_user, action_id), form="reopen", errors=_errors(refused),
                            status=refused.status)
    flash(_("Action rouverte."), "success")
    return redirect(url_for("plans.action", action_id=action_id))


@bp.route("/actions/<int:action_id>/indicateurs", methods=["POST"])
def add_indicator(action_id: int):
    item = service.get_action(current_user, action_id)
    data = {name: request.form.get(name) for name in ("name", "unit", "value_type", "baseline", "target")}
    indicator, refused = _run(lambda: service.add_indicator(current_user, item, data))
    if refused is not None:
        return _action_page(service.get_action(current_user, action_id), form="indicator", errors=_errors(refused),
                            status=refused.status)
    flash(_("Indicateur « %(name)s » ajouté.", name=indicator.name), "success")
    return redirect(url_for("plans.action", action_id=action_id, _anchor=f"indicateur-{indicator.id}"))


@bp.route("/indicateurs/<int:indicator_id>/valeurs", methods=["POST"])
def record_value(indicator_id: int):
    indicator = service.get_indicator(current_user, indicator_id)
    action_id = indicator.action_id
    data = {name: request.form.get(name) for name in ("measured_on", "value", "source")}
    _row_value, refused = _run(lambda: service.record_value(current_user, indicator, data))
    if refused is not None:
        return _action_page(service.get_action(current_user, action_id), form=f"value-{indicator_id}",
                            errors=_errors(refused), status=refused.status)
    flash(_("Valeur enregistrée."), "success")
    return redirect(url_for("plans.action", action_id=action_id, _anchor=f"indicateur-{indicator_id}"))


@bp.route("/actions/<int:action_id>/liens", methods=["POST"])
def link(action_id: int):
    item = service.get_action(current_user, action_id)
    kind, _sep, item_id = (request.form.get("item") or "").partition("-")
    _result, refused = _run(lambda: service.link(current_user, item, kind or None, item_id))
    if refused is not None:
        errors = _errors(refused)
        said = errors.pop("item_id", "") or errors.pop("kind", "")
        errors.pop("kind", None)
        if said:
            errors["item"] = said
        return _action_page(service.get_action(current_user, action_id), form="link", errors=errors,
                            status=refused.status)
    flash(_("Lien ajouté."), "success")
    return redirect(url_for("plans.action", action_id=action_id, _anchor="liens"))


@bp.route("/actions/<int:action_id>/liens/<int:link_id>/retirer", methods=["POST"])
def unlink(action_id: int, link_id: int):
    item = service.get_action(current_user, action_id)
    _result, refused = _run(lambda: service.unlink(current_user, item, link_id))
    if refused is not None:
        return _action_page(service.get_action(current_user, action_id), form="unlink", errors=_errors(refused),
                            status=refused.status)
    flash(_("Lien retiré."), "success")
    return redirect(url_for("plans.action", action_id=action_id, _anchor="liens"))

