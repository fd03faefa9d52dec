"""The footer stamped on every page of a controlled document's PDF, made on the fly from the stored bytes.

A one-line footer (code, version, effective date, the « not controlled once printed » notice) is
drawn by fpdf2 on an overlay page of the page's displayed size, added once per size to the copy
as a form XObject, and drawn by pypdf over each page through a matrix that follows the page's
/Rotate, the origin of its boxes and its /UserUnit, so the line sits at the bottom of the page as
a reader sees it. The pages' own content streams are neither parsed nor rewritten (fast, and a
damaged stream a viewer tolerates stays as it is). The stored bytes are only read: the stamped
copy is a new PDF, unencrypted (a PDF opened with an empty password loses its restrictions).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date
from typing import IO, TYPE_CHECKING, cast

from flask_babel import gettext as _

from rse.i18n import format_day

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader, PdfWriter
    from pypdf.generic import IndirectObject

log = logging.getLogger(__name__)

# Changes when the drawing of the footer changes: the copies' validators change with it, so
# browsers fetch the new drawing (downloads.stamped_response).
LAYOUT = "1"
FONT_SIZE = 7.5  # pt: small enough to stay out of the way, still legible once printed
MIN_FONT_SIZE = 4.5  # on a narrow page the line shrinks to fit, down to this
TEXT_GREY = (64, 64, 64)  # dark grey on the white box: 10:1 contrast
# The middle of the footer, measured up from the page's bottom edge: about 6 mm, above the
# 4–5 mm that office printers cannot print, below the footers documents usually carry.
FOOTER_MIDDLE = 17.0
SIDE_MARGIN = 14.0
BOX_PADDING = 3.0

# Helvetica (a PDF core font, nothing to embed) is written in WinAnsi (cp1252): French accents,
# « », ’ and œ are in it. Spaces CLDR uses that are not become the no-break space that is.
_WINANSI = str.maketrans({"\u202f": "\u00a0", "\u2009": "\u00a0", "\u2007": "\u00a0"})


class StampError(Exception):
    """The PDF cannot be stamped: unreadable, encrypted with a password we lack, or without pages."""


@dataclass(frozen=True)
class Stamp:
    code: str
    version: int
    effective: date
    notice: str  # « Document non maîtrisé une fois imprimé », in the reader's language

    def line(self) -> str:
        """The footer as one line; needs an app context (the words and the date are localized)."""
        return _("%(code)s · version %(version)s · en vigueur le %(day)s · %(notice)s",
                 code=self.code, version=self.version, day=format_day(self.effective), notice=self.notice)


def can_stamp(source: IO[bytes]) -> bool:
    """Whether stamp_pdf can open this PDF: parsed, not locked by a password, with pages.

    Cheap: the trailer, cross-reference table and page tree are read, no content stream.
    The stream is left where it was.
    """
    position = source.tell()
    try:
        _open(source)
    except StampError:
        return False
    finally:
        source.seek(position)
    return True


def stamp_pdf(source: IO[bytes], stamp: Stamp) -> bytes:
    """A copy of the PDF in `source` with the stamp's line at the bottom of every page.

    Raises StampError when the PDF cannot be read or written; `source` is never written to.
    """
    from pypdf import PdfWriter

    reader = _open(source)
    text = stamp.line().translate(_WINANSI).encode("cp1252", "replace").decode("cp1252")
    # Malformed PDFs make pypdf fail in many ways (its own errors, but also KeyError, TypeError,
    # ValueError… from deep inside a damaged object): every one of them means "cannot stamp".
    try:
        writer = PdfWriter(clone_from=reader)
        save = _add_stream(writer, b"q\n")
        forms: dict[tuple[float, float], IndirectObject] = {}
        for page in writer.pages:
            left, bottom, right, top = _shown_box(page)
            rotation = page.rotation % 360
            unit = float(page.get("/UserUnit", 1) or 1)
            width, height = right - left, top - bottom
            if rotation in (90, 270):
                width, height = height, width
            size = (round(width * unit, 2), round(height * unit, 2))
            if size not in forms:
                forms[size] = _add_footer_form(writer, _overlay(text, *size), *size)
            _draw_over(writer, page, save, forms[size], _placement(rotation, left, bottom, right, top, 1 / unit))
        out = io.BytesIO()
        writer.write(out)
    except Exception as exc:
        log.warning("PDF stamping failed: %s: %s", type(exc).__name__, exc)
        raise StampError(f"cannot stamp this PDF: {exc}") from exc
    return out.getvalue()


def _open(source: IO[bytes]) -> PdfReader:
    """A pypdf reader on the PDF, decrypted when its user password is empty; StampError otherwise."""
    from pypdf import PasswordType, PdfReader

    try:
        reader = PdfReader(source)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise StampError("the PDF is encrypted with a password")
        if len(reader.pages) == 0:
            raise StampError("the PDF has no page")
    except StampError:
        raise
    except Exception as exc:  # the same many ways to fail as in stamp_pdf
        raise StampError(f"cannot read this PDF: {exc}") from exc
    return reader


def _shown_box(page) -> tuple[float, float, float, float]:
    """The part of the page a viewer shows: the crop box, within the media box (left, bottom, right, top)."""
    media, crop = page.mediabox, page.cropbox
    media_x, media_y = sorted((float(media[0]), float(media[2]))), sorted((float(media[1]), float(media[3])))
    crop_x, crop_y = sorted((float(crop[0]), float(crop[2]))), sorted((float(crop[1]), float(crop[3])))
    left, right = max(media_x[0], crop_x[0]), min(media_x[1], crop_x[1])
    bottom, top = max(media_y[0], crop_y[0]), min(media_y[1], crop_y[1])
    if right <= left or top <= bottom:  # a crop box outside the media box: viewers fall back to the media box
        return media_x[0], media_y[0], media_x[1], media_y[1]
    return left, bottom, right, top


def _placement(rotation: int, left: float, bottom: float, right: float, top: float,
               scale: float) -> tuple[float, ...]:
    """The matrix taking the overlay's (upright, origin at the shown bottom-left) space to the page's.

    /Rotate turns the page clockwise for display: at 90 the shown bottom is the page's right
    edge, at 180 its top, at 270 its left edge.
    """
    a, b, c, d, e, f = {
        0: (1, 0, 0, 1, left, bottom),
        90: (0, 1, -1, 0, right, bottom),
        180: (-1, 0, 0, -1, right, top),
        270: (0, -1, 1, 0, left, top),
    }[rotation]
    return (a * scale, b * scale, c * scale, d * scale, e, f)


def _add_footer_form(writer: PdfWriter, overlay: PageObject, width: float, height: float) -> IndirectObject:
    """The overlay page as a form XObject of the output, drawn by every page of its size."""
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject, NameObject

    contents = overlay.get_contents()
    assert contents is not None  # fpdf2 wrote it
    form = DecodedStreamObject()
    form.set_data(contents.get_data())
    form.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject(FloatObject(value) for value in (0, 0, width, height)),
        NameObject("/Resources"): cast(DictionaryObject, overlay["/Resources"].get_object()).clone(writer),
    })
    return writer._add_object(form.flate_encode())  # pypdf's own way in: there is no public one


def _draw_over(writer: PdfWriter, page: PageObject, save: IndirectObject, form: IndirectObject,
               matrix: tuple[float, ...]) -> None:
    """Draw the form over the page, its content streams kept as they are (neither parsed nor rewritten).

    The page's own drawing is wrapped in q … Q, so whatever state it leaves (a scale, a colour)
    does not reach the footer. The page gets its own copy of its resources dictionary (often
    shared by several pages) with the form added under a name it does not use yet.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    resources = page.get("/Resources")
    resources = DictionaryObject(resources.get_object()) if resources is not None else DictionaryObject()
    xobjects = resources.get("/XObject")
    xobjects = DictionaryObject(xobjects.get_object()) if xobjects is not None else DictionaryObject()
    name, number = "/MaillageStamp", 0
    while name in xobjects:
        number += 1
        name = f"/MaillageStamp{number}"
    xobjects[NameObject(name)] = form
    resources[NameObject("/XObject")] = xobjects
    page[NameObject("/Resources")] = resources

    contents = page.get("/Contents")
    if contents is None:
        originals = []
    elif isinstance(contents.get_object(), ArrayObject):
        originals = list(contents.get_object())
    elif isinstance(contents, IndirectObject):
        originals = [contents]
    else:  # a stream written in the page itself (not valid PDF, but seen)
        originals = [writer._add_object(contents)]
    cm = " ".join(f"{value:.4f}".rstrip("0").rstrip(".") for value in matrix)
    footer = _add_stream(writer, f"\nQ\nq {cm} cm {name} Do Q\n".encode())
    page[NameObject("/Contents")] = ArrayObject([save, *originals, footer])


def _add_stream(writer: PdfWriter, data: bytes) -> IndirectObject:
    from pypdf.generic import DecodedStreamObject

    stream = DecodedStreamObject()
    stream.set_data(data)
    return writer._add_object(stream)


def _overlay(text: str, width: float, height: float) -> PageObject:
    """A page of this size with the footer line on a white box, centred near its bottom edge."""
    from fpdf import FPDF
    from pypdf import PdfReader

    pdf = FPDF(unit="pt", format=(width, height))
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.c_margin = BOX_PADDING
    pdf.add_page()
    pdf.set_font("helvetica", size=FONT_SIZE)
    room = max(width - 2 * SIDE_MARGIN, 1.0)
    text_width = pdf.get_string_width(text)
    if text_width > room - 2 * BOX_PADDING:
        pdf.set_font_size(max(MIN_FONT_SIZE, FONT_SIZE * (room - 2 * BOX_PADDING) / text_width))
        text_width = pdf.get_string_width(text)
    line_height = pdf.font_size * 1.35
    pdf.set_fill_color(255, 255, 255)
    pdf.set_text_color(*TEXT_GREY)
    if text_width <= room - 2 * BOX_PADDING:
        box_width = text_width + 2 * BOX_PADDING
        pdf.set_xy((width - box_width) / 2, height - FOOTER_MIDDLE - line_height / 2)
        pdf.cell(box_width, line_height, text, align="C", fill=True)
    else:  # too long even at the smallest size: on as many lines as needed, growing upwards
        lines = len(cast(list, pdf.multi_cell(room, line_height, text, dry_run=True, output="LINES")))
        pdf.set_xy((width - room) / 2, height - FOOTER_MIDDLE - lines * line_height / 2)
        pdf.multi_cell(room, line_height, text, align="C", fill=True)
    return PdfReader(io.BytesIO(bytes(pdf.output()))).pages[0]
