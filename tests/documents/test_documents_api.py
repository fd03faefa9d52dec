"""Documents through the API: upload, versions, byte-for-byte downloads, restore, trash, bad input."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rse.audit.models import AuditEntry
from rse.documents import blobs
from rse.documents.models import Blob, Document, DocumentVersion

from .samples import pdf_bytes, png_bytes


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture(autouse=True)
def _every_storage(document_storage):
    """Every test of this module runs on the local folder and on a real S3 server."""
    return document_storage


def stored_blobs() -> list[str]:
    return [info.key for info in blobs.storage().iter_keys("blobs/")]


def upload(client, community_id, content: bytes, filename: str = "protocole.pdf", **fields):
    return client.post(f"/api/v1/communities/{community_id}/documents",
                       data={"file": (io.BytesIO(content), filename), **fields}, content_type="multipart/form-data")


def new_version(client, document_id, content: bytes, filename: str = "protocole.pdf", note: str = ""):
    return client.post(f"/api/v1/documents/{document_id}/versions",
                       data={"file": (io.BytesIO(content), filename), "note": note}, content_type="multipart/form-data")


@pytest.fixture
def space(create_user, create_community):
    animator, member, reader = create_user("staff"), create_user("staff"), create_user("staff")
    community = create_community(animator, name="Hygiène – protocoles GHT",
                                 members=[(member, "member"), (reader, "reader")])
    return community, animator, member, reader


def test_upload_then_download_byte_for_byte(api, space, db):
    community, animator, member, _reader = space
    content = pdf_bytes("Précautions standard", pages=3)
    response = upload(api(member), community.id, content, "Précautions standard.pdf",
                      title="Précautions standard", description="Version validée en CLIN", tags="hygiène, Mains")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["current_version"] == 1 and body["tags"] == ["hygiène", "Mains"]
    assert body["current"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["current"]["size"] == len(content) and body["current"]["content_type"] == "application/pdf"
    download = api(animator).get(f"/api/v1/documents/{body['id']}/versions/1/content")
    assert download.status_code == 200
    assert download.data == content
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Pr%C3%A9cautions%20standard.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["ETag"] == f'"{hashlib.sha256(content).hexdigest()}"'
    inline = api(animator).get(f"/api/v1/documents/{body['id']}/versions/1/content?inline=1")
    assert inline.headers["Content-Disposition"].startswith("inline;")


def test_every_version_is_kept_and_restore_adds_one(api, space, db):
    community, animator, member, _reader = space
    v1, v2 = pdf_bytes("version un"), pdf_bytes("version deux")
    document_id = upload(api(member), community.id, v1).json["id"]
    second = new_version(api(animator), document_id, v2, note="Ajout du chapitre BHRe")
    assert second.status_code == 201 and second.json["number"] == 2
    restored = api(member).post(f"/api/v1/documents/{document_id}/versions/1/restore")
    assert restored.status_code == 201
    assert restored.json["number"] == 3 and restored.json["restored_from"] == 1
    assert restored.json["sha256"] == hashlib.sha256(v1).hexdigest()
    detail = api(member).get(f"/api/v1/documents/{document_id}").json
    assert [v["number"] for v in detail["versions"]] == [3, 2, 1]
    assert detail["versions"][1]["note"] == "Ajout du chapitre BHRe"
    for number, content in ((1, v1), (2, v2), (3, v1)):
        assert api(member).get(f"/api/v1/documents/{document_id}/versions/{number}/content").data == content
    assert count(db, Blob) == 2  # identical bytes are stored once


def test_identical_content_is_stored_once(api, space, app, db):
    community, _animator, member, _reader = space
    content = pdf_bytes("même contenu")
    upload(api(member), community.id, content, "a.pdf")
    upload(api(member), community.id, content, "b.pdf")
    assert count(db, Document) == 2 and count(db, Blob) == 1
    assert len(stored_blobs()) == 1


def test_range_requests_and_conditional_get(api, space):
    community, _animator, member, _reader = space
    content = pdf_bytes("plage", pages=5)
    document_id = upload(api(member), community.id, content).json["id"]
    client = api(member)
    url = f"/api/v1/documents/{document_id}/versions/1/content"
    part = client.get(url, headers={"Range": "bytes=10-99"})
    assert part.status_code == 206 and part.data == content[10:100]
    assert part.headers["Content-Range"] == f"bytes 10-99/{len(content)}"
    tail = client.get(url, headers={"Range": "bytes=-20"})
    assert tail.status_code == 206 and tail.data == content[-20:]
    assert client.get(url, headers={"Range": f"bytes={len(content) + 10}-"}).status_code == 416
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_downloads_are_audited_once_per_download(api, space, db):
    community, _animator, member, _reader = space
    document_id = upload(api(member), community.id, pdf_bytes()).json["id"]
    client = api(member)
    client.get(f"/api/v1/documents/{document_id}/versions/1/content")
    client.get(f"/api/v1/documents/{document_id}/versions/1/content", headers={"Range": "bytes=100-200"})
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "document")).all()
    assert actions.count("document.downloaded") == 1
    assert "document.uploaded" in actions


def test_active_content_is_always_an_attachment(api, space):
    community, _animator, member, _reader = space
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    document_id = upload(api(member), community.id, html, "page.html").json["id"]
    for query in ("", "?inline=1"):
        response = api(member).get(f"/api/v1/documents/{document_id}/versions/1/content{query}")
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert "sandbox" in response.headers["Content-Security-Policy"]


def test_reader_cannot_upload_or_add_versions(api, space, db):
    community, _animator, member, reader = space
    assert upload(api(reader), community.id, pdf_bytes()).status_code == 403
    document_id = upload(api(member), community.id, pdf_bytes()).json["id"]
    assert new_version(api(reader), document_id, pdf_bytes("x")).status_code == 403
    assert api(reader).get(f"/api/v1/documents/{document_id}/versions/1/content").status_code == 200
    assert count(db, DocumentVersion) == 1


def test_trash_and_restore(api, space, create_user, db):
    community, animator, member, reader = space
    document_id = upload(api(member), community.id, pdf_bytes()).json["id"]
    assert api(reader).delete(f"/api/v1/documents/{document_id}").status_code == 403
    assert api(member).delete(f"/api/v1/documents/{document_id}").status_code == 204  # the author
    assert api(reader).get(f"/api/v1/documents/{document_id}").status_code == 404  # gone for others
    listed = api(reader).get(f"/api/v1/communities/{community.id}/documents").json
    assert listed["total"] == 0
    trash = api(animator).get(f"/api/v1/communities/{community.id}/documents?trash=1").json
    assert [d["id"] for d in trash["items"]] == [document_id]
    assert api(animator).post(f"/api/v1/documents/{document_id}/restore").status_code == 200
    assert api(reader).get(f"/api/v1/documents/{document_id}").status_code == 200


def test_bad_uploads_store_nothing(api, space, app, db):
    community, _animator, member, _reader = space
    client = api(member)
    cases = [
        (b"", "vide.pdf"),
        (pdf_bytes(), "../../etc/passwd.pdf"),
        (pdf_bytes(), "dossier/rapport.pdf"),
        (pdf_bytes(), "rapport..pdf"),
        (pdf_bytes(), "rap\x07port.pdf"),
        (pdf_bytes(), "facture\u202efdp.exe"),
        (pdf_bytes(), "x" * 296 + ".pdf"),
        (png_bytes(), "rapport.pdf"),  # a PNG pretending to be a PDF
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "protocole.pdf"),
    ]
    for content, filename in cases:
        response = upload(client, community.id, content, filename)
        assert response.status_code == 422, (filename, response.json)
        assert response.json["error"]["fields"]["file"], (filename, response.json)
    assert client.post(f"/api/v1/communities/{community.id}/documents", data={"title": "x"},
                       content_type="multipart/form-data").status_code == 422
    assert count(db, Document) == 0 and count(db, Blob) == 0
    assert stored_blobs() == []
    assert list(Path(app.config["UPLOAD_TMP"]).glob("upload-*")) == []


def test_file_over_the_limit_is_413_and_stores_nothing(api, space, app, db):
    community, _animator, member, _reader = space
    app.config["MAX_UPLOAD_BYTES"] = 50_000
    response = upload(api(member), community.id, pdf_bytes() + b"%" + b"0" * 60_000)
    assert response.status_code == 413
    assert response.json["error"]["code"] in {"payload_too_large", "file_too_large"}
    assert count(db, Document) == 0 and stored_blobs() == []


def test_unknown_version_and_document_are_404(api, space):
    community, _animator, member, _reader = space
    document_id = upload(api(member), community.id, pdf_bytes()).json["id"]
    client = api(member)
    assert client.get(f"/api/v1/documents/{document_id}/versions/7/content").status_code == 404
    assert client.post(f"/api/v1/documents/{document_id}/versions/7/restore").status_code == 404
    assert client.get("/api/v1/documents/999999").status_code == 404


def test_restoring_the_current_version_is_409(api, space):
    community, _animator, member, _reader = space
    document_id = upload(api(member), community.id, pdf_bytes()).json["id"]
    response = api(member).post(f"/api/v1/documents/{document_id}/versions/1/restore")
    assert response.status_code == 409 and response.json["error"]["code"] == "already_current"


def test_partner_of_another_community_cannot_reach_anything(api, space, create_user, create_community):
    community, _animator, member, _reader = space
    document_id = upload(api(member), community.id, pdf_bytes()).json["id"]
    partner = create_user("partner")
    create_community(members=[(partner, "member")])
    client = api(partner)
    for path in (f"/api/v1/documents/{document_id}", f"/api/v1/documents/{document_id}/versions/1/content",
                 f"/api/v1/documents/{document_id}/versions/1/thumbnail",
                 f"/api/v1/communities/{community.id}/documents"):
        response = client.get(path)
        assert response.status_code == 404, path
    assert new_version(client, document_id, pdf_bytes("intrus")).status_code == 404
    assert client.delete(f"/api/v1/documents/{document_id}").status_code == 404


def test_text_is_extracted_and_a_thumbnail_made(api, space, db):
    community, _animator, member, _reader = space
    document_id = upload(api(member), community.id, pdf_bytes("Gestion des excreta", pages=2)).json["id"]
    version = db.session.scalars(select(DocumentVersion)).one()
    assert version.extraction == "done"
    assert "Gestion des excreta" in version.extracted_text
    thumbnail = api(member).get(f"/api/v1/documents/{document_id}/versions/1/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.headers["Content-Type"].startswith("image/")


def test_a_failed_extraction_never_blocks_the_upload(api, space, db):
    community, _animator, member, _reader = space
    broken = b"%PDF-1.4\n" + b"garbage " * 200  # looks like a PDF, is not one
    response = upload(api(member), community.id, broken, "cassé.pdf")
    assert response.status_code == 201
    version = db.session.scalars(select(DocumentVersion)).one()
    assert version.extraction == "failed"
    assert api(member).get(f"/api/v1/documents/{response.json['id']}/versions/1/content").data == broken


def test_review_dates_and_metadata_update(api, space):
    community, _animator, member, _reader = space
    document_id = upload(api(member), community.id, pdf_bytes(), review_by="2020-01-01").json["id"]
    assert api(member).patch(f"/api/v1/documents/{document_id}", json={"review_by": "pas une date"}).status_code == 422
    updated = api(member).patch(f"/api/v1/documents/{document_id}", json={"title": "Protocole BHRe", "tags": ["BHRe"]})
    assert updated.status_code == 200 and updated.json["title"] == "Protocole BHRe"
    assert updated.json["review_by"] == "2020-01-01"


@pytest.mark.slow
def test_a_file_of_several_megabytes_goes_through_whole(api, space):
    community, _animator, member, _reader = space
    content = pdf_bytes("gros fichier") + b"%" + bytes(range(256)) * (6 * 4096)  # ~6 MiB, many parser reads
    boundary = "maillage-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"gros.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    # A body built here (the test client would spool a large one to a file it never closes).
    response = api(member).post(f"/api/v1/communities/{community.id}/documents", input_stream=io.BytesIO(body),
                                content_type=f"multipart/form-data; boundary={boundary}",
                                headers={"Content-Length": str(len(body))})
    assert response.status_code == 201, response.json
    assert response.json["current"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert api(member).get(f"/api/v1/documents/{response.json['id']}/versions/1/content").data == content
