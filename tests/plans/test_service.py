"""Action plans' services: plans, objectives and actions, the version check, the history, closing
with a result, indicators and their values, and every refusal changing nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from rse import signals
from rse.database import db as _db
from rse.documents import service as documents
from rse.errors import Conflict, NotFound, PermissionDenied, Unauthorized, ValidationError
from rse.plans import service as plans
from rse.plans.models import Action, ActionChange, IndicatorValue

TODAY = date(2026, 12, 7)


@pytest.fixture
def cpom(world):
    """The private space's CPOM plan: one objective, one action owned by the partner with the member
    as co-owner, created by the animator."""
    space = world.spaces["private"]
    plan = plans.create_plan(world.animator, space, {"title": "Plan d'actions CPOM 2026-2030"})
    objective = plans.add_objective(world.animator, plan, {"title": "Améliorer le parcours"})
    action = plans.create_action(world.animator, objective, {
        "title": "Ouvrir 10 places d'hébergement temporaire", "owner_id": world.partner.id,
        "co_owners": [world.member.id], "start_date": "2026-01-15", "due_date": "2026-06-30", "progress": "20",
        "status": "in_progress", "priority": "high"})
    _db.session.commit()
    return plan, objective, action


@pytest.fixture
def events():
    seen = []

    def receive(action, **extra):
        seen.append((action.id, extra["event"], extra["user_ids"]))

    signals.plan_action_event.connect(receive)
    yield seen
    signals.plan_action_event.disconnect(receive)


def _count(model, *where) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


def _state(action: Action) -> dict:
    _db.session.expire_all()
    row = _db.session.get(Action, action.id)
    return {name: getattr(row, name) for name in ("title", "status", "progress", "start_date", "due_date",
                                                   "owner_id", "row_version", "result_note")} | {
        "co_owners": row.co_owner_ids, "changes": _count(ActionChange, ActionChange.action_id == action.id)}


def test_an_animator_builds_a_plan_and_the_owners_are_told(world, events):
    space = world.spaces["private"]
    plan = plans.create_plan(world.animator, space, {"title": "PAQSS 2027", "description": "Qualité"})
    objective = plans.add_objective(world.animator, plan, {"title": "Sécuriser le circuit du médicament"})
    action = plans.create_action(world.animator, objective, {
        "title": "Audit des armoires", "owner_id": world.partner.id, "co_owners": [world.member.id],
        "due_date": date(2027, 3, 31)})
    _db.session.commit()
    assert action.community_id == space.id and action.plan_id == plan.id
    assert action.status == "not_started" and action.progress == 0 and action.row_version == 1
    assert action.owner_ids == {world.partner.id, world.member.id}
    assert [(e, ids) for _id, e, ids in events] == [("created", set()), ("assigned", {world.partner.id,
                                                                                       world.member.id})]
    (created,) = plans.history(world.member, action)
    assert created.event == "created" and created.changes["due_date"] == "2027-03-31"
    assert [p.title for p in plans.plans_of(world.partner, space)] == ["PAQSS 2027"]


def test_an_owner_updates_their_action_and_each_change_is_kept(world, cpom, events):
    _plan, _objective, action = cpom
    plans.update_action(world.partner, action, {"progress": 60, "due_date": "2026-07-15"}, row_version=1)
    _db.session.commit()
    assert action.progress == 60 and action.due_date == date(2026, 7, 15) and action.row_version == 2
    last = plans.history(world.animator, action)[0]
    assert last.event == "updated" and last.user_id == world.partner.id
    assert last.changes == {"progress": [20, 60], "due_date": ["2026-06-30", "2026-07-15"]}
    # The same values again change nothing and add no history.
    plans.update_action(world.partner, action, {"progress": "60"}, row_version=2)
    assert action.row_version == 2 and len(plans.history(world.animator, action)) == 2


def test_a_stale_version_is_refused_and_changes_nothing(world, cpom):
    _plan, _objective, action = cpom
    plans.update_action(world.partner, action, {"progress": 40}, row_version=1)
    _db.session.commit()
    before = _state(action)
    with pytest.raises(Conflict) as refused:
        plans.update_action(world.member, action, {"progress": 90}, row_version=1)
    assert refused.value.code == "stale_action"
    _db.session.rollback()
    assert _state(action) == before


def test_a_write_that_loses_the_race_after_its_check_is_refused_too(world, cpom):
    """The version check passed, then another writer committed first: the database says so."""
    _plan, _objective, action = cpom
    loaded = _db.session.get(Action, action.id)
    assert loaded.row_version == 1
    with _db.engine.begin() as other:  # another request, committed
        other.execute(update(Action.__table__).where(Action.__table__.c.id == action.id)
                      .values(row_version=2, progress=75))
    with pytest.raises(Conflict) as refused:
        plans.update_action(world.partner, loaded, {"progress": 30}, row_version=1)
    assert refused.value.code == "stale_action"
    assert _state(action)["progress"] == 75


def test_closing_asks_for_the_result_and_reopening_keeps_it(world, cpom, events):
    _plan, _objective, action = cpom
    before = _state(action)
    with pytest.raises(ValidationError) as refused:
        plans.close_action(world.partner, action, status="done", result_note="  ", row_version=1)
    assert "result_note" in refused.value.fields
    with pytest.raises(ValidationError) as refused:
        plans.update_action(world.partner, action, {"status": "done"}, row_version=1)
    assert refused.value.code == "result_note_required"
    _db.session.rollback()
    assert _state(action) == before
    plans.close_action(world.partner, action, status="done", result_note="10 places ouvertes en juin.", row_version=1)
    _db.session.commit()
    assert action.status == "done" and action.progress == 100 and action.closed_at is not None
    assert events[-1][1] == "done"
    with pytest.raises(Conflict):
        plans.close_action(world.partner, action, status="abandoned", result_note="?", row_version=2)
    plans.reopen_action(world.animator, action, row_version=2)
    assert action.status == "in_progress" and action.closed_at is None
    assert action.result_note == "10 places ouvertes en juin."
    assert [c.event for c in plans.history(world.member, action)] == ["reopened", "closed", "created"]


@pytest.mark.parametrize("data, field", [
    ({"start_date": "2026-08-01"}, "due_date"),            # after the due date (2026-06-30)
    ({"due_date": "2026-01-01"}, "due_date"),              # before the start (2026-01-15)
    ({"due_date": "30/06/2026"}, "due_date"),
    ({"progress": 101}, "progress"), ({"progress": -1}, "progress"), ({"progress": "abc"}, "progress"),
    ({"progress": True}, "progress"), ({"progress": 50.5}, "progress"),
    ({"status": "late"}, "status"), ({"priority": "urgent"}, "priority"),
    ({"title": ""}, "title"), ({"title": "x" * 201}, "title"), ({"title": "a\u202eb"}, "title"),
])
def test_bad_input_on_an_action_names_the_field_and_changes_nothing(world, cpom, data, field):
    _plan, _objective, action = cpom
    before = _state(action)
    with pytest.raises(ValidationError) as refused:
        plans.update_action(world.partner, action, data, row_version=1)
    assert field in refused.value.fields
    _db.session.rollback()
    assert _state(action) == before


def test_an_owner_must_be_a_member_and_no_one_learns_who_exists(world, cpom, create_user):
    _plan, objective, action = cpom
    stranger_message = None
    for who in (world.outsider.id, world.stranger.id, 999_999, "abc", world.deactivated.id):
        with pytest.raises(ValidationError) as refused:
            plans.update_action(world.animator, action, {"owner_id": who}, row_version=1)
        message = refused.value.fields["owner_id"]
        stranger_message = stranger_message or message
        assert message == stranger_message, who
    with pytest.raises(ValidationError):
        plans.create_action(world.animator, objective, {"title": "X", "co_owners": [world.outsider.id]})
    _db.session.rollback()
    assert _count(Action) == 1


def test_only_animators_change_owners_and_objectives(world, cpom):
    _plan, _objective, action = cpom
    with pytest.raises(ValidationError) as refused:
        plans.update_action(world.partner, action, {"owner_id": world.member.id}, row_version=1)
    assert refused.value.code == "managers_only"
    plans.update_action(world.animator, action, {"owner_id": world.member.id, "co_owners": []}, row_version=1)
    assert action.owner_ids == {world.member.id}


def test_the_owner_is_never_also_a_co_owner(world, cpom):
    _plan, objective, action = cpom  # owned by the partner, co-owned by the member
    both = plans.create_action(world.animator, objective, {"title": "Y", "owner_id": world.member.id,
                                                          "co_owners": [world.member.id, world.partner.id]})
    assert (both.owner_id, both.co_owner_ids) == (world.member.id, {world.partner.id})
    # The co-owner made owner leaves the co-owners; the former owner is not added to them.
    plans.update_action(world.animator, action, {"owner_id": world.member.id}, row_version=1)
    assert (action.owner_id, action.co_owner_ids) == (world.member.id, set())
    (change, *_rest) = plans.history(world.animator, action)
    assert change.changes["co_owners"] == [[world.member.id], []]


def test_indicators_take_values_of_their_type_only(world, cpom):
    _plan, _objective, action = cpom
    beds = plans.add_indicator(world.partner, action, {"name": "Places ouvertes", "unit": "places",
                                                       "value_type": "integer", "baseline": "0", "target": "10"})
    rate = plans.add_indicator(world.partner, action, {"name": "Taux d'occupation", "unit": "%",
                                                       "value_type": "percent", "baseline": 70, "target": 90})
    plans.record_value(world.partner, beds, {"measured_on": "2026-03-31", "value": "4", "source": "Tableau ARS"})
    plans.record_value(world.member, rate, {"measured_on": "2026-03-31", "value": "82,5"})
    _db.session.commit()
    assert [v.value for v in beds.values] == [4.0] and rate.latest.value == 82.5
    assert plans.progress_ratio(beds, 4.0) == pytest.approx(0.4)
    assert plans.progress_ratio(rate, 82.5) == pytest.approx(0.625)
    for indicator, data, field in (
            (beds, {"measured_on": "2026-04-30", "value": "2.5"}, "value"),
            (rate, {"measured_on": "2026-04-30", "value": 120}, "value"),
            (beds, {"measured_on": "2026-04-30", "value": "beaucoup"}, "value"),
            (beds, {"measured_on": "2026-04-30", "value": float("nan")}, "value"),
            (beds, {"measured_on": "", "value": 3}, "measured_on"),
            (beds, {"measured_on": "2026-04-31", "value": 3}, "measured_on")):
        with pytest.raises(ValidationError) as refused:
            plans.record_value(world.partner, indicator, data)
        assert field in refused.value.fields, data
    with pytest.raises(ValidationError):
        plans.add_indicator(world.partner, action, {"name": "Lits", "value_type": "integer", "target": "7.5"})
    _db.session.rollback()
    assert _count(IndicatorValue) == 2


def test_the_table_filters_and_sorts(world, cpom):
    plan, objective, first = cpom
    second = plans.create_action(world.animator, objective, {"title": "Former les équipes", "owner_id":
                                                             world.member.id, "due_date": "2026-12-01"})
    third = plans.create_action(world.animator, objective, {"title": "Bilan annuel", "due_date": "2026-12-20"})
    _db.session.commit()
    ids = lambda **f: [a.id for a in plans.plan_actions(world.member, plan, plans.clean_filters(f), today=TODAY)]  # noqa: E731
    assert ids() == [first.id, second.id, third.id]
    assert ids(status="late") == [first.id, second.id]
    assert ids(owner=str(world.member.id)) == [first.id, second.id]  # a co-owner counts
    assert ids(due_within="30") == [third.id]
    assert ids(q="équipes") == [second.id]
    assert ids(sort="title") == [third.id, second.id, first.id]
    assert ids(sort="due", order="desc")[0] == third.id
    for bad in ({"status": "bientôt"}, {"sort": "couleur"}, {"owner": "x"}, {"due_within": "-3"},
                {"due_within": "9999"}):
        with pytest.raises(ValidationError):
            plans.clean_filters(bad)
    summary = plans.summary(world.member, plan, today=TODAY)
    assert summary.total == 3 and {a.id for a in summary.late} == {first.id, second.id}
    assert [a.id for a in summary.due_soon] == [third.id]
    assert summary.by_status["in_progress"] == 1 and summary.by_status["not_started"] == 2
    assert [a.id for a in plans.my_actions(world.member, today=TODAY)] == [first.id, second.id]
    assert plans.my_actions(world.outsider, today=TODAY) == []


# --- The permission matrix ------------------------------------------------------------------------

ACTORS = ("admin", "animator", "member", "partner", "outsider", "stranger", "deactivated", "expired", "anonymous")
# private space: read the plan / manage it / update the action (the partner owns it) / comment
EXPECTED = {
    "admin": ("allow", "allow", "allow", "allow"),
    "animator": ("allow", "allow", "allow", "allow"),
    "member": ("allow", "deny", "allow", "allow"),      # co-owner
    "partner": ("allow", "deny", "allow", "allow"),     # owner
    "outsider": ("hidden", "hidden", "hidden", "hidden"),
    "stranger": ("hidden", "hidden", "hidden", "hidden"),
    "deactivated": ("hidden", "hidden", "hidden", "hidden"),
    "expired": ("hidden", "hidden", "hidden", "hidden"),
    "anonymous": ("hidden", "hidden", "hidden", "hidden"),
}


@pytest.mark.parametrize("actor_name", ACTORS)
def test_permission_matrix(world, cpom, actor_name):
    from rse.permissions import decide

    plan, objective, action = cpom
    actor = None if actor_name == "anonymous" else getattr(world, actor_name)
    got = (decide(actor, "read", plan).value, decide(actor, "manage", plan).value,
           decide(actor, "update", action).value, decide(actor, "comment", action).value)
    assert got == EXPECTED[actor_name]
    # The services say the same: 404 for the hidden, 403 (or 401 for nobody) for the refused.
    if got[0] == "hidden":
        with pytest.raises((Unauthorized, PermissionDenied)) as refused:
            plans.get_action(actor, action.id)
        assert refused.value.status == (401 if actor is None or not actor.is_active else 404)
    else:
        assert plans.get_action(actor, action.id) is action
    if got[1] != "allow":
        with pytest.raises((PermissionDenied, NotFound, Unauthorized)):
            plans.create_action(actor, objective, {"title": "Intruse"})
    if got[2] == "deny":
        with pytest.raises(PermissionDenied):
            plans.update_action(actor, action, {"progress": 99}, row_version=1)
    _db.session.rollback()
    assert _count(Action) == 1 and _state(action)["progress"] == 20


def test_a_staff_outsider_reads_a_public_plan_but_acts_on_nothing(world):
    space = world.spaces["public"]
    plan = plans.create_plan(world.animator, space, {"title": "Plan public"})
    objective = plans.add_objective(world.animator, plan, {"title": "Objectif"})
    action = plans.create_action(world.animator, objective, {"title": "Action", "owner_id": world.member.id})
    _db.session.commit()
    assert plans.get_action(world.outsider, action.id) is action
    for call in (lambda: plans.update_action(world.outsider, action, {"progress": 5}, row_version=1),
                 lambda: plans.add_objective(world.outsider, plan, {"title": "Non"})):
        with pytest.raises(PermissionDenied):
            call()
    # The stranger (a partner outside the space) does not learn it exists.
    with pytest.raises(PermissionDenied) as refused:
        plans.get_plan(world.stranger, plan.id)
    assert refused.value.status == 404
    assert plans.my_actions(world.member, today=TODAY + timedelta(days=1))[0].id == action.id


def test_links_go_only_to_the_spaces_own_items_and_say_the_same_for_the_rest(world, cpom, create_document, publish):
    _plan, _objective, action = cpom
    own = create_document(world.spaces["private"], world.member, title="Diagnostic partagé")
    elsewhere = create_document(world.spaces["secret"], world.animator, title="Note secrète")
    minutes = publish(world.member, world.spaces["private"], "post", body="Compte rendu du comité")
    plans.link(world.partner, action, "document", own.id)
    plans.link(world.partner, action, "publication", minutes.id)
    plans.link(world.partner, action, "document", own.id)  # twice is once
    _db.session.commit()
    assert [(row.document_id, row.publication_id) for row, _item in plans.links(world.member, action)] == [
        (own.id, None), (None, minutes.id)]
    messages = set()
    for kind, item_id in (("document", elsewhere.id), ("document", 999_999), ("document", "x"),
                          ("publication", elsewhere.id)):
        with pytest.raises(ValidationError) as refused:
            plans.link(world.partner, action, kind, item_id)
        messages.add(refused.value.fields["item_id"])
    assert len(messages) == 1  # a secret space's document is refused as a missing one
    with pytest.raises(ValidationError):
        plans.link(world.partner, action, "comment", 1)
    with pytest.raises(PermissionDenied):
        plans.link(world.outsider, action, "document", own.id)
    first = plans.links(world.member, action)[0][0]
    plans.unlink(world.partner, action, first.id)
    _db.session.commit()
    assert [e.event for e in plans.history(world.member, action)][:3] == ["unlinked", "linked", "linked"]


def test_the_history_names_a_linked_item_only_while_its_reader_may_read_it(world, cpom, create_document, api,
                                                                          login):
    _plan, _objective, action = cpom
    own = create_document(world.spaces["private"], world.member, title="Diagnostic confidentiel")
    plans.link(world.partner, action, "document", own.id)
    _db.session.commit()
    history = api(world.member).get(f"/api/v1/actions/{action.id}/history").json["items"]
    assert history[0]["changes"] == {"kind": "document", "id": own.id, "title": "Diagnostic confidentiel"}
    documents.trash_document(world.member, own)
    _db.session.commit()
    # In the trash, it is named only to who may restore it (its author, the animators), by page or API.
    for reader, title in ((world.partner, None), (world.member, "Diagnostic confidentiel")):
        history = api(reader).get(f"/api/v1/actions/{action.id}/history").json["items"]
        assert history[0]["changes"] == {"kind": "document", "id": own.id, "title": title}
    page = login(world.partner).get(f"/actions/{action.id}").get_data(as_text=True)
    assert "Lien ajouté : un document ou une publication" in page and "confidentiel" not in page
    # Stored as the item, never as its title.
    assert "title" not in _db.session.scalar(select(ActionChange).where(ActionChange.event == "linked")).changes
