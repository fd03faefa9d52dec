"""An action plan's life in the browser: an animator imports a 40-row XLSX table (upload, preview,
confirm); a partner who owns actions edits one in place in the plan's table and closes another with
its result; the animator looks at the timeline and the summary, and exports the plan as XLSX, which
is read back and holds what the plan now holds."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from rse.i18n import local_today
from rse.plans import service as plans
from rse.plans.models import Action

from .conftest import sign_in

pytestmark = pytest.mark.browser

OBJECTIVES = ("Améliorer le parcours de la personne âgée", "Renforcer la qualité et la sécurité des soins",
              "Développer la coopération avec le domicile", "Maîtriser les dépenses de fonctionnement")
EDITED = "Action 1.3 : ouvrir 10 places d'hébergement temporaire"
CLOSED = "Action 2.4 : former les équipes de nuit à la contention"


def _plan_workbook(tmp_path, today: date, partner, animator, colleague):
    """The table people keep: a title above the header row, the columns of docs/PLANS_IMPORT.md in
    another order than an export's, one action per row (4 objectives × 10 actions)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Actions"
    sheet.append(["Tableau de suivi des actions – CPOM 2026-2030"])
    sheet.append(["Axe", "Intitulé", "Pilote", "Co-responsables", "Date de début", "Échéance (JJ/MM/AAAA)",
                  "État", "Avancement", "Priorité", "Résultat", "Commentaire interne"])
    for o, objective in enumerate(OBJECTIVES, 1):
        for a in range(1, 11):
            title = f"Action {o}.{a} : suivi n° {o * 10 + a}"
            owner, co_owners = (animator.email, colleague.name) if a % 2 else (colleague.email, "")
            status, progress, result = ("En cours", 20 + a, "") if a % 3 else ("À faire", 0, "")
            if (o, a) == (1, 3):
                title, owner, status, progress = EDITED, partner.email, "En cours", 10
            elif (o, a) == (2, 4):
                title, owner, co_owners, status, progress = CLOSED, f"{partner.name} <{partner.email}>", "", "En cours", 50
            elif (o, a) == (3, 10):
                status, progress, result = "Réalisée", 100, "Convention signée avec le SSIAD"
            start = today - timedelta(days=60 - 3 * a)
            sheet.append([objective, title, owner, co_owners, start, (start + timedelta(days=30 * o)).strftime("%d/%m/%Y"),
                          status, f"{progress} %", "Haute" if a == 1 else "Normale", result, "à revoir"])
    path = tmp_path / "suivi-cpom.xlsx"
    book.save(path)
    return path


def test_an_imported_plan_edited_by_a_partner_owner_then_exported(app, db, live_server, open_page, step, create_user,
                                                                  create_community, tmp_path):
    app.config["WTF_CSRF_ENABLED"] = True
    animator = create_user("staff", name="Claire Martin", organisation="GHT Moselle")
    colleague = create_user("staff", name="Paul Bernard", organisation="CH Sud")
    partner = create_user("partner", name="Inès Roux", organisation="ARS Grand Est")
    space = create_community(animator, name="CPOM EHPAD Les Tilleuls",
                             members=[(colleague, "member"), (partner, "member")])
    plan = plans.create_plan(animator, space, {"title": "Plan d'actions CPOM 2026-2030"})
    db.session.commit()
    today = local_today()
    workbook = _plan_workbook(tmp_path, today, partner, animator, colleague)
    new_due = today + timedelta(days=75)

    tab = open_page("animator")
    page = sign_in(tab, live_server, step, animator, "animator")
    with step(tab, "space-plans"):
        page.goto(f"/espaces/{space.id}/plans")
        page.get_by_role("link", name="Plan d'actions CPOM 2026-2030").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Plan d'actions CPOM 2026-2030")
    with step(tab, "upload"):
        page.get_by_role("link", name="Importer").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Importer des actions depuis un tableur")
        page.get_by_label("Classeur Excel (.xlsx, 5 Mo au plus)").set_input_files(str(workbook))
        page.get_by_role("button", name="Voir l'aperçu").click()
    with step(tab, "preview"):
        preview = page.locator(".plan-import-preview")
        expect(preview).to_contain_text("40 actions prêtes à être créées")
        expect(preview).to_contain_text("4 nouveaux objectifs")
        expect(preview).to_contain_text("Colonnes ignorées : Commentaire interne")
        expect(preview.locator("tbody tr")).to_have_count(40)
        expect(preview.locator("tbody tr").filter(has_text=EDITED)).to_contain_text("Inès Roux")
    with step(tab, "confirm"):
        page.get_by_role("button", name="Créer ces 40 actions").click()
        expect(page).to_have_url(f"{live_server.url}/plans/{plan.id}")
        expect(page.get_by_role("status").filter(has_text="Import terminé")).to_contain_text(
            "40 action(s) et 4 nouvel(s) objectif(s) créés")
        expect(page.locator(".plan-table tbody tr.plan-row")).to_have_count(40)

    partner_tab = open_page("partner")
    partner_page = sign_in(partner_tab, live_server, step, partner, "partner")
    with step(partner_tab, "table"):
        partner_page.goto(f"/plans/{plan.id}")
        rows = partner_page.locator(".plan-table tbody tr.plan-row")
        expect(rows).to_have_count(40)
        # The partner owns two actions: only those open as a form.
        expect(partner_page.locator(".plan-table").get_by_role("link", name=re.compile("^Modifier"))).to_have_count(2)
        rows.filter(has_text=EDITED).get_by_role("link", name=f"Modifier « {EDITED} »").click()
        form = partner_page.get_by_role("form", name=f"Modifier « {EDITED} »")
        expect(form).to_be_visible()
    with step(partner_tab, "row-form-phone"):
        # At a phone's width, the form's fields stay inside what the table's region shows.
        partner_page.set_viewport_size({"width": 390, "height": 844})
        region = partner_page.get_by_role("region", name="Tableau des actions").bounding_box()
        for label in ("Avancement (%)", "Échéance", "Priorité"):
            field = form.get_by_label(label, exact=True).bounding_box()
            assert field["x"] >= region["x"] and field["x"] + field["width"] <= region["x"] + region["width"] + 1, label
        partner_page.set_viewport_size({"width": 1280, "height": 900})
    with step(partner_tab, "edit-in-place"):
        form.get_by_label("Avancement (%)").fill("65")
        form.get_by_label("Échéance", exact=True).fill(new_due.isoformat())
        form.get_by_role("button", name="Enregistrer").click()
        row = partner_page.locator(".plan-table tbody tr.plan-row").filter(has_text=EDITED)
        expect(row).to_contain_text("65\u00a0%")
        expect(row.locator(f'time[datetime="{new_due.isoformat()}"]')).to_have_count(1)
        expect(partner_page.locator(".plan-row-edit")).to_have_count(0)
    with step(partner_tab, "close"):
        partner_page.get_by_role("link", name=CLOSED, exact=True).click()
        expect(partner_page.get_by_role("heading", level=1)).to_have_text(CLOSED)
        partner_page.get_by_label("Réalisée").check()
        partner_page.get_by_label("Résultat (obligatoire)").fill("42 agents de nuit formés en mai et juin")
        partner_page.get_by_role("button", name="Clore l'action").click()
        expect(partner_page.get_by_role("status").filter(has_text="Action close.")).to_be_visible()
        expect(partner_page.locator(".plan-result")).to_contain_text("42 agents de nuit formés en mai et juin")
        expect(partner_page.locator(".plan-history")).to_contain_text("Inès Roux")

    # An indicator with a value, for the summary's third chart and the action page's table.
    db.session.rollback()
    edited_action = db.session.query(Action).filter(Action.plan_id == plan.id, Action.title == EDITED).one()
    indicator = plans.add_indicator(animator, edited_action, {
        "name": "Places d'hébergement temporaire ouvertes", "unit": "places", "value_type": "integer",
        "baseline": 0, "target": 10})
    plans.record_value(animator, indicator, {"measured_on": today.isoformat(), "value": 4, "source": "ARS"})
    db.session.commit()

    with step(tab, "timeline"):
        page.goto(f"/plans/{plan.id}")
        page.get_by_role("navigation", name="Vues du plan").get_by_role("link", name="Calendrier").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Plan d'actions CPOM 2026-2030")
        expect(page.locator("main")).to_contain_text(EDITED)
    with step(tab, "summary"):
        page.get_by_role("navigation", name="Vues du plan").get_by_role("link", name="Synthèse").click()
        expect(page.locator(".plan-figures")).to_contain_text("40")
        expect(page.get_by_role("img", name="Actions par statut")).to_be_visible()
        expect(page.locator(".plan-indicators-card .plan-chart-wide")).to_contain_text("4 / 10 places")
    with step(tab, "action-page"):
        page.goto(f"/plans/{plan.id}")
        page.get_by_role("link", name=EDITED, exact=True).click()
        expect(page.locator(".plan-details")).to_contain_text("65\u00a0%")
        expect(page.locator("#indicateurs")).to_contain_text("Places d'hébergement temporaire ouvertes")
    with step(tab, "export"):
        page.goto(f"/plans/{plan.id}")
        with page.expect_download() as download:
            page.get_by_role("link", name="Exporter (XLSX)").click()
        assert download.value.suggested_filename.endswith(".xlsx")
        sheet = load_workbook(io.BytesIO(download.value.path().read_bytes()))["Actions"]

    lines = list(sheet.iter_rows(values_only=True))
    header, rows = lines[0], lines[1:]
    assert header[:11] == ("Objectif", "Action", "Description", "Responsable", "Co-responsables", "Début",
                           "Échéance", "Statut", "Avancement", "Priorité", "Résultat")
    assert len(rows) == 40
    by_title = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    assert len(by_title) == 40 and {row["Objectif"] for row in by_title.values()} == set(OBJECTIVES)
    edited, closed = by_title[EDITED], by_title[CLOSED]
    assert (edited["Responsable"], edited["Statut"], edited["Avancement"]) == ("Inès Roux", "En cours", 65)
    assert edited["Échéance"].date() == new_due
    assert (closed["Responsable"], closed["Statut"], closed["Avancement"], closed["Résultat"]) == (
        "Inès Roux", "Réalisée", 100, "42 agents de nuit formés en mai et juin")
    assert by_title["Action 3.10 : suivi n° 40"]["Résultat"] == "Convention signée avec le SSIAD"
    assert sum(row["Statut"] == "Réalisée" for row in by_title.values()) == 2
    assert by_title["Action 1.1 : suivi n° 11"]["Co-responsables"] == "Paul Bernard"

    # What the file says is what the plan holds.
    db.session.rollback()
    stored = {a.title: a for a in db.session.query(Action).filter(Action.plan_id == plan.id)}
    assert len(stored) == 40
    for title, row in by_title.items():
        action = stored[title]
        assert (row["Avancement"], row["Résultat"] or "") == (action.progress, action.result_note or ""), title
        assert (row["Échéance"].date() if row["Échéance"] else None) == action.due_date, title
    assert stored[CLOSED].status == "done" and stored[EDITED].due_date == new_due

    assert live_server.errors == [], live_server.errors
    for t in (tab, partner_tab):
        assert t.problems == [], "\n".join(t.problems)
