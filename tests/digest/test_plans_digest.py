"""Actions of plans in the digest: « Vos actions » (one's open actions due within two weeks or late,
late first) and, for animators, « Actions en retard dans vos espaces » (capped, with a count); only
from the spaces the person belongs to, read in one query per section for a whole batch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from rse.database import db
from rse.digest import rendering
from rse.digest.selection import LATE_ACTIONS
from rse.i18n import local_today
from rse.plans import service as plans

from .conftest import settle
from .test_selection import digest_of, digests_of, titles


@pytest.fixture
def cpom(create_user, create_community):
    """A CPOM space: its animator, a partner owner, a member co-owner, a reader; and a second space."""
    people = {name: create_user(role, name=label) for name, role, label in (
        ("animator", "staff", "Anne Animatrice"), ("owner", "partner", "Paul Partenaire"),
        ("co", "staff", "Claire Coresponsable"), ("reader", "staff", "Rémi Lecteur"),
        ("other", "staff", "Odile Ailleurs"))}
    space = create_community(people["animator"], name="CPOM", members=[
        (people[n], "member") for n in ("owner", "co", "reader")])
    elsewhere = create_community(people["other"], name="Qualité", members=[(people["co"], "member")])
    plan = plans.create_plan(people["animator"], space, {"title": "Plan CPOM"})
    objective = plans.add_objective(people["animator"], plan, {"title": "Parcours"})
    today = local_today()

    def action(title, days, owner="owner", co=("co",), where=objective, by="animator"):
        return plans.create_action(people[by], where, {
            "title": title, "owner_id": people[owner].id, "co_owners": [people[c].id for c in co],
            "due_date": (today + timedelta(days=days)).isoformat()})

    action("Ouvrir 10 places", 10)
    action("Recruter une IDE", -3)
    action("Réviser le projet", 40)      # too far
    done = action("Signer l'avenant", 2)
    action("Former les équipes", -1, co=())
    other_plan = plans.create_plan(people["other"], elsewhere, {"title": "PAQSS"})
    other_objective = plans.add_objective(people["other"], other_plan, {"title": "Qualité"})
    action("Audit des armoires", -5, owner="other", co=("co",), where=other_objective, by="other")
    db.session.commit()
    plans.close_action(people["owner"], done, status="done", result_note="Signé", row_version=done.row_version)
    db.session.commit()
    settle()
    return people, space


def test_your_actions_lists_ones_own_due_soon_or_late_late_first(cpom):
    people, _space = cpom
    owner = digest_of(people["owner"])
    assert [(e.title, e.note.split(" · ")[0].split(" : ")[0]) for e in owner.my_actions] == [
        ("Recruter une IDE", "En retard"), ("Former les équipes", "En retard"),
        ("Ouvrir 10 places", "Échéance le " + owner.my_actions[2].note.split("Échéance le ")[1].split(" · ")[0])]
    assert owner.my_actions[0].note.endswith(" · Plan CPOM") and owner.late_actions == []
    assert not owner.is_empty  # an actions section alone makes a digest worth sending
    # The co-owner gets their own, in both spaces they belong to; the reader none.
    assert titles(digest_of(people["co"]).my_actions) == ["Audit des armoires", "Recruter une IDE",
                                                          "Ouvrir 10 places"]
    reader = digest_of(people["reader"])
    assert reader.my_actions == [] and reader.late_actions == [] and reader.is_empty


def test_animators_see_the_late_actions_of_their_spaces_only(cpom):
    people, _space = cpom
    animator = digest_of(people["animator"])
    assert titles(animator.late_actions) == ["Recruter une IDE", "Former les équipes"]
    assert animator.late_actions[0].author == "Paul Partenaire" and animator.late_actions_more == 0
    # The other space's animator never sees the CPOM's.
    assert titles(digest_of(people["other"]).late_actions) == []  # theirs is among « Vos actions »
    assert titles(digest_of(people["other"]).my_actions) == ["Audit des armoires"]


def test_the_late_section_is_capped_and_counts_the_rest(cpom):
    people, space = cpom
    objective = plans.plans_of(people["animator"], space)[0].objectives[0]
    for n in range(LATE_ACTIONS + 2):
        plans.create_action(people["animator"], objective, {"title": f"Retard {n:02d}", "owner_id": people["reader"].id,
                                                            "due_date": (local_today() - timedelta(days=20)).isoformat()})
    db.session.commit()
    animator = digest_of(people["animator"])
    assert len(animator.late_actions) == LATE_ACTIONS and animator.late_actions_more == 4
    text, html = parts_of(animator)
    assert "== Actions en retard dans vos espaces ==" in text and "et 4 autres actions en retard" in text
    assert "Actions en retard dans vos espaces" in html


def parts_of(digest):
    rendered = rendering.render(digest)
    return rendered.text, rendered.html


def test_the_email_shows_your_actions_with_links(cpom):
    people, _space = cpom
    text, html = parts_of(digest_of(people["owner"]))
    assert "== Vos actions ==" in text and "- Recruter une IDE" in text and "/actions/" in text
    assert ">Vos actions</h2>" in html and "Recruter une IDE" in html


def test_one_query_per_section_whatever_the_batch(cpom, create_user):
    people, _space = cpom
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    few = list(people.values())
    more = [*few, *(create_user("staff") for _ in range(5))]
    db.session.commit()
    assert all(person.name for person in more)  # loaded before counting
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        digests_of(*few)
        small = list(statements)
        statements.clear()
        digests_of(*more)
        large = list(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # The two action sections: one query each, for five people as for ten.
    assert len([q for q in small if "plan_actions" in q]) == len([q for q in large if "plan_actions" in q]) == 2


def test_the_preview_shows_the_actions_section(cpom, login):
    people, _space = cpom
    browser = login(people["owner"])
    assert "Votre prochaine lettre" in browser.get("/digest/preview").get_data(as_text=True)
    email = browser.get("/digest/preview/courriel").get_data(as_text=True)
    assert "Vos actions" in email and "Recruter une IDE" in email
