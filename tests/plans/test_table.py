"""A plan's table as its page reads it: light rows equal to the whole actions the service reads, a
page at a time; who may update each row decided once for the table and equal to the policy row by
row; the page's totals and page links keeping the filters and the order."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from rse.database import db as _db
from rse.i18n import local_today
from rse.permissions import Decision, decide
from rse.plans import access, table
from rse.plans import service as plans

ACTORS = ("admin", "animator", "member", "partner", "outsider", "stranger", "deactivated", "expired", "anonymous")


def _plan(world, space_name: str):
    """A plan of five actions owned by different people (one by nobody, one co-owned by the member),
    dated from today as the page reads it."""
    space = world.spaces[space_name]
    plan = plans.create_plan(world.animator, space, {"title": f"Plan {space_name}"})
    first = plans.add_objective(world.animator, plan, {"title": "Parcours"})
    second = plans.add_objective(world.animator, plan, {"title": "Qualité"})
    specs = [("Ouvrir des places", first, world.partner.id, [world.member.id], -5, "in_progress"),
             ("Signer la convention", first, world.member.id, [], -30, "not_started"),
             ("Former les équipes", second, world.member.id, [world.partner.id], 10, "not_started"),
             ("Auditer le circuit", second, None, [], 40, "not_started"),
             ("Réviser le plan bleu", first, world.animator.id, [], None, "in_progress")]
    for title, objective, owner, co_owners, due, status in specs:
        plans.create_action(world.animator, objective, {
            "title": title, "owner_id": owner, "co_owners": co_owners, "status": status,
            "due_date": (local_today() + timedelta(days=due)).isoformat() if due is not None else None})
    _db.session.commit()
    return plan


@pytest.mark.parametrize("space_name", ["private", "public"])
@pytest.mark.parametrize("actor_name", ACTORS)
def test_who_may_update_each_row_is_what_the_policy_says_row_by_row(world, actor_name, space_name):
    plan = _plan(world, space_name)
    actor = None if actor_name == "anonymous" else getattr(world, actor_name)
    actions = plans.plan_actions(world.admin, plan, today=local_today())
    rows = table.table_page(world.admin, plan, plans.Filters(), local_today()).rows
    expected = {a.id for a in actions if decide(actor, "update", a) is Decision.ALLOW}
    assert access.updatable_ids(actor, plan, rows) == expected
    assert access.updatable_ids(actor, plan, actions) == expected
    if actor_name in ("admin", "animator"):
        assert expected == {a.id for a in actions}  # the test can tell an animator from an owner
    if actor_name == "member" and space_name == "private":
        assert len(expected) == 3


@pytest.mark.parametrize("query", [
    {}, {"status": "late"}, {"status": "open"}, {"sort": "title", "order": "desc"}, {"sort": "owner"},
    {"sort": "objective"}, {"sort": "priority"}, {"sort": "status", "order": "desc"}, {"q": "convention"},
    {"due_within": "30"}, {"owner": "MEMBER"}])
def test_the_light_rows_are_the_actions_the_service_reads_in_the_same_order(world, query):
    plan = _plan(world, "private")
    filters = plans.clean_filters({k: str(world.member.id) if v == "MEMBER" else v for k, v in query.items()})
    actions = plans.plan_actions(world.member, plan, filters, local_today())
    shown = table.table_page(world.member, plan, filters, local_today())
    assert [row.id for row in shown.rows] == [a.id for a in actions]
    assert shown.total == len(actions) and shown.pages == 1
    for row, action in zip(shown.rows, actions, strict=True):
        assert (row.title, row.objective_title, row.owner_id, set(row.co_owner_ids), row.due_date, row.status,
                row.progress, row.priority, row.is_open, row.is_late(local_today())) == (
            action.title, action.objective.title, action.owner_id, action.co_owner_ids, action.due_date,
            action.status, action.progress, action.priority, action.is_open, action.is_late(local_today()))


def test_pages_of_the_table_and_a_page_past_the_last(world, monkeypatch):
    monkeypatch.setattr(table, "PAGE_SIZE", 2)
    plan = _plan(world, "private")
    every = [a.id for a in plans.plan_actions(world.member, plan, plans.Filters(sort="title"), local_today())]
    pages = [table.table_page(world.member, plan, plans.Filters(sort="title"), local_today(), page) for page in (1, 2, 3)]
    assert [row.id for page in pages for row in page.rows] == every
    assert [(p.total, p.pages, p.first, p.last) for p in pages] == [(5, 3, 1, 2), (5, 3, 3, 4), (5, 3, 5, 5)]
    assert [row.id for row in table.table_page(world.member, plan, plans.Filters(sort="title"), local_today(), 9).rows] \
        == every[4:]
    nothing = table.table_page(world.member, plan, plans.Filters(q="introuvable"), local_today())
    assert (nothing.rows, nothing.total, nothing.pages, nothing.first, nothing.last) == ([], 0, 1, 0, 0)


def test_the_page_shows_the_totals_and_page_links_that_keep_filters_and_order(world, login, monkeypatch):
    monkeypatch.setattr(table, "PAGE_SIZE", 2)
    plan = _plan(world, "private")
    client = login(world.member)
    mine = f"/plans/{plan.id}?sort=title&owner={world.member.id}"  # owned or co-owned: 3 of the 5
    page = html.unescape(client.get(mine).get_data(as_text=True))
    body = page.split("<tbody>")[-1]
    assert "3 actions · 1 à 2 affichées" in page
    assert body.index("Former les équipes") < body.index("Ouvrir des places")
    assert "Signer la convention" not in body and "Auditer le circuit" not in body
    assert 'aria-label="Pagination"' in page
    assert f'href="{mine}&page=2"' in page
    second = html.unescape(client.get(f"{mine}&page=2").get_data(as_text=True))
    assert "3 actions · 3 à 3 affichées" in second
    tail = second.split("<tbody>")[-1]
    assert "Signer la convention" in tail and "Former les équipes" not in tail
    # A new order starts again at the first page, its filters kept.
    assert f'href="/plans/{plan.id}?sort=due&owner={world.member.id}&order=asc"' in second
    # An odd page number is the first page; one past the last, the last.
    assert "1 à 2 affichées" in html.unescape(client.get(f"{mine}&page=abc").get_data(as_text=True))
    assert "3 à 3 affichées" in html.unescape(client.get(f"{mine}&page=40").get_data(as_text=True))
    # On the first page by title, the member updates « Former » (theirs), not « Auditer » (nobody's).
    every = html.unescape(client.get(f"/plans/{plan.id}?sort=title").get_data(as_text=True)).split("<tbody>")[-1]
    assert "Auditer le circuit" in every and every.count("/ligne?edit=1") == 1
    former = next(a.id for a in plans.plan_actions(world.admin, plan) if a.title == "Former les équipes")
    assert f"/actions/{former}/ligne?edit=1" in every
    assert body.count("/ligne?edit=1") == 2  # the member's own page: « Former » and « Ouvrir » (co-owned)


def test_a_url_maker_builds_what_url_for_does(app):
    from flask import url_for

    from rse.web import url_maker

    with app.test_request_context("/", base_url="http://maillage.example/rse"):
        page, form = url_maker("plans.action", "action_id"), url_maker("plans.row", "action_id", edit=1)
        for action_id in (1, 7, 987_654_321, 2**31 - 1):
            assert page(action_id) == url_for("plans.action", action_id=action_id)
            assert form(action_id) == url_for("plans.row", action_id=action_id, edit=1)
        assert page(7) == "/rse/actions/7"
