"""Uploaded files are spooled to disk while being hashed and measured, in one streaming pass.

Werkzeug's multipart parser asks the request for a file object to write each uploaded file
into; ours is a temporary file that computes the sha256 and enforces the size limit as the
bytes arrive, so the body is never held in memory and never read twice.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import IO, cast

from flask import Request, current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.formparser import FormDataParser, MultiPartParser

from rse.errors import PayloadTooLarge

# Larger reads mean fewer Python loops per megabyte. Werkzeug's decoder refuses any single chunk
# larger than max_form_memory_size, which upload requests raise accordingly (allow_large_body).
PARSE_BUFFER = 1024 * 1024

# An upload request may exceed the file size limit by this much: the form around the file (its
# part headers, the CSRF token, a comment). A reverse proxy in front must accept as much.
FORM_ALLOWANCE = 1024 * 1024


class HashingSpool:
    """A temporary file that knows the sha256 and size of what was written to it."""

    def __init__(self, directory: str | Path, limit: int):
        Path(directory).mkdir(parents=True, exist_ok=True)
        # Held open for the request's lifetime (Werkzeug writes into it, the service reads it).
        self._file = tempfile.NamedTemporaryFile(dir=directory, prefix="upload-", delete=True)  # noqa: SIM115
        self._hash = hashlib.sha256()
        self.limit = limit
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            # The parser drops this spool with the error, before the request could close it.
            self._file.close()
            raise PayloadTooLarge(_("Le fichier dépasse la taille maximale (%(mb)d Mo).", mb=self.limit // 2**20),
                                  code="file_too_large")
        self._hash.update(data)
        return self._file.write(data)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    @property
    def path(self) -> str:
        return self._file.name

    def __getattr__(self, name: str):
        return getattr(self._file, name)

    def __iter__(self):
        return iter(self._file)


class _FormDataParser(FormDataParser):
    """Werkzeug's parser reading the body PARSE_BUFFER bytes at a time instead of 64 KiB."""

    def _parse_multipart(self, stream, mimetype, content_length, options):
        parser = MultiPartParser(stream_factory=self.stream_factory, max_form_memory_size=self.max_form_memory_size,
                                 max_form_parts=self.max_form_parts, cls=self.cls, buffer_size=PARSE_BUFFER)
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files


class UploadRequest(Request):
    """The app's request class: file parts go to a HashingSpool (see the module docstring)."""

    form_data_parser_class = _FormDataParser

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None) -> IO[bytes]:
        config = current_app.config
        return HashingSpool(config["UPLOAD_TMP"], config["MAX_UPLOAD_BYTES"])  # type: ignore[return-value]


def allow_large_body() -> None:
    """Let this request's body reach the upload limit (the default limit is small)."""
    from flask import request

    request.max_content_length = current_app.config["MAX_UPLOAD_BYTES"] + FORM_ALLOWANCE
    request.max_form_memory_size = 2 * PARSE_BUFFER


def spool_of(part: FileStorage) -> HashingSpool:
    """The HashingSpool an uploaded file part was written into (UploadRequest made it; Werkzeug
    types the part's stream as a plain binary file)."""
    return cast(HashingSpool, part.stream)
