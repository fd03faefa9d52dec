"""The register of controlled documents as files for the certification visit: XLSX and PDF.

The caller has already chosen the rows through the permission layer and localized the labels of
types and states; this module only lays them out. Both functions run inside an app (or request)
context, for the translations and the user's locale and time zone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from babel.numbers import format_percent
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from rse.i18n import format_day, format_moment
from rse.spreadsheets import starts_like_formula


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


def _put_text(cell, text: str) -> None:
    """A text cell that no spreadsheet evaluates, whatever the text starts with.

    openpyxl would store "=…" as a formula: the cell is kept a string, and Excel's quote prefix
    keeps it one when someone edits the cell, without adding an apostrophe to the text itself.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("", text)  # control characters XML cannot carry
    cell.value = text
    if starts_like_formula(text):
        cell.data_type = "s"
        cell.quotePrefix = True


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

    _put_text(sheet.cell(row=1, column=1), export.title)
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    _put_text(sheet.cell(row=2, column=1), _generated_line(export))
    sheet.cell(row=2, column=1).font = Font(italic=True, color="404040")
    line = 3
    for text in _filter_lines(export):
        _put_text(sheet.cell(row=line, column=1), text)
        line += 1
    header = line + 1  # a blank line between the filters and the table

    headings = _headings()
    bottom = Border(bottom=Side(style="thin", color="404040"))
    for column, label in enumerate(headings, 1):
        cell = sheet.cell(row=header, column=column)
        _put_text(cell, label)
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
        _put_text(code, row.code)
        code.hyperlink = row.url
        _put_text(title, row.title)
        _put_text(kind, row.kind)
        _put_text(state, row.state)
        version.value = row.version
        effective.value = row.effective
        review.value = row.next_review
        for day in (effective, review):
            day.number_format = "DD/MM/YYYY"
        if row.overdue:
            review.font = Font(bold=True, color=_OVERDUE_RED)
        _put_text(reading, _reading(row))
        rate.value = _rate(row)
        rate.number_format = percent
        _put_text(space, row.space)
        link.style = "Hyperlink"
        _put_text(link, row.url)
        link.hyperlink = row.url
        for column, cell in enumerate(cells):
            cell.alignment = wrapped if column in (1, 9) else top  # the title and the space wrap

    last = header + len(export.rows)
    if not export.rows:
        _put_text(sheet.cell(row=header + 1, column=1), _empty_sentence())
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

# The Unicode font the app already ships (with the PDF reader's standard fonts), so that accents,
# « », ’ and — print wherever the app runs, with no system font installed.
_FONT = "LiberationSans"
_FONT_FILES = {"": "LiberationSans-Regular.ttf", "B": "LiberationSans-Bold.ttf",
               "I": "LiberationSans-Italic.ttf"}
# Spaces the font has no glyph for, written as the no-break space it has (CLDR puts U+202F in
# French numbers and before « : » in some locales).
_SPACES = str.maketrans({"\u202f": "\u00a0", "\u2009": "\u00a0", "\u2007": "\u00a0"})

# Millimetres on A4 landscape between 10 mm margins (277 mm): the columns of _headings() but the link.
_PDF_WIDTHS = (27, 70, 24, 28, 16, 22, 24, 22, 17, 27)
_TEXT = (20, 20, 20)
_BLUE = (11, 60, 120)
_DARK_RED = (139, 0, 0)


def _font_folder() -> Path:
    return Path(current_app.static_folder or "static") / "vendor" / "pdfjs" / "standard_fonts"


def _pdf_text(text: str) -> str:
    return text.translate(_SPACES)


def to_pdf(export: RegisterExport) -> bytes:
    """A4 landscape: the title, who generated it and when, the filters, then the table (its
    header repeated on each page, the code a link to the document), « Page n / N » below."""
    from fpdf import FPDF

    title = _pdf_text(export.title)

    class Register(FPDF):
        def footer(self) -> None:
            self.set_y(-10)
            self.set_font(_FONT, "", 7.5)
            self.set_text_color(70, 70, 70)
            self.cell(self.epw / 2, 5, title, align="L")
            self.cell(self.epw / 2, 5, _("Page %(page)s / %(pages)s", page=self.page_no(), pages="{nb}"),
                      align="R")

    pdf = Register(orientation="landscape", format="A4")
    folder = _font_folder()
    for style, filename in _FONT_FILES.items():
        pdf.add_font(_FONT, style, str(folder / filename))
    pdf.set_title(title)
    pdf.set_author(_pdf_text(export.generated_by))
    pdf.set_creation_date(export.generated_at)
    pdf.set_lang(str(get_locale()))
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_page()

    pdf.set_font(_FONT, "B", 15)
    pdf.set_text_color(*_BLUE)
    pdf.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, "", 9)
    pdf.set_text_color(60, 60, 60)
    pdf.multi_cell(0, 5, _pdf_text(_generated_line(export)), new_x="LMARGIN", new_y="NEXT")
    for text in _filter_lines(export):
        pdf.multi_cell(0, 5, _pdf_text(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    headings = [_Cell(label, style="B") for label in _headings()[:-1]]
    _table_row(pdf, headings, fill=True)
    for row in export.rows:
        rate = _rate(row)
        cells = [
            _Cell(row.code, style="U", color=_BLUE, link=row.url),
            _Cell(row.title),
            _Cell(row.kind),
            _Cell(row.state),
            _Cell(str(row.version) if row.version is not None else "—", align="R"),
            _Cell(format_day(row.effective) or "—"),
            _Cell(format_day(row.next_review) or "—", style="B" if row.overdue else "",
                  color=_DARK_RED if row.overdue else _TEXT),
            _Cell(_reading(row) or "—", align="R"),
            _Cell(_percent(rate) if rate is not None else "—", align="R"),
            _Cell(row.space),
        ]
        _table_row(pdf, cells, fill=False, headings=headings)
    if not export.rows:
        pdf.ln(3)
        pdf.set_font(_FONT, "I", 9)
        pdf.multi_cell(0, 5, _empty_sentence(), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# The table is drawn here rather than with FPDF.table(): that lays each cell out a character at a
# time, twice (18 s for 1,000 rows); this measures each word once from the font's widths.
_TABLE_SIZE = 8  # points
_LINE = 4  # millimetres between lines in a cell
_PAD = 1.2  # millimetres inside each cell's border
_HEADING_FILL = (220, 230, 241)


@dataclass(frozen=True)
class _Cell:
    text: str
    style: str = ""  # "B" bold, "U" underlined
    color: tuple[int, int, int] = _TEXT
    align: str = "L"  # or "R"
    link: str | None = None


def _table_row(pdf, cells: list[_Cell], *, fill: bool, headings: list[_Cell] | None = None) -> None:
    """Draws one row at the current position and moves below it. A row of the table's body
    that would cross the page's bottom goes on a new page, under the `headings` again."""
    wrapped = []
    for cell, width in zip(cells, _PDF_WIDTHS, strict=True):
        pdf.set_font(_FONT, cell.style.replace("U", ""), _TABLE_SIZE)
        wrapped.append(_wrap(_measure(pdf), _pdf_text(cell.text), width - 2 * _PAD))
    height = max(len(lines) for lines in wrapped) * _LINE + 2 * _PAD
    if headings is not None and pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
        _table_row(pdf, headings, fill=True)
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_draw_color(60, 60, 60)
    pdf.set_line_width(0.2)
    pdf.set_fill_color(*_HEADING_FILL)
    for cell, width, lines in zip(cells, _PDF_WIDTHS, wrapped, strict=True):
        pdf.rect(x, y, width, height, style="DF" if fill else "D")
        pdf.set_font(_FONT, cell.style, _TABLE_SIZE)
        pdf.set_text_color(*cell.color)
        measure = _measure(pdf)
        baseline = y + _PAD + _LINE / 2 + 0.3 * pdf.font_size  # where cell() would put it
        for number, line in enumerate(lines):
            left = x + width - _PAD - measure(line) if cell.align == "R" else x + _PAD
            pdf.text(left, baseline + number * _LINE, line)
        if cell.link:
            pdf.link(x, y, width, height, cell.link)
        x += width
    pdf.set_xy(pdf.l_margin, y + height)


def _measure(pdf):
    """The width in mm of a text at the current font, from its glyph widths (no layout)."""
    widths, scale = pdf.current_font.cw, pdf.font_size_pt * 0.001 / pdf.k
    return lambda text: sum(widths[ord(char)] for char in text) * scale


def _wrap(measure, text: str, width: float) -> list[str]:
    """The lines of a cell: words kept whole where they fit, a word wider than the cell cut
    where it reaches the edge."""
    lines: list[str] = []
    line, used = "", 0.0
    space = measure(" ")
    for word in text.split(" "):  # a no-break space keeps « 12,5 % » together
        size = measure(word)
        if line and used + space + size <= width:
            line, used = f"{line} {word}", used + space + size
            continue
        if line:
            lines.append(line)
        while size > width and len(word) > 1:
            cut, kept = 0, 0.0
            while cut < len(word) - 1 and kept + measure(word[cut]) <= width:
                kept += measure(word[cut])
                cut += 1
            cut = max(cut, 1)
            lines.append(word[:cut])
            word = word[cut:]
            size = measure(word)
        line, used = word, size
    lines.append(line)
    return lines


def _percent(rate: float) -> str:
    """« 12,5 % », « 50 % »: one decimal at most, written as the reader's language writes it."""
    return format_percent(round(rate, 3), locale=get_locale(), decimal_quantization=False)
