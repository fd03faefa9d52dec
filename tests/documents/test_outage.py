"""The S3 server goes down: uploads and downloads say so (503), the rest of the site works,
nothing half-written remains, and all works again as soon as the server is back."""

from __future__ import annotations

import io
import time

import pytest
from sqlalchemy import func, select

from rse.documents.models import Blob, Document, DocumentVersion

from .samples import pdf_bytes

pytestmark = pytest.mark.outage


def _upload(client, community_id, content, name="protocole.pdf"):
    return client.post(f"/api/v1/communities/{community_id}/documents",
                       data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


@pytest.mark.parametrize("document_storage", ["s3"], indirect=True)
def test_storage_outage_and_recovery(document_storage, seaweedfs, api, login, create_user, create_community, db):
    animator = create_user("staff")
    community = create_community(animator)
    client = api(animator)
    before = _upload(client, community.id, pdf_bytes("avant la panne"))
    assert before.status_code == 201
    document_id = before.json["id"]

    seaweedfs.stop()
    try:
        started = time.monotonic()
        refused = _upload(client, community.id, pdf_bytes("pendant la panne"), "pendant.pdf")
        assert time.monotonic() - started < 15
        assert refused.status_code == 503
        assert refused.json["error"]["code"] == "storage_unavailable"
        new_version = client.post(f"/api/v1/documents/{document_id}/versions",
                                  data={"file": (io.BytesIO(pdf_bytes("v2")), "protocole.pdf")},
                                  content_type="multipart/form-data")
        assert new_version.status_code == 503
        assert client.get(f"/api/v1/documents/{document_id}/versions/1/content").status_code == 503
        # Everything else keeps working: metadata, pages, the community.
        assert client.get(f"/api/v1/documents/{document_id}").status_code == 200
        pages = login(animator)
        assert pages.get(f"/espaces/{community.id}").status_code == 200
        assert pages.get(f"/documents/{document_id}").status_code == 200
        page = pages.post(f"/espaces/{community.id}/documents", data={
            "file": (io.BytesIO(pdf_bytes("formulaire")), "formulaire.pdf")}, content_type="multipart/form-data")
        assert page.status_code == 503 and "indisponible" in page.get_data(as_text=True)
        assert db.session.scalar(select(func.count(Document.id))) == 1
        assert db.session.scalar(select(func.count(DocumentVersion.id))) == 1
        assert db.session.scalar(select(func.count(Blob.sha256))) == 1
    finally:
        seaweedfs.start()

    assert client.get(f"/api/v1/documents/{document_id}/versions/1/content").data == pdf_bytes("avant la panne")
    after = _upload(client, community.id, pdf_bytes("après la panne"), "apres.pdf")
    assert after.status_code == 201
