"""Tables in PDF files for printing (registers, plans): an A4 landscape document in the bundled Unicode
font with « Page n / N » below, and a table whose header is drawn again on each page.

The table is drawn here rather than with FPDF.table(): that lays each cell out a character at a
time, twice (18 s for 1,000 rows); this measures each word once from the font's widths.
Runs inside an app context (the font folder, the translations, the user's locale).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

# The Unicode font the app already ships (with the PDF reader's standard fonts), so that accents,
# « », ’ and — print wherever the app runs, with no system font installed.
FONT = "LiberationSans"
_FONT_FILES = {"": "LiberationSans-Regular.ttf", "B": "LiberationSans-Bold.ttf",
               "I": "LiberationSans-Italic.ttf"}
# Spaces the font has no glyph for, written as the no-break space it has (CLDR puts U+202F in
# French numbers and before « : » in some locales).
_SPACES = str.maketrans({"\u202f": "\u00a0", "\u2009": "\u00a0", "\u2007": "\u00a0"})

TEXT = (20, 20, 20)
BLUE = (11, 60, 120)
DARK_RED = (139, 0, 0)
_TABLE_SIZE = 8  # points
_LINE = 4  # millimetres between lines in a cell
_PAD = 1.2  # millimetres inside each cell's border
_HEADING_FILL = (220, 230, 241)


def pdf_text(text: str) -> str:
    """Text the bundled font can print (its missing spaces replaced)."""
    return text.translate(_SPACES).replace("\t", " ")


def _font_folder() -> Path:
    return Path(current_app.static_folder or "static") / "vendor" / "pdfjs" / "standard_fonts"


def landscape_document(title: str, *, author: str, created: datetime):
    """A new A4 landscape PDF with 10 mm margins and the bundled font, its first page added; each
    page's footer shows the title on the left and « Page n / N » on the right."""
    from fpdf import FPDF

    title = pdf_text(title)

    class Document(FPDF):
        def footer(self) -> None:
            self.set_y(-10)
            self.set_font(FONT, "", 7.5)
            self.set_text_color(70, 70, 70)
            self.cell(self.epw / 2, 5, title, align="L")
            self.cell(self.epw / 2, 5, _("Page %(page)s / %(pages)s", page=self.page_no(), pages="{nb}"),
                      align="R")

    pdf = Document(orientation="landscape", format="A4")
    folder = _font_folder()
    for style, filename in _FONT_FILES.items():
        pdf.add_font(FONT, style, str(folder / filename))
    pdf.set_title(title)
    pdf.set_author(pdf_text(author))
    pdf.set_creation_date(created)
    pdf.set_lang(str(get_locale()))
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_page()
    return pdf


def heading(pdf, title: str, lines: list[str]) -> None:
    """The document's title in large blue letters, then a few grey lines (who, when, filters)."""
    pdf.set_font(FONT, "B", 15)
    pdf.set_text_color(*BLUE)
    pdf.multi_cell(0, 7, pdf_text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(60, 60, 60)
    for text in lines:
        pdf.multi_cell(0, 5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def sentence(pdf, text: str, *, style: str = "I", size: float = 9, color: tuple[int, int, int] = TEXT) -> None:
    """A line of text across the page (an empty table's sentence, a section's title)."""
    pdf.set_font(FONT, style, size)
    pdf.set_text_color(*color)
    pdf.multi_cell(0, 5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")


@dataclass(frozen=True)
class Cell:
    text: str
    style: str = ""  # "B" bold, "U" underlined
    color: tuple[int, int, int] = TEXT
    align: str = "L"  # or "R"
    link: str | None = None


def table_row(pdf, cells: list[Cell], widths: tuple[float, ...], *, fill: bool,
              headings: list[Cell] | None = None) -> None:
    """Draws one row at the current position and moves below it (`widths` in mm, one per cell). A row
    of the table's body that would cross the page's bottom goes on a new page, under the `headings` again."""
    wrapped = []
    for cell, width in zip(cells, widths, strict=True):
        pdf.set_font(FONT, cell.style.replace("U", ""), _TABLE_SIZE)
        wrapped.append(_wrap(_measure(pdf), pdf_text(cell.text), width - 2 * _PAD))
    height = max(len(lines) for lines in wrapped) * _LINE + 2 * _PAD
    if headings is not None and pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
        table_row(pdf, headings, widths, fill=True)
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_draw_color(60, 60, 60)
    pdf.set_line_width(0.2)
    pdf.set_fill_color(*_HEADING_FILL)
    for cell, width, lines in zip(cells, widths, wrapped, strict=True):
        pdf.rect(x, y, width, height, style="DF" if fill else "D")
        pdf.set_font(FONT, cell.style, _TABLE_SIZE)
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
    where it reaches the edge. A line break in the text starts a new line."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines.extend(_wrap_line(measure, paragraph, width))
    return lines


def _wrap_line(measure, text: str, width: float) -> list[str]:
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
