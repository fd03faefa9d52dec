"""Bytes stored once for all spaces: an upload behaves the same whether or not its bytes already
exist in a space the uploader cannot read (write, processing state, thumbnail, answer)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from rse.dbtypes import utcnow
from rse.documents import blobs
from rse.documents import service as documents
from rse.documents.models import Document

from .samples import pdf_bytes

SECRET = pdf_bytes("Comité de direction : projet de fusion", pages=2)


class RecordingStorage:
    """The real storage of the test, noting the keys written through it."""

    def __init__(self, storage):
        self.storage, self.writes = storage, []

    def put_file(self, key, *args, **kwargs):
        self.writes.append(key)
        return self.storage.put_file(key, *args, **kwargs)

    def put_bytes(self, key, *args, **kwargs):
        self.writes.append(key)
        return self.storage.put_bytes(key, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.storage, name)


@pytest.fixture(autouse=True)
def recorder(app, document_storage):
    """Every test runs on the local folder and on a real S3 server, with its writes noted."""
    recording = RecordingStorage(document_storage)
    app.extensions["rse_storage"] = recording
    yield recording
    app.extensions["rse_storage"] = document_storage


@pytest.fixture
def spaces(create_user, create_community, create_document):
    """A secret space holding SECRET (processed: text and thumbnail made), and a partner's own space."""
    director, partner = create_user("staff"), create_user("partner")
    secret = create_community(director, visibility="secret", name="Comité de direction – préparation")
    create_document(secret, director, content=SECRET, filename="fusion.pdf")
    own = create_community(create_user("staff"), name="CPOM EHPAD", members=[(partner, "member")])
    return partner, own


def upload(client, community_id, content: bytes):
    response = client.post(f"/api/v1/communities/{community_id}/documents",
                           data={"file": (io.BytesIO(content), "note.pdf"), "title": "Note"},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    return response.json


def observable(body: dict) -> dict:
    """An upload's answer without what differs between two files anyway (ids, hash, size, times)."""
    kept = {key: value for key, value in body.items() if key not in {"id", "created_at", "updated_at", "url"}}
    kept["current"] = {key: value for key, value in body["current"].items()
                       if key not in {"sha256", "size", "created_at", "content_url"}}
    return kept


def test_bytes_that_exist_in_a_secret_space_are_written_again_like_new_bytes(spaces, api, recorder):
    partner, own = spaces
    fresh = pdf_bytes("Note de synthèse du diagnostic partagé", pages=2)
    recorder.writes.clear()
    new_body = upload(api(partner), own.id, fresh)
    written_for_new = [key for key in recorder.writes if key.startswith(blobs.BLOB_PREFIX)]
    recorder.writes.clear()
    known_body = upload(api(partner), own.id, SECRET)
    written_for_known = [key for key in recorder.writes if key.startswith(blobs.BLOB_PREFIX)]
    assert written_for_new == [blobs.blob_key(new_body["current"]["sha256"])]
    assert written_for_known == [blobs.blob_key(known_body["current"]["sha256"])]
    assert observable(known_body) == observable(new_body)
    assert blobs.storage().stat(written_for_known[0]).size == len(SECRET)


def test_processing_makes_and_writes_the_thumbnail_again_for_bytes_that_have_one(spaces, api, recorder):
    partner, own = spaces
    recorder.writes.clear()
    body = upload(api(partner), own.id, SECRET)  # processed inline, once the upload has committed
    assert body["current"]["text_extraction"] == "done"
    assert f"{blobs.THUMBNAIL_PREFIX}{body['current']['sha256']}" in recorder.writes


@pytest.fixture
def deferred(app):
    """Processing left to `flask documents process` (as with RSE_PROCESS_INLINE=0)."""
    app.config["PROCESS_INLINE"] = False


def test_a_new_version_has_no_thumbnail_until_its_own_processing_ran(spaces, deferred, api, login, runner, db):
    partner, own = spaces
    fresh = upload(api(partner), own.id, pdf_bytes("Tableau de suivi des actions"))
    known = upload(api(partner), own.id, SECRET)
    page = login(partner)
    for body in (fresh, known):
        assert body["current"]["text_extraction"] == "pending"
        thumbnail = api(partner).get(f"/api/v1/documents/{body['id']}/versions/1/thumbnail")
        assert thumbnail.status_code == 404 and thumbnail.json["error"]["code"] == "not_found"
        assert page.get(f"/documents/{body['id']}/versions/1/apercu").status_code == 404
        detail = api(partner).get(f"/api/v1/documents/{body['id']}").json
        assert detail["versions"][0]["text_extraction"] == "pending"

    result = runner.invoke(args=["documents", "process"])
    assert result.exit_code == 0 and "processed 2, failed 0" in result.output
    for body in (fresh, known):
        thumbnail = api(partner).get(f"/api/v1/documents/{body['id']}/versions/1/thumbnail")
        assert thumbnail.status_code == 200 and thumbnail.data[8:12] == b"WEBP"
        assert page.get(f"/documents/{body['id']}/versions/1/apercu").data == thumbnail.data
        detail = api(partner).get(f"/api/v1/documents/{body['id']}").json
        assert detail["versions"][0]["text_extraction"] == "done"


def test_a_restored_version_shows_the_thumbnail_of_the_version_it_restores(spaces, api):
    partner, own = spaces
    body = upload(api(partner), own.id, SECRET)
    client = api(partner)
    second = client.post(f"/api/v1/documents/{body['id']}/versions",
                         data={"file": (io.BytesIO(pdf_bytes("autre")), "note.pdf")}, content_type="multipart/form-data")
    assert second.status_code == 201
    restored = client.post(f"/api/v1/documents/{body['id']}/versions/1/restore")
    assert restored.status_code == 201 and restored.json["number"] == 3
    first = client.get(f"/api/v1/documents/{body['id']}/versions/1/thumbnail")
    third = client.get(f"/api/v1/documents/{body['id']}/versions/3/thumbnail")
    assert third.status_code == 200 and third.data == first.data


def test_purge_and_gc_keep_shared_bytes_and_thumbnail_while_a_version_uses_them(spaces, api, runner, db):
    partner, own = spaces
    body = upload(api(partner), own.id, SECRET)
    sha = body["current"]["sha256"]
    secret_document = db.session.scalars(select(Document).where(Document.title == "fusion.pdf")).one()
    documents.trash_document(secret_document.created_by, secret_document)
    secret_document.deleted_at = utcnow() - timedelta(days=400)
    db.session.commit()
    assert "purged 1 document(s) and 0 unused blob(s)" in runner.invoke(args=["documents", "purge"]).output
    assert "removed 0" in runner.invoke(args=["documents", "gc", "--grace-minutes", "0"]).output
    client = api(partner)
    assert client.get(f"/api/v1/documents/{body['id']}/versions/1/content").data == SECRET
    assert client.get(f"/api/v1/documents/{body['id']}/versions/1/thumbnail").status_code == 200

    own_document = db.session.get(Document, body["id"])
    documents.trash_document(partner, own_document)
    own_document.deleted_at = utcnow() - timedelta(days=400)
    db.session.commit()
    assert "purged 1 document(s) and 1 unused blob(s)" in runner.invoke(args=["documents", "purge"]).output
    assert blobs.storage().stat(blobs.blob_key(sha)) is None
    assert blobs.storage().stat(f"{blobs.THUMBNAIL_PREFIX}{sha}") is None
