"""`flask rse demo` loads the CPOM's follow-up table and the hygiene team's PAQSS through the plans'
service: late, done, abandoned and open actions, owners among the partners, indicators with values,
and the space's rules for who reads them."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from rse import permissions
from rse.accounts.models import User
from rse.communities.models import Community
from rse.errors import PermissionDenied
from rse.i18n import local_today
from rse.plans import service as plans
from rse.plans.demo import _quarter_ends
from rse.plans.models import ActionChange, Plan
from tests.conftest import PASSWORD

pytestmark = pytest.mark.slow  # each test loads the whole demo

CPOM_PLAN, HYGIENE_PLAN = "Plan d'actions CPOM 2026-2030", "PAQSS 2027 – hygiène"
CLAIRE, JULIEN, NADIA = "claire.martin@ght-exemple.fr", "julien.moreau@ght-exemple.fr", "nadia.lefevre@ght-exemple.fr"
MARC, HELENE = "marc.rousseau@ars-exemple.fr", "helene.garnier@ehpad-tilleuls.fr"
OCCUPANCY = "Taux d'occupation de l'hébergement temporaire"


@pytest.fixture
def demo(runner, db):
    result = runner.invoke(args=["rse", "demo", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    return {plan.title: plan for plan in db.session.scalars(select(Plan))}


def _user(db, email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def test_the_cpom_space_has_its_plan_with_late_done_and_abandoned_actions(demo, db):
    plan = demo[CPOM_PLAN]
    assert plan.community.name == "CPOM 2026 – EHPAD Les Tilleuls"
    assert [o.title for o in plan.objectives] == [
        "Améliorer l'accès aux soins des personnes âgées", "Renforcer la qualité et la sécurité des prises en charge",
        "Optimiser l'efficience", "Développer les partenariats territoriaux"]
    claire, today = _user(db, CLAIRE), local_today()
    actions = plans.plan_actions(claire, plan)
    assert 15 <= len(actions) <= 20
    late = plans.plan_actions(claire, plan, plans.Filters(status="late"))
    assert len(late) >= 3 and all(a.is_open and a.due_date < today for a in late)
    assert {a.status for a in late} == {"not_started", "in_progress"}
    done = [a for a in actions if a.status == "done"]
    assert len(done) >= 3 and all(a.result_note and a.progress == 100 and a.closed_at for a in done)
    assert all(a.closed_at.date() <= a.due_date for a in done)  # closed in time, on a day in the past
    (abandoned,) = [a for a in actions if a.status == "abandoned"]
    assert "surcoût" in abandoned.result_note
    started = [a for a in actions if a.status == "in_progress" and not a.is_late(today)]
    assert started and all(0 < a.progress < 100 for a in started)
    assert any(a.status == "not_started" and a.start_date > today for a in actions)
    assert {a.priority for a in actions} == {"low", "normal", "high"}
    assert all(a.start_date <= a.due_date for a in actions)
    summary = plans.summary(claire, plan)
    assert summary.total == len(actions) and len(summary.late) == len(late) and summary.due_soon


def test_the_history_is_the_owners_own(demo, db):
    plan = demo[CPOM_PLAN]
    claire, helene = _user(db, CLAIRE), _user(db, HELENE)
    (action,) = [a for a in plans.plan_actions(claire, plan) if a.title.startswith("Mettre à jour le plan bleu")]
    changes = plans.history(claire, action)
    assert [(c.event, c.user_id) for c in reversed(changes)] == [
        ("created", claire.id), ("updated", helene.id), ("closed", helene.id)]
    assert db.session.scalar(select(ActionChange.id).where(ActionChange.user_id == _user(db, MARC).id)) is not None


def test_the_occupancy_indicator_has_quarterly_values_towards_its_target(demo, db):
    claire = _user(db, CLAIRE)
    indicators = {s.indicator.name: s for s in plans.summary(claire, demo[CPOM_PLAN]).indicators}
    occupancy = indicators[OCCUPANCY]
    assert (occupancy.indicator.unit, occupancy.indicator.value_type) == ("%", "percent")
    assert (occupancy.indicator.baseline, occupancy.indicator.target) == (62, 85)
    values = occupancy.indicator.values
    assert len(values) == 4 and all(v.source == "Tableau de bord ANAP" for v in values)
    assert [v.measured_on for v in values] == sorted(v.measured_on for v in values)
    assert values[-1].measured_on < local_today() and 0 < occupancy.ratio < 1
    places = indicators["Places ouvertes"].indicator
    assert places.value_type == "integer" and [v.value for v in places.values] == [2, 4]


def test_marc_owns_cpom_actions_and_sees_them_among_his_actions(demo, db):
    marc = _user(db, MARC)
    assert marc.is_partner
    mine = plans.my_actions(marc)
    owned = [a for a in mine if a.owner_id == marc.id]
    assert len(owned) >= 2
    assert {a.objective.plan.title for a in owned} == {CPOM_PLAN}
    assert all(a.is_open for a in mine)
    # He co-owns one in the hygiene space too, where he only reads: "my actions" spans both.
    assert {a.objective.plan.title for a in mine} == {CPOM_PLAN, HYGIENE_PLAN}
    assert all(permissions.can(marc, "update", a) for a in owned)


def test_nadia_follows_actions_in_two_spaces(demo, db):
    nadia = _user(db, NADIA)
    assert {a.objective.plan.title for a in plans.my_actions(nadia)} == {CPOM_PLAN, HYGIENE_PLAN}


def test_a_staff_member_outside_the_cpom_space_does_not_read_its_plan(demo, db):
    julien = _user(db, JULIEN)
    plan = demo[CPOM_PLAN]
    with pytest.raises(PermissionDenied) as refused:
        plans.get_plan(julien, plan.id)
    assert refused.value.hidden  # told it does not exist, as for a plan that does not
    assert not permissions.can(julien, "read", plan)
    assert plans.my_actions(julien) == []
    hygiene = db.session.scalars(select(Community).where(Community.name == "Hygiène – protocoles GHT")).one()
    assert [p.title for p in plans.plans_of(julien, hygiene)] == [HYGIENE_PLAN]  # a public space's plan he reads


@pytest.mark.parametrize(("today", "ends"), [
    (date(2027, 1, 1), [date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)]),
    (date(2026, 12, 31), [date(2025, 12, 31), date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30)]),
    (date(2028, 3, 1), [date(2027, 3, 31), date(2027, 6, 30), date(2027, 9, 30), date(2027, 12, 31)]),
])
def test_the_indicator_values_fall_on_the_quarters_before_the_loading_day(today, ends):
    assert _quarter_ends(today, 4) == ends
