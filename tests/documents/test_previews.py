"""Thumbnails: first PDF page or reduced image as WEBP, bounded size, refusal of broken files."""

from __future__ import annotations

import io
import struct
import warnings
import zlib

import pytest
from PIL import Image

from rse.documents.filetypes import FileType, detect
from rse.documents.previews import THUMBNAIL_CONTENT_TYPE, PreviewError, make_thumbnail

from . import builders


def thumbnail(path, filename=None, **options) -> Image.Image:
    data = make_thumbnail(str(path), detect(str(path), filename or path.name), **options)
    assert data is not None
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    return image


def test_the_thumbnail_content_type_is_what_is_produced():
    assert THUMBNAIL_CONTENT_TYPE == "image/webp"


def test_first_pdf_page_at_the_requested_width(tmp_path):
    path = builders.write_pdf(tmp_path / "protocole.pdf", [[builders.FRENCH_TITLE]] * 3)
    image = thumbnail(path)
    assert image.width == 480 and image.height == pytest.approx(842 * 480 / 595, abs=1)  # A4 proportions
    # Not a blank page: the title is drawn in black near the top.
    assert image.convert("L").crop((0, 0, 480, 80)).getextrema()[0] < 100


def test_a_tall_pdf_page_is_cut_at_twice_the_width(tmp_path):
    path = builders.write_pdf(tmp_path / "rouleau.pdf", [["haut de page"]], size=(200, 4000))
    assert thumbnail(path, width=300).size == (300, 600)


def test_a_rotated_pdf_page_is_rendered_as_displayed(tmp_path):
    path = builders.write_pdf(tmp_path / "paysage.pdf", [["x"]], size=(595, 842), rotate=90)
    image = thumbnail(path)
    assert image.width == 480 and image.height == pytest.approx(595 * 480 / 842, abs=1)


def test_a_large_jpeg_is_reduced(tmp_path):
    path = builders.write_image(tmp_path / "photo.jpg", "JPEG", (4000, 3000), quality=85)
    assert thumbnail(path).size == (480, 360)


def test_exif_orientation_is_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    path = builders.write_image(tmp_path / "portrait.jpg", "JPEG", (800, 600), exif=exif)
    assert thumbnail(path).size == (480, 640)


def test_a_small_image_is_not_enlarged(tmp_path):
    path = builders.write_image(tmp_path / "icone.png", "PNG", (40, 30))
    assert thumbnail(path).size == (40, 30)


def test_a_tall_image_keeps_its_top(tmp_path):
    path = tmp_path / "capture.png"
    image = Image.new("RGB", (1000, 5000), "white")
    image.paste((200, 0, 0), (0, 0, 1000, 100))  # a red band at the very top
    image.save(path)
    reduced = thumbnail(path)
    assert reduced.size == (480, 960)
    red, green, _ = reduced.convert("RGB").getpixel((240, 10))
    assert red > 150 and green < 60


def test_transparency_becomes_white_not_black(tmp_path):
    path = builders.write_image(tmp_path / "logo.png", "PNG", (100, 100), mode="RGBA", color=(0, 0, 0, 0))
    assert thumbnail(path).convert("RGB").getpixel((50, 50)) == (255, 255, 255)


@pytest.mark.parametrize("fmt, name", [("GIF", "anim.gif"), ("WEBP", "photo.webp"), ("TIFF", "scan.tif"),
                                       ("BMP", "scan.bmp")])
def test_other_image_formats(tmp_path, fmt, name):
    path = builders.write_image(tmp_path / name, fmt, (960, 100))
    assert thumbnail(path).size == (480, 50)


@pytest.mark.parametrize("name, builder", [("note.docx", builders.write_docx), ("tableau.xlsx", builders.write_xlsx)])
def test_other_kinds_have_no_thumbnail(tmp_path, name, builder):
    path = builder(tmp_path / name)
    assert make_thumbnail(str(path), detect(str(path), name)) is None


def test_svg_has_no_thumbnail(tmp_path):
    path = tmp_path / "logo.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    assert make_thumbnail(str(path), detect(str(path), "logo.svg")) is None


# --- Broken and hostile files -------------------------------------------------------------------

def test_a_corrupt_pdf_is_a_preview_error(tmp_path):
    path = tmp_path / "abime.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    with pytest.raises(PreviewError):
        make_thumbnail(str(path), FileType("application/pdf", "pdf", True, "pdf"))


def test_a_pdf_that_needs_a_password_is_a_preview_error(tmp_path):
    source = builders.write_pdf(tmp_path / "source.pdf", [["secret"]])
    path = builders.write_encrypted_pdf(source, tmp_path / "secret.pdf", user_password="secret")
    with pytest.raises(PreviewError):
        make_thumbnail(str(path), FileType("application/pdf", "pdf", True, "pdf"))


def test_a_truncated_jpeg_is_a_preview_error(tmp_path):
    path = builders.write_image(tmp_path / "photo.jpg", "JPEG", (800, 600))
    path.write_bytes(path.read_bytes()[:400])
    with pytest.raises(PreviewError):
        make_thumbnail(str(path), FileType("image/jpeg", "image", True, "jpg"))


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width` × `height` pixels: the header is all a bomb check should read."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path):
    path = tmp_path / "bombe.png"
    path.write_bytes(_png_header_only(50_000, 50_000))  # 2.5 gigapixels in a few bytes
    with pytest.raises(PreviewError, match="too large"):
        make_thumbnail(str(path), FileType("image/png", "image", True, "png"))


def test_an_image_above_pillows_warning_limit_is_refused_too(tmp_path, monkeypatch):
    # Between MAX_IMAGE_PIXELS and twice that, Pillow only warns: that is a refusal here as well,
    # even where warnings are ignored (production), not only under this suite's filterwarnings=error.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)
    path = builders.write_image(tmp_path / "moyenne.png", "PNG", (120, 120))
    with warnings.catch_warnings(), pytest.raises(PreviewError, match="too large"):
        warnings.simplefilter("ignore")
        make_thumbnail(str(path), FileType("image/png", "image", True, "png"))
