"""The storage contract, one suite over both backends: a local folder, and S3 (SeaweedFS) through minio."""

from __future__ import annotations

import gc
import hashlib
import random
import time
import tracemalloc
import uuid
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rse.documents.storage import CHUNK_SIZE, BlobNotFound, StorageUnavailable, storage_from_url
from rse.documents.storage import s3 as s3_module
from rse.documents.storage.local import LocalStorage
from rse.documents.storage.s3 import PARALLEL_PARTS, S3Storage

from .unfinished import begin_unfinished_upload, discard_unfinished_uploads, unfinished_on_server

MiB = 1024 * 1024
MULTIPART_SIZE = 40 * MiB + 12345  # three parts, the last one short
LARGE_SIZE = 64 * MiB
OUTAGE_LIMIT = 15.0  # seconds an operation may take to report a dead S3 server


def write_random_file(path: Path, size: int, seed: int = 0) -> str:
    """Pseudorandom content (so that a misplaced part shows), written by chunks; returns its sha256."""
    rng, digest = random.Random(seed), hashlib.sha256()
    with path.open("wb") as handle:
        remaining = size
        while remaining:
            chunk = rng.randbytes(min(MiB, remaining))
            handle.write(chunk)
            digest.update(chunk)
            remaining -= len(chunk)
    return digest.hexdigest()


def sha256_of(chunks) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def read(storage, key: str, start: int = 0, length: int | None = None) -> bytes:
    return b"".join(storage.open(key, start, length))


def new_bucket() -> str:
    return f"test-{uuid.uuid4().hex[:20]}"


@pytest.fixture(scope="session")
def shared_bucket() -> str:
    return new_bucket()


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path, shared_bucket):
    if request.param == "local":
        yield LocalStorage(tmp_path / "blobs")
        return
    # One bucket emptied after each test: SeaweedFS spends 0.2 s on the first write into a new one.
    storage = S3Storage.from_url(request.getfixturevalue("seaweedfs").url(shared_bucket))
    yield storage
    for info in list(storage.iter_keys("")):
        storage.delete(info.key)
    discard_unfinished_uploads(storage)


@pytest.fixture(scope="module")
def multipart_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("files") / "multipart.bin"
    return path, write_random_file(path, MULTIPART_SIZE, seed=1)


@pytest.fixture(scope="module")
def large_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("files") / "large.bin"
    return path, write_random_file(path, LARGE_SIZE, seed=2)


# --- Writing and reading back ---------------------------------------------------------------------

@pytest.mark.parametrize("size", [0, 1, 1000, CHUNK_SIZE + 1])
def test_put_file_then_open_gives_the_same_bytes(storage, tmp_path, size):
    path = tmp_path / "upload.bin"
    digest = write_random_file(path, size)
    storage.put_file("blobs/ab/cd/file", str(path), size, "application/pdf")
    assert sha256_of(storage.open("blobs/ab/cd/file")) == digest
    assert storage.stat("blobs/ab/cd/file").size == size


def test_put_file_larger_than_a_part_is_stored_whole(storage, multipart_file):
    path, digest = multipart_file
    storage.put_file("blobs/multipart", str(path), MULTIPART_SIZE, "application/octet-stream")
    assert storage.stat("blobs/multipart").size == MULTIPART_SIZE
    assert sha256_of(storage.open("blobs/multipart")) == digest


def test_put_bytes_then_open(storage):
    storage.put_bytes("thumbs/ab/small.png", b"\x89PNG fake thumbnail", "image/png")
    assert read(storage, "thumbs/ab/small.png") == b"\x89PNG fake thumbnail"
    storage.put_bytes("thumbs/empty", b"", "image/png")
    assert read(storage, "thumbs/empty") == b""


def test_overwriting_a_key_with_the_same_bytes_keeps_one_object(storage):
    storage.put_bytes("blobs/same", b"identical content", "text/plain")
    storage.put_bytes("blobs/same", b"identical content", "text/plain")
    assert read(storage, "blobs/same") == b"identical content"
    assert [info.key for info in storage.iter_keys("blobs/")] == ["blobs/same"]


# --- Ranges ---------------------------------------------------------------------------------------

RANGE_SOURCE = random.Random(3).randbytes(2 * CHUNK_SIZE + 1000)
END = len(RANGE_SOURCE)


@pytest.mark.parametrize(("start", "length"), [
    (0, None),                          # whole
    (1000, None),                       # start only
    (1000, 50),                         # start and length
    (CHUNK_SIZE - 10, CHUNK_SIZE + 20),  # across chunk boundaries
    (END - 10, 100),                    # length past the end: what there is
    (0, 0),                             # nothing asked, nothing given
    (END, None),                        # start at the end: empty
    (END, 10),
    (END + 100, None),                  # start past the end: empty
])
def test_open_reads_the_asked_range(storage, start, length):
    storage.put_bytes("blobs/range", RANGE_SOURCE, "application/octet-stream")
    expected = RANGE_SOURCE[start:] if length is None else RANGE_SOURCE[start:start + length]
    chunks = list(storage.open("blobs/range", start, length))
    assert b"".join(chunks) == expected
    assert all(0 < len(chunk) <= CHUNK_SIZE for chunk in chunks)


def test_ranges_of_an_empty_object_are_empty(storage):
    storage.put_bytes("blobs/empty", b"", "text/plain")
    assert read(storage, "blobs/empty", 0, 10) == b""
    assert read(storage, "blobs/empty", 5) == b""


@pytest.mark.parametrize(("start", "length"), [(0, None), (10, 5), (0, 0)])
def test_open_of_a_missing_key_raises_before_iterating(storage, start, length):
    with pytest.raises(BlobNotFound):
        storage.open("blobs/missing", start, length)  # not iterated: the error comes from open() itself


# --- Releasing what open() holds --------------------------------------------------------------------

def _resource_warnings(action) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
        gc.collect()
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


def test_an_iterator_closed_after_one_chunk_releases_its_resources(storage):
    storage.put_bytes("blobs/partly-read", RANGE_SOURCE, "application/octet-stream")

    def stop_early():
        chunks = storage.open("blobs/partly-read")
        assert len(next(chunks)) == CHUNK_SIZE
        chunks.close()

    assert _resource_warnings(stop_early) == []
    assert read(storage, "blobs/partly-read") == RANGE_SOURCE  # and the storage still answers


def test_an_iterator_closed_unread_releases_its_resources(storage):
    storage.put_bytes("blobs/unread", b"never read", "text/plain")
    assert _resource_warnings(lambda: storage.open("blobs/unread").close()) == []


def test_s3_closed_iterators_give_their_connection_back(seaweedfs, shared_bucket):
    # CPython's finalizers would close a forgotten socket silently, so count connections instead:
    # a response that is not released takes its connection out of the pool for good.
    storage = S3Storage.from_url(seaweedfs.url(shared_bucket))
    storage.put_bytes("blobs/connections", RANGE_SOURCE, "application/octet-stream")
    try:
        for _ in range(12):
            chunks = storage.open("blobs/connections")
            next(chunks)
            chunks.close()
            storage.open("blobs/connections").close()
            assert read(storage, "blobs/connections", 0, 10) == RANGE_SOURCE[:10]
        assert storage.http.connection_from_url(f"http://{seaweedfs.endpoint}").num_connections <= 2
    finally:
        storage.delete("blobs/connections")


# --- Metadata, deletion, listing ---------------------------------------------------------------------

def test_stat_gives_size_and_time_or_none(storage):
    assert storage.stat("blobs/missing") is None
    storage.put_bytes("blobs/stat", b"12345", "text/plain")
    info = storage.stat("blobs/stat")
    assert (info.key, info.size) == ("blobs/stat", 5)
    assert info.modified_at.tzinfo is not None
    assert abs(datetime.now(UTC) - info.modified_at) < timedelta(minutes=5)


def test_delete_is_idempotent(storage):
    storage.put_bytes("blobs/doomed", b"x", "text/plain")
    storage.delete("blobs/doomed")
    assert storage.stat("blobs/doomed") is None
    with pytest.raises(BlobNotFound):
        storage.open("blobs/doomed")
    storage.delete("blobs/doomed")
    storage.delete("blobs/never-was")


def test_iter_keys_lists_nested_keys_by_prefix(storage):
    contents = {"blobs/ab/cd/" + "a" * 64: b"1", "blobs/ab/cd/" + "b" * 64: b"22", "blobs/ef/01/x": b"333",
                "thumbs/ab/cd/x": b"4444", "blobsnot/x": b"55555"}
    for key, data in contents.items():
        storage.put_bytes(key, data, "application/octet-stream")

    def listed(prefix):
        return sorted((info.key, info.size) for info in storage.iter_keys(prefix))

    assert listed("") == sorted((key, len(data)) for key, data in contents.items())
    assert listed("blobs/") == sorted((key, len(data)) for key, data in contents.items()
                                      if key.startswith("blobs/"))
    assert listed("blobs/ab/") == [("blobs/ab/cd/" + "a" * 64, 1), ("blobs/ab/cd/" + "b" * 64, 2)]
    assert listed("blobs/ab/cd/b") == [("blobs/ab/cd/" + "b" * 64, 2)]
    assert listed("nothing/") == []
    assert all(info.modified_at.tzinfo is not None for info in storage.iter_keys(""))


def test_iter_keys_of_an_empty_storage_is_empty(storage):
    assert list(storage.iter_keys("")) == []


@pytest.mark.parametrize("key", ["", "/absolute", "..", "a/../b", "../outside", "a\\b", "a\x00b"])
def test_invalid_keys_are_refused(storage, tmp_path, key):
    path = tmp_path / "f"
    path.write_bytes(b"x")
    for attempt in (lambda: storage.put_bytes(key, b"x", "text/plain"),
                    lambda: storage.put_file(key, str(path), 1, "text/plain"),
                    lambda: storage.open(key), lambda: storage.stat(key), lambda: storage.delete(key)):
        with pytest.raises(ValueError):
            attempt()
    assert not (tmp_path / "outside").exists()


def test_check_passes_on_a_working_storage(storage):
    storage.check()


# --- Unfinished uploads: a writer killed mid-way ------------------------------------------------------

@pytest.mark.outage
def test_an_upload_cut_off_is_listed_apart_from_objects_and_aborted(storage, tmp_path):
    key = "blobs/ab/cd/" + "c" * 64
    stored = begin_unfinished_upload(storage, key, tmp_path)
    begin_unfinished_upload(storage, "thumbnails/ab/x", tmp_path)
    assert len(unfinished_on_server(storage)) == 2  # the bytes are there, taking room

    assert list(storage.iter_keys("")) == []  # but no object, whole or partial
    assert storage.stat(key) is None
    [upload] = storage.iter_unfinished_uploads("blobs/")
    assert upload.key.startswith("blobs/ab/cd/")
    assert abs(datetime.now(UTC) - upload.started_at) < timedelta(minutes=5)
    assert list(storage.iter_unfinished_uploads("nothing/")) == []

    assert storage.abort_upload(upload) == stored
    [other] = unfinished_on_server(storage)  # the other one is untouched
    assert other.startswith("thumbnails/ab")
    assert list(storage.iter_unfinished_uploads("blobs/")) == []
    assert storage.abort_upload(upload) == 0  # already gone: nothing to do, not an error


def test_s3_unfinished_uploads_are_listed_page_after_page(seaweedfs, monkeypatch):
    storage = S3Storage.from_url(seaweedfs.url(new_bucket()))
    storage.put_bytes("ready", b"", "text/plain")
    keys = ["blobs/a", "blobs/a", "blobs/b", "blobs/c"]  # two uploads of one key, split across pages
    for key in keys:
        storage.client._create_multipart_upload(storage.bucket, key, {})
    listing = storage.client._list_multipart_uploads
    monkeypatch.setattr(storage.client, "_list_multipart_uploads",
                        lambda *args, **kwargs: listing(*args, **{**kwargs, "max_uploads": 1}))
    uploads = list(storage.iter_unfinished_uploads("blobs/"))
    assert sorted(upload.key for upload in uploads) == keys
    assert len({upload.upload_id for upload in uploads}) == len(keys)


# --- Memory: nothing read whole ---------------------------------------------------------------------

@pytest.mark.slow
def test_a_large_object_is_written_and_read_in_bounded_memory(storage, large_file, monkeypatch):
    path, digest = large_file
    # The smallest part S3 allows, so that "in parts" and "whole" differ clearly for 64 MiB.
    monkeypatch.setattr(s3_module, "PART_SIZE", 5 * MiB)
    # The SDK's parts in flight (see s3.py): one per thread, one being read, one queued, and
    # finished ones that threads still reference; at worst 2 * PARALLEL_PARTS + 1.
    upload_bound = (2 * PARALLEL_PARTS + 1) * 5 * MiB + 2 * MiB
    tracemalloc.start()
    try:
        storage.put_file("blobs/large", str(path), LARGE_SIZE, "application/octet-stream")
        upload_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        sha, count = hashlib.sha256(), 0
        for chunk in storage.open("blobs/large"):
            assert 0 < len(chunk) <= CHUNK_SIZE
            sha.update(chunk)
            count += 1
        download_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sha.hexdigest() == digest
    assert count == LARGE_SIZE // CHUNK_SIZE
    assert upload_peak < upload_bound < LARGE_SIZE * 0.6
    assert download_peak < 4 * CHUNK_SIZE


# --- Configuration --------------------------------------------------------------------------------

def test_storage_from_url_builds_a_local_storage(tmp_path):
    storage = storage_from_url(f"file://{tmp_path}/my%20blobs")
    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path / "my blobs"


def test_storage_from_url_builds_an_s3_storage():
    storage = storage_from_url("s3://AKIA%2Fkey:se%2Bcr%40et%2F@minio.internal:9000/documents")
    assert isinstance(storage, S3Storage)
    assert (storage.endpoint, storage.bucket, storage.secure, storage.region) == (
        "minio.internal:9000", "documents", True, None)
    assert "se+cr" not in repr(storage) and "AKIA" not in repr(storage)
    storage = storage_from_url("s3://k:s@127.0.0.1:8333/bkt?secure=false&region=eu-west-3")
    assert (storage.secure, storage.region) == (False, "eu-west-3")


@pytest.mark.parametrize("url", [
    "ftp://host/path",
    "minio://k:s@host:9000/bucket",
    "s3://k:s@host:9000",
    "s3://k:s@host:9000/bucket/sub",
    "s3://k:s@host:9000/bucket?secure=maybe",
    "s3://k:s@host:9000/bucket?scure=false",
    "s3://k:s@host:9000/b",  # too short for a bucket name
    "s3://k:s@host:9000/Bad_Bucket",
])
def test_storage_from_url_refuses_a_bad_url(url):
    with pytest.raises(ValueError):
        storage_from_url(url)


def test_s3_credentials_in_the_url_are_percent_decoded_and_enforced(seaweedfs, shared_bucket):
    assert "%" in seaweedfs.url(shared_bucket)  # the test server's secret needs encoding
    storage = storage_from_url(seaweedfs.url(shared_bucket))
    storage.put_bytes("credentials", b"ok", "text/plain")
    storage.delete("credentials")
    wrong = S3Storage(seaweedfs.endpoint, new_bucket(), seaweedfs.access_key, "not-the-secret", secure=False)
    with pytest.raises(StorageUnavailable, match=r"SignatureDoesNotMatch|AccessDenied|InvalidAccessKeyId"):
        wrong.check()


# --- S3 only: sizes, the bucket, an outage -----------------------------------------------------------

def test_s3_put_file_refuses_a_file_of_another_size_than_announced(seaweedfs, tmp_path):
    storage = S3Storage.from_url(seaweedfs.url(new_bucket()))
    path = tmp_path / "upload.bin"
    path.write_bytes(b"12345")
    with pytest.raises(ValueError, match="5 bytes"):
        storage.put_file("blobs/wrong-size", str(path), 4, "text/plain")  # the SDK would cut it short
    assert storage.stat("blobs/wrong-size") is None


def test_s3_bucket_is_created_on_first_use_even_if_another_worker_just_did(seaweedfs, monkeypatch):
    bucket = new_bucket()
    first, second = (S3Storage.from_url(seaweedfs.url(bucket)) for _ in range(2))
    assert not first.client.bucket_exists(bucket)  # nothing created until used
    first.put_bytes("k", b"first", "text/plain")
    # The second one saw no bucket, then lost the race to create it.
    monkeypatch.setattr(second.client, "bucket_exists", lambda name: False)
    assert read(second, "k") == b"first"


@pytest.mark.outage
def test_s3_outage_fails_fast_and_nothing_is_lost(seaweedfs, tmp_path):
    storage = S3Storage.from_url(seaweedfs.url(new_bucket()))
    path = tmp_path / "before.bin"
    digest = write_random_file(path, 3 * MiB + 5)
    storage.put_file("blobs/before", str(path), path.stat().st_size, "application/octet-stream")

    seaweedfs.stop()
    try:
        attempts = {
            "put_file": lambda: storage.put_file("blobs/during", str(path), path.stat().st_size, "text/plain"),
            "put_bytes": lambda: storage.put_bytes("blobs/during-bytes", b"x", "text/plain"),
            "open": lambda: storage.open("blobs/before"),
            "stat": lambda: storage.stat("blobs/before"),
            "delete": lambda: storage.delete("blobs/before"),
            "iter_keys": lambda: list(storage.iter_keys("blobs/")),
            "check": storage.check,
        }
        for name, attempt in attempts.items():
            started = time.monotonic()
            with pytest.raises(StorageUnavailable, match="unreachable"):
                attempt()
            assert time.monotonic() - started < OUTAGE_LIMIT, name
    finally:
        seaweedfs.start()

    storage.check()
    assert sha256_of(storage.open("blobs/before")) == digest
    assert storage.stat("blobs/during") is None  # a failed upload leaves no partial object
    storage.put_file("blobs/after", str(path), path.stat().st_size, "application/octet-stream")
    assert sha256_of(storage.open("blobs/after")) == digest
