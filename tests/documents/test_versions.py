"""Versions under concurrency, crashes between blob and row, garbage collection and purge."""

from __future__ import annotations

import hashlib
import io
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rse.dbtypes import utcnow
from rse.documents import blobs, service
from rse.documents.models import Blob, Document, DocumentVersion

from .samples import pdf_bytes
from .unfinished import begin_unfinished_upload, unfinished_on_server


def _stored_blobs(app) -> list[Path]:
    root = Path(app.config["STORAGE_URL"].removeprefix("file://")) / "blobs"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_simultaneous_new_versions_are_all_kept_in_order(app, api, create_user, create_community, create_document, db):
    author, colleague = create_user("staff"), create_user("staff")
    community = create_community(author, members=[(colleague, "member")])
    document_id = create_document(community, author).id
    clients = [api(author), api(colleague), api(author), api(colleague)]
    contents = [pdf_bytes(f"version concurrente {n}") for n in range(len(clients))]
    barrier = threading.Barrier(len(clients))
    results = []

    def push(client, content):
        barrier.wait()
        response = client.post(f"/api/v1/documents/{document_id}/versions",
                               data={"file": (io.BytesIO(content), "protocole.pdf")}, content_type="multipart/form-data")
        results.append((response.status_code, response.json.get("number"), response.json.get("sha256")))

    threads = [threading.Thread(target=push, args=pair) for pair in zip(clients, contents, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(status for status, _, _ in results) == [201] * len(clients), results
    assert sorted(number for _, number, _ in results) == [2, 3, 4, 5]
    numbers = db.session.scalars(select(DocumentVersion.number).where(DocumentVersion.document_id == document_id)
                                 .order_by(DocumentVersion.number)).all()
    assert numbers == [1, 2, 3, 4, 5]
    assert db.session.get(Document, document_id).current_number == 5
    for _status, number, sha in results:
        client = clients[0]
        body = client.get(f"/api/v1/documents/{document_id}/versions/{number}/content").data
        assert body in contents and hashlib.sha256(body).hexdigest() == sha


@pytest.mark.outage
def test_crash_between_blob_and_row_leaves_only_an_orphan_that_gc_removes(app, api, create_user, create_community,
                                                                          monkeypatch, db, runner):
    author = create_user("staff")
    community = create_community(author)

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash after the blob was written")

    monkeypatch.setattr(service, "_add_version_row", crash)
    response = api(author).post(f"/api/v1/communities/{community.id}/documents",
                                data={"file": (io.BytesIO(pdf_bytes("orphelin")), "orphelin.pdf")},
                                content_type="multipart/form-data")
    assert response.status_code == 500
    assert db.session.scalar(select(func.count(Document.id))) == 0
    assert db.session.scalar(select(func.count(Blob.sha256))) == 0  # never a row pointing to nothing
    assert len(_stored_blobs(app)) == 1  # the orphan
    monkeypatch.undo()
    kept = runner.invoke(args=["documents", "gc"])  # a young orphan may be an upload in flight
    assert "removed 0" in kept.output and len(_stored_blobs(app)) == 1
    result = runner.invoke(args=["documents", "gc", "--grace-minutes", "0"])
    assert result.exit_code == 0 and "removed 1" in result.output
    assert _stored_blobs(app) == []


@pytest.mark.outage
def test_gc_aborts_uploads_left_unfinished_past_the_grace_period(document_storage, runner, monkeypatch, tmp_path):
    stored = begin_unfinished_upload(document_storage, blobs.blob_key("d" * 64), tmp_path)
    begin_unfinished_upload(document_storage, "elsewhere/not-the-apps", tmp_path)

    recent = runner.invoke(args=["documents", "gc"])  # an upload just begun may still be going
    assert recent.exit_code == 0, recent.output
    assert "aborted 0 unfinished upload(s) holding 0 bytes (0.0 MiB), left 1 recent one(s)" in recent.output
    assert len(unfinished_on_server(document_storage)) == 2

    later = utcnow() + timedelta(hours=2)  # past the default grace period of an hour
    monkeypatch.setattr(blobs, "utcnow", lambda: later)
    result = runner.invoke(args=["documents", "gc"])
    assert result.exit_code == 0, result.output
    assert (f"aborted 1 unfinished upload(s) holding {stored} bytes ({stored / 2**20:.1f} MiB), "
            "left 0 recent one(s)") in result.output
    assert [where.split("/")[0] for where in unfinished_on_server(document_storage)] == ["elsewhere"]


def test_gc_keeps_what_rows_name(app, create_document, runner):
    create_document()
    result = runner.invoke(args=["documents", "gc", "--grace-minutes", "0"])
    assert "removed 0" in result.output
    assert len(_stored_blobs(app)) == 1


def test_purge_removes_old_trash_and_unshared_bytes_only(app, create_user, create_community, create_document, db,
                                                        runner):
    author = create_user("staff")
    community = create_community(author)
    shared = pdf_bytes("partagé")
    old = create_document(community, author, content=shared, filename="ancien.pdf")
    create_document(community, author, content=shared, filename="copie.pdf")  # same bytes, kept
    lonely = create_document(community, author, content=pdf_bytes("seul"), filename="seul.pdf")
    recent = create_document(community, author, content=pdf_bytes("récent"), filename="recent.pdf")
    for document in (old, lonely):
        service.trash_document(author, document)
        document.deleted_at = utcnow() - timedelta(days=91)
    service.trash_document(author, recent)
    db.session.commit()
    result = runner.invoke(args=["documents", "purge"])
    assert result.exit_code == 0 and "purged 2 document(s) and 1 unused blob(s)" in result.output
    titles = set(db.session.scalars(select(Document.title)))
    assert titles == {"copie.pdf", "recent.pdf"}
    assert len(_stored_blobs(app)) == 2
    for version in db.session.scalars(select(DocumentVersion)):
        assert any(p.name == version.blob_sha256 for p in _stored_blobs(app))


def test_verify_finds_corrupt_and_missing_bytes(app, create_document, runner):
    from rse.documents import blobs

    first = create_document(content=pdf_bytes("intact"))
    second = create_document(content=pdf_bytes("abîmé"))
    third = create_document(content=pdf_bytes("perdu"))
    assert runner.invoke(args=["documents", "verify"]).output.startswith("checked 3, corrupt 0, missing 0")
    sha_second = service.current_version(second).blob_sha256
    sha_third = service.current_version(third).blob_sha256
    blobs.storage().put_bytes(blobs.blob_key(sha_second), b"%PDF-1.4 altered", "application/pdf")
    blobs.storage().delete(blobs.blob_key(sha_third))
    result = runner.invoke(args=["documents", "verify"])
    assert result.exit_code == 1
    assert "corrupt: " + sha_second in result.output and "missing: " + sha_third in result.output
    assert service.current_version(first).blob_sha256 not in result.output
