"""A plan as files for its review meeting: XLSX in the columns of the import (so that it imports
again), with the indicators on a second sheet, and PDF on A4 landscape. Only what the actor reads:
the actions through the permission layer, the people they may see by name.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from rse import pdftables, permissions
from rse.accounts.models import User
from rse.database import db
from rse.dbtypes import utcnow
from rse.i18n import format_day, format_moment, local_today
from rse.pdftables import Cell
from rse.spreadsheets import put_text

from . import service
from .exchange import COLUMNS, PRIORITY_LABELS, STATUS_LABELS
from .models import Action, ActionStatus, Indicator, Plan, Priority


@dataclass
class _Export:
    plan: Plan
    actions: list[Action]
    names: dict[int, str]          # the people the actor may see, by id
    indicators: list[Indicator]
    today: date

    def owner(self, action: Action) -> str:
        return self.names.get(action.owner_id, "") if action.owner_id else ""

    def co_owners(self, action: Action) -> list[str]:
        return [self.names[i] for i in sorted(action.co_owner_ids) if i in self.names]


def _gather(actor: User, plan: Plan) -> _Export:
    actions = service.plan_actions(actor, plan, service.Filters(sort="objective"))
    ids = {i for action in actions for i in action.owner_ids}
    seen = select(User.id, User.name).where(User.id.in_(ids), permissions.visible(actor, User))
    names: dict[int, str] = dict(db.session.execute(seen).tuples().all()) if ids else {}
    readable = select(Action.id).where(Action.plan_id == plan.id, permissions.readable(actor, Action))
    indicators = list(db.session.scalars(
        select(Indicator).join(Action, Action.id == Indicator.action_id).where(Indicator.action_id.in_(readable))
        .order_by(Action.id, Indicator.position, Indicator.id)))
    return _Export(plan, actions, names, indicators, local_today())


_XLSX_WIDTHS = {"objective": 36, "title": 48, "description": 48, "owner": 24, "co_owners": 30, "start_date": 12,
                "due_date": 12, "status": 13, "progress": 12, "priority": 10, "result_note": 40}


def _sheet_table(sheet, headers: list[str], rows: list[list], widths: list[int]) -> None:
    """Header on row 1 (bold, frozen, with an autofilter), then the rows; text cells guarded."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    for number, label in enumerate(headers, 1):
        cell = sheet.cell(row=1, column=number)
        put_text(cell, label)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DCE6F1")
    top = Alignment(vertical="top", wrap_text=True)
    for line, values in enumerate(rows, 2):
        for number, value in enumerate(values, 1):
            cell = sheet.cell(row=line, column=number)
            if isinstance(value, str):
                put_text(cell, value)
            else:
                cell.value = value
                if isinstance(value, date):
                    cell.number_format = "DD/MM/YYYY"
            cell.alignment = top
    for number, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(1, len(rows) + 1)}"


def to_xlsx(actor: User, plan: Plan) -> bytes:
    """Sheet « Actions » in the import's columns (real dates, progress as a number), and sheet
    « Indicateurs »: each indicator of those actions with its latest value."""
    from openpyxl import Workbook

    export = _gather(actor, plan)
    book = Workbook()
    book.properties.title = plan.title
    book.properties.creator = actor.name
    sheet = book.active
    sheet.title = "Actions"
    rows = [[a.objective.title, a.title, a.description, export.owner(a), "; ".join(export.co_owners(a)),
             a.start_date, a.due_date, STATUS_LABELS[ActionStatus(a.status)], a.progress,
             PRIORITY_LABELS[Priority(a.priority)], a.result_note] for a in export.actions]
    _sheet_table(sheet, [c.header for c in COLUMNS], rows, [_XLSX_WIDTHS[c.key] for c in COLUMNS])
    for line in range(2, len(rows) + 2):
        sheet.cell(row=line, column=9).number_format = "0"

    indicators = book.create_sheet("Indicateurs")
    headers = ["Action", "Indicateur", "Unité", "Valeur initiale", "Cible", "Dernière valeur", "Date"]
    _sheet_table(indicators, headers, [
        [i.action.title, i.name, i.unit, i.baseline, i.target, i.latest.value if i.latest else None,
         i.latest.measured_on if i.latest else None] for i in export.indicators], [48, 36, 12, 14, 12, 14, 12])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# Millimetres on A4 landscape between 10 mm margins (277 mm).
_PDF_WIDTHS = (76, 42, 20, 20, 26, 18, 17, 58)


def to_pdf(actor: User, plan: Plan) -> bytes:
    """A4 landscape for the review meeting: the plan's title, the date, counts per status, then the
    actions under each objective, the table's header repeated on each page, « Page n / N » below."""
    export = _gather(actor, plan)
    generated = utcnow()
    pdf = pdftables.landscape_document(plan.title, author=actor.name, created=generated)
    counts = dict.fromkeys(ActionStatus, 0)
    for action in export.actions:
        counts[ActionStatus(action.status)] += 1
    late = sum(action.is_late(export.today) for action in export.actions)
    pdftables.heading(pdf, plan.title, [
        f"{plan.community.name} — " + _("Généré le %(moment)s par %(person)s", moment=format_moment(generated),
                                          person=actor.name),
        _("%(total)d actions : %(todo)d à faire, %(doing)d en cours, %(done)d réalisées, %(dropped)d abandonnées ; "
          "%(late)d en retard.", total=len(export.actions), todo=counts[ActionStatus.NOT_STARTED],
          doing=counts[ActionStatus.IN_PROGRESS], done=counts[ActionStatus.DONE],
          dropped=counts[ActionStatus.ABANDONED], late=late)])
    headings = [Cell(label, style="B") for label in (
        _("Action"), _("Responsables"), _("Début"), _("Échéance"), _("Statut"), _("Avancement"), _("Priorité"),
        _("Résultat"))]
    if not export.actions:
        pdftables.sentence(pdf, _("Ce plan n'a encore aucune action."))
        return bytes(pdf.output())
    current = None
    for action in export.actions:
        if action.objective_id != current:
            current = action.objective_id
            if pdf.get_y() + 20 > pdf.page_break_trigger:
                pdf.add_page()
            pdf.ln(2)
            pdftables.sentence(pdf, _("Objectif : %(title)s", title=action.objective.title), style="B", size=10,
                               color=pdftables.BLUE)
            pdftables.table_row(pdf, headings, _PDF_WIDTHS, fill=True)
        is_late = action.is_late(export.today)
        status = STATUS_LABELS[ActionStatus(action.status)] + (f" ({_('en retard')})" if is_late else "")
        people = ", ".join(filter(None, [export.owner(action), *export.co_owners(action)]))
        pdftables.table_row(pdf, [
            Cell(action.title), Cell(people or "—"), Cell(format_day(action.start_date) or "—"),
            Cell(format_day(action.due_date) or "—", style="B" if is_late else "",
                 color=pdftables.DARK_RED if is_late else pdftables.TEXT),
            Cell(status), Cell(f"{action.progress}\u00a0%", align="R"),
            Cell(PRIORITY_LABELS[Priority(action.priority)]),
            Cell(action.result_note or "")], _PDF_WIDTHS, fill=False, headings=headings)
    return bytes(pdf.output())
