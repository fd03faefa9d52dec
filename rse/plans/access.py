"""The rules for action plans: they follow their space's.

Whoever reads a space reads its plans, objectives and actions; no one else learns they exist
(404). The animators (and administrators) create and change plans and objectives, create actions
and give them owners. An action's owner and co-owners update it, close it and record its
indicators' values; the space's commenters comment on it. A partner reads only the spaces they
belong to, so acts only on the actions of those.
"""

from __future__ import annotations

from sqlalchemy import false

from rse import permissions
from rse.communities.access import readable_community_ids
from rse.permissions import Decision, decide, readers

from .models import Action, Indicator, Objective, Plan

# What the owners and co-owners of an action may do on it (animators and admins may too).
_OWNER_ACTIONS = {"update", "close", "record", "link"}


def plan_policy(actor, action: str, plan: Plan) -> Decision:
    if actor is None or decide(actor, "read", plan.community) is not Decision.ALLOW:
        return Decision.HIDDEN
    if action == "read":
        return Decision.ALLOW
    if action == "manage":  # edit the plan, its objectives, create actions, import
        return decide(actor, "manage", plan.community)
    return Decision.DENY


def objective_policy(actor, action: str, objective: Objective) -> Decision:
    return plan_policy(actor, action, objective.plan)


def action_policy(actor, action: str, item: Action) -> Decision:
    community = item.objective.plan.community
    if actor is None or decide(actor, "read", community) is not Decision.ALLOW:
        return Decision.HIDDEN
    if action == "read":
        return Decision.ALLOW
    if action == "comment":
        return decide(actor, "comment", community)
    manages = decide(actor, "manage", community) is Decision.ALLOW
    if action == "manage":  # change owners, objective; delete
        return Decision.ALLOW if manages else Decision.DENY
    if action in _OWNER_ACTIONS:
        return Decision.ALLOW if manages or actor.id in item.owner_ids else Decision.DENY
    return Decision.DENY


def updatable_ids(actor, plan: Plan, rows) -> set[int]:
    """The ids of `rows` (actions of `plan`, or light rows with `id` and `owner_ids`) the actor may
    update: row by row the same answer as `decide(actor, "update", action)`, with the space's rules
    asked once for the whole table rather than once per row."""
    actor = permissions.effective_actor(actor)
    if actor is None or decide(actor, "read", plan.community) is not Decision.ALLOW:
        return set()
    if decide(actor, "manage", plan.community) is Decision.ALLOW:
        return {row.id for row in rows}
    return {row.id for row in rows if actor.id in row.owner_ids}


def indicator_policy(actor, action: str, indicator: Indicator) -> Decision:
    """An indicator is read as its action is; its values are recorded by who updates the action."""
    return action_policy(actor, "read" if action == "read" else "record", indicator.action)


def readable_plans(actor):
    if actor is None:
        return false()
    return Plan.community_id.in_(readable_community_ids(actor))


def readable_actions(actor):
    if actor is None:
        return false()
    return Action.community_id.in_(readable_community_ids(actor))


def plan_readers(plan: Plan):
    return readers(plan.community)


def action_readers(action: Action):
    return readers(action.objective.plan.community)


def register() -> None:
    """Hand these rules to the permission layer (called by the package's init_app)."""
    permissions.register(Plan, policy=plan_policy, visible=readable_plans, readable=readable_plans,
                         readers=plan_readers)
    permissions.register(Objective, policy=objective_policy)
    permissions.register(Action, policy=action_policy, visible=readable_actions, readable=readable_actions,
                         readers=action_readers)
    permissions.register(Indicator, policy=indicator_policy)
