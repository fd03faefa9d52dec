"""The permission matrix for documents: every actor × every document page and API endpoint.

A document of a community whose content the actor may not read answers 404 everywhere:
metadata, bytes, thumbnail, viewer, versions — no one finds a document by guessing its id.
"""

from __future__ import annotations

import io

import pytest

from tests.test_permissions import ACTORS, LOGIN, _api_client, _ids, _web_client, expect

from .samples import pdf_bytes


@pytest.fixture
def docs(world, snapshot, create_document, db):
    """A document in each of the world's communities, uploaded by their animator."""
    from rse.documents.models import Document

    ids = snapshot("documents.docs", lambda: _docs(world, create_document))
    return {visibility: db.session.get(Document, document_id) for visibility, document_id in ids.items()}


def _docs(world, create_document) -> dict[str, int]:
    made = {}
    for visibility, community in world.spaces.items():
        made[visibility] = create_document(community, world.animator, content=pdf_bytes(f"Doc {visibility}"),
                                           filename=f"{visibility}.pdf", title=f"Document {visibility}").id
    return made


def _paths(world, docs) -> dict:
    return {**_ids(world, "admin"), "doc_public": docs["public"].id, "doc_private": docs["private"].id,
            "doc_secret": docs["secret"].id}


READ_PRIVATE = expect(200, LOGIN, outsider=404, stranger=404)
READ_SECRET = expect(200, LOGIN, outsider=404, stranger=404)
READ_PUBLIC = expect(200, LOGIN, stranger=404)

PAGES = [
    ("/espaces/{private}/documents", expect(200, LOGIN, outsider=403, stranger=404)),
    ("/espaces/{secret}/documents", expect(200, LOGIN, outsider=404, stranger=404)),
    ("/espaces/{public}/documents", READ_PUBLIC),
    ("/espaces/{private}/documents/a-reviser", expect(200, LOGIN, outsider=403, stranger=404)),
    ("/espaces/{private}/corbeille", expect(200, LOGIN, outsider=403, stranger=404)),
    ("/documents/{doc_private}", READ_PRIVATE),
    ("/documents/{doc_secret}", READ_SECRET),
    ("/documents/{doc_public}", READ_PUBLIC),
    ("/documents/{doc_private}/lecteur", READ_PRIVATE),
    ("/documents/{doc_private}/versions/1/contenu", READ_PRIVATE),
    ("/documents/{doc_private}/versions/1/apercu", READ_PRIVATE),
    ("/documents/{doc_private}/versions/9/contenu", expect(404, LOGIN)),
    ("/documents/999999", expect(404, LOGIN)),
]

API = [
    ("GET", "/api/v1/communities/{private}/documents", expect(200, 401, outsider=403, stranger=404)),
    ("GET", "/api/v1/communities/{secret}/documents", expect(200, 401, outsider=404, stranger=404)),
    ("GET", "/api/v1/documents/{doc_private}", expect(200, 401, outsider=404, stranger=404)),
    ("GET", "/api/v1/documents/{doc_public}", expect(200, 401, stranger=404)),
    ("GET", "/api/v1/documents/{doc_private}/versions/1/content", expect(200, 401, outsider=404, stranger=404)),
    ("GET", "/api/v1/documents/{doc_secret}/versions/1/thumbnail", expect(200, 401, outsider=404, stranger=404)),
    ("POST", "/api/v1/documents/{doc_public}/versions", expect(201, 401, outsider=403, stranger=404)),
    ("POST", "/api/v1/documents/{doc_private}/versions", expect(201, 401, outsider=404, stranger=404)),
    ("POST", "/api/v1/communities/{private}/documents", expect(201, 401, outsider=403, stranger=404)),
    ("POST", "/api/v1/documents/{doc_private}/versions/1/restore", expect(201, 401, outsider=404, stranger=404)),
    ("PATCH", "/api/v1/documents/{doc_private}", expect(200, 401, outsider=404, stranger=404)),
    # Only the author (the animator here), the animators and administrators trash documents.
    ("DELETE", "/api/v1/documents/{doc_secret}", expect(403, 401, admin=204, outsider=404, stranger=404)),
    ("POST", "/api/v1/documents/{doc_secret}/restore", expect(403, 401, admin=200, outsider=404, stranger=404)),
]


@pytest.mark.parametrize("actor_name", ACTORS)
def test_document_pages(actor_name, world, docs, login, app, db):
    client = _web_client(world, actor_name, login, db) or app.test_client()
    ids = _paths(world, docs)
    wrong = []
    for path, statuses in PAGES:
        response = client.get(path.format(**ids))
        response.close()
        if response.status_code != statuses[actor_name]:
            wrong.append(f"GET {path}: {response.status_code}, expected {statuses[actor_name]}")
    assert wrong == []


@pytest.mark.parametrize("actor_name", ACTORS)
def test_document_api(actor_name, world, docs, api, db):
    client = _api_client(world, actor_name, api, db)
    ids = _paths(world, docs)
    wrong = []
    for method, path, statuses in API:
        kwargs = {}
        if method == "POST" and path.endswith(("/versions", "/documents")):
            kwargs = {"data": {"file": (io.BytesIO(pdf_bytes(f"par {actor_name}")), "nouveau.pdf")},
                      "content_type": "multipart/form-data"}
        elif method == "PATCH":
            kwargs = {"json": {"description": "Relu en CLIN"}}
        response = client.open(path.format(**ids), method=method, **kwargs)
        response.close()
        if response.status_code != statuses[actor_name]:
            wrong.append(f"{method} {path}: {response.status_code}, expected {statuses[actor_name]} "
                         f"{response.get_data(as_text=True)[:160]}")
    assert wrong == []
