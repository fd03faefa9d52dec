"""The pages of action plans: a space's plans, a plan's table (filters, sorting, edits in place with
htmx and their refusals), the timeline, the summary, an action's page and its forms, « Mes actions »
on the home page; who sees what, and bad input said in words that changes nothing."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from rse.database import db as _db
from rse.dbtypes import utcnow
from rse.i18n import local_today
from rse.plans import service as plans
from rse.plans.models import Action, ActionChange, ActionLink, Indicator, IndicatorValue, Objective, Plan

HX = {"HX-Request": "true"}


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _count(model, *where) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def cpom(world):
    """The private space's CPOM plan: two objectives; a late action owned by the partner with the member
    as co-owner, one done, one in the second objective with an indicator."""
    space = world.spaces["private"]
    today = local_today()
    plan = plans.create_plan(world.animator, space, {"title": "Plan d'actions CPOM 2026-2030",
                                                     "description": "Suivi avec l'agence"})
    first = plans.add_objective(world.animator, plan, {"title": "Améliorer le parcours"})
    second = plans.add_objective(world.animator, plan, {"title": "Renforcer la qualité"})
    late = plans.create_action(world.animator, first, {
        "title": "Ouvrir 10 places d'hébergement temporaire", "owner_id": world.partner.id,
        "co_owners": [world.member.id], "start_date": today - timedelta(days=90),
        "due_date": today - timedelta(days=5), "progress": "20", "status": "in_progress", "priority": "high"})
    done = plans.create_action(world.animator, first, {"title": "Signer la convention", "owner_id": world.member.id,
                                                       "due_date": today - timedelta(days=30)})
    plans.close_action(world.animator, done, status="done", result_note="Signée le 3 mars", row_version=1)
    soon = plans.create_action(world.animator, second, {
        "title": "Former les équipes de nuit", "owner_id": world.member.id, "start_date": today,
        "due_date": today + timedelta(days=10)})
    indicator = plans.add_indicator(world.animator, soon, {"name": "Agents formés", "unit": "agents",
                                                          "value_type": "integer", "baseline": 0, "target": 40})
    plans.record_value(world.animator, indicator, {"measured_on": today.isoformat(), "value": 12,
                                                   "source": "Tableau RH"})
    _db.session.commit()
    return plan, late, done, soon


def _deactivated_client(world, login):
    """The deactivated member's session, opened while the account was active."""
    world.deactivated.deactivated_at = None
    _db.session.commit()
    client = login(world.deactivated)
    world.deactivated.deactivated_at = utcnow()
    _db.session.commit()
    return client


# --- Happy paths ------------------------------------------------------------------------------------

def test_the_space_page_leads_to_its_plans_and_an_animator_creates_one(world, cpom, login):
    _plan, *_ = cpom
    space = world.spaces["private"]
    client = login(world.animator)
    assert f"/espaces/{space.id}/plans" in _text(client.get(f"/espaces/{space.id}"))
    page = _text(client.get(f"/espaces/{space.id}/plans"))
    assert "Plan d'actions CPOM 2026-2030" in page
    assert "3 actions" in page and "1 en retard" in page and "Réalisée : 1" in page
    response = client.post(f"/espaces/{space.id}/plans", data={"title": "PAQSS 2027", "description": "Qualité"})
    assert response.status_code == 302
    created = _db.session.scalar(select(Plan).where(Plan.title == "PAQSS 2027"))
    assert response.headers["Location"].endswith(f"/plans/{created.id}")
    assert "Ajoutez d'abord un objectif" in _text(client.get(f"/plans/{created.id}"))


def test_the_plan_table_shows_each_action_with_its_late_badge_and_names(world, cpom, login):
    plan, _late, _done, _soon = cpom
    page = _text(login(world.member).get(f"/plans/{plan.id}"))
    for text in ("Ouvrir 10 places d'hébergement temporaire", "Signer la convention", "Former les équipes de nuit",
                 "Partenaire membre", "avec Membre", "En retard", "Réalisée", "Haute", "20 %"):
        assert text in page, text
    # Due date first by default: the late one (5 days ago) after the done one (30 days ago).
    assert page.index("Signer la convention") < page.index("Ouvrir 10 places") < page.index("Former les équipes")


def test_filters_and_sorting_of_the_table(world, cpom, login):
    plan, _late, _done, soon = cpom
    client = login(world.member)

    def titles(query: str) -> list[str]:
        page = _text(client.get(f"/plans/{plan.id}?{query}"))
        return [t for t in ("Ouvrir 10 places", "Signer la convention", "Former les équipes") if t in page.split(
            "<tbody>")[-1]] if "<tbody>" in page else []

    assert titles("status=late") == ["Ouvrir 10 places"]
    assert titles("status=open") == ["Ouvrir 10 places", "Former les équipes"]
    assert titles(f"owner={world.partner.id}") == ["Ouvrir 10 places"]
    assert titles(f"owner={world.member.id}") == ["Ouvrir 10 places", "Signer la convention", "Former les équipes"]
    assert titles(f"objective={soon.objective_id}") == ["Former les équipes"]
    assert titles("due_within=30") == ["Former les équipes"]
    assert titles("q=convention") == ["Signer la convention"]
    page = _text(client.get(f"/plans/{plan.id}?sort=title&order=desc"))
    assert page.index("Signer la convention") < page.index("Ouvrir 10 places") < page.index("Former les équipes")
    assert 'aria-sort="descending"' in page
    grouped = _text(client.get(f"/plans/{plan.id}?sort=objective"))
    assert grouped.count('class="plan-group"') == 2
    assert "Aucune action ne correspond à ces filtres" in _text(client.get(f"/plans/{plan.id}?q=introuvable"))


def test_an_unknown_filter_value_is_a_422_page_that_says_what_is_wrong(world, cpom, login):
    plan, *_ = cpom
    client = login(world.member)
    for query, message in (("status=bientot", "Valeur non reconnue."),
                           ("due_within=abc", "Nombre entre 0 et 366 attendu."),
                           ("sort=couleur", "Valeur non reconnue."), ("owner=-3", "Nombre entre 1 et")):
        response = client.get(f"/plans/{plan.id}?{query}")
        assert response.status_code == 422, query
        assert message in _text(response), query
        assert "Ouvrir 10 places" not in _text(response)


def test_timeline_and_summary(world, cpom, login):
    plan, _late, _done, _soon = cpom
    client = login(world.partner)
    today = local_today()
    page = _text(client.get(f"/plans/{plan.id}/calendrier"))
    assert str(today.year) in page and "Ouvrir 10 places" in page
    assert "tl-bar" in page and "is-late" in page and "tl-now" in page
    assert client.get(f"/plans/{plan.id}/calendrier?annee=1999").status_code == 422
    summary = _text(client.get(f"/plans/{plan.id}/synthese"))
    assert summary.count('role="img"') == 6  # each chart wide and narrow
    assert "<title>Actions par statut</title>" in summary and "Agents formés" in summary and "12 / 40 agents" in summary
    assert "style=" not in summary.split("<main")[1]


def test_each_chart_is_drawn_wide_and_narrow_with_its_labels_above_its_bars_when_narrow():
    from rse.plans import charts

    drawn = str(charts.status_bars("Actions par statut", [("done", "Réalisée", 3), ("late", "En retard", 1)]))
    wide, narrow = drawn.split("</svg>")[:2]
    assert 'class="plan-chart plan-chart-wide"' in wide and 'viewBox="0 0 640 ' in wide
    assert 'class="plan-chart plan-chart-narrow"' in narrow and 'viewBox="0 0 330 ' in narrow
    for svg in (wide, narrow):
        assert "<title>Actions par statut</title>" in svg and ">Réalisée</text>" in svg and "Réalisée : 3" in svg
    # Narrow, a label is written above its bar, across the whole width (not clipped at 26 characters).
    label_y = float(re.findall(r' y="([0-9.]+)"', narrow.split(">Réalisée</text>")[0])[-1])
    bar_y = float(re.findall(r' y="([0-9.]+)"', narrow.split('fill="#15803d"')[0])[-1])
    assert label_y < bar_y
    long = "Développer la coopération avec le domicile"
    assert f">{long}</text>" in str(charts.stacked_bars("Par objectif", [(long, [("done", "Réalisée", 1)])], "aucune"))


def test_the_action_page_shows_its_fields_history_and_indicators(world, cpom, login):
    _plan, late, done, soon = cpom
    plans.update_action(world.partner, late, {"progress": 60}, row_version=late.row_version)
    _db.session.commit()
    page = _text(login(world.member).get(f"/actions/{late.id}"))
    assert "Avancement : 20 % → 60 %" in page.replace("\u00a0", " ")
    assert "Partenaire membre" in page and "Action créée" in page
    assert "Modifier l'action" in page and "Clore l'action" in page  # the member co-owns it
    soon_page = _text(login(world.member).get(f"/actions/{soon.id}"))
    assert "Agents formés" in soon_page and "Tableau RH" in soon_page and "Relever une valeur" in soon_page
    done_page = _text(login(world.member).get(f"/actions/{done.id}"))
    assert "Signée le 3 mars" in done_page and "Rouvrir l'action" in done_page


def test_an_owner_edits_closes_and_reopens_from_the_action_page(world, cpom, login):
    _plan, late, _done, _soon = cpom
    client = login(world.partner)
    response = client.post(f"/actions/{late.id}", data={"row_version": late.row_version, "title": late.title,
                                                         "progress": "70", "status": "in_progress"})
    assert response.status_code == 302
    _db.session.expire_all()
    assert _db.session.get(Action, late.id).progress == 70
    version = _db.session.get(Action, late.id).row_version
    response = client.post(f"/actions/{late.id}/cloture", data={"row_version": version, "status": "done",
                                                                 "result_note": "Places ouvertes"})
    assert response.status_code == 302
    _db.session.expire_all()
    closed = _db.session.get(Action, late.id)
    assert closed.status == "done" and closed.result_note == "Places ouvertes"
    assert client.post(f"/actions/{late.id}/reouverture", data={"row_version": closed.row_version}).status_code == 302
    _db.session.expire_all()
    assert _db.session.get(Action, late.id).status == "in_progress"


def test_indicators_values_and_links_from_the_action_page(world, cpom, login, create_document):
    _plan, late, _done, _soon = cpom
    space = world.spaces["private"]
    document = create_document(space, world.animator, title="Compte rendu du comité")
    client = login(world.partner)
    assert "Compte rendu du comité" in _text(client.get(f"/actions/{late.id}"))
    response = client.post(f"/actions/{late.id}/indicateurs", data={"name": "Places ouvertes", "unit": "places",
                                                                    "value_type": "integer", "target": "10"})
    assert response.status_code == 302
    indicator = _db.session.scalar(select(Indicator).where(Indicator.name == "Places ouvertes"))
    response = client.post(f"/indicateurs/{indicator.id}/valeurs",
                           data={"measured_on": "2026-03-01", "value": "4", "source": "Registre"})
    assert response.status_code == 302
    assert client.post(f"/actions/{late.id}/liens", data={"item": f"document-{document.id}"}).status_code == 302
    page = _text(client.get(f"/actions/{late.id}"))
    assert "Registre" in page and "Lien ajouté : « Compte rendu du comité »" in page
    link = _db.session.scalar(select(ActionLink).where(ActionLink.action_id == late.id))
    assert client.post(f"/actions/{late.id}/liens/{link.id}/retirer").status_code == 302
    assert _count(ActionLink, ActionLink.action_id == late.id) == 0


def test_an_animator_adds_objectives_and_actions_and_edits_the_plan(world, cpom, login):
    plan, *_ = cpom
    client = login(world.animator)
    assert client.post(f"/plans/{plan.id}/objectifs", data={"title": "Ouvrir l'établissement"}).status_code == 302
    objective = _db.session.scalar(select(Objective).where(Objective.title == "Ouvrir l'établissement"))
    response = client.post(f"/plans/{plan.id}/actions", data={
        "title": "Journée portes ouvertes", "objective_id": objective.id, "owner_id": world.partner.id,
        "co_owners": [world.member.id], "co_owners_shown": "1", "start_date": "2026-05-01",
        "due_date": "2026-05-31", "priority": "high"})
    assert response.status_code == 302
    action = _db.session.scalar(select(Action).where(Action.title == "Journée portes ouvertes"))
    assert action.owner_id == world.partner.id and action.co_owner_ids == {world.member.id}
    # The edit form offers the owner, and everyone else as a co-owner.
    edit = _text(client.get(f"/actions/{action.id}")).split('id="modifier"')[1].split("</form>")[0]
    assert f'<option value="{world.partner.id}" selected>Partenaire membre (partenaire)</option>' in edit
    assert f'name="co_owners" value="{world.member.id}" checked' in edit
    assert f'name="co_owners" value="{world.partner.id}"' not in edit
    assert client.post(f"/plans/{plan.id}", data={"title": "CPOM révisé", "description": ""}).status_code == 302
    _db.session.expire_all()
    assert _db.session.get(Plan, plan.id).title == "CPOM révisé"


def test_my_actions_on_the_home_page_late_first(world, cpom, login):
    _plan, _late, _done, _soon = cpom
    page = _text(login(world.member).get("/"))
    block = page.split('id="my-actions-title"')[1].split("</section>")[0]
    assert block.index("Ouvrir 10 places") < block.index("Former les équipes")
    assert "Signer la convention" not in block  # done
    assert "Mes actions" not in _text(login(world.outsider).get("/"))


# --- The htmx row ------------------------------------------------------------------------------------

def test_the_row_opens_as_a_form_and_saves_in_place(world, cpom, login):
    _plan, late, *_ = cpom
    client = login(world.partner)
    form = _text(client.get(f"/actions/{late.id}/ligne?edit=1", headers=HX))
    assert 'name="row_version"' in form and f'value="{late.row_version}"' in form
    assert 'name="owner_id"' not in form  # an owner does not change the owners
    response = client.post(f"/actions/{late.id}", headers=HX, data={
        "row": "1", "row_version": late.row_version, "title": late.title, "progress": "55", "status": "in_progress",
        "priority": "high", "start_date": late.start_date.isoformat(), "due_date": late.due_date.isoformat()})
    assert response.status_code == 200
    row = _text(response)
    assert row.startswith("<tr") and "55 %" in row.replace("\u00a0", " ")
    # Without JavaScript, the row's link leads to the action's page.
    assert client.get(f"/actions/{late.id}/ligne?edit=1").status_code == 302
    # « Annuler » asks for the plain row.
    assert 'name="row_version"' not in _text(client.get(f"/actions/{late.id}/ligne", headers=HX))


def test_a_stale_row_is_refused_with_409_and_shows_the_stored_values(world, cpom, login):
    _plan, late, *_ = cpom
    seen = late.row_version
    plans.update_action(world.member, late, {"progress": 80}, row_version=seen)  # someone else saved
    _db.session.commit()
    before = _count(ActionChange, ActionChange.action_id == late.id)
    response = login(world.partner).post(f"/actions/{late.id}", headers=HX, data={
        "row": "1", "row_version": seen, "title": late.title, "progress": "30", "status": "in_progress"})
    assert response.status_code == 409
    row = _text(response)
    assert "modifiée par quelqu'un d'autre" in row and "Recharger l'action" in row
    assert 'value="80"' in row and f'name="row_version" value="{seen + 1}"' in row
    _db.session.expire_all()
    assert _db.session.get(Action, late.id).progress == 80
    assert _count(ActionChange, ActionChange.action_id == late.id) == before


def test_a_bad_value_in_the_row_is_said_beside_its_field(world, cpom, login):
    _plan, late, *_ = cpom
    client = login(world.partner)
    for data, message in (({"progress": "140"}, "Un avancement entre 0 et 100 %."),
                          ({"due_date": "demain"}, "Date attendue au format AAAA-MM-JJ."),
                          ({"start_date": "2027-01-01", "due_date": "2026-01-01"},
                           "L'échéance ne peut pas précéder le début."),
                          ({"title": ""}, "obligatoire")):
        response = client.post(f"/actions/{late.id}", headers=HX, data={
            "row": "1", "row_version": late.row_version, "title": late.title, **data})
        assert response.status_code == 422, data
        row = _text(response)
        assert message in row and 'class="field-error"' in row, data
    _db.session.expire_all()
    assert _db.session.get(Action, late.id).progress == 20


# --- Bad input on the pages' forms ------------------------------------------------------------------

def test_each_form_says_what_is_wrong_and_changes_nothing(world, cpom, login):
    plan, late, done, soon = cpom
    space = world.spaces["private"]
    animator = login(world.animator)
    partner = login(world.partner)
    changes = _count(ActionChange)
    cases = [
        (animator, f"/espaces/{space.id}/plans", {"title": ""}, 422, "obligatoire"),
        (animator, f"/plans/{plan.id}", {"title": "x" * 201}, 422, "200"),
        (animator, f"/plans/{plan.id}/objectifs", {"title": "  "}, 422, "obligatoire"),
        (animator, f"/plans/{plan.id}/actions", {"title": "Sans objectif", "objective_id": "999"}, 422,
         "Choisissez un objectif du plan."),
        (animator, f"/plans/{plan.id}/actions", {"title": "Inconnu", "objective_id": late.objective_id,
                                                 "owner_id": "999999"}, 422,
         "Choisissez une personne membre de l'espace."),
        (animator, f"/plans/{plan.id}/actions", {"title": "Dates", "objective_id": late.objective_id,
                                                 "start_date": "2026-05-01", "due_date": "2026-04-01"}, 422,
         "L'échéance ne peut pas précéder le début."),
        (partner, f"/actions/{late.id}", {"row_version": late.row_version, "progress": "-1"}, 422,
         "Un avancement entre 0 et 100 %."),
        (partner, f"/actions/{late.id}", {"row_version": late.row_version, "owner_id": world.member.id}, 422,
         "Seuls les animateurs de l'espace changent les responsables."),
        (partner, f"/actions/{late.id}", {"row_version": late.row_version - 1 or 99, "progress": "50"}, 409,
         "modifiée par quelqu'un d'autre"),
        (partner, f"/actions/{late.id}/cloture", {"row_version": late.row_version, "status": "done",
                                                   "result_note": " "}, 422, "obligatoire"),
        (partner, f"/actions/{late.id}/cloture", {"row_version": late.row_version, "status": "fini",
                                                   "result_note": "Fait"}, 422, "Valeur non reconnue."),
        (partner, f"/actions/{done.id}/reouverture", {"row_version": "x"}, 403, ""),
        (partner, f"/actions/{late.id}/reouverture", {"row_version": late.row_version}, 409,
         "Cette action n'est pas close."),
        (partner, f"/actions/{late.id}/indicateurs", {"name": "Taux", "value_type": "percent", "target": "140"}, 422,
         "Pourcentage entre 0 et 100 attendu."),
        (partner, f"/actions/{late.id}/indicateurs", {"name": "", "value_type": "integer"}, 422, "obligatoire"),
        (animator, f"/indicateurs/{soon.indicators[0].id}/valeurs", {"measured_on": "2026-13-01", "value": "3"},
         422, "Date attendue au format AAAA-MM-JJ."),
        (animator, f"/indicateurs/{soon.indicators[0].id}/valeurs", {"measured_on": "2026-03-01", "value": "2,5"},
         422, "Nombre entier attendu pour cet indicateur."),
        (partner, f"/actions/{late.id}/liens", {"item": "document-999999"}, 422,
         "Choisissez un document ou une publication de cet espace."),
        (partner, f"/actions/{late.id}/liens", {"item": "tableau-3"}, 422, "Un document ou une publication."),
    ]
    counts = (_count(Plan), _count(Objective), _count(Action), _count(Indicator), _count(IndicatorValue),
              _count(ActionLink))
    for client, url, data, status, message in cases:
        response = client.post(url, data=data)
        assert response.status_code == status, (url, data, response.status_code)
        assert message in _text(response), (url, data)
    _db.session.expire_all()
    assert (_count(Plan), _count(Objective), _count(Action), _count(Indicator), _count(IndicatorValue),
            _count(ActionLink)) == counts
    assert _count(ActionChange) == changes
    assert _db.session.get(Plan, plan.id).title == "Plan d'actions CPOM 2026-2030"
    assert _db.session.get(Action, late.id).progress == 20


# --- Who sees what --------------------------------------------------------------------------------------

READERS = ("admin", "animator", "member", "partner")
NOT_READERS = ("outsider", "stranger")


@pytest.mark.parametrize("actor", [*READERS, *NOT_READERS, "anonymous", "deactivated"])
def test_permission_matrix_of_the_pages(world, cpom, login, app, actor):
    plan, late, _done, _soon = cpom
    space = world.spaces["private"]
    if actor == "anonymous":
        client = app.test_client()
    elif actor == "deactivated":
        client = _deactivated_client(world, login)
    else:
        client = login(getattr(world, actor))
    pages = [f"/espaces/{space.id}/plans", f"/plans/{plan.id}", f"/plans/{plan.id}/calendrier",
             f"/plans/{plan.id}/synthese", f"/actions/{late.id}"]
    for url in pages:
        response = client.get(url)
        page = _text(response)
        if actor in READERS:
            assert response.status_code == 200, url
            assert "Plan d'actions CPOM 2026-2030" in page
        else:
            # A staff member knows a private space exists (403 on its list of plans), never its plans.
            expected = 302 if actor in ("anonymous", "deactivated") else 404
            if actor == "outsider" and url.startswith("/espaces/"):
                expected = 403
            assert response.status_code == expected, (url, response.status_code)
            for hidden in ("Plan d'actions CPOM", "Ouvrir 10 places", "Améliorer le parcours", "Agents formés"):
                assert hidden not in page, (url, hidden)
    row = client.get(f"/actions/{late.id}/ligne?edit=1", headers=HX)
    if actor in READERS:
        # The animator and admin manage; the partner and member own it: all may edit the row.
        assert row.status_code == 200 and 'name="row_version"' in _text(row)
    else:
        assert row.status_code in (302, 404) and "Ouvrir 10 places" not in _text(row)
    # Writes: only those allowed change anything.
    response = client.post(f"/actions/{late.id}", data={"row_version": late.row_version, "progress": "90"})
    _db.session.expire_all()
    changed = _db.session.get(Action, late.id).progress == 90
    assert changed == (actor in READERS), (actor, response.status_code)
    response = client.post(f"/plans/{plan.id}/objectifs", data={"title": "Objectif de " + actor})
    made = _count(Objective, Objective.title == "Objectif de " + actor) == 1
    assert made == (actor in ("admin", "animator")), (actor, response.status_code)
    if actor in ("member", "partner"):
        assert response.status_code == 403
        assert "Objectif de" not in _text(response)


def test_a_reader_who_owns_nothing_reads_but_cannot_edit(world, cpom, login, create_user):
    """A staff member of the space who owns no action: reads the table, no edit link, a 403 on a write."""
    from rse.communities import service as communities

    plan, late, *_ = cpom
    reader = create_user("staff", name="Lectrice")
    communities.add_member(world.animator, world.spaces["private"], reader, "member")
    _db.session.commit()
    client = login(reader)
    page = _text(client.get(f"/plans/{plan.id}"))
    assert "Ouvrir 10 places" in page and "/ligne?edit=1" not in page and "Nouvelle action" not in page
    action_page = _text(client.get(f"/actions/{late.id}"))
    assert "Modifier l'action" not in action_page and "Clore l'action" not in action_page
    response = client.post(f"/actions/{late.id}", data={"row_version": late.row_version, "progress": "90"})
    assert response.status_code == 403
    assert client.get(f"/actions/{late.id}/ligne?edit=1", headers=HX).status_code == 200
    assert 'name="row_version"' not in _text(client.get(f"/actions/{late.id}/ligne?edit=1", headers=HX))
