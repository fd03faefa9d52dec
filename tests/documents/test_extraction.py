"""Text extraction for search: every format, limits, and refusal of damaged or hostile files."""

from __future__ import annotations

import time
import zipfile
from datetime import datetime

import pytest

from rse.documents import extraction
from rse.documents.extraction import ExtractionError, extract_text
from rse.documents.filetypes import FileType, detect

from . import builders
from .builders import FRENCH_TITLE


def extract(path, filename=None, **limits) -> str:
    return extract_text(str(path), detect(str(path), filename or path.name), **limits)


# --- PDF ----------------------------------------------------------------------------------------

def test_pdf_text_comes_back_with_its_accents(tmp_path):
    path = builders.write_pdf(tmp_path / "protocole.pdf", [[FRENCH_TITLE, "Friction de 30 secondes."],
                                                          ["Deuxième page"]])
    assert extract(path) == f"{FRENCH_TITLE}\nFriction de 30 secondes.\nDeuxième page"


def test_pdf_pages_beyond_max_pages_are_not_read(tmp_path):
    path = builders.write_pdf(tmp_path / "long.pdf", [[f"page numéro {n}"] for n in range(1, 6)])
    text = extract(path, max_pages=2)
    assert "page numéro 2" in text and "page numéro 3" not in text


def test_text_is_cut_at_max_chars(tmp_path):
    path = builders.write_pdf(tmp_path / "long.pdf", [["abcdefghij " * 8] for _ in range(20)])
    assert len(extract(path, max_chars=100)) <= 100
    assert extract(path, max_chars=100).startswith("abcdefghij abcdefghij")


def test_a_pdf_with_only_an_owner_password_is_read(tmp_path):
    # Restrictions without a password to open, common in official documents.
    source = builders.write_pdf(tmp_path / "source.pdf", [[FRENCH_TITLE]])
    path = builders.write_encrypted_pdf(source, tmp_path / "restreint.pdf", user_password="")
    assert extract(path) == FRENCH_TITLE


def test_a_pdf_that_needs_a_password_is_an_extraction_error(tmp_path):
    source = builders.write_pdf(tmp_path / "source.pdf", [[FRENCH_TITLE]])
    path = builders.write_encrypted_pdf(source, tmp_path / "secret.pdf", user_password="secret")
    with pytest.raises(ExtractionError, match="password"):
        extract(path)


def test_a_corrupt_pdf_is_an_extraction_error(tmp_path):
    path = tmp_path / "abime.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    with pytest.raises(ExtractionError):
        extract(path)


# --- Office and OpenDocument ------------------------------------------------------------------

def test_docx_paragraphs_tables_and_header(tmp_path):
    text = extract(builders.write_docx(tmp_path / "protocole.docx"))
    assert text == "\n".join([
        "PROT-HYG-012",
        FRENCH_TITLE,
        "Friction hydro-alcoolique avant et après chaque soin.",
        "Étape", "Durée", "Produit",
        "Cellule fusionnée unique",  # once, though it spans three columns
        "Après le tableau.",
    ])


def test_xlsx_cells_sheet_by_sheet(tmp_path):
    text = extract(builders.write_xlsx(tmp_path / "indicateurs.xlsx"))
    assert text == ("Indicateurs\nSite Taux de conformité Commentaire\nHôpital Nord 0.92 Très bien\n"
                    "Hôpital Sud 0.81 À revoir\nActions\nFormer les équipes de nuit")


def test_xlsx_with_an_absurd_declared_dimension_is_not_padded(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    for number in range(1, 2001):
        workbook.active.append([f"ligne {number}"])
    workbook.save(tmp_path / "source.xlsx")
    path = tmp_path / "dimension.xlsx"
    with zipfile.ZipFile(tmp_path / "source.xlsx") as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            # Read as declared, every row would be padded to 16,384 columns.
            target.writestr(item, source.read(item).replace(b'<dimension ref="A1:A2000"/>',
                                                            b'<dimension ref="A1:XFD1048576"/>'))
    started = time.perf_counter()
    assert extract(path).endswith("ligne 1999\nligne 2000")
    assert time.perf_counter() - started < 2


def test_openpyxl_warnings_stay_inside_the_extraction(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active["A1"] = datetime(2026, 1, 5)
    workbook.active["B1"] = "Échéance"
    workbook.save(tmp_path / "source.xlsx")
    path = tmp_path / "dates.xlsx"
    with zipfile.ZipFile(tmp_path / "source.xlsx") as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            # A date serial beyond year 9999: openpyxl warns while reading the row (filterwarnings=error).
            target.writestr(item, source.read(item).replace(b"<v>46027</v>", b"<v>99999999</v>"))
    assert extract(path) == "Sheet\n#VALUE! Échéance"


def test_pptx_text_frames_tables_groups_and_notes(tmp_path):
    text = extract(builders.write_pptx(tmp_path / "formation.pptx"))
    assert text == "\n".join([FRENCH_TITLE, "Cinq moments clés", "Avant le contact", "Après le contact",
                              "Texte groupé", "Notes de l'orateur : insister sur les ongles."])


@pytest.mark.parametrize("builder, name, expected", [
    (builders.write_odt, "note.odt", f"{FRENCH_TITLE}\nAvant après"),
    (builders.write_ods, "tableau.ods", "Site\nTaux\nHôpital Nord\n92 %"),
    (builders.write_odp, "diapos.odp", f"Diapositive : {FRENCH_TITLE}"),
])
def test_opendocument_text(tmp_path, builder, name, expected):
    assert extract(builder(tmp_path / name)) == expected


def test_odf_repeated_spaces_are_bounded(tmp_path):
    from odf.opendocument import OpenDocumentText
    from odf.text import P, S

    document = OpenDocumentText()
    paragraph = P(text="avant")
    paragraph.addElement(S(c=2_000_000_000))  # odfpy's own extractText would build a 2 GB string
    paragraph.addText("après")
    document.text.addElement(paragraph)
    document.save(str(tmp_path / "espaces.odt"))
    started = time.perf_counter()
    assert extract(tmp_path / "espaces.odt") == "avant après"
    assert time.perf_counter() - started < 1


def test_a_password_protected_xlsx_is_an_extraction_error(tmp_path):
    path = builders.write_ole2(tmp_path / "confidentiel.xlsx")
    with pytest.raises(ExtractionError, match="not a ZIP archive"):
        extract(path)


def test_a_broken_docx_is_an_extraction_error(tmp_path):
    path = builders.write_zip(tmp_path / "casse.docx", {"[Content_Types].xml": b"<Types/>",
                                                       "word/document.xml": b"<pas du xml"})
    with pytest.raises(ExtractionError):
        extract(path)


# --- Zip bombs ----------------------------------------------------------------------------------

def test_a_zip_bomb_named_xlsx_is_refused_before_parsing(tmp_path):
    path = tmp_path / "bombe.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = bytes(1024 * 1024)
            for _ in range(40):  # 40 MiB of zeros, about 40 KiB compressed
                member.write(chunk)
    assert path.stat().st_size < 100_000
    started = time.perf_counter()
    with pytest.raises(ExtractionError, match="zip bomb"):
        extract(path)
    assert time.perf_counter() - started < 0.5


def test_an_archive_expanding_beyond_the_limit_is_refused(tmp_path, monkeypatch):
    path = builders.write_docx(tmp_path / "gros.docx")
    monkeypatch.setattr(extraction, "MAX_UNCOMPRESSED_BYTES", 10_000)
    with pytest.raises(ExtractionError, match="expands to"):
        extract(path)


def test_a_docx_with_a_huge_xml_part_is_refused_before_parsing(tmp_path, monkeypatch):
    path = builders.write_docx(tmp_path / "enorme.docx")
    monkeypatch.setattr(extraction, "MAX_TREE_XML_BYTES", 1000)
    with pytest.raises(ExtractionError, match="too large to parse"):
        extract(path)
    # A workbook is streamed, not built as a tree: the same limit does not apply.
    assert "Hôpital Nord" in extract(builders.write_xlsx(tmp_path / "classeur.xlsx"))


# --- Text and CSV -------------------------------------------------------------------------------

def test_csv_in_windows_1252(tmp_path):
    path = tmp_path / "agents.csv"
    path.write_bytes("nom;prénom\r\nDupont;Hélène\r\nÉlie;Noël\r\n".encode("cp1252"))
    assert extract(path) == "nom;prénom\nDupont;Hélène\nÉlie;Noël"


def test_text_in_utf8_with_bom_and_in_utf16(tmp_path):
    utf8 = tmp_path / "note.txt"
    utf8.write_bytes("\ufeffRéunion   du\tcomité\n\n\n  d'hygiène  ".encode())
    utf16 = tmp_path / "export.txt"
    utf16.write_bytes("Nom\tService\r\nHélène\tRéa\r\n".encode("utf-16"))
    assert extract(utf8) == "Réunion du comité\nd'hygiène"
    assert extract(utf16) == "Nom Service\nHélène Réa"


def test_a_utf8_file_whose_read_stops_inside_a_character_stays_utf8(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("é" * 100, encoding="utf-8")
    assert extract(path, max_chars=10) == "é" * 10


def test_invisible_characters_and_ligatures_are_normalised(tmp_path):
    path = tmp_path / "brut.txt"
    path.write_text("ﬁchier\u00a0patient\x00 hy\u00adgiène\u200b\x07", encoding="utf-8")
    text_type = FileType("text/plain; charset=utf-8", "text", False, "txt")  # detect refuses a NUL byte
    assert extract_text(str(path), text_type) == "fichier patient hygiène"


# --- Kinds without text -------------------------------------------------------------------------

@pytest.mark.parametrize("file_type", [
    FileType("image/png", "image", True, "png"),
    FileType("application/msword", "word", False, "doc"),
    FileType("text/html; charset=utf-8", "html", False, "html"),
    FileType("application/zip", "archive", False, "zip"),
    FileType("application/octet-stream", "other", False, ""),
])
def test_kinds_without_an_extractor_give_no_text(tmp_path, file_type):
    path = tmp_path / "fichier"
    path.write_bytes(b"<html>n'importe quoi</html>")
    assert extract_text(str(path), file_type) == ""
