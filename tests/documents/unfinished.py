"""Uploads left unfinished the way a killed writer leaves them, and the server's own view of them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from rse.documents.storage.local import INCOMING_PREFIX, LocalStorage
from rse.documents.storage.s3 import S3Storage

MiB = 1024 * 1024
S3_PART = 5 * MiB  # the smallest part S3 accepts but for the last one
ROOT = Path(__file__).resolve().parents[2]

# A writer that stalls after its first chunk (a client gone quiet), killed there by the test.
_STALLED_WRITER = """
import shutil, sys, time
from rse.documents.storage.local import LocalStorage

def stalled_copy(source, target, length=0):
    target.write(source.read(length))
    target.flush()
    print("writing", flush=True)
    time.sleep(600)

shutil.copyfileobj = stalled_copy
root, key, path, size = sys.argv[1:]
LocalStorage(root).put_file(key, path, int(size), "application/octet-stream")
"""


def begin_unfinished_upload(storage, key: str, scratch: Path) -> int:
    """Leave an upload of `key` unfinished in `storage`; returns the bytes it already stored.

    S3: a multipart upload created by hand with one 5 MiB part, never completed. The local
    folder: a real writer process SIGKILLed after its first 1 MiB.
    """
    if isinstance(storage, S3Storage):
        storage.put_bytes("ready", b"", "text/plain")  # the bucket exists
        storage.delete("ready")
        upload_id = storage.client._create_multipart_upload(storage.bucket, key, {})
        storage.client._upload_part(storage.bucket, key, os.urandom(S3_PART), None, upload_id, 1)
        return S3_PART
    assert isinstance(storage, LocalStorage)
    source = scratch / f"source-{os.urandom(4).hex()}.bin"
    source.write_bytes(os.urandom(2 * MiB))
    writer = subprocess.Popen([sys.executable, "-c", _STALLED_WRITER, str(storage.root), key, str(source),
                               str(2 * MiB)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
        writer.stdout.close()
    return MiB


def unfinished_on_server(storage) -> list[str]:
    """Where each unfinished upload is (S3: its key; the local folder: its temporary file's folder), as
    the server itself lists them, not through the code under test."""
    if isinstance(storage, S3Storage):
        return sorted(upload.object_name for upload in
                      storage.client._list_multipart_uploads(storage.bucket, max_uploads=1000).uploads)
    return sorted(path.relative_to(storage.root).parent.as_posix()
                  for path in storage.root.rglob(f"{INCOMING_PREFIX}*"))


def discard_unfinished_uploads(storage) -> None:
    for upload in list(storage.iter_unfinished_uploads("")):
        storage.abort_upload(upload)
