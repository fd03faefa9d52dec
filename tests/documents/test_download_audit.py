"""The audit of downloads follows the bytes served, whatever the spelling of the Range header."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rse.audit.models import AuditEntry

from .samples import pdf_bytes

CONTENT = pdf_bytes("Compte rendu de négociation CPOM", pages=4)
SIZE = len(CONTENT)

# (Range header, expected status, expected body, audited): a download is audited once, by the answer
# that carries its first byte. Werkzeug's parser decides what is served; the audit follows it.
CASES = [
    (None, 200, CONTENT, True),
    ("", 200, CONTENT, True),  # an empty header is no Range
    ("bytes=0-", 206, CONTENT, True),
    ("bytes= 0-", 206, CONTENT, True),
    ("bytes=0 -", 206, CONTENT, True),
    ("bytes =0-", 206, CONTENT, True),
    ("BYTES=0-", 206, CONTENT, True),
    ("bytes=00-", 206, CONTENT, True),
    ("bytes=0-\t", 206, CONTENT, True),
    ("bytes=0-0", 206, CONTENT[:1], True),
    ("bytes=0-99", 206, CONTENT[:100], True),
    (f"bytes=-{SIZE}", 206, CONTENT, True),  # a suffix as long as the file is the whole file
    ("bytes=100-", 206, CONTENT[100:], False),
    ("bytes= 100-199", 206, CONTENT[100:200], False),
    ("bytes=-20", 206, CONTENT[-20:], False),
    ("bytes=0-0,5-", 416, b"", False),  # several ranges are not served here
    ("bytes=0-9, 20-29", 416, b"", False),
    ("bytes=abc", 416, b"", False),
    ("bytes=5-1", 416, b"", False),
    (f"bytes={SIZE}-", 416, b"", False),
]


def downloads(db) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "document.downloaded"))


@pytest.fixture
def document(create_user, create_community, create_document):
    animator, reader = create_user("staff"), create_user("partner")
    community = create_community(animator, members=[(reader, "reader")])
    return create_document(community, animator, content=CONTENT, filename="cpom.pdf"), reader


@pytest.fixture(params=["page", "api"])
def fetch(request, document, login, api):
    """A GET of version 1's bytes, through the page route or the API, as a reader of the space."""
    doc, reader = document
    if request.param == "page":
        client, url = login(reader), f"/documents/{doc.id}/versions/1/contenu"
    else:
        client, url = api(reader), f"/api/v1/documents/{doc.id}/versions/1/content"
    return lambda **headers: client.get(url, headers={k.replace("_", "-"): v for k, v in headers.items()})


@pytest.mark.parametrize(("range_header", "status", "body", "audited"), CASES,
                         ids=[repr(case[0]) for case in CASES])
def test_a_download_is_audited_when_the_served_bytes_start_at_zero(fetch, db, range_header, status, body, audited):
    before = downloads(db)
    response = fetch(**({"Range": range_header} if range_header is not None else {}))
    assert response.status_code == status
    assert response.data == body
    if status == 206:
        start = SIZE - len(body) if range_header.startswith("bytes=-") else CONTENT.index(body) if body else 0
        assert response.headers["Content-Range"] == f"bytes {start}-{start + len(body) - 1}/{SIZE}"
    if status == 416:
        assert response.headers["Content-Range"] == f"bytes */{SIZE}"
    assert downloads(db) - before == (1 if audited else 0)


def test_a_range_ignored_for_a_stale_if_range_is_a_whole_download_and_audited(fetch, db):
    before = downloads(db)
    response = fetch(Range="bytes=100-", If_Range='"not-the-current-etag"')
    assert response.status_code == 200 and response.data == CONTENT and "Content-Range" not in response.headers
    assert downloads(db) - before == 1


def test_a_range_matching_if_range_is_served_as_asked_and_not_audited_again(fetch, db):
    etag = fetch(Range="bytes=0-0").headers["ETag"]
    before = downloads(db)
    response = fetch(Range="bytes=100-", If_Range=etag)
    assert response.status_code == 206 and response.data == CONTENT[100:]
    assert downloads(db) - before == 0


def test_a_revalidation_serves_nothing_and_is_not_audited(fetch, db):
    etag = fetch().headers["ETag"]
    before = downloads(db)
    response = fetch(If_None_Match=etag)
    assert response.status_code == 304 and response.data == b""
    assert downloads(db) - before == 0
