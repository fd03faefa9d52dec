"""Blobs in storage: content-addressed writes, derived data, garbage collection and purge.

The order of writes keeps every row pointing at bytes that exist: a blob is written (and its
sha256 known from the upload) before the row that names it commits; a purge deletes rows,
commits, then deletes bytes. A crash in between leaves at most an orphan blob in storage,
which `collect_garbage` (flask documents gc) removes.
"""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import timedelta
from typing import TypedDict

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from rse import aftercommit
from rse.database import db
from rse.dbtypes import utcnow
from rse.errors import ServiceUnavailable

from .models import Blob, Document, DocumentVersion
from .storage import BlobNotFound, Storage, StorageUnavailable, storage_from_url

log = logging.getLogger(__name__)

BLOB_PREFIX = "blobs/"
THUMBNAIL_PREFIX = "thumbnails/"


def storage() -> Storage:
    return current_app.extensions["rse_storage"]


def blob_key(sha256: str) -> str:
    return f"{BLOB_PREFIX}{sha256[:2]}/{sha256[2:4]}/{sha256}"


def unavailable(exc: Exception) -> ServiceUnavailable:
    log.warning("document storage unavailable: %s", exc)
    return ServiceUnavailable(_("Le stockage des documents est momentanément indisponible : rien n'a été "
                                "enregistré. Réessayez dans quelques minutes."), code="storage_unavailable")


def store_blob(path: str, sha256: str, size: int, content_type: str) -> Blob:
    """Write the bytes and return their Blob row, flushed not committed.

    The bytes are written even when the same content is stored already (for a version in any
    space): skipping the write made such an upload measurably faster, which told the uploader
    that the file exists somewhere, perhaps in a space they cannot see. Writing the same bytes
    under their own content-addressed key changes nothing that is stored (the backends replace
    an object atomically, so a reader sees the old or the new copy, both whole and identical).
    """
    existing = db.session.get(Blob, sha256)
    key = blob_key(sha256)
    try:
        storage().put_file(key, path, size, content_type)
        info = storage().stat(key)
    except StorageUnavailable as exc:
        raise unavailable(exc) from exc
    if info is None or info.size != size:  # the row must never name bytes that are not all there
        log.error("blob %s: storage holds %s bytes after writing %d", sha256, info and info.size, size)
        raise unavailable(RuntimeError(f"incomplete write of {key}"))
    if existing is not None:
        return existing
    blob = Blob(sha256=sha256, size=size, storage_key=key)
    db.session.add(blob)
    db.session.flush()
    return blob


def open_blob(blob: Blob, start: int = 0, length: int | None = None):
    try:
        return storage().open(blob.storage_key, start, length)
    except StorageUnavailable as exc:
        raise unavailable(exc) from exc


# --- Derived data: text and thumbnail, after the upload commits ------------------------------

def schedule_processing(version: DocumentVersion) -> None:
    """Extract text and make a thumbnail once the transaction has committed."""
    aftercommit.schedule(db.session(), "documents", [version.id])


def process_versions(ids: list[int] | None = None, *, limit: int = 50) -> dict[str, int]:
    """Extraction and thumbnails for pending versions; a failure is logged, never raised."""
    from .extraction import ExtractionError, extract_text
    from .filetypes import FileType
    from .previews import THUMBNAIL_CONTENT_TYPE, PreviewError, make_thumbnail

    counts = {"done": 0, "failed": 0}
    with Session(db.engine) as session:
        query = select(DocumentVersion).where(DocumentVersion.extraction == "pending").order_by(
            DocumentVersion.id).limit(limit)
        if ids is not None:
            query = query.where(DocumentVersion.id.in_(ids))
        for version in session.scalars(query).all():
            blob = session.get_one(Blob, version.blob_sha256)
            file_type = FileType(content_type=version.content_type, kind=version.kind, inline=False,
                                 extension=os.path.splitext(version.filename)[1].lstrip(".").lower())
            try:
                with _local_copy(blob) as path:
                    try:
                        version.extracted_text = extract_text(path, file_type)
                        version.extraction = "done"
                    except ExtractionError as exc:
                        log.warning("text extraction failed for version %s (%s): %s",
                                    version.id, version.filename, exc)
                        version.extraction = "failed"
                    # Made again even when these bytes have a thumbnail from another version:
                    # processing must take the same time and store the same way whether or not the
                    # content exists elsewhere (DocumentVersion.thumbnail_key says why).
                    try:
                        image = make_thumbnail(path, file_type)
                    except PreviewError as exc:
                        log.warning("thumbnail failed for version %s: %s", version.id, exc)
                        image = None
                    if image is not None:
                        key = f"{THUMBNAIL_PREFIX}{blob.sha256}"
                        storage().put_bytes(key, image, THUMBNAIL_CONTENT_TYPE)
                        blob.thumbnail_key = key
            except (StorageUnavailable, BlobNotFound) as exc:
                log.warning("processing of version %s postponed: %s", version.id, exc)
                continue  # stays pending: the next run retries
            session.commit()
            counts["done" if version.extraction == "done" else "failed"] += 1
    return counts


class _local_copy:
    """A temporary local file holding the blob's bytes (extraction libraries want a path)."""

    def __init__(self, blob: Blob):
        self.blob = blob

    def __enter__(self) -> str:
        directory = current_app.config["UPLOAD_TMP"]
        os.makedirs(directory, exist_ok=True)
        fd, self.path = tempfile.mkstemp(dir=directory, prefix="process-")
        with os.fdopen(fd, "wb") as handle:
            for chunk in storage().open(self.blob.storage_key):
                handle.write(chunk)
        return self.path

    def __exit__(self, *exc_info) -> None:
        os.unlink(self.path)


def _process_after_commit(ids: list[int]) -> None:
    if current_app.config["PROCESS_INLINE"]:
        process_versions(ids)


class VerifyReport(TypedDict):
    checked: int
    corrupt: list[str]  # sha256 of the blobs whose bytes no longer match
    missing: list[str]


def verify_blobs(limit: int | None = None) -> VerifyReport:
    """Re-read stored blobs and compare with their recorded sha256 and size (`flask documents verify`)."""
    import hashlib

    checked, bad, missing = 0, [], []
    query = select(Blob).order_by(Blob.created_at)
    if limit:
        query = query.limit(limit)
    for blob in db.session.scalars(query):
        digest, size = hashlib.sha256(), 0
        try:
            for chunk in storage().open(blob.storage_key):
                digest.update(chunk)
                size += len(chunk)
        except BlobNotFound:
            missing.append(blob.sha256)
            continue
        checked += 1
        if digest.hexdigest() != blob.sha256 or size != blob.size:
            bad.append(blob.sha256)
    return {"checked": checked, "corrupt": bad, "missing": missing}


# --- Clean-up ---------------------------------------------------------------------------------

def purge_trash(retention_days: int) -> dict[str, int]:
    """Delete documents trashed more than `retention_days` ago, then the bytes nobody uses."""
    cutoff = utcnow() - timedelta(days=retention_days)
    documents = db.session.scalars(select(Document.id).where(Document.deleted_at <= cutoff)).all()
    if documents:
        db.session.execute(delete(DocumentVersion).where(DocumentVersion.document_id.in_(documents)))
        db.session.execute(delete(Document).where(Document.id.in_(documents)))
    unused = db.session.scalars(select(Blob).where(
        ~exists().where(DocumentVersion.blob_sha256 == Blob.sha256))).all()
    keys = [key for blob in unused for key in (blob.storage_key, blob.thumbnail_key) if key]
    for blob in unused:
        db.session.delete(blob)
    db.session.commit()  # rows first: a crash now leaves orphan bytes, never a dangling row
    for key in keys:
        storage().delete(key)
    return {"documents": len(documents), "blobs": len(unused)}


class GarbageReport(TypedDict):
    removed: int  # orphan objects deleted
    recent_kept: int  # orphan objects younger than the grace period
    uploads_aborted: int  # unfinished uploads discarded
    upload_bytes: int  # the bytes they held
    uploads_recent: int  # unfinished uploads younger than the grace period, perhaps still going


def collect_garbage(grace: timedelta = timedelta(hours=1)) -> GarbageReport:
    """Remove stored objects no row names (left by a crash between write and commit), and the
    uploads a killed writer left unfinished (S3 multipart parts, the local folder's temporary files).

    Anything younger than `grace` is left alone: its upload may still be writing or committing.
    """
    known = set(db.session.scalars(select(Blob.storage_key)))
    known |= set(db.session.scalars(select(Blob.thumbnail_key).where(Blob.thumbnail_key.is_not(None))))
    cutoff = utcnow() - grace
    report = GarbageReport(removed=0, recent_kept=0, uploads_aborted=0, upload_bytes=0, uploads_recent=0)
    for prefix in (BLOB_PREFIX, THUMBNAIL_PREFIX):
        for info in storage().iter_keys(prefix):
            if info.key in known:
                continue
            if info.modified_at > cutoff:
                report["recent_kept"] += 1
                continue
            storage().delete(info.key)
            report["removed"] += 1
        for upload in list(storage().iter_unfinished_uploads(prefix)):
            if upload.started_at > cutoff:
                report["uploads_recent"] += 1
                continue
            report["upload_bytes"] += storage().abort_upload(upload)
            report["uploads_aborted"] += 1
            log.info("aborted the unfinished upload of %s (%s), begun %s", upload.key, upload.upload_id,
                     upload.started_at.isoformat())
    return report


def init_storage(app) -> None:
    from rse.web import register_health_check

    app.extensions["rse_storage"] = storage_from_url(app.config["STORAGE_URL"])
    register_health_check(app, "storage", lambda: app.extensions["rse_storage"].check())
    aftercommit.register("documents", _process_after_commit)
