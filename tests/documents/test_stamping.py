"""The footer stamped on controlled PDFs: on every page, at the bottom as shown, the stored bytes untouched."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.generic import NameObject, NumberObject, RectangleObject

from rse.documents.stamping import Stamp, StampError, can_stamp, stamp_pdf

NOTICE = "Document non maîtrisé une fois imprimé"
STAMP = Stamp(code="HYG-PRO-012", version=3, effective=date(2026, 12, 7), notice=NOTICE)
LINE = "HYG-PRO-012 · version 3 · en vigueur le 7 déc. 2026 · Document non maîtrisé une fois imprimé"
A4 = (595.28, 841.89)

# Stamping needs the app only for the words and the date: one database backend is enough.
on_sqlite = pytest.mark.parametrize("app", ["sqlite"], indirect=True)


@pytest.fixture
def context(app):
    with app.test_request_context():
        yield


def fpdf_pages(*pages: tuple[str, str, str]) -> bytes:
    """A PDF made by fpdf2, one page per (format, orientation, text); the text sits at the top."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_auto_page_break(False)
    for page_format, orientation, text in pages:
        pdf.add_page(format=page_format, orientation=orientation)
        pdf.set_font("helvetica", size=14)
        pdf.set_xy(40, 40)
        pdf.cell(text=text)
    return bytes(pdf.output())


def reshaped(source: bytes, change) -> bytes:
    """The PDF with `change(page)` applied to each page by pypdf."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    for page in writer.pages:
        change(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def texts(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def render(data: bytes, index: int = 0):
    """The page as a viewer shows it (rotation and crop box applied), in grey, one pixel a point."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        return document[index].render(scale=1).to_pil().convert("L")
    finally:
        document.close()


def footer_box(before: bytes, after: bytes, index: int = 0):
    """Where stamping changed the rendered page, in points from the shown top-left: (l, t, r, b), and the page size."""
    from PIL import ImageChops

    original, stamped = render(before, index), render(after, index)
    assert original.size == stamped.size
    return ImageChops.difference(original, stamped).getbbox(), stamped.size


def assert_footer_at_shown_bottom(before: bytes, after: bytes, index: int = 0) -> None:
    box, (width, height) = footer_box(before, after, index)
    assert box is not None, "nothing was drawn"
    left, top, right, bottom = box
    assert height - 30 <= top and bottom <= height - 8, (box, (width, height))  # about 6 mm up from the bottom
    assert abs((left + right) / 2 - width / 2) <= 2, (box, width)  # centred
    assert left > 0 and right < width  # within the page


@on_sqlite
def test_the_line_names_code_version_french_date_and_notice(context):
    assert STAMP.line() == LINE


@on_sqlite
def test_a_one_page_a4_gets_the_footer_and_keeps_its_text(context):
    source = fpdf_pages(("A4", "portrait", "Hygiène des mains : friction hydro-alcoolique"))
    stamped = stamp_pdf(io.BytesIO(source), STAMP)
    [text] = texts(stamped)
    assert "Hygiène des mains : friction hydro-alcoolique" in text
    assert LINE in text
    assert_footer_at_shown_bottom(source, stamped)


@on_sqlite
def test_every_page_of_mixed_sizes_is_stamped_and_none_is_added(context):
    source = fpdf_pages(("A4", "portrait", "Page un – portrait"), ("A4", "landscape", "Page deux – paysage"),
                        ("Letter", "portrait", "Page trois – Letter"))
    stamped = stamp_pdf(io.BytesIO(source), STAMP)
    pages = texts(stamped)
    assert len(pages) == 3
    for number, (text, original) in enumerate(zip(pages, ["Page un – portrait", "Page deux – paysage",
                                                          "Page trois – Letter"], strict=True)):
        assert original in text and LINE in text
        assert_footer_at_shown_bottom(source, stamped, number)
    sizes = [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in PdfReader(io.BytesIO(stamped)).pages]
    assert sizes == [(595, 842), (842, 595), (612, 792)]


@on_sqlite
@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_a_rotated_page_gets_the_footer_at_the_bottom_as_shown(context, rotation):
    source = reshaped(fpdf_pages(("A4", "portrait", "Page tournée")), lambda page: page.rotate(rotation))
    stamped = stamp_pdf(io.BytesIO(source), STAMP)
    assert PdfReader(io.BytesIO(stamped)).pages[0].rotation == rotation  # the page still turns as it did
    [text] = texts(stamped)
    assert "Page tournée" in text and LINE in text
    _, (width, height) = footer_box(source, stamped)
    assert (width > height) == (rotation in (90, 270))  # the render is the page as shown
    assert_footer_at_shown_bottom(source, stamped)


@on_sqlite
def test_boxes_away_from_the_origin_put_the_footer_at_the_bottom_of_the_crop_box(context):
    def move(page):
        page.add_transformation(Transformation().translate(300, -500))
        page.mediabox = RectangleObject([300, -500, 300 + A4[0], -500 + A4[1]])
        page.cropbox = RectangleObject([340, -440, 300 + A4[0] - 40, -500 + A4[1] - 20])

    source = reshaped(fpdf_pages(("A4", "portrait", "Page décalée")), move)
    stamped = stamp_pdf(io.BytesIO(source), STAMP)
    [text] = texts(stamped)
    assert "Page décalée" in text and LINE in text
    _, (width, height) = footer_box(source, stamped)
    assert abs(width - (A4[0] - 80)) < 1 and abs(height - (A4[1] - 80)) < 1  # pdfium shows the crop box
    assert_footer_at_shown_bottom(source, stamped)


@on_sqlite
def test_a_rotated_page_with_boxes_away_from_the_origin(context):
    def move_and_turn(page):
        page.add_transformation(Transformation().translate(-200, 100))
        page.mediabox = RectangleObject([-200, 100, -200 + A4[0], 100 + A4[1]])
        page[NameObject("/Rotate")] = NumberObject(270)

    source = reshaped(fpdf_pages(("A4", "portrait", "Page décalée et tournée")), move_and_turn)
    stamped = stamp_pdf(io.BytesIO(source), STAMP)
    assert LINE in texts(stamped)[0]
    assert_footer_at_shown_bottom(source, stamped)


@on_sqlite
def test_a_narrow_page_gets_a_smaller_line_that_fits(context):
    source = fpdf_pages(((200, 300), "portrait", "Étiquette"))
    stamped = stamp_pdf(io.BytesIO(source), STAMP)
    assert LINE in texts(stamped)[0]
    box, (width, _) = footer_box(source, stamped)
    assert box[0] >= 10 and box[2] <= width - 10
    assert_footer_at_shown_bottom(source, stamped)


@on_sqlite
def test_a_page_that_leaves_its_drawing_state_changed_does_not_move_the_footer(context):
    """The page's own content ends scaled by half (a cm never undone): the footer is drawn apart from it."""
    def scale_without_restoring(page):
        contents = page.get_contents()
        contents.set_data(b"0.5 0 0 0.5 0 0 cm 0.8 0 0 rg\n" + contents.get_data())
        page.replace_contents(contents)

    source = reshaped(fpdf_pages(("A4", "portrait", "État graphique laissé modifié")), scale_without_restoring)
    stamped = stamp_pdf(io.BytesIO(source), STAMP)
    assert LINE in texts(stamped)[0]
    assert_footer_at_shown_bottom(source, stamped)


@on_sqlite
def test_the_footer_stays_readable_on_a_dark_page(context):
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.add_page()
    pdf.set_fill_color(20, 20, 20)
    pdf.rect(0, 0, pdf.w, pdf.h, style="F")
    source = bytes(pdf.output())
    stamped = stamp_pdf(io.BytesIO(source), STAMP)
    left, top, right, bottom = footer_box(source, stamped)[0]
    image = render(stamped).crop((left, top, right, bottom))
    light = sum(image.histogram()[201:])
    assert light > 0.6 * image.width * image.height  # a white box, the grey letters on it


@on_sqlite
def test_pages_that_inherit_their_resources_keep_their_fonts(context, tmp_path):
    """The font is declared on the page tree, not on the pages: the merge must not lose it."""
    from .builders import write_pdf

    source = write_pdf(tmp_path / "inherited.pdf", [["Précautions standard"], ["Précautions complémentaires"]],
                       inherited_resources=True).read_bytes()
    assert b"/Type /Pages /Resources" in source
    stamped = stamp_pdf(io.BytesIO(source), STAMP)
    for text, original in zip(texts(stamped), ["Précautions standard", "Précautions complémentaires"], strict=True):
        assert original in text and LINE in text
    for number in range(2):
        assert_footer_at_shown_bottom(source, stamped, number)


@on_sqlite
def test_the_source_is_only_read(context):
    source = fpdf_pages(("A4", "portrait", "Original"), ("A4", "landscape", "Original"))
    digest = hashlib.sha256(source).hexdigest()
    stream = io.BytesIO(source)
    stamped = stamp_pdf(stream, STAMP)
    assert hashlib.sha256(stream.getvalue()).hexdigest() == digest
    assert stamped != source and LINE not in " ".join(texts(source))


@on_sqlite
def test_an_empty_user_password_is_opened_and_stamped(context, tmp_path):
    from .builders import write_encrypted_pdf

    (tmp_path / "plain.pdf").write_bytes(fpdf_pages(("A4", "portrait", "Restrictions seulement")))
    locked = write_encrypted_pdf(tmp_path / "plain.pdf", tmp_path / "locked.pdf", user_password="").read_bytes()
    assert can_stamp(io.BytesIO(locked))
    stamped = stamp_pdf(io.BytesIO(locked), STAMP)
    [text] = texts(stamped)
    assert "Restrictions seulement" in text and LINE in text


@on_sqlite
def test_a_pdf_locked_by_a_password_cannot_be_stamped(context, tmp_path):
    from .builders import write_encrypted_pdf

    (tmp_path / "plain.pdf").write_bytes(fpdf_pages(("A4", "portrait", "Confidentiel")))
    locked = write_encrypted_pdf(tmp_path / "plain.pdf", tmp_path / "locked.pdf", user_password="secret").read_bytes()
    stream = io.BytesIO(locked)
    stream.seek(5)
    assert can_stamp(stream) is False
    assert stream.tell() == 5  # left where it was
    with pytest.raises(StampError, match="password"):
        stamp_pdf(io.BytesIO(locked), STAMP)


@on_sqlite
@pytest.mark.parametrize("data", [b"", b"not a PDF at all", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", b"\x00" * 4096],
                         ids=["empty", "text", "truncated", "zeros"])
def test_what_is_not_a_pdf_cannot_be_stamped(context, data):
    assert can_stamp(io.BytesIO(data)) is False
    with pytest.raises(StampError):
        stamp_pdf(io.BytesIO(data), STAMP)


def test_a_readable_pdf_can_be_stamped_and_checking_leaves_the_stream_in_place():
    stream = io.BytesIO(fpdf_pages(("A4", "portrait", "Lisible")))
    stream.seek(3)
    assert can_stamp(stream) is True
    assert stream.tell() == 3


# --- The HTTP answer ------------------------------------------------------------------------------

@pytest.fixture
def stored_pdf(document_storage, create_document):
    """Version 1 of a two-page protocol, stored on each backend; with the stored bytes."""
    from rse.documents.service import current_version

    content = fpdf_pages(("A4", "portrait", "Protocole d’hygiène des mains"), ("A4", "landscape", "Annexe – affiche"))
    document = create_document(content=content, filename="Protocole hygiène des mains.pdf")
    return current_version(document), content


def stored_bytes(version) -> bytes:
    from rse.documents import blobs

    return b"".join(blobs.open_blob(version.blob))


def test_the_stamped_answer_is_the_whole_pdf_with_the_footer_on_each_page(app, stored_pdf):
    from rse.documents.downloads import stamped_response

    version, content = stored_pdf
    with app.test_request_context(headers={"Range": "bytes=0-99"}):  # no ranges of a copy made now
        response = app.process_response(stamped_response(version, STAMP, inline=True))
        body = response.get_data()
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        "inline; filename=\"Protocole hygi_ne des mains.pdf\"; filename*=UTF-8''Protocole%20hygi%C3%A8ne%20des%20mains.pdf")
    assert response.headers["Accept-Ranges"] == "none" and "Content-Range" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    assert response.headers["Cache-Control"] == "private, no-cache"  # kept, revalidated: a revoked reader gets nothing
    assert int(response.headers["Content-Length"]) == len(body)
    pages = texts(body)
    assert len(pages) == 2
    assert "Protocole d’hygiène des mains" in pages[0] and "Annexe – affiche" in pages[1]
    assert all(LINE in text for text in pages)
    assert stored_bytes(version) == content  # the stored file is as uploaded
    assert hashlib.sha256(content).hexdigest() == version.blob_sha256


def test_an_attachment_keeps_the_file_name(app, stored_pdf):
    from rse.documents.downloads import stamped_response

    version, _ = stored_pdf
    with app.test_request_context():
        response = stamped_response(version, STAMP, inline=False)
    assert response.headers["Content-Disposition"].startswith('attachment; filename="Protocole hygi_ne des mains.pdf"')


def test_an_unchanged_copy_costs_a_304_and_a_new_stamp_a_new_copy(app, stored_pdf):
    from rse.documents.downloads import stamped_response

    version, _ = stored_pdf
    with app.test_request_context():
        etag = stamped_response(version, STAMP, inline=True).headers["ETag"]
    with app.test_request_context(headers={"If-None-Match": etag}):
        response = stamped_response(version, STAMP, inline=True)
    assert response.status_code == 304 and response.get_data() == b""
    assert response.headers["ETag"] == etag
    later = Stamp(code="HYG-PRO-012", version=4, effective=date(2027, 1, 4), notice=NOTICE)
    with app.test_request_context(headers={"If-None-Match": etag}):
        response = stamped_response(version, later, inline=True)
        body = response.get_data()
    assert response.status_code == 200 and response.headers["ETag"] != etag
    assert "HYG-PRO-012 · version 4 · en vigueur le 4 janv. 2027" in texts(body)[0]
    assert version.blob_sha256 not in etag  # the validator does not give out the stored file's hash


def test_a_pdf_locked_by_a_password_is_refused_not_served_unstamped(app, document_storage, create_document, tmp_path):
    from rse.documents.downloads import stamped_response
    from rse.documents.service import current_version

    from .builders import write_encrypted_pdf

    (tmp_path / "plain.pdf").write_bytes(fpdf_pages(("A4", "portrait", "Confidentiel")))
    locked = write_encrypted_pdf(tmp_path / "plain.pdf", tmp_path / "locked.pdf", user_password="secret").read_bytes()
    version = current_version(create_document(content=locked, filename="verrouille.pdf"))
    with app.test_request_context(), pytest.raises(StampError):
        stamped_response(version, STAMP, inline=True)


def test_missing_stored_bytes_are_a_404(app, stored_pdf):
    from rse.documents import blobs
    from rse.documents.downloads import stamped_response
    from rse.errors import NotFound

    version, _ = stored_pdf
    blobs.storage().delete(version.blob.storage_key)
    with app.test_request_context(), pytest.raises(NotFound):
        stamped_response(version, STAMP, inline=True)
