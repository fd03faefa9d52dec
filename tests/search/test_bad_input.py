"""Bad input to search: a clear answer, never a server error, nothing changed; the query parser fuzzed.

Odd queries get the same answers from the embedded engine and from the real Lucene servers
(`test_every_engine_gives_the_same_answer_to_odd_queries`); operators and cursors are checked on
each engine (`app_engine`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from rse.audit.models import AuditEntry
from rse.database import db
from rse.feeds.publications import service as publications
from rse.indexing import SearchItem, content_scope
from rse.search.engine import Query
from rse.search.fts import FtsEngine, match_expression
from rse.search.models import SearchChange
from rse.search.text import MAX_QUERY_LENGTH, highlight, parse_query

from .conftest import SERVERS, app_searching_on, server_of

ODD_QUERIES = [
    '"', '""', '"protocole', "'", "*", "proto*", ":", "title:protocole", "-", "-protocole", "(", ")", "((",
    "(protocole", "NEAR", "NEAR(protocole hygiène)", "protocole NEAR/2 hygiène", "AND", "OR", "NOT",
    "protocole AND", "OR hygiène", "NOT protocole", "protocole AND OR NOT hygiène", "^", "+", "~", "{}", "[]",
    "\\", "/", "%", "_", "&&", "||", "!", "?", "@", "#", "$", "😷", "🏥 protocole 💉", "\u200b", "\u0301",
    "l'", "d’", "qu'", "a", "é", "٣", "日本", "ש", "protocole\x00hygiène", "\t\n", "   ", "-- ; DROP TABLE items;",
    # The query string syntax of Lucene servers: fuzzy, wildcards, regular expressions, ranges,
    # fields, boosts, existence, match-all.
    "protocole~2", "proto?ole", "/prot.*/", "[a TO z]", "{a TO z}", "title:(protocole OR hygiène)", "=", ">", "<",
    "protocole^10", '\\"', "_exists_:title", "*:*", "hygiène:*", "\\protocole",
    # As long as allowed: one word, and as many words as fit.
    "x" * MAX_QUERY_LENGTH, " ".join(f"mot{n}" for n in range(60))[:MAX_QUERY_LENGTH],
    ("protocole " * 40)[:MAX_QUERY_LENGTH],
]


@pytest.fixture
def reader(create_user, create_community):
    user = create_user("staff")
    space = create_community(user)
    publications.publish(user, space, {"kind": "post", "title": "Protocole d'hygiène", "body": "Lavage des mains."})
    db.session.commit()
    return user


def _counts():
    return (db.session.scalar(select(func.count()).select_from(SearchChange)),
            db.session.scalar(select(func.count()).select_from(AuditEntry)))


@pytest.mark.parametrize("q", ODD_QUERIES)
def test_odd_queries_get_an_answer(q, reader, api):
    before = _counts()
    response = api(reader).get("/api/v1/search", query_string={"q": q})
    assert response.status_code in {200, 422}, response.get_data(as_text=True)
    body = response.get_json()
    if response.status_code == 422:
        assert body["error"]["code"] in {"no_search_words", "query_required"} and body["error"]["message"]
    else:
        assert isinstance(body["items"], list) and isinstance(body["counts"], dict)
    assert api(reader).get("/api/v1/autocomplete", query_string={"q": q}).status_code == 200
    assert _counts() == before


@pytest.mark.parametrize("kind", SERVERS)
def test_every_engine_gives_the_same_answer_to_odd_queries(kind, reader, api, app, request):
    """What the embedded engine answers to each odd query (status, error code, titles found,
    completions), the Lucene servers answer too, and nothing changes."""
    client = api(reader)
    before = _counts()

    def answers():
        found = {}
        for q in ODD_QUERIES:
            response = client.get("/api/v1/search", query_string={"q": q})
            body = response.get_json()
            completed = client.get("/api/v1/autocomplete", query_string={"q": q})
            found[q] = (response.status_code, body["error"]["code"] if "error" in body else
                        sorted(i["title"] for i in body["items"]), completed.status_code, completed.get_json())
        return found

    embedded = answers()
    with app_searching_on(app, server_of(request, kind)):
        lucene = answers()
    assert {q: a for q, a in lucene.items() if a != embedded[q]} == {}
    assert sum(1 for status, *_ in embedded.values() if status == 200) > 10
    assert _counts() == before


def test_operators_are_words_not_syntax(reader, api, app_engine):
    client = api(reader)
    for q in ('"protocole"', "protocole*", "(protocole)", "-protocole", "hygiène:protocole", "protocole NEAR mains"
              .replace(" NEAR", "")):
        items = client.get("/api/v1/search", query_string={"q": q}).get_json()["items"]
        assert [i["title"] for i in items] == ["Protocole d'hygiène"], q


@pytest.mark.parametrize("args, status, code", [
    ({}, 422, "query_required"),
    ({"q": ""}, 422, "query_required"),
    ({"q": "x" * (MAX_QUERY_LENGTH + 1)}, 422, "query_too_long"),
    ({"q": "protocole " * 1000}, 422, "query_too_long"),
    ({"q": "?!*"}, 422, "no_search_words"),
    ({"q": "protocole", "sort": "score"}, 422, "validation_error"),
    ({"q": "protocole", "kind": "spreadsheet"}, 422, "validation_error"),
    ({"q": "protocole", "community": "abc"}, 422, "validation_error"),
    ({"q": "protocole", "community": str(2**40)}, 422, "validation_error"),
    ({"q": "protocole", "community": "-3"}, 422, "validation_error"),
    ({"q": "protocole", "author": "1.5"}, 422, "validation_error"),
    ({"q": "protocole", "from": "31/12/2026"}, 422, "validation_error"),
    ({"q": "protocole", "from": "2026-02-30"}, 422, "validation_error"),
    ({"q": "protocole", "from": "2026-06-01", "to": "2026-01-01"}, 422, "validation_error"),
    ({"q": "protocole", "tag": "t" * 51}, 422, "validation_error"),
    ({"q": "protocole", "cursor": "forged"}, 400, "invalid_cursor"),
    ({"q": "protocole", "cursor": "eyJhIjpbMV0sImYiOiJ4In0.forged-signature"}, 400, "invalid_cursor"),
])
def test_bad_parameters_are_refused_with_a_code(args, status, code, reader, api):
    before = _counts()
    response = api(reader).get("/api/v1/search", query_string=args)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code
    assert _counts() == before


def test_a_cursor_belongs_to_its_query(reader, api, create_community, app_engine):
    client = api(reader)
    space = create_community(reader)
    for n in range(25):
        publications.publish(reader, space, {"kind": "post", "title": f"Garde {n}", "body": "Planning des gardes."})
    db.session.commit()
    first = client.get("/api/v1/search", query_string={"q": "garde"}).get_json()
    assert len(first["items"]) == 20 and first["next_cursor"]
    second = client.get("/api/v1/search", query_string={"q": "garde", "cursor": first["next_cursor"]}).get_json()
    assert len(second["items"]) == 5 and second["next_cursor"] is None
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    other = client.get("/api/v1/search", query_string={"q": "planning", "cursor": first["next_cursor"]})
    assert other.status_code == 400 and other.get_json()["error"]["code"] == "invalid_cursor"


def test_a_signed_cursor_of_another_engine_is_refused(reader, api, app):
    """A cursor the site signed, made by an engine whose cursors have another shape (the engine
    changed between two pages): a 400, not a server error."""
    from rse.search import service

    with app.test_request_context():
        params = service.read_params({"q": "protocole"})
        foreign = service._serializer().dumps({"a": [1.5, 1763629200, "publication:1"], "f": params.fingerprint()})
    response = api(reader).get("/api/v1/search", query_string={"q": "protocole", "cursor": foreign})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_cursor"


def test_the_search_page_shows_the_refusal(reader, login):
    browser = login(reader)
    response = browser.get("/recherche", query_string={"q": "x" * 500})
    assert response.status_code == 422
    assert "trop longue" in response.get_data(as_text=True)
    response = browser.get("/recherche", query_string={"q": "protocole", "cursor": "forged"})
    assert response.status_code == 400


# The parser, fuzzed: whatever is typed, the FTS5 expression is valid and the snippet is escaped.

_NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def small_index(tmp_path_factory):
    engine = FtsEngine(tmp_path_factory.mktemp("fuzz") / "search.db")
    engine.ensure()
    texts = ["Protocole d'hygiène des mains", "L'hôpital de jour", "Réunion NEAR \"AND\" (OR) NOT *", "日本語 😀"]
    engine.write([(f"publication:{n}", SearchItem("publication", n, "publication", (content_scope(1),), "/p",
                                                  _NOW, title=t, body=t), 1) for n, t in enumerate(texts, 1)])
    yield engine
    engine.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_text_parses_into_a_valid_query(small_index, raw):
    terms = parse_query(raw)
    assert len(terms) <= 12
    assert all(t.token and t.token.isalnum() for t in terms)
    if terms:
        assert match_expression(terms)
    results = small_index.search(Query(terms=terms, audience=frozenset({content_scope(1)})))
    assert results.total >= len(results.hits)
    for hit in results.hits:
        assert str(hit.snippet).replace("<mark>", "").replace("</mark>", "").count("<") == 0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.text(max_size=60))
def test_highlight_escapes_everything_but_its_marks(text, query):
    snippet = str(highlight(text, parse_query(query)))
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    assert snippet.count("<mark>") == snippet.count("</mark>")
