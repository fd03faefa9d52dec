"""Importing a plan from a spreadsheet (preview, all or nothing, each kind of wrong cell), exporting it
as XLSX (read back, imported again) and PDF (read back), and who may do either."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from html import unescape

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from rse.database import db as _db
from rse.errors import PermissionDenied, ValidationError
from rse.feeds.models import Notification
from rse.feeds.notifications import service as notifications
from rse.feeds.streams import service as streams
from rse.mail.models import OutboundEmail
from rse.plans import exchange, export
from rse.plans import service as plans
from rse.plans.models import Action, ActionChange, Objective
from tests.documents.samples import pdf_bytes
from tests.test_permissions import LOGIN, _web_client

HEADERS = ["Objectif", "Action", "Description", "Responsable", "Co-responsables", "Début", "Échéance", "Statut",
           "Avancement", "Priorité", "Résultat"]


@pytest.fixture
def plan(world):
    """The private space's CPOM plan, with one objective already there."""
    created = plans.create_plan(world.animator, world.spaces["private"], {"title": "Plan d'actions CPOM 2026-2030"})
    plans.add_objective(world.animator, created, {"title": "Améliorer le parcours"})
    _db.session.commit()
    return created


def workbook(rows: list[list], headers: list[str] = HEADERS, *, title_row: bool = False, sheet: str = "Feuil1") -> bytes:
    """The rows under the headers; a fraction (0.25) is written as a percentage cell, as Excel shows 25 %."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    if title_row:
        ws.append(["Tableau de suivi des actions du CPOM"])
        ws.append([])
    ws.append(headers)
    for values in rows:
        ws.append(values)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, float) and 0 < cell.value < 1:
                cell.number_format = "0%"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def forty_rows(world) -> list[list]:
    """Four objectives (one already in the plan, one spelled differently), ten actions each, every
    way of writing a person, a date, a status and a progress."""
    rows = []
    objectives = ["améliorer LE parcours", "Renforcer la prévention", "Développer l'offre", "Piloter le CPOM"]
    for n in range(40):
        objective = objectives[n // 10]
        status, result = [("À faire", ""), ("en cours", ""), ("Réalisée", "Fait en comité"),
                          ("Abandoned", "Plus utile"), ("In progress", "")][n % 5]
        rows.append([
            objective, f"Action {n + 1:02d}", f"Description {n + 1}" if n % 2 else None,
            [world.partner.email, "Membre", f"Partenaire membre <{world.partner.email}>", None][n % 4],
            "Membre; Animatrice" if n % 3 == 0 else None,
            datetime(2026, 1, 1 + n % 28) if n % 2 else f"{1 + n % 28:02d}/02/2026",
            "2026-12-31" if n % 2 else date(2027, 6, 30),
            status, [0, 0.25, 50, "75 %", "40"][n % 5] if status not in ("Réalisée",) else 100,
            ["Haute", "normale", "low", None][n % 4], result])
    return rows


def preview_of(world, plan, content: bytes, actor=None):
    return exchange.read_workbook(actor or world.animator, plan, io.BytesIO(content))


def _count(model, *where) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- Import -------------------------------------------------------------------------------------------

def test_a_40_row_workbook_is_previewed_then_imported_exactly(world, plan):
    content = workbook(forty_rows(world), [h.upper() if i % 2 else h for i, h in enumerate(
        ["Objectif", "Action", "Description", "Responsable", "Co-responsables", "Debut", "Echeance (JJ/MM/AAAA)",
         "statut", "Avancement (%)", "Priorite", "Résultat"])] + ["Commentaire interne"], title_row=True)
    preview = preview_of(world, plan, content)
    assert preview.errors == [] and len(preview.rows) == 40 and preview.ok
    assert preview.new_objectives == ["Renforcer la prévention", "Développer l'offre", "Piloter le CPOM"]
    assert preview.ignored_columns == ["Commentaire interne"]
    assert preview.rows[0].line == 4 and preview.rows[0].objective == "Améliorer le parcours"  # the existing one
    assert _count(Action) == 0  # a preview creates nothing

    imported = exchange.import_rows(world.animator, plan, preview)
    _db.session.commit()
    assert (imported.objectives, imported.actions) == (3, 40)
    assert [o.title for o in plan.objectives] == ["Améliorer le parcours", "Renforcer la prévention",
                                                 "Développer l'offre", "Piloter le CPOM"]
    actions = {a.title: a for a in plans.plan_actions(world.animator, plan)}
    assert sorted(actions) == [f"Action {n:02d}" for n in range(1, 41)]
    first, second, third, fourth, fifth = (actions[f"Action {n:02d}"] for n in range(1, 6))
    assert first.owner_id == world.partner.id and first.co_owner_ids == {world.member.id, world.animator.id}
    assert first.start_date == date(2026, 2, 1) and first.due_date == date(2027, 6, 30)
    assert (first.status, first.progress, first.priority) == ("not_started", 0, "high")
    assert second.owner_id == world.member.id and second.description == "Description 2"
    assert (second.status, second.progress, second.start_date) == ("in_progress", 25, date(2026, 1, 2))
    assert (third.status, third.progress, third.result_note) == ("done", 100, "Fait en comité")
    assert third.owner_id == world.partner.id and third.closed_at is not None
    assert (fourth.status, fourth.progress, fourth.result_note) == ("abandoned", 75, "Plus utile")
    assert fourth.owner_id is None and fifth.progress == 40
    # Through the service: each action has its history, closing included.
    assert [c.event for c in plans.history(world.animator, third)] == ["closed", "created"]
    assert _count(ActionChange) == 40 + 16


def test_an_import_is_one_stream_card_and_one_notice_per_owner(world, plan, login, api):
    exchange.import_rows(world.animator, plan, preview_of(world, plan, workbook(forty_rows(world))))
    _db.session.commit()
    space = world.spaces["private"]
    cards = [i for i in streams.community(world.member, space).items if i.subject is not None]
    assert [(c.activity.verb, c.activity.run_size) for c in cards] == [("created", 40), ("completed", 8)]
    page = login(world.member).get(f"/espaces/{space.id}").get_data(as_text=True)
    plan_link = f'<a href="/plans/{plan.id}">Plan d&#39;actions CPOM 2026-2030</a>'
    assert f"Animatrice</a> a créé 40 actions dans le plan {plan_link}" in page
    assert f"Animatrice</a> a réalisé 8 actions du plan {plan_link}" in page
    assert "a créé l&#39;action" not in page
    feed = api(world.member).get(f"/api/v1/communities/{space.id}/feed").json["items"]
    assert [(i["verb"], i["run_size"], i["item"]["group"]) for i in feed if i["item_type"] == "action"] == [
        (verb, n, {"title": "Plan d'actions CPOM 2026-2030", "url": f"/plans/{plan.id}"})
        for verb, n in (("created", 40), ("completed", 8))]
    # Each owner and co-owner hears once, of how many: the partner owns 20, the member owns or co-owns
    # 21; the animator who imported hears nothing.
    for person, n in ((world.partner, 20), (world.member, 21)):
        (notice,) = _db.session.scalars(select(Notification).where(Notification.user_id == person.id))
        assert (notice.event, notice.run_size) == ("assigned", n)
        (line,) = notifications.lines([notice])
        assert line.sentence == f"Animatrice vous a confié {n} actions du plan « Plan d'actions CPOM 2026-2030 »"
        assert line.url == f"/plans/{plan.id}"
        (email,) = _db.session.scalars(select(OutboundEmail).where(OutboundEmail.recipient == person.email))
        assert email.subject == f"{n} actions confiées : Plan d'actions CPOM 2026-2030"
        assert f"/plans/{plan.id}" in email.text_body
        client = login(person)
        assert client.get(f"/notifications/{notice.id}").headers["Location"] == f"/plans/{plan.id}"
    assert _count(Notification, Notification.user_id == world.animator.id) == 0
    # The outsider sees neither the card nor a count.
    assert all(i.subject is None for i in streams.home(world.outsider).items)


def test_a_sheet_named_actions_is_read_and_percent_cells_are_percentages(world, plan):
    book = openpyxl.load_workbook(io.BytesIO(workbook([["Obj", "Ignorée", None, None, None, None, None, None, 0.9]])))
    actions = book.create_sheet("ACTIONS")
    actions.append(["Action", "Objectif", "Avancement"])
    actions.append(["Former les équipes", "Qualité", 0.455])
    actions["C2"].number_format = "0.0%"
    buffer = io.BytesIO()
    book.save(buffer)
    (row,) = preview_of(world, plan, buffer.getvalue()).rows
    assert (row.title, row.objective, row.progress, row.line) == ("Former les équipes", "Qualité", 46, 2)


def test_one_bad_row_creates_nothing_and_says_which_row_and_column(world, plan, refused):
    rows = forty_rows(world)
    rows[4][6] = "31/02/2027"  # line 6 (the header is line 1)
    preview = preview_of(world, plan, workbook(rows))
    assert [str(e) for e in preview.errors] == ["Ligne 6, Échéance : date attendue au format JJ/MM/AAAA."]
    assert len(preview.rows) == 39 and not preview.ok
    error = refused(ValidationError, exchange.import_rows, world.animator, plan, preview,
                    unchanged=lambda: (_count(Action), _count(Objective)))
    assert error.code == "import_refused" and "Rien n'a été importé" in error.message
    assert list(error.fields.values()) == ["Ligne 6, Échéance : date attendue au format JJ/MM/AAAA."]


@pytest.mark.parametrize(("column", "value", "message"), [
    ("Échéance", "demain", "Échéance : date attendue au format JJ/MM/AAAA."),
    ("Début", 46000, "Début : date attendue au format JJ/MM/AAAA."),
    ("Échéance", "2026-01-01", "Échéance : l'échéance ne peut pas précéder le début."),
    ("Statut", "Peut-être", "Statut : valeur non reconnue ; valeurs possibles : « À faire », « En cours », "
                            "« Réalisée », « Abandonnée »."),
    ("Avancement", 150, "Avancement : nombre entier entre 0 et 100 attendu."),
    ("Avancement", "beaucoup", "Avancement : nombre entier entre 0 et 100 attendu."),
    ("Avancement", 12.5, "Avancement : nombre entier entre 0 et 100 attendu."),
    ("Priorité", "Urgente", "Priorité : valeur non reconnue ; valeurs possibles : « Basse », « Normale », « Haute »."),
    ("Responsable", "personne.inconnue@ght-exemple.fr", "Responsable : « personne.inconnue@ght-exemple.fr » n'est "
                                                         "pas une personne membre de l'espace"),
    ("Co-responsables", "Membre; Quelqu'un d'autre", "Co-responsables : « Quelqu'un d'autre » n'est pas une "
                                                     "personne membre de l'espace"),
    ("Action", "   ", "Action : ce champ est obligatoire."),
    ("Action", "x" * 201, "Action : 200 caractères au maximum."),
    ("Objectif", None, "Objectif : ce champ est obligatoire."),
    ("Statut", "Réalisée", "Résultat : obligatoire pour une action réalisée ou abandonnée."),
    ("Description", "Texte \u202eretourné", "Description : contient des caractères invisibles"),
])
def test_each_kind_of_wrong_cell_is_named(world, plan, column, value, message):
    row = ["Qualité", "Former les équipes", "", world.member.email, "", "15/03/2026", "30/06/2026", "En cours", 10,
           "Normale", ""]
    row[HEADERS.index(column)] = value
    preview = preview_of(world, plan, workbook([row]))
    assert str(preview.errors[0]).startswith(f"Ligne 2, {message}")
    assert preview.rows == []


def test_an_owner_outside_the_space_is_refused_as_an_unknown_one(world, plan):
    """The stranger and the deactivated member exist: the file learns nothing more than for nobody."""
    texts = []
    for owner in (world.stranger.email, world.deactivated.email, world.outsider.name, "nobody@ght-exemple.fr"):
        preview = preview_of(world, plan, workbook([["Qualité", "Audit", "", owner]]))
        texts.append(str(preview.errors[0]).replace(owner, "X"))
    assert len(set(texts)) == 1
    assert texts[0] == ("Ligne 2, Responsable : « X » n'est pas une personne membre de l'espace (indiquez son "
                        "adresse électronique ou son nom complet).")


def test_two_members_of_one_name_need_an_email(world, plan, create_user):
    from rse.communities.models import Membership

    twin = create_user("staff", name="Membre")
    _db.session.add(Membership(community_id=plan.community_id, user_id=twin.id, role="member"))
    _db.session.commit()
    preview = preview_of(world, plan, workbook([["Qualité", "Audit", "", "Membre"],
                                                ["Qualité", "Audit 2", "", twin.email]]))
    assert [str(e) for e in preview.errors] == [
        "Ligne 2, Responsable : plusieurs membres de l'espace portent ce nom : indiquez son adresse électronique."]
    assert preview.rows[0].owner.id == twin.id


def _zip_of(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(("content", "code", "message"), [
    (b"", "empty_file", "Le fichier est vide."),
    (pdf_bytes(), "not_xlsx", "Ce fichier n'est pas un classeur Excel (.xlsx)."),
    (b"Objectif;Action\nQualit\xe9;Audit\n", "not_xlsx", "Ce fichier n'est pas un classeur Excel (.xlsx)."),
    (_zip_of("word/document.xml", b"<w:document/>"), "unreadable_xlsx", "Ce classeur est illisible ou endommagé"),
    (b"PK\x03\x04" + b"\x00" * 100, "not_xlsx", "Ce fichier n'est pas un classeur Excel"),
    (b"x" * (exchange.MAX_IMPORT_BYTES + 1), "file_too_large", "Le fichier dépasse la taille maximale (5 Mo)."),
    (workbook([["Qualité", "Audit"]], ["Objectif", "Titre de l'action"]), "no_header_row",
     "Aucune ligne d'en-tête trouvée"),
    (workbook([]), "no_rows", "Le fichier n'a aucune action sous sa ligne d'en-tête."),
])
def test_a_file_that_is_no_table_of_actions_is_refused_with_a_code(world, plan, content, code, message):
    with pytest.raises(ValidationError) as refusal:
        preview_of(world, plan, content)
    assert refusal.value.code == code and refusal.value.message.startswith(message)


def test_more_than_5000_rows_are_refused(world, plan):
    content = workbook([["Qualité", f"Action {n}"] for n in range(exchange.MAX_IMPORT_ROWS + 1)], ["Objectif", "Action"])
    with pytest.raises(ValidationError) as refusal:
        preview_of(world, plan, content)
    assert refusal.value.code == "too_many_rows" and refusal.value.message == "Le fichier a trop de lignes : 5000 au plus."


def test_only_who_manages_the_plan_reads_a_file_into_it_or_imports(world, plan, refused):
    content = workbook([["Qualité", "Audit"]])
    preview = preview_of(world, plan, content)
    for actor in (world.member, world.partner):
        refused(PermissionDenied, preview_of, world, plan, content, actor)
        error = refused(PermissionDenied, exchange.import_rows, actor, plan, preview, unchanged=lambda: _count(Action))
        assert error.status == 403
    error = refused(PermissionDenied, exchange.import_rows, world.stranger, plan, preview)
    assert error.status == 404


# --- Export -------------------------------------------------------------------------------------------

@pytest.fixture
def filled(world, plan):
    exchange.import_rows(world.animator, plan, preview_of(world, plan, workbook(forty_rows(world))))
    action = plans.plan_actions(world.animator, plan)[0]
    indicator = plans.add_indicator(world.animator, action, {"name": "Places ouvertes", "unit": "places",
                                                             "value_type": "integer", "baseline": 0, "target": 10})
    plans.record_value(world.animator, indicator, {"measured_on": "2026-06-30", "value": 4, "source": "ARS"})
    _db.session.commit()
    return plan


def _rows_of(actions) -> list[tuple]:
    return sorted((a.objective.title, a.title, a.description, a.owner_id, sorted(a.co_owner_ids), a.start_date,
                   a.due_date, a.status, a.progress, a.priority, a.result_note) for a in actions)


def test_the_xlsx_export_reads_back_as_the_plan_and_imports_again(world, filled):
    content = export.to_xlsx(world.partner, filled)
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Actions", "Indicateurs"]
    sheet = book["Actions"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:K41"
    actions = plans.plan_actions(world.partner, filled, plans.Filters(sort="objective"))
    lines = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(lines) == 40
    for line, action in zip(lines, actions, strict=True):
        assert line[:3] == (action.objective.title, action.title, action.description or None)
        assert line[6] == (datetime.combine(action.due_date, datetime.min.time()) if action.due_date else None)
        assert line[8] == action.progress and isinstance(line[8], int)
    assert lines[0][3] == "Partenaire membre" and lines[0][4] == "Animatrice; Membre"
    assert lines[2][7] == "Réalisée" and lines[2][10] == "Fait en comité"
    indicators = list(book["Indicateurs"].iter_rows(values_only=True))
    assert indicators == [("Action", "Indicateur", "Unité", "Valeur initiale", "Cible", "Dernière valeur", "Date"),
                          (next(a.title for a in actions if a.indicators), "Places ouvertes", "places", 0, 10, 4,
                           datetime(2026, 6, 30))]

    empty = plans.create_plan(world.animator, filled.community, {"title": "Copie"})
    again = exchange.read_workbook(world.animator, empty, io.BytesIO(content))
    assert again.errors == []
    exchange.import_rows(world.animator, empty, again)
    _db.session.commit()
    assert _rows_of(plans.plan_actions(world.animator, empty)) == _rows_of(actions)


def test_text_that_looks_like_a_formula_stays_text(world, plan):
    objective = plan.objectives[0]
    plans.create_action(world.animator, objective, {"title": "=HYPERLINK(\"http://evil\",\"clic\")",
                                                    "description": "+33 6 00 00 00 00"})
    _db.session.commit()
    sheet = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(world.animator, plan)))["Actions"]
    title, description = sheet["B2"], sheet["C2"]
    assert title.data_type == "s" and title.value == "=HYPERLINK(\"http://evil\",\"clic\")" and title.quotePrefix
    assert description.data_type == "s" and description.quotePrefix


def test_the_pdf_has_the_titles_the_counts_and_page_numbers(world, filled):
    content = export.to_pdf(world.member, filled)
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Plan d'actions CPOM 2026-2030" in text and "Espace private" in text
    assert "40 actions : 8 à faire, 16 en cours, 8 réalisées, 8 abandonnées" in text
    for title in ("Objectif : Améliorer le parcours", "Objectif : Piloter le CPOM", "Action 01", "Action 40",
                  "Fait en comité"):
        assert title in text
    assert f"Page 1 / {len(reader.pages)}" in text and len(reader.pages) >= 2
    # The header is repeated on every page of the table.
    assert all("Échéance" in page.extract_text() for page in reader.pages)


def test_an_empty_plan_exports_too(world, plan):
    text = PdfReader(io.BytesIO(export.to_pdf(world.animator, plan))).pages[0].extract_text()
    assert "Ce plan n'a encore aucune action." in text
    sheet = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(world.animator, plan)))["Actions"]
    assert [c.value for c in sheet[1]] == HEADERS and sheet.max_row == 1


def test_an_export_names_only_the_people_its_reader_may_see(world):
    """A public plan: the staff outsider reads it; a co-owner only in the secret space stays unnamed for
    whoever may not see them (here: nobody outside is a partner; the name test runs for the stranger's view)."""
    space = world.spaces["public"]
    public = plans.create_plan(world.animator, space, {"title": "Plan public"})
    objective = plans.add_objective(world.animator, public, {"title": "Objectif"})
    plans.create_action(world.animator, objective, {"title": "Action publique", "owner_id": world.partner.id})
    _db.session.commit()
    sheet = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(world.outsider, public)))["Actions"]
    assert sheet["B2"].value == "Action publique" and sheet["D2"].value == "Partenaire membre"
    with pytest.raises(PermissionDenied) as refusal:
        export.to_xlsx(world.stranger, public)
    assert refusal.value.status == 404


# --- Pages: who may import and export -------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# actor: (import page, export) statuses on the private space's plan.
PAGES = {"admin": (200, 200), "animator": (200, 200), "member": (403, 200), "outsider": (404, 404),
         "partner": (403, 200), "stranger": (404, 404), "deactivated": (LOGIN, LOGIN), "anonymous": (LOGIN, LOGIN)}
SAYS = {200: None, 403: "Vous n'avez pas les droits pour cette action.", 404: "Page introuvable"}


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("actor", list(PAGES))
def test_who_may_import_and_export_and_what_each_is_told(app, world, plan, login, db, actor):
    client = _web_client(world, actor, login, db) or app.test_client()
    importing, exporting = PAGES[actor]
    page = client.get(f"/plans/{plan.id}/import")
    upload = client.post(f"/plans/{plan.id}/import", data={"file": (io.BytesIO(workbook([["Q", "A"]])), "p.xlsx")},
                         content_type="multipart/form-data")
    files = [client.get(f"/plans/{plan.id}/export.{fmt}") for fmt in ("xlsx", "pdf")]
    assert page.status_code == importing and upload.status_code == importing
    assert [f.status_code for f in files] == [exporting, exporting]
    if importing == 200:
        assert "Colonnes attendues" in _text(page) and "Aperçu de l'import" in _text(upload)
    elif importing == LOGIN:
        assert "/connexion" in page.headers["Location"] and "/connexion" in upload.headers["Location"]
    else:
        assert SAYS[importing] in _text(page) and "Plan d'actions CPOM" not in _text(page)
    if exporting == 200:
        assert files[0].content_type == XLSX and files[1].content_type == "application/pdf"
        for response in files:
            assert response.headers["Content-Disposition"].startswith(f'attachment; filename="plan-{plan.id}-')
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "no-store" in response.headers["Cache-Control"]
    elif exporting == 404:
        assert all(SAYS[404] in _text(f) and "CPOM" not in _text(f) for f in files)
    assert _count(Action) == 0


def test_upload_preview_then_confirm_imports_and_the_file_is_gone(app, world, plan, login):
    client = login(world.animator)
    response = client.post(f"/plans/{plan.id}/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(workbook(forty_rows(world))), "cpom.xlsx")})
    page = _text(response)
    assert response.status_code == 200 and "40 actions prêtes à être créées" in page and "3 nouveaux objectifs" in page
    assert "Créer ces 40 actions" in page and _count(Action) == 0
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    done = client.post(f"/plans/{plan.id}/import/confirmer", data={"token": token})
    assert done.status_code == 302 and _count(Action) == 40
    assert "Import terminé : 40 action(s) et 3 nouvel(s) objectif(s) créés." in _text(client.get(done.headers["Location"]))
    again = client.post(f"/plans/{plan.id}/import/confirmer", data={"token": token}, follow_redirects=True)
    assert "Ce fichier n'est plus disponible" in _text(again) and _count(Action) == 40


def test_a_token_is_good_only_for_its_session_and_plan(app, world, plan, login):
    animator = login(world.animator)
    response = animator.post(f"/plans/{plan.id}/import", content_type="multipart/form-data",
                             data={"file": (io.BytesIO(workbook([["Qualité", "Audit"]])), "cpom.xlsx")})
    token = _text(response).split('name="token" type="hidden" value="')[1].split('"')[0]
    admin = login(world.admin)  # another session, allowed on the plan
    refused = admin.post(f"/plans/{plan.id}/import/confirmer", data={"token": token}, follow_redirects=True)
    other = plans.create_plan(world.animator, world.spaces["private"], {"title": "Autre plan"})
    _db.session.commit()
    elsewhere = animator.post(f"/plans/{other.id}/import/confirmer", data={"token": token}, follow_redirects=True)
    assert "Ce fichier n'est plus disponible" in _text(refused) and "Ce fichier n'est plus disponible" in _text(elsewhere)
    assert _count(Action) == 0


def test_a_wrong_file_shows_its_errors_and_no_confirm_button(app, world, plan, login):
    client = login(world.animator)
    rows = forty_rows(world)
    rows[6][8] = 140
    response = client.post(f"/plans/{plan.id}/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(workbook(rows)), "cpom.xlsx")})
    page = _text(response)
    assert response.status_code == 422 and "Ligne 8, Avancement : nombre entier entre 0 et 100 attendu." in page
    assert "1 erreur dans le fichier" in page and "Créer" not in page
    not_xlsx = client.post(f"/plans/{plan.id}/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(pdf_bytes()), "cpom.xlsx")})
    assert not_xlsx.status_code == 422 and "Ce fichier n'est pas un classeur Excel (.xlsx)." in _text(not_xlsx)
    nothing = client.post(f"/plans/{plan.id}/import", data={})
    assert nothing.status_code == 422 and "Choisissez un fichier .xlsx." in _text(nothing)
    assert _count(Action) == 0
