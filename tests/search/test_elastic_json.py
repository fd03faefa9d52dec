"""The JSON the Elasticsearch engine sends, checked without a server."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from rse.indexing import SearchItem
from rse.search import elastic_json as js
from rse.search.engine import DATE, FIELDS, MAX_BODY_CHARS, RELEVANCE, Query
from rse.search.text import parse_query

AUDIENCE = frozenset({"content:1", "people:*"})
WHEN = datetime(2024, 3, 1, 12, 30, tzinfo=UTC)


def item(**changes) -> SearchItem:
    values = dict(source="publication", id=7, kind="publication", scopes=("content:1", "content:1", "listing:1"),
                  url="/publications/7", date=WHEN, title="Protocole d'hygiène", body="Le lavage des mains.")
    values.update(changes)
    return SearchItem(**values)


def query(text: str = "hygiène", **changes) -> Query:
    return Query(terms=parse_query(text), audience=changes.pop("audience", AUDIENCE), **changes)


def clauses(body: dict) -> list[dict]:
    return body["query"]["bool"]["must"]


# --- Index definition ---------------------------------------------------------------------------

def test_weighted_fields_come_from_fields():
    assert js.weighted_fields() == [f"{name}^{weight}" for name, weight in FIELDS]
    properties = js.mappings()["properties"]
    for name, _ in FIELDS:
        assert properties[name] == {"type": "text", "analyzer": js.FRENCH_ANALYZER, **(
            {"index_options": "offsets"} if name == "body" else {})}


def test_french_analyzer_folds_before_stemming():
    analyzer = js.analysis()["analyzer"][js.FRENCH_ANALYZER]
    assert analyzer["tokenizer"] == "standard"
    chain = analyzer["filter"]
    assert chain.index("lowercase") < chain.index("maillage_elision") < chain.index("maillage_stemmer")
    assert chain.index("asciifolding") < chain.index("maillage_stemmer")
    filters = js.analysis()["filter"]
    assert filters["maillage_stemmer"] == {"type": "stemmer", "language": "light_french"}
    assert filters["maillage_elision"]["articles_case"] is True
    assert {"l", "d", "qu", "jusqu"} <= set(filters["maillage_elision"]["articles"])


def test_names_are_folded_not_stemmed():
    properties = js.mappings()["properties"]
    assert properties["names"] == {"type": "search_as_you_type", "analyzer": js.FOLD_ANALYZER}
    assert "maillage_stemmer" not in js.analysis()["analyzer"][js.FOLD_ANALYZER]["filter"]


def test_an_index_being_built_has_no_refresh_and_no_replica_until_it_goes_live():
    building = js.index_body(building=True)["settings"]
    assert (building["refresh_interval"], building["number_of_replicas"], building["auto_expand_replicas"]) == (
        "-1", 0, "false")
    live = js.index_body()["settings"]
    assert "refresh_interval" not in live and live["auto_expand_replicas"] == "0-1"
    assert js.live_settings() == {"index": {"auto_expand_replicas": "0-1", "refresh_interval": None}}


def test_index_body_is_strict_and_takes_the_alias_only_when_asked():
    assert js.index_body()["mappings"]["dynamic"] == "strict"
    assert "aliases" not in js.index_body()
    assert js.index_body(alias="maillage")["aliases"] == {"maillage": {}}
    json.dumps(js.index_body(alias="maillage"))  # plain JSON


def test_switch_actions_move_the_alias_in_one_list():
    actions = js.switch_actions("maillage", ["maillage-b", "maillage-a"], "maillage-c")
    assert actions == [
        {"remove": {"index": "maillage-a", "alias": "maillage"}},
        {"remove": {"index": "maillage-b", "alias": "maillage"}},
        {"add": {"index": "maillage-c", "alias": "maillage"}},
    ]
    assert js.switch_actions("maillage", [], "maillage-c") == [{"add": {"index": "maillage-c", "alias": "maillage"}}]


# --- Documents ----------------------------------------------------------------------------------

def test_document_fields():
    doc = js.document(item(tags=("Hygiène des mains", "hygiène des mains", "Qualité"), community_id=3, author_id=9,
                           subkind="question", names=()))
    assert doc["key"] == "publication:7"
    assert doc["scopes"] == ["content:1", "listing:1"]
    assert doc["date"] == "2024-03-01T12:30:00+00:00"
    assert doc["tags"] == ["Hygiène des mains", "Qualité"]  # one spelling per folded tag
    assert doc["tag_keys"] == ["hygiene des mains", "qualite"]
    assert set(doc["tag_words"]) == {
        "hygiene des mains\x1fHygiène des mains", "hygiene\x1fHygiène des mains", "des\x1fHygiène des mains",
        "mains\x1fHygiène des mains", "qualite\x1fQualité",
    }
    assert doc["names"] == ["Protocole d'hygiène"]  # no names: the title is offered
    assert doc["hit"] == {"title": "Protocole d'hygiène", "subkind": "question", "url": "/publications/7",
                          "excerpt_field": "body", "excerpt": "Le lavage des mains."}
    assert doc["deleted"] is False
    assert set(doc) <= set(js.mappings()["properties"])


def test_document_dates_are_utc():
    paris = timezone(timedelta(hours=2))
    assert js.document(item(date=datetime(2024, 6, 1, 14, 0, tzinfo=paris)))["date"] == "2024-06-01T12:00:00+00:00"
    assert js.document(item(date=datetime(2024, 6, 1, 14, 0)))["date"] == "2024-06-01T14:00:00+00:00"


def test_snippet_source_falls_back_to_description_then_title():
    assert js.document(item(body="  ", description="Résumé"))["hit"]["excerpt_field"] == "description"
    doc = js.document(item(body="", description="", title="", heading="Commentaire sur X"))
    assert doc["hit"]["excerpt_field"] == "title"
    assert doc["hit"]["title"] == "Commentaire sur X"
    long_body = "mot " * 100_000
    doc = js.document(item(body=long_body))
    assert len(doc["body"]) == MAX_BODY_CHARS
    assert len(doc["hit"]["excerpt"]) == js.EXCERPT_CHARS


def test_bulk_operations_carry_external_versions_and_tombstones():
    lines = js.bulk_operations([("publication:7", item(), 12), ("publication:8", None, 13)], "maillage")
    assert lines[0] == {"index": {"_index": "maillage", "_id": "publication:7", "version": 12,
                                  "version_type": "external"}}
    assert lines[1]["key"] == "publication:7"
    assert lines[2] == {"index": {"_index": "maillage", "_id": "publication:8", "version": 13,
                                  "version_type": "external"}}
    assert lines[3] == {"key": "publication:8", "deleted": True}
    assert "scopes" not in lines[3]  # no audience can find a tombstone


# --- Search -------------------------------------------------------------------------------------

def test_one_clause_per_term_the_last_exact_or_prefix():
    body = js.search_body(query("protocoles hôpital"))
    assert len(clauses(body)) == 2
    first = clauses(body)[0]
    assert first["combined_fields"]["query"] == "protocoles"
    assert first["combined_fields"]["fields"] == js.weighted_fields()
    exact, prefix = clauses(body)[1]["bool"]["should"]
    assert clauses(body)[1]["bool"]["minimum_should_match"] == 1
    assert exact["combined_fields"]["query"] == "hôpital"
    assert exact["combined_fields"]["fields"] == js.weighted_fields()
    assert prefix["multi_match"]["query"] == "hôpital"
    assert prefix["multi_match"]["type"] == "bool_prefix"
    assert prefix["multi_match"]["fields"] == js.weighted_fields()
    assert 0 < prefix["multi_match"]["boost"] < 1


def test_elided_word_is_sent_without_its_article():
    body = js.search_body(query("l'hygiène"))
    assert clauses(body)[0]["bool"]["should"][0]["combined_fields"]["query"] == "hygiène"


def test_one_character_term_is_exact_only():
    body = js.search_body(query("vitamine d"))
    single = clauses(body)[1]
    assert single == {"combined_fields": {"query": "d", "fields": js.weighted_fields(), "operator": "and"}}
    assert "bool_prefix" not in json.dumps(single)


def test_audience_filter_always_present():
    plain = js.search_body(query())["query"]["bool"]["filter"]
    assert plain == [{"terms": {"scopes": sorted(AUDIENCE)}}]
    busy = js.search_body(query(community_id=3, tag="qualite", author_id=9, date_from=WHEN,
                                date_to=WHEN + timedelta(days=1), kinds=frozenset({"wiki"})))
    found = busy["query"]["bool"]["filter"]
    assert found[0] == {"terms": {"scopes": sorted(AUDIENCE)}}
    assert {"term": {"community_id": 3}} in found
    assert {"term": {"tag_keys": "qualite"}} in found
    assert {"term": {"author_id": 9}} in found
    assert {"range": {"date": {"gte": "2024-03-01T12:30:00+00:00", "lt": "2024-03-02T12:30:00+00:00"}}} in found


def test_kinds_filter_hits_only_and_counts_aggregate_kinds():
    body = js.search_body(query(kinds=frozenset({"wiki", "document"})))
    assert body["post_filter"] == {"terms": {"kind": ["document", "wiki"]}}
    assert "kind" not in json.dumps(body["query"])
    assert body["aggs"][js.KIND_AGGREGATION]["terms"]["field"] == "kind"
    assert body["track_total_hits"] is True
    assert "post_filter" not in js.search_body(query())


def test_sort_orders():
    assert js.search_body(query(sort=RELEVANCE))["sort"] == [
        {"_score": {"order": "desc"}}, {"date": {"order": "desc"}}, {"key": {"order": "asc"}}]
    assert js.search_body(query(sort=DATE))["sort"] == [{"date": {"order": "desc"}}, {"key": {"order": "asc"}}]


def test_page_asks_one_more_hit():
    assert js.search_body(query(limit=20))["size"] == 21


def test_search_after_from_the_cursor():
    assert "search_after" not in js.search_body(query())
    body = js.search_body(query(after=[1.5, 1709296200000, "publication:7"]))
    assert body["search_after"] == [1.5, 1709296200000, "publication:7"]
    body = js.search_body(query(sort=DATE, after=[1709296200000, "publication:7"]))
    assert body["search_after"] == [1709296200000, "publication:7"]


@pytest.mark.parametrize("after, sort_name", [
    ([1709296200000, "publication:7"], RELEVANCE),   # a date cursor on a relevance page
    ([1.5, 1709296200000, "publication:7"], DATE),
    (["1.5", 1709296200000, "publication:7"], RELEVANCE),
    ([float("nan"), 1709296200000, "publication:7"], RELEVANCE),
    ([1.5, "2024-03-01", "publication:7"], RELEVANCE),
    ([1709296200000, 7], DATE),
    ("1709296200000,publication:7", DATE),
])
def test_malformed_cursor_is_refused(after, sort_name):
    with pytest.raises(ValueError):
        js.search_body(query(sort=sort_name, after=after))


def test_highlight_settings():
    settings = js.search_body(query())["highlight"]
    assert settings["encoder"] == "html"
    assert settings["pre_tags"] == ["<mark>"]
    assert settings["post_tags"] == ["</mark>"]
    assert set(settings["fields"]) == {"body", "description", "title"}
    for field in settings["fields"].values():
        assert field == {"fragment_size": js.SNIPPET_CHARS, "number_of_fragments": 1}


def test_long_texts_stay_on_the_server():
    source = js.search_body(query())["_source"]
    assert "body" not in source and "hit" in source


# --- Autocomplete -------------------------------------------------------------------------------

def test_regex_literal_escapes_metacharacters():
    escaped = js.regex_literal("a.b*(")
    assert escaped == r"a\.b\*\("
    assert re.fullmatch(escaped + ".*", "a.b*(c")  # the same meaning in Python's syntax
    assert not re.fullmatch(escaped + ".*", "axbb(")
    assert js.regex_literal('~"#@&<>|{}[]?+\\ ') == "".join("\\" + ch for ch in '~"#@&<>|{}[]?+\\ ')
    assert js.regex_literal("hôpital2") == "hôpital2"  # never "\d", "\w", "\s" classes


def test_completion_lines():
    lines = js.completion_searches("Hygiène d", AUDIENCE, 5)
    assert lines[0::2] == [{}, {}, {}]
    tags, communities, people = lines[1::2]
    assert tags["size"] == 0
    assert tags["query"]["bool"]["filter"] == [{"terms": {"scopes": sorted(AUDIENCE)}},
                                                {"prefix": {"tag_words": "hygiene d"}}]
    assert tags["aggs"][js.TAG_AGGREGATION]["terms"]["include"] == r"hygiene\ d.*"
    for lines_kind, kind in ((communities, "community"), (people, "person")):
        assert lines_kind["size"] == 5
        assert {"term": {"kind": kind}} in lines_kind["query"]["bool"]["filter"]
        assert {"terms": {"scopes": sorted(AUDIENCE)}} in lines_kind["query"]["bool"]["filter"]
        assert lines_kind["query"]["bool"]["must"] == [{"match_bool_prefix": {"names": "hygiene"}},
                                                        {"match_bool_prefix": {"names": "d"}}]


def test_nothing_to_complete():
    assert js.completion_searches("  -- ", AUDIENCE, 5) == []
    assert js.completion_searches("hyg", frozenset(), 5) == []
