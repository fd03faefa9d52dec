"""What a file really is: sniffing, the extension and declared-type checks, what may be inline."""

from __future__ import annotations

import pytest

from rse.documents import filetypes
from rse.documents.filetypes import ContentMismatch, FileType, detect

from . import builders

OOXML = "application/vnd.openxmlformats-officedocument."


def detect_file(path, filename=None, declared=None) -> FileType:
    return detect(str(path), filename or path.name, declared)


# --- Recognised formats -----------------------------------------------------------------------

def test_pdf_is_served_inline_as_pdf(tmp_path):
    path = builders.write_pdf(tmp_path / "protocole.pdf", [[builders.FRENCH_TITLE]])
    assert detect_file(path) == FileType("application/pdf", "pdf", True, "pdf")


def test_pdf_header_after_a_little_junk_is_still_a_pdf(tmp_path):
    path = builders.write_pdf(tmp_path / "protocole.pdf", [["x"]])
    path.write_bytes(b"\r\n\r\n" + path.read_bytes())
    assert detect_file(path).kind == "pdf"


@pytest.mark.parametrize("fmt, name, content_type", [
    ("JPEG", "photo.jpg", "image/jpeg"),
    ("PNG", "schema.png", "image/png"),
    ("GIF", "anim.gif", "image/gif"),
    ("WEBP", "photo.webp", "image/webp"),
])
def test_web_raster_images_are_inline(tmp_path, fmt, name, content_type):
    path = builders.write_image(tmp_path / name, fmt)
    file_type = detect_file(path)
    assert (file_type.content_type, file_type.kind, file_type.inline) == (content_type, "image", True)


@pytest.mark.parametrize("fmt, name, content_type", [("BMP", "scan.bmp", "image/bmp"),
                                                     ("TIFF", "scan.tiff", "image/tiff")])
def test_other_raster_images_are_images_but_never_inline(tmp_path, fmt, name, content_type):
    file_type = detect_file(builders.write_image(tmp_path / name, fmt))
    assert (file_type.content_type, file_type.kind, file_type.inline) == (content_type, "image", False)


def test_a_png_named_jpg_is_served_as_the_png_it_is(tmp_path):
    path = builders.write_image(tmp_path / "photo.JPEG", "PNG")
    assert detect_file(path) == FileType("image/png", "image", True, "jpg")


@pytest.mark.parametrize("builder, name, content_type, kind", [
    (builders.write_docx, "note.docx", OOXML + "wordprocessingml.document", "word"),
    (builders.write_xlsx, "tableau.xlsx", OOXML + "spreadsheetml.sheet", "spreadsheet"),
    (builders.write_pptx, "diaporama.pptx", OOXML + "presentationml.presentation", "presentation"),
    (builders.write_odt, "note.odt", "application/vnd.oasis.opendocument.text", "word"),
    (builders.write_ods, "tableau.ods", "application/vnd.oasis.opendocument.spreadsheet", "spreadsheet"),
    (builders.write_odp, "diaporama.odp", "application/vnd.oasis.opendocument.presentation", "presentation"),
])
def test_office_documents_are_recognised_inside_their_zip(tmp_path, builder, name, content_type, kind):
    path = builder(tmp_path / name)
    assert detect_file(path) == FileType(content_type, kind, False, name.rsplit(".", 1)[1])
    assert detect_file(path, "sans-extension").content_type == content_type


def test_a_macro_enabled_workbook_keeps_its_own_type(tmp_path):
    path = builders.write_xlsx(tmp_path / "calcul.xlsm")
    assert detect_file(path).content_type == "application/vnd.ms-excel.sheet.macroEnabled.12"


@pytest.mark.parametrize("name, content_type, kind", [
    ("ancien.doc", "application/msword", "word"),
    ("ancien.xls", "application/vnd.ms-excel", "spreadsheet"),
    ("ancien.ppt", "application/vnd.ms-powerpoint", "presentation"),
])
def test_legacy_office_files_are_told_apart_by_their_name(tmp_path, name, content_type, kind):
    path = builders.write_ole2(tmp_path / name)
    assert detect_file(path) == FileType(content_type, kind, False, name.rsplit(".", 1)[1])


def test_a_password_protected_xlsx_is_an_ole2_file_and_is_accepted(tmp_path):
    path = builders.write_ole2(tmp_path / "confidentiel.xlsx")
    assert detect_file(path) == FileType(OOXML + "spreadsheetml.sheet", "spreadsheet", False, "xlsx")


def test_an_ole2_file_without_a_name_we_know_is_an_opaque_binary(tmp_path):
    path = builders.write_ole2(tmp_path / "fichier")
    assert detect_file(path) == FileType("application/octet-stream", "other", False, "")


def test_a_csv_in_windows_1252_is_csv_even_when_windows_calls_it_excel(tmp_path):
    path = tmp_path / "agents.csv"
    path.write_bytes("nom;prénom;service\nDupont;Hélène;Réanimation\n".encode("cp1252"))
    expected = FileType("text/csv; charset=windows-1252", "csv", False, "csv")
    assert detect_file(path) == expected
    assert detect_file(path, declared="application/vnd.ms-excel") == expected


def test_text_files_carry_their_charset(tmp_path):
    utf8 = tmp_path / "lisezmoi.txt"
    utf8.write_text("Réunion du comité d'hygiène\n", encoding="utf-8")
    utf16 = tmp_path / "export.txt"
    utf16.write_bytes("Nom\tService\nHélène\tRéa\n".encode("utf-16"))  # with a BOM, as Excel writes it
    assert detect_file(utf8) == FileType("text/plain; charset=utf-8", "text", False, "txt")
    assert detect_file(utf16).content_type == "text/plain; charset=utf-16"


def test_text_under_an_unknown_extension_keeps_it(tmp_path):
    path = tmp_path / "requete.sql"
    path.write_text("SELECT * FROM patients;\n")
    assert detect_file(path) == FileType("text/plain; charset=utf-8", "text", False, "sql")


def test_only_a_bounded_prefix_is_sniffed(tmp_path):
    path = tmp_path / "journal.log"
    # The first 64 KiB are text (ending in the middle of a two-byte "é"); what follows is not.
    prefix = b"a" * (filetypes.SNIFF_BYTES - 1) + "é".encode()
    path.write_bytes(prefix + b"\x00\x01\x02" * 1000)
    assert detect_file(path).content_type == "text/plain; charset=utf-8"


# --- Active content: accepted, never inline ---------------------------------------------------

def test_html_named_txt_is_html_and_never_inline(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>")
    assert detect_file(path) == FileType("text/html; charset=utf-8", "html", False, "txt")


@pytest.mark.parametrize("name, body, content_type, kind", [
    ("page.html", "<html><body>Bonjour</body></html>", "text/html; charset=utf-8", "html"),
    ("page.htm", "Bonjour sans balise", "text/html; charset=utf-8", "html"),
    ("logo.svg", '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
     "image/svg+xml; charset=utf-8", "svg"),
    ("logo.svg", "<!-- Generator: Illustrator -->\n<svg xmlns='http://www.w3.org/2000/svg'/>",
     "image/svg+xml; charset=utf-8", "svg"),
    ("donnees.xml", '<?xml version="1.0"?>\n<patients/>', "application/xml; charset=utf-8", "html"),
    ("page.xhtml", '<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"/>',
     "text/html; charset=utf-8", "html"),
])
def test_markup_is_accepted_but_never_inline(tmp_path, name, body, content_type, kind):
    path = tmp_path / name
    path.write_text(body)
    file_type = detect_file(path)
    assert (file_type.content_type, file_type.kind, file_type.inline) == (content_type, kind, False)


def test_an_html_export_named_xls_is_accepted_as_html(tmp_path):
    path = tmp_path / "export.xls"
    path.write_text("<table><tr><td>Lits</td><td>12</td></tr></table>")
    assert detect_file(path) == FileType("text/html; charset=utf-8", "html", False, "xls")


# --- Contradictions -----------------------------------------------------------------------------

def assert_mismatch(path, filename=None, declared=None) -> str:
    with pytest.raises(ContentMismatch) as caught:
        detect_file(path, filename, declared)
    message = str(caught.value)
    assert f"« {filename or path.name} »" in message
    return message


def test_a_png_named_pdf_is_refused(tmp_path):
    path = builders.write_image(tmp_path / "rapport.pdf", "PNG")
    message = assert_mismatch(path)
    assert message == ("Le fichier « rapport.pdf » devrait être un document PDF d'après son extension, "
                       "mais c'est en réalité une image PNG. Vérifiez qu'il s'agit du bon fichier.")


def test_a_pdf_named_jpg_is_refused(tmp_path):
    path = builders.write_pdf(tmp_path / "photo.jpg", [["x"]])
    assert "une image JPEG" in assert_mismatch(path)


@pytest.mark.parametrize("builder", [builders.write_elf, builders.write_windows_exe])
def test_a_program_renamed_pdf_is_refused(tmp_path, builder):
    path = builder(tmp_path / "facture.pdf")
    assert "un programme exécutable" in assert_mismatch(path)


def test_a_program_under_its_own_name_is_an_opaque_binary(tmp_path):
    path = builders.write_windows_exe(tmp_path / "setup.exe")
    assert detect_file(path) == FileType("application/octet-stream", "other", False, "exe")


def test_plain_text_named_xlsx_is_refused(tmp_path):
    path = tmp_path / "tableau.xlsx"
    path.write_text("Site;Taux\nNord;92\n")
    assert "un fichier texte" in assert_mismatch(path)


def test_an_ole2_file_named_pdf_is_refused(tmp_path):
    path = builders.write_ole2(tmp_path / "rapport.pdf")
    assert "Office 97-2003" in assert_mismatch(path)


def test_a_workbook_named_docx_is_refused(tmp_path):
    path = builders.write_xlsx(tmp_path / "compte-rendu.docx")
    assert "un classeur Excel" in assert_mismatch(path)


def test_a_plain_zip_or_a_damaged_one_named_docx_is_refused(tmp_path):
    plain = builders.write_zip(tmp_path / "note.docx", {"lisezmoi.txt": b"bonjour"})
    assert "une archive ZIP" in assert_mismatch(plain)
    damaged = builders.write_docx(tmp_path / "coupe.docx")
    damaged.write_bytes(damaged.read_bytes()[:2000])  # an interrupted copy: no ZIP directory
    assert "une archive ZIP endommagée" in assert_mismatch(damaged)


def test_an_svg_named_png_is_refused(tmp_path):
    path = tmp_path / "logo.png"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    assert "une image SVG" in assert_mismatch(path)


def test_binary_garbage_under_a_known_extension_is_refused(tmp_path):
    path = tmp_path / "rapport.pdf"
    path.write_bytes(bytes(range(256)) * 4)
    assert "format inconnu" in assert_mismatch(path)


def test_a_specific_declared_type_is_checked_too(tmp_path):
    path = builders.write_pdf(tmp_path / "scan", [["x"]])
    assert "présenté comme une image PNG" in assert_mismatch(path, declared="image/png")
    assert detect_file(path, declared="application/pdf").kind == "pdf"


@pytest.mark.parametrize("declared", ["application/octet-stream", "", "application/x-unheard-of",
                                      "application/force-download"])
def test_a_vague_or_unknown_declared_type_is_ignored(tmp_path, declared):
    path = builders.write_pdf(tmp_path / "rapport.pdf", [["x"]])
    assert detect_file(path, declared=declared).kind == "pdf"


def test_the_message_can_be_shown_in_another_language(tmp_path):
    path = builders.write_image(tmp_path / "rapport.pdf", "PNG")
    with pytest.raises(ContentMismatch) as caught:
        detect_file(path)
    english = {
        caught.value.template: "“%(filename)s” should be %(expected)s but is %(actual)s.",
        "un document PDF": "a PDF document",
        "une image PNG": "a PNG image",
    }
    assert caught.value.localized(english.get) == "“rapport.pdf” should be a PDF document but is a PNG image."


# --- Names and the rest -----------------------------------------------------------------------

def test_unknown_binary_under_an_unknown_extension_is_octet_stream(tmp_path):
    path = tmp_path / "mesures.dat"
    path.write_bytes(bytes(range(256)) * 4)
    assert detect_file(path) == FileType("application/octet-stream", "other", False, "dat")


def test_a_recognised_file_under_an_unknown_extension_gets_its_usual_one(tmp_path):
    path = builders.write_pdf(tmp_path / "rapport.final", [["x"]])
    assert detect_file(path) == FileType("application/pdf", "pdf", True, "pdf")


@pytest.mark.parametrize("filename, extension", [
    ("C:\\Users\\agent\\Photo.JPEG", "jpg"),
    ("photo.jpg.", "jpg"),
    ("photo.jpe", "jpg"),
    (".jpg", "jpg"),  # a hidden file's name, without extension: the content's usual one
    ("sans extension", "jpg"),
])
def test_extensions_are_normalised(tmp_path, filename, extension):
    path = builders.write_image(tmp_path / "image", "JPEG")
    assert detect_file(path, filename).extension == extension


def test_archives_are_archives(tmp_path):
    path = builders.write_zip(tmp_path / "photos.zip", {"a.txt": b"a"})
    assert detect_file(path) == FileType("application/zip", "archive", False, "zip")


def test_an_empty_file_is_left_to_the_caller(tmp_path):
    path = tmp_path / "vide.pdf"
    path.write_bytes(b"")
    assert detect_file(path) == FileType("application/pdf", "pdf", False, "pdf")
