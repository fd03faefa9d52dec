"""Document pages: upload by form, new version, restore, trash, the reader, an interrupted upload."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rse.documents.models import Blob, Document, DocumentVersion, Folder

from .samples import pdf_bytes, png_bytes


@pytest.mark.slow
def test_upload_by_form_into_a_folder_then_version_restore_trash(login, create_user, create_community, db):
    animator = create_user("staff")
    community = create_community(animator, name="Hygiène – protocoles GHT")
    client = login(animator)
    client.post(f"/espaces/{community.id}/dossiers", data={"name": "Protocoles validés"})
    folder = db.session.scalars(select(Folder)).one()
    response = client.post(f"/espaces/{community.id}/documents?dossier={folder.id}", data={
        "file": (io.BytesIO(pdf_bytes("Hygiène des mains")), "hygiène des mains.pdf"),
        "title": "", "description": "Validé en CLIN", "tags": "hygiène, mains", "folder_id": str(folder.id),
        "review_by": "2027-03-31"}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    document = db.session.scalars(select(Document)).one()
    assert (document.title, document.folder_id, document.tags) == ("hygiène des mains", folder.id, ["hygiène", "mains"])
    page = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "hygiène des mains" in page and "data-pdf-url" in page  # the PDF shows in the page

    client.post(f"/documents/{document.id}", data={"file": (io.BytesIO(pdf_bytes("v2")), "hygiène des mains.pdf"),
                                                  "note": "Ajout des SHA"}, content_type="multipart/form-data")
    client.post(f"/documents/{document.id}/versions/1/restaurer")
    assert db.session.scalars(select(DocumentVersion.number).order_by(DocumentVersion.number)).all() == [1, 2, 3]
    history = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "Ajout des SHA" in history

    client.post(f"/documents/{document.id}/corbeille")
    assert "hygiène des mains" not in client.get(f"/espaces/{community.id}/documents?dossier={folder.id}").get_data(
        as_text=True)
    assert "hygiène des mains" in client.get(f"/espaces/{community.id}/corbeille").get_data(as_text=True)
    client.post(f"/documents/{document.id}/restaurer")
    db.session.refresh(document)
    assert document.deleted_at is None


def test_upload_form_errors_are_shown_and_store_nothing(login, create_user, create_community, app, db):
    animator = create_user("staff")
    community = create_community(animator)
    client = login(animator)
    mismatch = client.post(f"/espaces/{community.id}/documents", data={
        "file": (io.BytesIO(png_bytes()), "rapport.pdf"), "title": "Rapport"}, content_type="multipart/form-data")
    assert mismatch.status_code == 422 and "PNG" in mismatch.get_data(as_text=True)
    missing = client.post(f"/espaces/{community.id}/documents", data={"title": "Sans fichier"},
                          content_type="multipart/form-data")
    assert missing.status_code == 422
    assert db.session.scalar(select(func.count(Document.id))) == 0
    assert db.session.scalar(select(func.count(Blob.sha256))) == 0


def test_images_show_inline_and_office_files_download(login, create_user, create_community, create_document):
    animator = create_user("staff")
    community = create_community(animator)
    image = create_document(community, animator, content=png_bytes(), filename="schéma.png")
    page = login(animator).get(f"/documents/{image.id}").get_data(as_text=True)
    assert f"/documents/{image.id}/versions/1/contenu?inline=1" in page


def test_due_for_review_partial(login, create_user, create_community, create_document):
    animator = create_user("staff")
    community = create_community(animator)
    create_document(community, animator, title="Protocole BHRe", review_by="2020-06-30")
    create_document(community, animator, title="Protocole lointain", review_by="2099-01-01")
    html = login(animator).get(f"/espaces/{community.id}/documents/a-reviser",
                               headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Protocole BHRe" in html and "Protocole lointain" not in html


def test_client_disconnecting_mid_upload_leaves_nothing(app, api, create_user, create_community, db):
    animator = create_user("staff")
    community = create_community(animator)
    client = api(animator)
    boundary = "----maillage-test"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"gros.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode()
    body = head + pdf_bytes() + b"%" + b"x" * 100_000  # the closing boundary never comes
    response = client.post(f"/api/v1/communities/{community.id}/documents", input_stream=io.BytesIO(body),
                           content_type=f"multipart/form-data; boundary={boundary}",
                           headers={"Content-Length": str(len(body) + 500_000)})  # more was announced
    # Werkzeug sees either a broken body (400) or a form without its file part (422); the client,
    # gone, reads neither: what matters is that nothing was stored and the spool file is deleted.
    assert response.status_code in (400, 422)
    assert response.json["error"]["code"] in {"bad_request", "validation_error"}
    assert db.session.scalar(select(func.count(Document.id))) == 0
    assert db.session.scalar(select(func.count(Blob.sha256))) == 0
    assert list(Path(app.config["UPLOAD_TMP"]).glob("upload-*")) == []
