"""Real sample files of each format, built with the format's own library, for the pure document tests."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

FRENCH_TITLE = "Protocole d'hygiène des mains – révision 2026"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsi encoding (Helvetica's), non-ASCII bytes as octal escapes."""
    out = bytearray(b"(")
    for byte in text.encode("cp1252"):
        if byte in b"()\\":
            out += b"\\" + bytes([byte])
        elif 32 <= byte < 127:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    return bytes(out + b")")


def write_pdf(path: Path, pages: list[list[str]], *, size: tuple[float, float] = (595, 842),
              rotate: int = 0, inherited_resources: bool = False) -> Path:
    """A PDF whose page i shows the lines pages[i] in Helvetica, written object by object.

    `inherited_resources`: the font is declared once on the page tree, which the pages inherit.
    """
    width, height = size
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    font_id = 3
    resources = b"/Resources << /Font << /F1 %d 0 R >> >>" % font_id
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    page_ids = []
    for lines in pages:
        content = b"BT /F1 14 Tf 18 TL 50 %d Td " % int(height - 60)
        content += b" ".join(_pdf_string(line) + b" '" for line in lines) + b" ET"
        page_id, content_id = len(objects) + 1, len(objects) + 2
        page_ids.append(page_id)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Rotate %d /Contents %d 0 R %s >>"
                       % (width, height, rotate, content_id, b"" if inherited_resources else resources))
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    kids = b" ".join(b"%d 0 R" % page_id for page_id in page_ids)
    objects[1] = b"<< /Type /Pages %s /Kids [%s] /Count %d >>" % (
        resources if inherited_resources else b"", kids, len(page_ids))
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    path.write_bytes(out.getvalue())
    return path


def write_encrypted_pdf(source: Path, path: Path, *, user_password: str, owner_password: str = "proprio") -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=source)
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def write_image(path: Path, fmt: str, size: tuple[int, int] = (64, 48), *, mode: str = "RGB",
                color=(11, 92, 173), **options) -> Path:
    from PIL import Image

    Image.new(mode, size, color).save(path, fmt, **options)
    return path


def write_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "PROT-HYG-012"
    document.add_heading(FRENCH_TITLE, level=1)
    document.add_paragraph("Friction hydro-alcoolique   avant et après chaque soin.")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).text = "Étape"
    table.cell(0, 1).text = "Durée"
    table.cell(0, 2).text = "Produit"
    merged = table.cell(1, 0).merge(table.cell(1, 2))
    merged.text = "Cellule fusionnée unique"
    document.add_paragraph("Après le tableau.")
    document.save(path)
    return path


def write_xlsx(path: Path) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Indicateurs"
    sheet.append(["Site", "Taux de conformité", "Commentaire"])
    sheet.append(["Hôpital Nord", 0.92, "Très bien"])
    sheet.append([None, None, None])
    sheet.append(["Hôpital Sud", 0.81, "À revoir"])
    second = workbook.create_sheet("Actions")
    second["B3"] = "Former les équipes de nuit"
    workbook.save(path)
    return path


def write_pptx(path: Path) -> Path:
    from pptx import Presentation
    from pptx.util import Inches

    presentation = Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[5])  # title only
    slide.shapes.title.text = FRENCH_TITLE
    slide.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(1)).text_frame.text = "Cinq moments clés"
    table = slide.shapes.add_table(2, 2, Inches(1), Inches(3), Inches(6), Inches(1)).table
    table.cell(0, 0).text = "Avant le contact"
    table.cell(1, 1).text = "Après le contact"
    group = slide.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(5), Inches(3), Inches(1)).text_frame.text = "Texte groupé"
    slide.notes_slide.notes_text_frame.text = "Notes de l'orateur : insister sur les ongles."
    presentation.save(path)
    return path


def write_odt(path: Path) -> Path:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P, S

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text=FRENCH_TITLE))
    paragraph = P(text="Avant")
    paragraph.addElement(S(c=3))
    paragraph.addText("après")
    document.text.addElement(paragraph)
    document.save(str(path))
    return path


def write_ods(path: Path) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Indicateurs")
    for values in (["Site", "Taux"], ["Hôpital Nord", "92 %"]):
        row = TableRow()
        for value in values:
            cell = TableCell()
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


def write_odp(path: Path) -> Path:
    from odf.draw import Frame, Page, TextBox
    from odf.opendocument import OpenDocumentPresentation
    from odf.style import MasterPage, PageLayout
    from odf.text import P

    document = OpenDocumentPresentation()
    layout = PageLayout(name="Mise en page")
    document.automaticstyles.addElement(layout)
    master = MasterPage(name="Maître", pagelayoutname=layout)
    document.masterstyles.addElement(master)
    page = Page(masterpagename=master)
    document.presentation.addElement(page)
    frame = Frame(width="20cm", height="3cm", x="1cm", y="1cm")
    page.addElement(frame)
    box = TextBox()
    frame.addElement(box)
    box.addElement(P(text="Diapositive : " + FRENCH_TITLE))
    document.save(str(path))
    return path


def write_ole2(path: Path) -> Path:
    """The 512-byte header of an OLE2 compound file (what .doc, .xls and .ppt files start with)."""
    header = OLE2_SIGNATURE + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"
    path.write_bytes(header.ljust(512, b"\x00") + b"\xff" * 512)
    return path


def write_elf(path: Path) -> Path:
    path.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x02\x00\x3e\x00" + bytes(300))
    return path


def write_windows_exe(path: Path) -> Path:
    header = bytearray(b"MZ" + bytes(126))
    header[0x3C:0x40] = (0x80).to_bytes(4, "little")
    path.write_bytes(bytes(header) + b"PE\x00\x00" + bytes(200))
    return path


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path
