"""Blob storage: one small interface, two backends (a local folder, S3 through the minio SDK).

Keys are opaque strings such as ``blobs/ab/cd/<sha256>``; the document service decides them
(content-addressed, never reused). A backend stores bytes under a key and gives them back,
whole or by range, streaming both ways: nothing is ever read whole into memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit

CHUNK_SIZE = 1024 * 1024


class StorageError(Exception):
    """Base class of storage failures."""


class StorageUnavailable(StorageError):
    """The storage service cannot be reached or answers with a server error: try again later."""


class BlobNotFound(StorageError):
    """No object under that key."""


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    modified_at: datetime  # aware UTC


@dataclass(frozen=True)
class UnfinishedUpload:
    """A write begun and neither finished nor abandoned by its writer (a process killed mid-way).

    Its bytes take room but belong to no object: `iter_keys` never lists them.
    """

    key: str  # S3: the key being written; the local folder: the temporary file's own path
    upload_id: str  # S3: the multipart upload's id; the local folder: the same path as `key`
    started_at: datetime  # aware UTC


def check_key(key: str) -> None:
    """One rule for every backend, so that a key valid on one is valid on the other."""
    segments = key.split("/") if key else []
    if (not key or key.startswith("/") or "\\" in key or "\x00" in key
            or any(segment in {"", ".", ".."} for segment in segments)):
        raise ValueError(f"invalid storage key {key!r}")


class Storage(Protocol):
    def put_file(self, key: str, path: str, size: int, content_type: str) -> None:
        """Store the file at `path` (a finished local file of `size` bytes) under `key`.

        Atomic: a reader never sees a partial object. Overwriting an existing key with the
        same bytes is allowed (content-addressed keys make it a no-op in effect).
        """

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        """Store a small object (a thumbnail) under `key`, atomically."""

    def open(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        """Chunks (up to CHUNK_SIZE) of the object from byte `start`, `length` bytes or to the end.

        Raises BlobNotFound before yielding anything when the key does not exist; the returned
        iterator must be closed (or exhausted) to release the connection.
        """

    def stat(self, key: str) -> BlobInfo | None:
        """Size and modification time of the object, or None if it does not exist."""

    def delete(self, key: str) -> None:
        """Remove the object; removing a missing key is not an error."""

    def iter_keys(self, prefix: str) -> Iterator[BlobInfo]:
        """Every object whose key starts with `prefix` (for garbage collection)."""

    def iter_unfinished_uploads(self, prefix: str) -> Iterator[UnfinishedUpload]:
        """Writes under `prefix` still in progress or cut off (for garbage collection): only their
        age tells the two apart."""

    def abort_upload(self, upload: UnfinishedUpload) -> int:
        """Discard what an unfinished write stored and return how many bytes that was; one
        finished or discarded meanwhile is not an error (0 bytes)."""

    def check(self) -> None:
        """Raise StorageUnavailable unless the storage answers (health check)."""


def storage_from_url(url: str) -> Storage:
    """`file:///path` (local folder) or `s3://KEY:SECRET@host:port/bucket?secure=false`."""
    scheme = urlsplit(url).scheme
    if scheme == "file":
        from .local import LocalStorage

        return LocalStorage.from_url(url)
    if scheme == "s3":
        from .s3 import S3Storage

        return S3Storage.from_url(url)
    raise ValueError(f"RSE_STORAGE_URL: unknown scheme {scheme!r} (file or s3)")


__all__ = [
    "CHUNK_SIZE",
    "BinaryIO",
    "BlobInfo",
    "BlobNotFound",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "UnfinishedUpload",
    "check_key",
    "storage_from_url",
]
