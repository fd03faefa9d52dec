"""The register's XLSX and PDF files, read back as a spreadsheet program and a PDF reader would."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

import openpyxl
import pytest
from flask_babel import force_locale
from pypdf import PdfReader

from rse.documents.register_export import RegisterExport, RegisterRow, to_pdf, to_xlsx

# Pure layout: no database read, so SQLite alone gives the context.
pytestmark = pytest.mark.parametrize("app", ["sqlite"], indirect=True)

GENERATED = datetime(2026, 12, 6, 23, 42, tzinfo=UTC)  # 00:42 on 7 December in Paris
HEADINGS = ["Code", "Titre", "Type", "État", "Version en vigueur", "Date d'effet", "Prochaine révision",
            "Lecture (confirmés / requis)", "Taux de lecture", "Espace", "Lien"]
HEADER_ROW = 5  # title, generated line, one filter, a blank line


def row(code: str = "HYG-PRO-012", **fields) -> RegisterRow:
    values = dict(code=code, title="Hygiène des mains : « friction » hydro-alcoolique — l’essentiel",
                  kind="Protocole", state="En vigueur", version=3, effective=date(2026, 3, 1),
                  next_review=date(2027, 3, 1), overdue=False, reading_done=45, reading_total=120,
                  space="Hygiène", url=f"http://maillage.test/documents/{code.lower()}")
    values.update(fields)
    return RegisterRow(**values)


def export(rows: list[RegisterRow], filters: list[str] | None = None) -> RegisterExport:
    return RegisterExport(title="Registre des documents maîtrisés — Hygiène", generated_at=GENERATED,
                          generated_by="Élodie Marchand",
                          filters=["État : en vigueur"] if filters is None else filters, rows=rows)


def sheet_of(content: bytes):
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Registre"]
    return book["Registre"]


def pdf_text(content: bytes) -> tuple[int, str]:
    """The pages and their words, one space between (headings wrap inside their cells)."""
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def text_runs(page) -> list[tuple[str, float, float]]:
    """Each piece of text the page draws, with where it starts (x, y in points)."""
    runs: list[tuple[str, float, float]] = []

    def visit(text, _cm, tm, _font, _size):
        if text.strip():
            runs.append((text.strip(), tm[4], tm[5]))

    page.extract_text(visitor_text=visit)
    return runs


# --- XLSX -----------------------------------------------------------------------------------------

def test_xlsx_starts_with_the_title_who_generated_it_and_the_filters(app):
    with app.test_request_context():
        sheet = sheet_of(to_xlsx(export([row()])))
    assert sheet["A1"].value == "Registre des documents maîtrisés — Hygiène"
    assert sheet["A2"].value == "Généré le 7 déc. 2026 à 00:42 par Élodie Marchand"
    assert sheet["A3"].value == "État : en vigueur"
    assert [cell.value for cell in sheet[HEADER_ROW]] == HEADINGS


def test_xlsx_header_is_frozen_and_filters_the_whole_table(app):
    with app.test_request_context():
        sheet = sheet_of(to_xlsx(export([row("HYG-PRO-001"), row("HYG-PRO-002"), row("HYG-PRO-003")])))
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}"
    assert sheet.auto_filter.ref == f"A{HEADER_ROW}:K{HEADER_ROW + 3}"
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"  # on each printed page
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width  # titles get room


def test_xlsx_row_has_real_dates_a_real_rate_and_a_link(app):
    with app.test_request_context():
        sheet = sheet_of(to_xlsx(export([row()])))
    cells = dict(zip(HEADINGS, sheet[HEADER_ROW + 1], strict=True))
    assert cells["Code"].value == "HYG-PRO-012"
    assert cells["Code"].hyperlink.target == "http://maillage.test/documents/hyg-pro-012"
    assert cells["Titre"].value == "Hygiène des mains : « friction » hydro-alcoolique — l’essentiel"
    assert (cells["Type"].value, cells["État"].value, cells["Espace"].value) == ("Protocole", "En vigueur", "Hygiène")
    assert cells["Version en vigueur"].value == 3
    for heading, day in (("Date d'effet", date(2026, 3, 1)), ("Prochaine révision", date(2027, 3, 1))):
        assert cells[heading].is_date and cells[heading].value == datetime.combine(day, datetime.min.time())
        assert cells[heading].number_format == "DD/MM/YYYY"
    assert not cells["Prochaine révision"].font.bold
    assert cells["Lecture (confirmés / requis)"].value == "45 / 120"
    assert cells["Taux de lecture"].value == pytest.approx(0.375)
    assert cells["Taux de lecture"].number_format == "0.0 %"
    assert cells["Lien"].value == cells["Lien"].hyperlink.target == "http://maillage.test/documents/hyg-pro-012"


def test_xlsx_marks_an_overdue_review_and_leaves_what_does_not_apply_empty(app):
    overdue = row(state="Révision dépassée", next_review=date(2025, 1, 15), overdue=True)
    draft = row("HYG-PRO-013", state="En rédaction", version=None, effective=None, next_review=None,
                reading_done=0, reading_total=0)
    with app.test_request_context():
        sheet = sheet_of(to_xlsx(export([overdue, draft])))
    review = sheet.cell(row=HEADER_ROW + 1, column=HEADINGS.index("Prochaine révision") + 1)
    assert review.font.bold and review.font.color.rgb == "008B0000"
    empty = [sheet.cell(row=HEADER_ROW + 2, column=HEADINGS.index(h) + 1).value
             for h in ("Version en vigueur", "Date d'effet", "Prochaine révision", "Lecture (confirmés / requis)",
                       "Taux de lecture")]
    assert empty == [None, None, None, None, None]


def test_xlsx_keeps_formula_like_texts_as_plain_text(app):
    tricky = row(title='=HYPERLINK("http://evil.example","Cliquez")', space="+33 4 77 00 00 00",
                 kind="@SUM(A1)")
    with app.test_request_context():
        content = to_xlsx(export([tricky], filters=["-1+1"]))
    sheet = sheet_of(content)
    title = sheet.cell(row=HEADER_ROW + 1, column=2)
    assert title.value == '=HYPERLINK("http://evil.example","Cliquez")'  # the text as written, no apostrophe
    assert title.data_type == "s" and title.quotePrefix
    assert sheet["A3"].value == "-1+1" and sheet["A3"].quotePrefix
    assert sheet.cell(row=HEADER_ROW + 1, column=10).quotePrefix
    assert not sheet.cell(row=HEADER_ROW + 1, column=1).quotePrefix  # an ordinary code is left alone
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        assert b"<f>" not in package.read("xl/worksheets/sheet1.xml")  # no formula anywhere


def test_xlsx_drops_control_characters_a_spreadsheet_cannot_hold(app):
    with app.test_request_context():
        sheet = sheet_of(to_xlsx(export([row(title="Protocole\x00 bionettoyage\x1b")])))
    assert sheet.cell(row=HEADER_ROW + 1, column=2).value == "Protocole bionettoyage"


def test_xlsx_of_an_empty_register_has_the_header_and_says_so(app):
    with app.test_request_context():
        sheet = sheet_of(to_xlsx(export([], filters=[])))
    assert sheet["A3"].value == "Aucun filtre : tous les documents maîtrisés."
    assert [cell.value for cell in sheet[HEADER_ROW]] == HEADINGS
    assert sheet.cell(row=HEADER_ROW + 1, column=1).value == "Aucun document maîtrisé ne correspond à ces filtres."
    assert sheet.auto_filter.ref == f"A{HEADER_ROW}:K{HEADER_ROW}"


def test_xlsx_speaks_the_readers_language(app):
    with app.test_request_context(), force_locale("en"):
        sheet = sheet_of_any(to_xlsx(export([row()])))
    assert sheet.title == "Register"
    assert sheet.cell(row=HEADER_ROW, column=6).value == "Effective date"
    assert sheet.cell(row=HEADER_ROW + 1, column=9).number_format == "0.0%"


def sheet_of_any(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).active


# --- PDF ------------------------------------------------------------------------------------------

def test_pdf_has_the_title_the_filters_and_a_row_with_its_accents(app):
    with app.test_request_context():
        pages, text = pdf_text(to_pdf(export([row(), row("HYG-PRO-013", reading_done=1, reading_total=8)])))
    assert pages == 1
    assert "Registre des documents maîtrisés — Hygiène" in text
    assert "Généré le 7 déc. 2026 à 00:42 par Élodie Marchand" in text
    assert "État : en vigueur" in text
    assert "HYG-PRO-012" in text and "HYG-PRO-013" in text
    assert "« friction »" in text and "l’essentiel" in text
    assert "Prochaine révision" in text and "1 mars 2026" in text
    assert "45 / 120" in text and "37,5 %" in text and "12,5 %" in text
    assert "Lien" not in text  # the code is the link
    assert "Page 1 / 1" in text


def test_pdf_code_links_to_the_document(app):
    with app.test_request_context():
        reader = PdfReader(io.BytesIO(to_pdf(export([row()]))))
    uris = [annotation.get_object()["/A"]["/URI"] for annotation in reader.pages[0].get("/Annots", [])]
    assert uris == ["http://maillage.test/documents/hyg-pro-012"]


def test_pdf_repeats_the_header_and_numbers_the_pages(app):
    rows = [row(f"HYG-PRO-{n:03d}", title="Hygiène des mains") for n in range(1, 31)]
    with app.test_request_context():
        reader = PdfReader(io.BytesIO(to_pdf(export(rows))))
    assert len(reader.pages) == 2
    first, second = (" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Page 1 / 2" in first and "Page 2 / 2" in second
    assert "Taux de lecture" in second and "Prochaine révision" in second  # the header again
    assert "HYG-PRO-001" in first and "HYG-PRO-030" in second and "HYG-PRO-030" not in first


def test_pdf_of_an_empty_register_has_the_header_and_says_so(app):
    with app.test_request_context():
        _pages, text = pdf_text(to_pdf(export([], filters=[])))
    assert "Aucun filtre : tous les documents maîtrisés." in text
    assert "Taux de lecture" in text
    assert "Aucun document maîtrisé ne correspond à ces filtres." in text


def test_pdf_wraps_a_long_title_inside_its_cell(app):
    long_title = " ".join(["Prévention du risque infectieux lors de la pose d'un cathéter veineux"] * 4)
    with app.test_request_context():
        content = to_pdf(export([row(title=long_title)]))
    runs = text_runs(PdfReader(io.BytesIO(content)).pages[0])
    column = next(x for text, x, _y in runs if text == "Titre")
    title_lines = [(x, y) for text, x, y in runs if "cathéter" in text or "infectieux" in text]
    assert len({y for _x, y in title_lines}) >= 3  # on lines of its own, one under the other
    assert all(x == pytest.approx(column) for x, _y in title_lines)  # each starting in the title's column
    assert pdf_text(content)[1].count("cathéter veineux") == 4  # every word printed


def test_pdf_cuts_a_word_wider_than_its_cell_and_keeps_every_letter(app):
    word = "Bionettoyage" * 12  # no space to break at
    with app.test_request_context():
        runs = text_runs(PdfReader(io.BytesIO(to_pdf(export([row(title=word)])))).pages[0])
    column, heading = next((x, y) for text, x, y in runs if text == "Titre")
    pieces = [text for text, x, y in runs if x == pytest.approx(column) and y < heading]  # the title's cell
    assert len(pieces) > 1 and "".join(pieces) == word


def test_pdf_prints_an_overdue_review_in_bold(app):
    with app.test_request_context():
        page = PdfReader(io.BytesIO(to_pdf(export([
            row(next_review=date(2025, 1, 15), overdue=True), row("HYG-PRO-013")])))).pages[0]
    fonts = {}

    def visit(text, _cm, _tm, font, _size):
        if text.strip():
            fonts[text.strip()] = str(font["/BaseFont"]) if font else ""

    page.extract_text(visitor_text=visit)
    assert "Bold" in fonts["15 janv. 2025"]
    assert "Bold" not in fonts["1 mars 2027"]


def test_pdf_prints_narrow_no_break_spaces_the_font_lacks_as_no_break_spaces(app, caplog):
    with app.test_request_context():
        _pages, text = pdf_text(to_pdf(export([row(space="Hygiène\u202f: CHU")], filters=["État\u202f: en vigueur"])))
    assert "État : en vigueur" in text and "Hygiène : CHU" in text
    assert "missing" not in caplog.text  # no glyph left out (fpdf2 logs each one)
