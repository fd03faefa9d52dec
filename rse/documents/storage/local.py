"""Local-folder storage (the embedded default): one file per key, written atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import CHUNK_SIZE, BlobInfo, BlobNotFound, StorageUnavailable, UnfinishedUpload, check_key

# A write goes to a temporary file beside its target, renamed into place once whole. A writer
# killed mid-way (SIGKILL skips its clean-up) leaves that file behind.
INCOMING_PREFIX = ".incoming-"


class LocalStorage:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    @classmethod
    def from_url(cls, url: str) -> LocalStorage:
        return cls(unquote(urlsplit(url).path))

    def _path(self, key: str) -> Path:
        check_key(key)
        return self.root / key

    def _ensure_root(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"storage folder {self.root} unusable: {exc}") from exc

    def _write_atomically(self, key: str, fill) -> None:
        self._ensure_root()
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=INCOMING_PREFIX)
            try:
                with os.fdopen(fd, "wb") as handle:
                    fill(handle)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StorageUnavailable(f"cannot write {key}: {exc}") from exc

    def put_file(self, key: str, path: str, size: int, content_type: str) -> None:
        if os.path.getsize(path) != size:
            raise ValueError(f"{path} is not {size} bytes long")

        def fill(handle):
            with open(path, "rb") as source:
                shutil.copyfileobj(source, handle, CHUNK_SIZE)

        self._write_atomically(key, fill)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        self._write_atomically(key, lambda handle: handle.write(data))

    def open(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        path = self._path(key)
        try:
            if not path.is_file():
                raise BlobNotFound(key)
        except OSError as exc:
            raise StorageUnavailable(f"cannot read {key}: {exc}") from exc
        # The file is opened by the generator itself: an iterator closed unread holds nothing.
        return self._chunks(path, key, start, length)

    @staticmethod
    def _chunks(path: Path, key: str, start: int, length: int | None) -> Iterator[bytes]:
        try:
            handle = open(path, "rb")  # noqa: SIM115  (opened apart: a missing file is not a read error)
        except FileNotFoundError:
            raise BlobNotFound(key) from None
        except OSError as exc:
            raise StorageUnavailable(f"cannot read {key}: {exc}") from exc
        with handle:
            handle.seek(start)
            remaining = length
            while remaining is None or remaining > 0:
                chunk = handle.read(CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining))
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def stat(self, key: str) -> BlobInfo | None:
        try:
            result = self._path(key).stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageUnavailable(f"cannot stat {key}: {exc}") from exc
        return BlobInfo(key, result.st_size, datetime.fromtimestamp(result.st_mtime, UTC))

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"cannot delete {key}: {exc}") from exc

    def iter_keys(self, prefix: str) -> Iterator[BlobInfo]:
        if not self.root.exists():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith(INCOMING_PREFIX):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    result = path.stat()
                    yield BlobInfo(key, result.st_size, datetime.fromtimestamp(result.st_mtime, UTC))

    def iter_unfinished_uploads(self, prefix: str) -> Iterator[UnfinishedUpload]:
        if not self.root.exists():
            return
        for path in sorted(self.root.rglob(f"{INCOMING_PREFIX}*")):
            key = path.relative_to(self.root).as_posix()
            if not key.startswith(prefix) or not path.is_file():
                continue
            try:
                modified = path.stat().st_mtime
            except FileNotFoundError:  # renamed into place or removed since the listing
                continue
            # The last write, not the first: a slow writer still at work always looks recent.
            yield UnfinishedUpload(key, key, datetime.fromtimestamp(modified, UTC))

    def abort_upload(self, upload: UnfinishedUpload) -> int:
        path = self._path(upload.upload_id)
        if not path.name.startswith(INCOMING_PREFIX):
            raise ValueError(f"{upload.upload_id!r} is not an unfinished upload")
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise StorageUnavailable(f"cannot remove {upload.upload_id}: {exc}") from exc
        return size

    def check(self) -> None:
        self._ensure_root()
        if not os.access(self.root, os.W_OK):
            raise StorageUnavailable(f"storage folder {self.root} is not writable")
