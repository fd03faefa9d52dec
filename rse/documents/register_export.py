"""The register of controlled documents as files for the certification visit: XLSX and PDF.

The caller has already chosen the rows through the permission layer and localized the labels of
types and states; this module only lays them out. Both functions run inside an app (or request)
context, for the translations and the user's locale and time zone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from babel.numbers import format_percent
from flask_babel import get_locale
from flask_babel import gettext as _

from rse import pdftables
from rse.i18n import format_day, format_moment
from rse.pdftables import Cell
from rse.spreadsheets import put_text


@dataclass(frozen=True)
class RegisterRow:
    code: str                 # "HYG-PRO-012"
    title: str
    kind: str                 # localized type label: "Protocole"
    state: str                # localized state label: "En vigueur", "En approbation", "Révision dépassée"...
    version: int | None       # number of the version in force (None: none yet)
    effective: date | None    # effective date of the version in force
    next_review: date | None
    overdue: bool             # review date passed
    reading_done: int         # people who confirmed reading the version in force
    reading_total: int        # people required to read it (0: no reading required)
    space: str                # the space's name
    url: str                  # absolute URL of the document page


@dataclass(frozen=True)
class RegisterExport:
    title: str                # "Registre des documents maîtrisés — Hygiène" (caller localizes)
    generated_at: datetime    # aware UTC
    generated_by: str         # person's display name
    filters: list[str]        # human lines describing the filters applied ("État : en vigueur")
    rows: list[RegisterRow]


def _headings() -> list[str]:
    """The columns of both files, in order (the PDF leaves out the last, the link)."""
    return [_("Code"), _("Titre"), _("Type"), _("État"), _("Version en vigueur"), _("Date d'effet"),
            _("Prochaine révision"), _("Lecture (confirmés / requis)"), _("Taux de lecture"), _("Espace"),
            _("Lien")]


def _generated_line(export: RegisterExport) -> str:
    return _("Généré le %(moment)s par %(person)s", moment=format_moment(export.generated_at),
             person=export.generated_by)


def _filter_lines(export: RegisterExport) -> list[str]:
    return export.filters or [_("Aucun filtre : tous les documents maîtrisés.")]


def _empty_sentence() -> str:
    return _("Aucun document maîtrisé ne correspond à ces filtres.")


def _reading(row: RegisterRow) -> str:
    return f"{row.reading_done} / {row.reading_total}" if row.reading_total else ""


def _rate(row: RegisterRow) -> float | None:
    return row.reading_done / row.reading_total if row.reading_total else None


# --- XLSX -----------------------------------------------------------------------------------------

# Characters by column; the title and the space wrap inside theirs.
_XLSX_WIDTHS = (16, 48, 16, 20, 11, 13, 13, 16, 11, 26, 48)
_OVERDUE_RED = "8B0000"


def to_xlsx(export: RegisterExport) -> bytes:
    """One sheet: the title, who generated it and when, the filters, then the table with a
    frozen header and an autofilter; dates and the reading rate are real dates and numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.properties.title = export.title
    book.properties.creator = export.generated_by
    sheet = book.active
    sheet.title = _("Registre")

    put_text(sheet.cell(row=1, column=1), export.title)
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    put_text(sheet.cell(row=2, column=1), _generated_line(export))
    sheet.cell(row=2, column=1).font = Font(italic=True, color="404040")
    line = 3
    for text in _filter_lines(export):
        put_text(sheet.cell(row=line, column=1), text)
        line += 1
    header = line + 1  # a blank line between the filters and the table

    headings = _headings()
    bottom = Border(bottom=Side(style="thin", color="404040"))
    for column, label in enumerate(headings, 1):
        cell = sheet.cell(row=header, column=column)
        put_text(cell, label)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DCE6F1")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = bottom

    percent = "0.0 %" if get_locale().language == "fr" else "0.0%"
    wrapped = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for number, row in enumerate(export.rows, header + 1):
        cells = [sheet.cell(row=number, column=column) for column in range(1, len(headings) + 1)]
        code, title, kind, state, version, effective, review, reading, rate, space, link = cells
        code.style = "Hyperlink"
        put_text(code, row.code)
        code.hyperlink = row.url
        put_text(title, row.title)
        put_text(kind, row.kind)
        put_text(state, row.state)
        version.value = row.version
        effective.value = row.effective
        review.value = row.next_review
        for day in (effective, review):
            day.number_format = "DD/MM/YYYY"
        if row.overdue:
            review.font = Font(bold=True, color=_OVERDUE_RED)
        put_text(reading, _reading(row))
        rate.value = _rate(row)
        rate.number_format = percent
        put_text(space, row.space)
        link.style = "Hyperlink"
        put_text(link, row.url)
        link.hyperlink = row.url
        for column, cell in enumerate(cells):
            cell.alignment = wrapped if column in (1, 9) else top  # the title and the space wrap

    last = header + len(export.rows)
    if not export.rows:
        put_text(sheet.cell(row=header + 1, column=1), _empty_sentence())
        sheet.cell(row=header + 1, column=1).font = Font(italic=True)
    for column, width in enumerate(_XLSX_WIDTHS, 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = f"A{header + 1}"
    sheet.auto_filter.ref = f"A{header}:{get_column_letter(len(headings))}{last}"

    # Printed, as it often is for the visit: landscape A4, one page wide, the header on each page.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = f"{header}:{header}"

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- PDF ------------------------------------------------------------------------------------------

# Millimetres on A4 landscape between 10 mm margins (277 mm): the columns of _headings() but the link.
_PDF_WIDTHS = (27, 70, 24, 28, 16, 22, 24, 22, 17, 27)


def to_pdf(export: RegisterExport) -> bytes:
    """A4 landscape: the title, who generated it and when, the filters, then the table (its
    header repeated on each page, the code a link to the document), « Page n / N » below."""
    pdf = pdftables.landscape_document(export.title, author=export.generated_by, created=export.generated_at)
    pdftables.heading(pdf, export.title, [_generated_line(export), *_filter_lines(export)])

    headings = [Cell(label, style="B") for label in _headings()[:-1]]
    pdftables.table_row(pdf, headings, _PDF_WIDTHS, fill=True)
    for row in export.rows:
        rate = _rate(row)
        cells = [
            Cell(row.code, style="U", color=pdftables.BLUE, link=row.url),
            Cell(row.title),
            Cell(row.kind),
            Cell(row.state),
            Cell(str(row.version) if row.version is not None else "—", align="R"),
            Cell(format_day(row.effective) or "—"),
            Cell(format_day(row.next_review) or "—", style="B" if row.overdue else "",
                 color=pdftables.DARK_RED if row.overdue else pdftables.TEXT),
            Cell(_reading(row) or "—", align="R"),
            Cell(_percent(rate) if rate is not None else "—", align="R"),
            Cell(row.space),
        ]
        pdftables.table_row(pdf, cells, _PDF_WIDTHS, fill=False, headings=headings)
    if not export.rows:
        pdf.ln(3)
        pdftables.sentence(pdf, _empty_sentence())
    return bytes(pdf.output())


def _percent(rate: float) -> str:
    """« 12,5 % », « 50 % »: one decimal at most, written as the reader's language writes it."""
    return format_percent(round(rate, 3), locale=get_locale(), decimal_quantization=False)
