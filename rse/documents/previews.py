"""Thumbnails: the first page of a PDF or a reduced image, re-encoded as WEBP.

A thumbnail is `width` pixels wide (an image narrower than that is not enlarged) and at most
twice as high: a taller page or picture is cut at the bottom, keeping its top (where a
document's title is) at a readable size rather than shrinking the whole of it into a sliver.
Re-encoding also drops anything hidden in the original (metadata, trailing data, scripts).
"""

from __future__ import annotations

import io
import threading
import warnings

from .filetypes import FileType

THUMBNAIL_CONTENT_TYPE = "image/webp"
THUMBNAIL_QUALITY = 80
# libwebp's effort (0-6): 2 encodes a page thumbnail in ~10 ms where the default 4 takes ~23 ms,
# for files ~4 % larger (2.4 KB against 2.3 KB for a text page).
THUMBNAIL_METHOD = 2
MAX_HEIGHT_RATIO = 2

# PDFium is not thread-safe, not even across documents: one call at a time per process.
_PDFIUM_LOCK = threading.Lock()
# Image types Pillow decodes for us, by served media type. Only the formats we were told the
# file is are tried, so that a file is never parsed by a decoder it was not checked for.
_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP",
                   "image/bmp": "BMP", "image/tiff": "TIFF"}


class PreviewError(Exception):
    """The file could not be rendered (corrupt, password-protected, too large)."""


def can_preview(content_type: str) -> bool:
    """Whether make_thumbnail renders files of this media type (PDF and the raster images above)."""
    media_type = content_type.split(";", 1)[0].strip()
    return media_type == "application/pdf" or media_type in _PILLOW_FORMATS


def make_thumbnail(path: str, file_type: FileType, *, width: int = 480) -> bytes | None:
    """WEBP bytes (THUMBNAIL_CONTENT_TYPE) of the first page of a PDF or of an image, else None.

    `file_type` is what filetypes.detect said of the file. The result is `width` pixels wide (images
    narrower than that keep their size) and at most 2 × `width` high, cut at the bottom.
    Raises PreviewError when the file cannot be read; images above Pillow's
    `Image.MAX_IMAGE_PIXELS` are refused the same way, before being decoded.
    """
    if width < 1:
        raise ValueError("width must be positive")
    media_type = file_type.content_type.split(";", 1)[0].strip()
    if media_type == "application/pdf":
        image = _render_pdf_page(path, width)
    elif media_type in _PILLOW_FORMATS:
        image = _reduce_image(path, _PILLOW_FORMATS[media_type], width)
    else:
        return None
    out = io.BytesIO()
    image.save(out, "WEBP", quality=THUMBNAIL_QUALITY, method=THUMBNAIL_METHOD)
    return out.getvalue()


def _render_pdf_page(path: str, width: int):
    import pypdfium2 as pdfium

    with _PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(path)
        except (pdfium.PdfiumError, OSError) as exc:  # damaged, or a password is required
            raise PreviewError(f"unreadable PDF: {exc}") from exc
        try:
            if len(document) == 0:
                raise PreviewError("PDF without pages")
            page = document[0]
            try:
                page_width, page_height = page.get_size()  # in points, after the page's rotation
                if not (page_width > 0 and page_height > 0):
                    raise PreviewError("PDF page without size")
                scale = width / page_width
                # Cut the bottom off (in points) rather than rasterising what would be thrown away.
                cut = max(0.0, page_height - MAX_HEIGHT_RATIO * width / scale)
                bitmap = page.render(scale=scale, crop=(0, cut, 0, 0))
                try:
                    # A copy: the bitmap's buffer is freed when it is closed.
                    return bitmap.to_pil().convert("RGB")
                finally:
                    bitmap.close()
            except pdfium.PdfiumError as exc:
                raise PreviewError(f"PDF page could not be rendered: {exc}") from exc
            finally:
                page.close()
        finally:
            document.close()


def _reduce_image(path: str, pillow_format: str, width: int):
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that (and raises above):
            # for a thumbnail of an upload, both mean refusal, before any pixel is decoded.
            # (catch_warnings is process-wide: a thread racing through it may see this filter.)
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=[pillow_format]) as original:
                if pillow_format == "JPEG":
                    # Let libjpeg decode at 1/2, 1/4 or 1/8 scale, still at least `width` wide
                    # whichever way the EXIF orientation turns the picture.
                    original.draft("RGB", (width, width))
                image = ImageOps.exif_transpose(original)  # decodes; the file can then close
        image = _flatten(image)
        scale = min(1.0, width / image.width)
        keep_height = int(MAX_HEIGHT_RATIO * width / scale)
        if image.height > keep_height:
            image = image.crop((0, 0, image.width, keep_height))
        image.thumbnail((width, MAX_HEIGHT_RATIO * width))
        return image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PreviewError(f"image too large: {exc}") from exc
    except Exception as exc:  # Pillow's decoders fail in many ways on damaged files (OSError, SyntaxError...)
        raise PreviewError(f"unreadable image: {type(exc).__name__}: {exc}") from exc


def _flatten(image):
    """RGB, with transparent areas on white (as the page behind them would be) rather than black."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


__all__ = ["THUMBNAIL_CONTENT_TYPE", "PreviewError", "can_preview", "make_thumbnail"]
