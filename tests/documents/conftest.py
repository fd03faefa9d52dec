"""Document tests run on each storage backend: the local folder and a real S3 server."""

from __future__ import annotations

import pytest

from rse.documents.storage.s3 import S3Storage

from .unfinished import discard_unfinished_uploads


@pytest.fixture(scope="session")
def app_bucket() -> str:
    return "rse-app-documents"


@pytest.fixture(params=["local", "s3"])
def document_storage(request, app, app_bucket):
    """Point the app's documents at one backend for this test; returns the storage."""
    if request.param == "local":
        yield app.extensions["rse_storage"]
        return
    saved = app.extensions["rse_storage"]
    storage = S3Storage.from_url(request.getfixturevalue("seaweedfs").url(app_bucket))
    app.extensions["rse_storage"] = storage
    yield storage
    app.extensions["rse_storage"] = saved
    for info in list(storage.iter_keys("")):
        storage.delete(info.key)
    discard_unfinished_uploads(storage)
