"""S3 storage (MinIO in production) through the official minio SDK, streaming both ways."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, unquote, urlsplit

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError
from minio.helpers import check_bucket_name

from . import CHUNK_SIZE, BlobInfo, BlobNotFound, StorageError, StorageUnavailable, UnfinishedUpload, check_key

# The SDK reads each part into memory (it signs the payload) and holds up to PARALLEL_PARTS + 3
# of them at once. 8 MiB parts, 2 in parallel: about 40 MiB per upload in flight, and the same
# throughput as 16 MiB × 3 on loopback (client-side signing is the bound): see docs/BENCHMARKS.md,
# where the web worker must stay under 150 MB while a 1 GiB file goes through.
PART_SIZE = 8 * 1024 * 1024
PARALLEL_PARTS = 2

# A dead server must fail within seconds (connection refused is immediate, an unroutable host
# costs the connect timeout per attempt); the read timeout applies to each socket read, so a
# big transfer is not limited by it, only a server that stops answering mid-way.
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 30.0

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
_BUCKET_EXISTS = {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}


def _http_client() -> urllib3.PoolManager:
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",  # the system trust store, where an in-house CA is installed
        retries=urllib3.Retry(total=3, connect=2, read=1, status=2, backoff_factor=0.2,
                              status_forcelist=(500, 502, 503, 504),
                              raise_on_status=False),  # let the SDK read the S3 error body
    )


class S3Storage:
    def __init__(self, endpoint: str, bucket: str, access_key: str | None = None,
                 secret_key: str | None = None, *, secure: bool = True, region: str | None = None):
        check_bucket_name(bucket, strict=True)  # a bad name fails at startup, not at the first upload
        self.endpoint, self.bucket, self.secure, self.region = endpoint, bucket, secure, region
        self.http = _http_client()
        self.client = Minio(endpoint, access_key=access_key or None, secret_key=secret_key,
                            secure=secure, region=region, http_client=self.http)
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> S3Storage:
        """`s3://KEY:SECRET@host:port/bucket?secure=false&region=…` (key and secret percent-encoded)."""
        parts = urlsplit(url)
        if parts.scheme != "s3":
            raise ValueError(f"not an s3:// URL: scheme {parts.scheme!r}")
        endpoint = parts.netloc.rpartition("@")[2]
        bucket = parts.path.strip("/")
        if not endpoint or not parts.hostname:
            raise ValueError("RSE_STORAGE_URL: s3:// URL without a host")
        if not bucket or "/" in bucket:
            raise ValueError("RSE_STORAGE_URL: s3:// URL needs exactly one bucket name as its path")
        options = dict(parse_qsl(parts.query, keep_blank_values=True))
        unknown = set(options) - {"secure", "region"}
        if unknown:
            raise ValueError(f"RSE_STORAGE_URL: unknown s3 option(s) {', '.join(sorted(unknown))} "
                             "(secure, region)")
        secure_text = options.get("secure", "true").lower()
        if secure_text not in _TRUE | _FALSE:
            raise ValueError(f"RSE_STORAGE_URL: secure={options['secure']!r} is neither true nor false")
        return cls(endpoint, bucket,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password is not None else None,
                   secure=secure_text in _TRUE, region=options.get("region") or None)

    def __repr__(self) -> str:  # never shows the credentials
        scheme = "https" if self.secure else "http"
        return f"S3Storage({scheme}://{self.endpoint}/{self.bucket})"

    # --- errors ------------------------------------------------------------------------------

    @contextmanager
    def _translated(self, action: str, key: str | None = None):
        """Turn the SDK's and urllib3's exceptions into the storage interface's."""
        where = f"S3 storage {self.endpoint}/{self.bucket}"
        try:
            yield
        except S3Error as exc:
            if exc.code == "NoSuchKey" and key is not None:
                raise BlobNotFound(key) from None
            raise StorageUnavailable(f"{where}: {action} failed: {exc.code}: {exc.message}") from exc
        except (ServerError, InvalidResponseError) as exc:
            raise StorageUnavailable(f"{where}: {action} failed: {exc}") from exc
        except (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise StorageUnavailable(f"{where} unreachable ({action}): {reason}") from exc

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if self._bucket_ready:
                return
            with self._translated("create bucket"):
                if not self.client.bucket_exists(self.bucket):
                    try:
                        self.client.make_bucket(self.bucket)
                    except S3Error as exc:
                        if exc.code not in _BUCKET_EXISTS:  # another worker created it meanwhile
                            raise
            self._bucket_ready = True

    # --- the Storage interface ------------------------------------------------------------------

    def put_file(self, key: str, path: str, size: int, content_type: str) -> None:
        check_key(key)
        with open(path, "rb") as source:
            actual = os.fstat(source.fileno()).st_size
            if actual != size:
                raise ValueError(f"{path} holds {actual} bytes, not the {size} announced")
            self._ensure_bucket()
            with self._translated("upload", key):
                # A known length: one PUT up to PART_SIZE, else a multipart upload that S3 makes
                # visible only once complete (and aborts on failure).
                self.client.put_object(self.bucket, key, source, size, content_type=content_type,
                                       part_size=PART_SIZE, num_parallel_uploads=PARALLEL_PARTS)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        check_key(key)
        self._ensure_bucket()
        with self._translated("upload", key):
            self.client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=content_type,
                                   part_size=PART_SIZE)

    def open(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        check_key(key)
        if start < 0 or (length is not None and length < 0):
            raise ValueError("start and length must not be negative")
        self._ensure_bucket()
        if length == 0:  # the SDK reads length=0 as "to the end"
            if self.stat(key) is None:
                raise BlobNotFound(key)
            return iter(())
        with self._translated("download", key):
            try:
                response = self.client.get_object(self.bucket, key, offset=start, length=length or 0)
            except S3Error as exc:
                # 416: the object exists (a missing one answers NoSuchKey first) but `start` is at
                # or past its end; the local backend gives no bytes there, neither does this one.
                if exc.code != "InvalidRange":
                    raise
                return iter(())
        chunks = self._chunks(response)
        next(chunks)  # enter the try block now, so that close() releases the response even unread
        return chunks

    def _chunks(self, response) -> Iterator[bytes]:
        try:
            yield b""  # consumed by open()
            with self._translated("download"):
                yield from response.stream(CHUNK_SIZE, decode_content=False)
        finally:
            response.close()
            response.release_conn()

    def stat(self, key: str) -> BlobInfo | None:
        check_key(key)
        self._ensure_bucket()
        try:
            with self._translated("stat", key):
                result = self.client.stat_object(self.bucket, key)
        except BlobNotFound:
            return None
        if result.size is None or result.last_modified is None:  # S3 always sends both with an object
            raise StorageError(f"stat {key}: the answer has no size or date")
        return BlobInfo(key, result.size, result.last_modified)

    def delete(self, key: str) -> None:
        check_key(key)
        self._ensure_bucket()
        with self._translated("delete", key):
            self.client.remove_object(self.bucket, key)  # S3 answers 204 for a missing key too

    def iter_keys(self, prefix: str) -> Iterator[BlobInfo]:
        self._ensure_bucket()
        with self._translated("list"):
            for item in self.client.list_objects(self.bucket, prefix=prefix or None, recursive=True):
                if not item.is_dir:
                    yield BlobInfo(item.object_name, item.size, item.last_modified)

    # A multipart upload whose writer was killed (a gunicorn worker past its graceful timeout)
    # keeps its parts on the server, outside every object, until aborted. The SDK has no public
    # call for these since 7.0 (its own uploads abort on failure): it keeps _list_multipart_uploads,
    # _list_parts and _abort_multipart_upload for this use (minio-py pull request 967). The
    # contract tests run them against a real server, so an SDK upgrade that changes them fails there.

    def iter_unfinished_uploads(self, prefix: str) -> Iterator[UnfinishedUpload]:
        self._ensure_bucket()
        key_marker: str | None = None
        upload_id_marker: str | None = None
        while True:
            with self._translated("list multipart uploads"):
                page = self.client._list_multipart_uploads(
                    self.bucket, prefix=prefix or None, key_marker=key_marker, upload_id_marker=upload_id_marker)
            for upload in page.uploads:
                if upload.upload_id and upload.initiated_time:  # S3 always sends both
                    yield UnfinishedUpload(upload.object_name, upload.upload_id, upload.initiated_time)
            if not page.is_truncated or not page.uploads:
                return
            # The next page starts at the NextKeyMarker and NextUploadIdMarker of this one. The SDK
            # files the latter under a misspelt attribute, but it is the last upload listed, by
            # definition. SeaweedFS sends no NextKeyMarker, lists by upload id and pages on that alone.
            following = (page.next_key_marker, page.uploads[-1].upload_id)
            if following == (key_marker, upload_id_marker):
                raise StorageError(f"S3 storage {self.endpoint}/{self.bucket}: the listing of multipart "
                                   "uploads gives the same page again")
            key_marker, upload_id_marker = following

    def abort_upload(self, upload: UnfinishedUpload) -> int:
        self._ensure_bucket()
        with self._translated("abort multipart upload"):
            try:
                size = self._uploaded_bytes(upload)
                self.client._abort_multipart_upload(self.bucket, upload.key, upload.upload_id)
            except S3Error as exc:
                if exc.code != "NoSuchUpload":
                    raise
                return 0  # completed or aborted by its writer in the meantime
        return size

    def _uploaded_bytes(self, upload: UnfinishedUpload) -> int:
        size, part_marker = 0, None
        while True:
            page = self.client._list_parts(self.bucket, upload.key, upload.upload_id, part_number_marker=part_marker)
            size += sum(part.size or 0 for part in page.parts)
            if not page.is_truncated or not page.parts:
                return size
            part_marker = str(page.parts[-1].part_number)

    def check(self) -> None:
        self._bucket_ready = False  # a health check asks the server every time
        self._ensure_bucket()
