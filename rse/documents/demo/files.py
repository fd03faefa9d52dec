"""The demo's file makers: PDFs written with fpdf2, and the uploads that carry them to the services.

A PDF's content depends only on its arguments, so two demos loaded the same day hold the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time

from flask import current_app

from rse.uploads import HashingSpool

from .. import service

# A section: a heading, then paragraphs; a paragraph that starts with "- " is a bullet.
Section = tuple[str, list[str]]


# --- PDF ----------------------------------------------------------------------------------------

# The PDF core fonts (Helvetica) cover Latin-1 only: French accents and « » are in it, these are not.
_LATIN1 = str.maketrans({"’": "'", "‘": "'", "–": "-", "—": "-", "œ": "oe", "Œ": "OE", "…": "...",
                         "\u202f": " ", "€": "EUR"})


def _latin1(text: str) -> str:
    return text.translate(_LATIN1)


def make_pdf(title: str, reference: str, author: str, pages: list[list[Section]], created: date) -> bytes:
    from fpdf import FPDF

    class Protocol(FPDF):
        def header(self) -> None:
            self.set_font("helvetica", "", 8)
            self.set_text_color(90, 90, 90)
            self.cell(0, 5, _latin1(f"Groupement hospitalier de territoire Loire – {reference}"), align="L")
            self.ln(8)

        def footer(self) -> None:
            self.set_y(-14)
            self.set_font("helvetica", "", 8)
            self.set_text_color(90, 90, 90)
            self.cell(0, 5, _latin1(f"{title} – page {self.page_no()}/{{nb}}"), align="C")

    pdf = Protocol(format="A4")
    pdf.set_title(_latin1(title))
    pdf.set_author(_latin1(author))
    pdf.set_creator("Maillage (démonstration)")
    pdf.set_creation_date(datetime.combine(created, time(9, 0), tzinfo=UTC))
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=20)
    for number, sections in enumerate(pages):
        pdf.add_page()
        if number == 0:
            pdf.set_font("helvetica", "B", 18)
            pdf.set_text_color(11, 60, 120)
            pdf.multi_cell(0, 9, _latin1(title), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("helvetica", "", 10)
            pdf.set_text_color(60, 60, 60)
            pdf.multi_cell(0, 6, _latin1(f"{reference} – rédigé par {author}"), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
        for heading, paragraphs in sections:
            pdf.set_font("helvetica", "B", 13)
            pdf.set_text_color(11, 60, 120)
            pdf.multi_cell(0, 8, _latin1(heading), new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(20, 20, 20)
            pdf.set_font("helvetica", "", 11)
            for paragraph in paragraphs:
                if paragraph.startswith("- "):
                    pdf.set_x(26)
                    pdf.multi_cell(0, 6, _latin1(paragraph), new_x="LMARGIN", new_y="NEXT")
                else:
                    pdf.multi_cell(0, 6, _latin1(paragraph), new_x="LMARGIN", new_y="NEXT")
                    pdf.ln(1.5)
            pdf.ln(3)
    return bytes(pdf.output())


def make_upload(content: bytes, filename: str) -> service.Upload:
    spool = HashingSpool(current_app.config["UPLOAD_TMP"], current_app.config["MAX_UPLOAD_BYTES"])
    spool.write(content)
    spool.flush()
    return service.Upload(spool=spool, filename=filename)


def close_all(uploads: Iterable[service.Upload]) -> None:
    for item in uploads:
        item.spool.close()
