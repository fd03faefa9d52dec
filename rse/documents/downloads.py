"""The HTTP answer for a version's bytes: streamed, resumable (Range), cacheable (ETag), safe.

Only PDFs and raster images are ever shown inline; everything else (HTML, SVG, office files,
anything that could run in the browser) is an attachment, and `nosniff` keeps the browser from
guessing otherwise.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from typing import TYPE_CHECKING
from urllib.parse import quote

from flask import Response, current_app, request

from . import blobs
from .models import DocumentVersion

if TYPE_CHECKING:
    from .stamping import Stamp

log = logging.getLogger(__name__)

INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}
# Read into memory up to this size, then into a temporary file (stamping reads the PDF at random).
STAMP_SPOOL_MEMORY = 8 * 2**20


def content_disposition(filename: str, inline: bool) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"{'inline' if inline else 'attachment'}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def version_response(version: DocumentVersion, *, inline: bool = False) -> Response:
    blob = version.blob
    etag = blob.sha256
    inline = inline and version.content_type in INLINE_TYPES
    headers = _bytes_headers(etag, "bytes", content_disposition(version.filename, inline))
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    start, length, status = 0, blob.size, 200
    if request.headers.get("Range") and (not request.if_range.etag or request.if_range.etag == etag):
        ranges = request.range  # werkzeug's parse, the only one: what is served and what is audited follow it
        bounds = ranges.range_for_length(blob.size) if ranges and len(ranges.ranges) == 1 else None
        if bounds is None:
            return Response(status=416, headers={**headers, "Content-Range": f"bytes */{blob.size}"})
        start, stop = bounds
        length, status = stop - start, 206
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{blob.size}"
    chunks = blobs.open_blob(blob, start, length) if length else iter(())
    headers["Content-Length"] = str(length)
    # The storage stream is open already: the generator needs no app or request context.
    return Response(_closing(chunks), status=status, headers=headers,
                    content_type=_served_type(version), direct_passthrough=True)


def stamped_response(version: DocumentVersion, stamp: Stamp, *, inline: bool) -> Response:
    """A PDF version's bytes with the stamp's footer on every page, made now; the stored bytes stay as they are.

    Whole answers only (a copy made on the fly has no stable byte ranges to resume); the ETag
    follows the stored bytes and the stamped line, so an unchanged copy costs a 304 and the
    stamping. Raises StampError when the PDF cannot be stamped: the caller decides what the
    reader gets then (never the unstamped original by default).
    """
    from rse.errors import NotFound

    from .stamping import LAYOUT, stamp_pdf

    blob = version.blob
    line = stamp.line()
    etag = "s-" + hashlib.sha256(f"{LAYOUT}\n{blob.sha256}\n{line}".encode()).hexdigest()
    headers = _bytes_headers(etag, "none", content_disposition(version.filename, inline))
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    directory = current_app.config["UPLOAD_TMP"]
    os.makedirs(directory, exist_ok=True)
    with tempfile.SpooledTemporaryFile(max_size=STAMP_SPOOL_MEMORY, dir=directory) as spool:
        try:
            _copy(blobs.open_blob(blob), spool)
        except blobs.BlobNotFound:
            log.warning("the stored bytes of version %s are missing", version.id)
            raise NotFound() from None
        except blobs.StorageUnavailable as exc:
            raise blobs.unavailable(exc) from exc
        spool.seek(0)
        data = stamp_pdf(spool, stamp)
    return Response(data, status=200, headers=headers, content_type="application/pdf")


def _bytes_headers(etag: str, ranges: str, disposition: str) -> dict[str, str]:
    return {
        "ETag": f'"{etag}"',
        "Accept-Ranges": ranges,
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        # Bytes served from here never run as a page of this site.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    }


def starts_a_download(response: Response) -> bool:
    """Whether this answer to a version request serves the file from its first byte.

    A download is audited once, on the answer that carries byte 0: the whole file (200, also when
    a stale If-Range makes the server ignore the Range) or a range starting at 0 (206). Decided on
    what was served, never on how the Range header was spelled (`bytes= 0-` is `bytes=0-`).
    """
    if response.status_code == 200:
        return True
    return response.status_code == 206 and response.content_range is not None and response.content_range.start == 0


def _served_type(version: DocumentVersion) -> str:
    """Active types (HTML, SVG, XML…) go out as plain bytes: they are downloads, never pages."""
    if version.kind in {"html", "svg"} or version.content_type.endswith("+xml") or "xml" in version.content_type:
        return "application/octet-stream"
    return version.content_type


def _closing(chunks):
    try:
        yield from chunks
    finally:
        _close(chunks)


def _copy(chunks, target) -> None:
    try:
        for chunk in chunks:
            target.write(chunk)
    finally:
        _close(chunks)


def _close(chunks) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


def thumbnail_response(version: DocumentVersion) -> Response:
    """The first-page (or image) preview of a version, or 404 when there is none."""
    from rse.errors import NotFound

    from .previews import THUMBNAIL_CONTENT_TYPE

    key = version.thumbnail_key
    if not key:
        raise NotFound()
    etag = f"t-{version.blob_sha256}"
    headers = {"ETag": f'"{etag}"', "X-Content-Type-Options": "nosniff"}
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    try:
        data = b"".join(blobs.storage().open(key))
    except blobs.BlobNotFound:
        raise NotFound() from None
    except blobs.StorageUnavailable as exc:
        raise blobs.unavailable(exc) from exc
    return Response(data, headers=headers, content_type=THUMBNAIL_CONTENT_TYPE)


def answer(actor, document, version: DocumentVersion, *, inline: bool = False, original: bool = False) -> Response:
    """What a request for a version's bytes gets, pages and API alike: the bytes as stored, or for a
    controlled document's version that came into force, a copy stamped with its footer (the
    original only for the people of its circuit who ask for it)."""
    from flask_babel import gettext as _

    from rse.errors import Conflict

    from .controlled.service import stamp_for
    from .stamping import StampError

    stamp = stamp_for(actor, document, version, original=original)
    if stamp is None:
        return version_response(version, inline=inline)
    try:
        return stamped_response(version, stamp, inline=inline)
    except StampError:
        raise Conflict(_("Ce PDF ne peut pas recevoir la mention de document maîtrisé : demandez l'original "
                         "aux personnes qui le rédigent."), code="cannot_stamp") from None
