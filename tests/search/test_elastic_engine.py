"""The Lucene engine against a real OpenSearch node, through OpenSearch's client and through
Elasticsearch's (a real Elasticsearch 8 when RSE_TEST_ELASTICSEARCH_URL names one; see conftest.py).

Index life (ensure, versions, tombstones, the builder's alias switch), failures as
SearchUnavailable, and a first pass over the search semantics the shared contract suite checks
on both engines.
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
from markupsafe import Markup

from rse.indexing import SearchItem
from rse.search import elastic_json as js
from rse.search.elastic import ElasticEngine, safe_fragment
from rse.search.engine import DATE, Query, SearchUnavailable
from rse.search.text import parse_query

from ..services import free_port
from .conftest import drop_test_indices

AUDIENCE = frozenset({"content:1", "people:*", "listing:1"})
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


def item(item_id: int, kind: str = "publication", scopes: tuple[str, ...] = ("content:1",), days: int = 0,
         **fields) -> SearchItem:
    source = fields.pop("source", kind)
    return SearchItem(source=source, id=item_id, kind=kind, scopes=scopes, url=f"/{source}/{item_id}",
                      date=START + timedelta(days=days or item_id), **fields)


def put(engine: ElasticEngine, *items: SearchItem, version: int = 1) -> None:
    engine.write([(one.key, one, version) for one in items])


def search(engine: ElasticEngine, text: str, **options):
    options.setdefault("audience", AUDIENCE)
    return engine.search(Query(terms=parse_query(text), **options))


def keys(results) -> list[str]:
    return [hit.key for hit in results.hits]


# --- Index life ---------------------------------------------------------------------------------

def test_ensure_is_idempotent(elastic_engine):
    first = elastic_engine.live_indices()
    elastic_engine.ensure()
    elastic_engine.ensure()
    assert elastic_engine.live_indices() == first
    assert len(first) == 1 and first[0].startswith(f"{elastic_engine.index}-")
    assert elastic_engine.ping()
    assert elastic_engine.count() == 0


def test_write_before_ensure_creates_nothing(lucene_server):
    engine = lucene_server.engine(refresh=True)
    try:
        assert not engine.ping()
        with pytest.raises(SearchUnavailable):
            put(engine, item(1, title="Orphelin"))
        with pytest.raises(SearchUnavailable):
            search(engine, "orphelin")
        assert not engine.cluster.has_index(engine.index)
    finally:
        engine.close()


def test_upserts_follow_versions(elastic_engine):
    put(elastic_engine, item(1, title="Version deux"), version=2)
    put(elastic_engine, item(1, title="Version une"), version=1)  # older: ignored
    put(elastic_engine, item(1, title="Version deux bis"), version=2)  # the same version: ignored too
    assert [hit.title for hit in search(elastic_engine, "version").hits] == ["Version deux"]
    put(elastic_engine, item(1, title="Version trois"), version=3)
    assert [hit.title for hit in search(elastic_engine, "version").hits] == ["Version trois"]
    assert elastic_engine.count() == 1


def test_delete_keeps_its_version(elastic_engine):
    put(elastic_engine, item(1, title="Supprimé bientôt"), version=3)
    elastic_engine.write([("publication:1", None, 5)])
    assert search(elastic_engine, "supprimé").hits == []
    assert elastic_engine.count() == 0
    put(elastic_engine, item(1, title="Supprimé revenant"), version=4)  # older than the delete
    assert search(elastic_engine, "supprimé").hits == []
    assert elastic_engine.count() == 0
    put(elastic_engine, item(1, title="Supprimé recréé"), version=6)  # newer: back
    assert [hit.title for hit in search(elastic_engine, "supprimé").hits] == ["Supprimé recréé"]
    assert elastic_engine.count() == 1


def test_delete_of_an_unknown_key_then_older_upsert(elastic_engine):
    elastic_engine.write([("publication:9", None, 7)])
    put(elastic_engine, item(9, title="Jamais vu"), version=6)
    assert search(elastic_engine, "jamais").hits == []
    assert elastic_engine.count() == 0


def test_one_write_with_many_changes_of_one_key(elastic_engine):
    elastic_engine.write([
        ("publication:1", item(1, title="Ordre cinq"), 5),
        ("publication:1", item(1, title="Ordre quatre"), 4),
        ("publication:2", item(2, title="Ordre autre"), 1),
        ("publication:2", None, 2),
    ])
    assert [hit.title for hit in search(elastic_engine, "ordre").hits] == ["Ordre cinq"]


def test_write_in_many_bulk_requests(elastic_engine, monkeypatch):
    monkeypatch.setattr("rse.search.elastic.BULK_MAX_ACTIONS", 7)
    items = [item(n, title=f"Lot numéro {n}") for n in range(1, 31)]
    put(elastic_engine, *items)
    assert elastic_engine.count() == 30
    assert search(elastic_engine, "lot", limit=50).total == 30


def test_default_refresh_waits_for_searchability(lucene_server):
    engine = lucene_server.engine()
    assert engine.refresh == "wait_for"
    engine.ensure()
    try:
        put(engine, item(1, title="Visible aussitôt"))
        assert keys(search(engine, "visible")) == ["publication:1"]
    finally:
        drop_test_indices(engine)
        engine.close()


def test_builder_switches_atomically_and_drops_the_old_index(elastic_engine):
    put(elastic_engine, item(1, title="Ancien index"))
    old = elastic_engine.live_indices()
    builder = elastic_engine.builder()
    builder.add([(item(2, title="Nouvel index"), 1), (item(3, title="Nouvel index supprimé"), 1)])
    builder.apply([("publication:3", None, 2), ("publication:2", item(2, title="Nouvel index"), 1)])
    # Until the switch, searches read the old index.
    assert keys(search(elastic_engine, "index")) == ["publication:1"]
    assert elastic_engine.count() == 1
    builder.switch()
    assert keys(search(elastic_engine, "index")) == ["publication:2"]
    assert elastic_engine.count() == 1
    assert elastic_engine.live_indices() == [builder.name]
    assert not elastic_engine.cluster.has_index(old[0])
    # Writes now reach the new index, with its versions.
    put(elastic_engine, item(2, title="Nouvel index, ancien texte"), version=1)
    put(elastic_engine, item(4, title="Index après bascule"))
    assert keys(search(elastic_engine, "index", sort=DATE)) == ["publication:4", "publication:2"]
    assert [hit.title for hit in search(elastic_engine, "nouvel").hits] == ["Nouvel index"]


def index_settings(engine: ElasticEngine, name: str) -> dict:
    status, answer = engine.cluster.request("GET", f"/{name}/_settings")
    assert status == 200, answer
    return answer[name]["settings"]["index"]


def test_an_index_is_filled_without_refresh_or_replica_and_goes_live_with_both(elastic_engine):
    builder = elastic_engine.builder()
    building = index_settings(elastic_engine, builder.name)
    assert (building["refresh_interval"], building["number_of_replicas"], building["auto_expand_replicas"]) == (
        "-1", "0", "false")
    builder.add([(item(1, title="Réglages de construction"), 1)])
    builder.switch()
    live = index_settings(elastic_engine, builder.name)
    assert "refresh_interval" not in live  # the server's default: every second
    assert live["auto_expand_replicas"] == "0-1"
    # Writes are searchable again without an explicit refresh.
    elastic_engine.refresh = False
    put(elastic_engine, item(2, title="Réglages en ligne"))
    deadline = time.monotonic() + 10
    while keys(search(elastic_engine, "ligne")) != ["publication:2"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert keys(search(elastic_engine, "ligne")) == ["publication:2"]


def segment_count(engine: ElasticEngine, name: str) -> int:
    status, answer = engine.cluster.request("GET", f"/{name}/_stats/segments")
    assert status == 200, answer
    return answer["_all"]["primaries"]["segments"]["count"]


def test_a_switched_index_is_merged_to_one_segment_in_the_background(elastic_engine, monkeypatch):
    started = []
    start = elastic_engine.cluster.start_force_merge

    def spy(index, segments, timeout=None):
        started.append((index, segments))
        start(index, segments, timeout=timeout)

    monkeypatch.setattr(elastic_engine.cluster, "start_force_merge", spy)
    builder = elastic_engine.builder()
    builder.add([(item(1, title="Segment unique"), 1)])
    builder.switch()
    assert started == [(builder.name, 1)]
    # What the server does with it: each of these writes refreshes, and leaves a segment.
    for n in range(2, 5):
        put(elastic_engine, item(n, title=f"Segment {n}"))
    assert segment_count(elastic_engine, builder.name) > 1
    start(builder.name, 1)
    deadline = time.monotonic() + 30
    while segment_count(elastic_engine, builder.name) > 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert segment_count(elastic_engine, builder.name) == 1
    assert search(elastic_engine, "segment").total == 4


def test_builder_keeps_requests_in_flight_and_waits_for_them_before_the_switch(elastic_engine, monkeypatch):
    monkeypatch.setattr("rse.search.elastic.BULK_MAX_ACTIONS", 3)
    builder = elastic_engine.builder()
    builder.add([(item(n, title=f"Lot numéro {n}"), 1) for n in range(1, 31)])
    builder.apply([("publication:30", None, 2)])
    builder.switch()
    assert elastic_engine.count() == 29
    assert search(elastic_engine, "lot", limit=50).total == 29


def test_builder_fails_with_the_error_of_an_earlier_request(elastic_engine, monkeypatch):
    monkeypatch.setattr("rse.search.elastic.BULK_MAX_ACTIONS", 2)
    document = js.document
    monkeypatch.setattr(js, "document", lambda one: {**document(one), "undeclared": 1} if one.id == 3 else
                        document(one))
    put(elastic_engine, item(100, title="Reste en place"))
    live = elastic_engine.live_indices()
    with pytest.raises(SearchUnavailable, match="strict_dynamic_mapping"), elastic_engine.rebuilding() as builder:
        for n in range(1, 21):
            builder.add([(item(n, title=f"Lot numéro {n}"), 1)])
        builder.switch()
    assert not elastic_engine.cluster.has_index(builder.name)
    assert elastic_engine.live_indices() == live


def test_rebuilding_discards_on_error(elastic_engine):
    put(elastic_engine, item(1, title="Reste en place"))
    live = elastic_engine.live_indices()
    with pytest.raises(RuntimeError), elastic_engine.rebuilding() as builder:
        builder.add([(item(2, title="Jamais en ligne"), 1)])
        raise RuntimeError("reindex failed")
    assert not elastic_engine.cluster.has_index(builder.name)
    assert elastic_engine.live_indices() == live
    assert keys(search(elastic_engine, "reste")) == ["publication:1"]


# --- Failures -----------------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["ensure", "write", "search", "complete", "count", "builder"])
def test_closed_port_is_unavailable_fast(action):
    engine = ElasticEngine(f"http://127.0.0.1:{free_port()}", index="rse-test-down")
    calls = {
        "ensure": engine.ensure,
        "write": lambda: put(engine, item(1, title="Perdu")),
        "search": lambda: search(engine, "perdu"),
        "complete": lambda: engine.complete("per", AUDIENCE),
        "count": engine.count,
        "builder": engine.builder,
    }
    started = time.monotonic()
    with pytest.raises(SearchUnavailable):
        calls[action]()
    assert time.monotonic() - started < 3
    assert not engine.ping()
    engine.close()


@pytest.mark.outage
def test_silent_server_times_out():
    """A server that takes the connection and never answers: the page waits `timeout` (2 s)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        engine = ElasticEngine(f"http://127.0.0.1:{listener.getsockname()[1]}", index="rse-test-silent")
        for call in (lambda: search(engine, "silence"), lambda: engine.complete("sil", AUDIENCE)):
            started = time.monotonic()
            with pytest.raises(SearchUnavailable):
                call()
            assert time.monotonic() - started < 3
        engine.close()


def test_ensure_gives_the_first_index_its_alias_back(elastic_engine):
    [first] = elastic_engine.live_indices()
    elastic_engine.cluster.update_aliases([{"remove": {"index": first, "alias": elastic_engine.index}}])
    assert not elastic_engine.ping()
    elastic_engine.ensure()
    assert elastic_engine.live_indices() == [first]


def test_server_error_keeps_its_message(lucene_server):
    engine = lucene_server.engine()
    with pytest.raises(SearchUnavailable, match="index_not_found_exception"):
        engine.count()
    engine.close()


def test_no_words_or_no_audience_find_nothing(elastic_engine):
    put(elastic_engine, item(1, title="Quelque chose"))
    assert search(elastic_engine, " -- ").hits == []
    empty = search(elastic_engine, "quelque", audience=frozenset())
    assert (empty.hits, empty.counts, empty.total) == ([], {}, 0)


# --- Search semantics (the contract suite checks them in depth, on both engines) -----------------

def test_french_matching(elastic_engine):
    put(elastic_engine,
        item(1, title="Hôpital de jour"),
        item(2, body="Rappel sur l'hygiène des mains."),
        item(3, title="Protocole de soins"),
        item(4, title="Les hôpitaux du groupe"),
        item(5, body="Note d'organisation pour aujourd'hui."))
    assert sorted(keys(search(elastic_engine, "hopital"))) == ["publication:1", "publication:4"]
    assert sorted(keys(search(elastic_engine, "HÔPITAUX"))) == ["publication:1", "publication:4"]
    assert keys(search(elastic_engine, "l'hygiène")) == ["publication:2"]
    assert keys(search(elastic_engine, "hygiene")) == ["publication:2"]
    assert keys(search(elastic_engine, "protocoles")) == ["publication:3"]
    assert keys(search(elastic_engine, "proto")) == ["publication:3"]
    assert keys(search(elastic_engine, "hui")) == ["publication:5"]  # "aujourd'hui" is two words, as in text.words


def test_upper_case_elision(elastic_engine):
    put(elastic_engine, item(1, title="L'HYGIÈNE À L'HÔPITAL"))
    assert keys(search(elastic_engine, "hygiène hôpital")) == ["publication:1"]


def test_exact_match_ranks_above_prefix_only(elastic_engine):
    put(elastic_engine, item(1, title="Protocolaire", days=30), item(2, title="Protocole", days=1))
    assert keys(search(elastic_engine, "protocole")) == ["publication:2", "publication:1"]


def test_one_character_term_matches_exactly(elastic_engine):
    put(elastic_engine, item(1, title="Vitamine D"), item(2, title="Vitamine Dosage"))
    assert keys(search(elastic_engine, "vitamine d")) == ["publication:1"]


def test_title_ranks_above_body(elastic_engine):
    put(elastic_engine, item(1, body="La stérilisation du matériel.", days=30),
        item(2, title="Stérilisation", body="Un texte.", days=1))
    assert keys(search(elastic_engine, "stérilisation")) == ["publication:2", "publication:1"]


def test_weights_follow_fields(elastic_engine):
    put(elastic_engine,
        item(1, body="Le mot vaccination.", days=60),
        item(2, place="Salle vaccination", days=50),
        item(3, description="Campagne de vaccination", days=40),
        item(4, tags=("Vaccination",), days=30),
        item(5, title="Vaccination", days=20))
    assert keys(search(elastic_engine, "vaccination")) == [f"publication:{n}" for n in (5, 4, 3, 2, 1)]


def test_every_term_in_some_field(elastic_engine):
    put(elastic_engine,
        item(1, title="Plan blanc", body="Exercice de crise annuel."),
        item(2, title="Plan de formation"),
        item(3, body="Exercice incendie"))
    assert keys(search(elastic_engine, "plan exercice")) == ["publication:1"]
    assert search(elastic_engine, "plan incendie").hits == []


def test_audience_filter(elastic_engine):
    put(elastic_engine,
        item(1, title="Dossier partagé", scopes=("content:1",)),
        item(2, title="Dossier confidentiel", scopes=("content:2",)),
        item(3, title="Dossier listé", scopes=("content:2", "listing:1")))
    assert sorted(keys(search(elastic_engine, "dossier"))) == ["publication:1", "publication:3"]
    assert keys(search(elastic_engine, "dossier", audience=frozenset({"content:2"}), sort=DATE)) == [
        "publication:3", "publication:2"]


def test_counts_per_kind_ignore_only_the_kind_filter(elastic_engine):
    put(elastic_engine,
        item(1, title="Réunion qualité", community_id=1),
        item(2, title="Réunion bilan", community_id=1),
        item(3, kind="wiki", title="Réunion mode d'emploi", community_id=1),
        item(4, kind="document", title="Réunion compte rendu", community_id=1),
        item(5, kind="document", title="Réunion ailleurs", community_id=2))
    results = search(elastic_engine, "réunion", kinds=frozenset({"wiki", "document"}), community_id=1)
    assert sorted(keys(results)) == ["document:4", "wiki:3"]
    assert results.counts == {"publication": 2, "wiki": 1, "document": 1}
    assert results.total == 2


def test_filters(elastic_engine):
    put(elastic_engine,
        item(1, title="Garde de nuit", tags=("Planning",), author_id=10, days=1),
        item(2, title="Garde de jour", tags=("Équipe",), author_id=11, days=2),
        item(3, title="Garde du week-end", tags=("planning",), author_id=10, days=3))
    assert keys(search(elastic_engine, "garde", tag="planning", sort=DATE)) == ["publication:3", "publication:1"]
    assert keys(search(elastic_engine, "garde", author_id=11)) == ["publication:2"]
    assert keys(search(elastic_engine, "garde", date_from=START + timedelta(days=2), sort=DATE)) == [
        "publication:3", "publication:2"]
    assert keys(search(elastic_engine, "garde", date_to=START + timedelta(days=2))) == ["publication:1"]


def test_pages_without_overlap_or_gap(elastic_engine):
    put(elastic_engine, *[item(n, title="Astreinte" if n % 3 else "Astreinte astreinte",
                               body="astreinte " * (n % 4), days=n % 5 + 1) for n in range(1, 24)])
    for sort_name in ("relevance", DATE):
        whole = search(elastic_engine, "astreinte", sort=sort_name, limit=100)
        assert len(whole.hits) == 23 and whole.after is None
        seen, after, pages = [], None, 0
        while True:
            page = search(elastic_engine, "astreinte", sort=sort_name, limit=5, after=after)
            seen += keys(page)
            pages += 1
            after = page.after
            if after is None:
                break
        assert pages == 5
        assert seen == keys(whole)
    by_date = search(elastic_engine, "astreinte", sort=DATE, limit=100).hits
    assert [(-h.date.timestamp(), h.key) for h in by_date] == sorted((-h.date.timestamp(), h.key) for h in by_date)


def test_hit_fields(elastic_engine):
    put(elastic_engine, item(1, source="comment", kind="comment", heading="Re: Tableau de garde",
                             body="Merci pour le tableau.", subkind="answer", community_id=4, author_id=8))
    hit = search(elastic_engine, "tableau").hits[0]
    assert (hit.key, hit.source, hit.id, hit.kind, hit.subkind) == ("comment:1", "comment", 1, "comment", "answer")
    assert (hit.title, hit.url, hit.community_id, hit.author_id) == ("Re: Tableau de garde", "/comment/1", 4, 8)
    assert hit.date == START + timedelta(days=1)
    assert hit.score > 0


def test_snippets_mark_words_and_escape_the_rest(elastic_engine):
    body = ("Introduction sans rapport. " * 30) + "Le <b>protocole</b> & ses annexes pour l'hygiène. " + (
        "Suite du texte. " * 30)
    put(elastic_engine,
        item(1, title="Avec corps", body=body),
        item(2, title="Sans corps protocole", description="Description du protocole."),
        item(3, title="Titre seul, protocole"),
        item(4, title="Protocole en titre", body="Un corps qui ne le dit pas. " * 20))
    snippets = {hit.key: hit.snippet for hit in search(elastic_engine, "protocole", limit=10).hits}
    for snippet in snippets.values():
        assert isinstance(snippet, Markup)
        assert "<b>" not in snippet
        assert len(Markup(snippet).striptags()) <= js.SNIPPET_CHARS + 40
    assert "<mark>protocole</mark>" in snippets["publication:1"]
    assert "&lt;b&gt;" in snippets["publication:1"] and "&amp;" in snippets["publication:1"]
    assert "Introduction" not in snippets["publication:1"][:5]  # a passage around the word, not the start
    assert "<mark>protocole</mark>" in snippets["publication:2"] and "Description" in snippets["publication:2"]
    assert "<mark>protocole</mark>" in snippets["publication:3"] and "Titre seul" in snippets["publication:3"]
    assert snippets["publication:4"].startswith("Un corps qui ne le dit pas.")  # the body's start
    assert "<mark>" not in snippets["publication:4"]


def test_safe_fragment_keeps_only_marks():
    fragment = "a &lt;b&gt; <mark>x</mark> <script>y</script> l&#x27;h&#x2F;\n z"
    assert safe_fragment(fragment) == Markup("a &lt;b&gt; <mark>x</mark> &lt;script&gt;y&lt;/script&gt; l&#39;h/ z")


def test_safe_fragment_keeps_blocks_apart():
    fragment = "\n\nfin janvier\n\nFiches <mark>objectifs</mark> : mars\n\n<mark>Signature</mark>\n\n<mark>juin</mark>"
    assert safe_fragment(fragment) == Markup(
        "fin janvier · Fiches <mark>objectifs</mark> : mars · <mark>Signature</mark> · <mark>juin</mark>")


# --- Autocomplete -------------------------------------------------------------------------------

def test_complete_tags(elastic_engine):
    put(elastic_engine,
        item(1, tags=("Hygiène des mains", "Qualité")),
        item(2, tags=("hygiène des mains",)),
        item(3, tags=("Hygiène hospitalière",)),
        item(4, tags=("Hygiène secrète",), scopes=("content:2",)),
        item(5, tags=("Mains propres",)))
    found = elastic_engine.complete("hyg", AUDIENCE)
    assert [(tag.key, tag.count) for tag in found.tags] == [("hygiene des mains", 2), ("hygiene hospitaliere", 1)]
    assert found.tags[0].label in ("Hygiène des mains", "hygiène des mains")
    assert found.tags[1].label == "Hygiène hospitalière" and found.tags[1].url == ""
    by_word = elastic_engine.complete("MAIN", AUDIENCE)
    assert [(tag.key, tag.count) for tag in by_word.tags] == [("hygiene des mains", 2), ("mains propres", 1)]
    assert [tag.key for tag in elastic_engine.complete("hygiène des", AUDIENCE).tags] == ["hygiene des mains"]
    assert [tag.key for tag in elastic_engine.complete("hyg", AUDIENCE, limit=1).tags] == ["hygiene des mains"]
    assert elastic_engine.complete("a.b*(", AUDIENCE).tags == []  # punctuation never reaches a pattern


def test_complete_communities_and_people(elastic_engine):
    put(elastic_engine,
        item(1, kind="community", title="Équipe de nuit", names=("Équipe de nuit",), scopes=("listing:1",)),
        item(2, kind="community", title="Equipage", scopes=("listing:1",)),
        item(3, kind="community", title="Équipe cachée", names=("Équipe cachée",), scopes=("listing:9",)),
        item(4, kind="person", title="Jean Dupont", names=("Jean", "Dupont"), scopes=("people:*",)),
        item(5, kind="person", title="Jeanne Martin", names=("Jeanne", "Martin"), scopes=("people:*",)),
        item(6, kind="publication", title="Équipe et Jean", names=("Équipe", "Jean")))
    found = elastic_engine.complete("equip", AUDIENCE)
    assert sorted(s.key for s in found.communities) == ["community:1", "community:2"]
    assert found.people == []
    one = next(s for s in found.communities if s.key == "community:1")
    assert (one.label, one.url) == ("Équipe de nuit", "/community/1")
    people = elastic_engine.complete("jean", AUDIENCE)
    assert [s.key for s in people.people] == ["person:4", "person:5"]  # the whole word first
    assert [s.key for s in elastic_engine.complete("dup", AUDIENCE).people] == ["person:4"]
    assert [s.key for s in elastic_engine.complete("jea dup", AUDIENCE).people] == ["person:4"]
    assert elastic_engine.complete("jean", frozenset({"content:1"})).people == []
    assert len(elastic_engine.complete("j", AUDIENCE, limit=1).people) == 1


# --- What the engine relies on from the server ---------------------------------------------------

def test_tag_aggregation_include_pattern(elastic_engine):
    """The engine filters tag buckets again in Python; the server does not need it."""
    put(elastic_engine, item(1, tags=("Hygiène", "Qualité")))
    answer = elastic_engine.cluster.search(elastic_engine.index, js.tag_completion("hyg", AUDIENCE))
    words = [bucket["key"].split(js.TAG_WORD_SEPARATOR)[0] for bucket in
             answer["aggregations"][js.TAG_AGGREGATION]["buckets"]]
    assert words == ["hygiene"]


def analyze(engine: ElasticEngine, **body) -> list[str]:
    status, answer = engine.cluster.request("POST", f"/{engine.live_indices()[0]}/_analyze", body)
    assert status == 200, answer
    return [token["token"] for token in answer["tokens"]]


def test_elision_ignores_case_in_any_order(elastic_engine):
    """Documented `articles_case: true`: "L'" is an article. The analyser lowers first anyway."""
    assert analyze(elastic_engine, tokenizer="standard", text="L'Hygiène",
                   filter=[{"type": "elision", "articles_case": True, "articles": ["l"]}]) == ["Hygiène"]


def test_a_delete_keeps_its_version_for_a_while(elastic_engine):
    """Lucene servers keep a delete's version for `index.gc_deletes` (60 s), not for ever: why the
    engine writes tombstones, which last for the life of the index."""
    document = f"/{elastic_engine.live_indices()[0]}/_doc/raw?version_type=external&refresh=true"
    assert elastic_engine.cluster.request("PUT", f"{document}&version=3", {"key": "raw"})[0] in (200, 201)
    assert elastic_engine.cluster.request("DELETE", f"{document}&version=5")[0] == 200
    status, answer = elastic_engine.cluster.request("PUT", f"{document}&version=4", {"key": "raw"})
    assert status == 409, answer


@pytest.mark.parametrize("words", [
    ("Hôpitaux", "hopitaux", "hôpital", "HOPITAL"),
    ("infirmières", "Infirmieres", "infirmière", "INFIRMIERE"),
    ("L'Hygiène", "l’hygiene", "hygiène"),
    ("opérées", "operee", "Opérée"),
])
def test_french_analyzer_meets_with_or_without_accents(elastic_engine, words):
    tokens = {
        tuple(analyze(elastic_engine, analyzer=js.FRENCH_ANALYZER, text=word))
        for word in words
    }
    assert len(tokens) == 1 and len(next(iter(tokens))) == 1


FILLERS = ("budget", "réunion", "planning", "astreinte", "pharmacie", "formation", "archives", "congés",
           "restauration", "informatique", "travaux", "parking")


def test_search_after_on_a_sum_of_scores(elastic_engine):
    """Keyset pages on a score that sums several clauses: the cursor's score must compare equal to
    the hit's own. The engine's pages depend on it."""
    put(elastic_engine, *[item(n, title="Pharmacie " + "garde " * (n % 4), body="pharmacie " * (n % 3),
                               days=n % 5 + 1) for n in range(1, 24)],
        *[item(900 + n, title=f"Note {FILLERS[n]}", body=f"Compte rendu {FILLERS[(n + 3) % 12]} du service.",
               days=40 + n) for n in range(12)])
    body = js.search_body(Query(terms=parse_query("pharmacie"), audience=AUDIENCE, limit=5))
    body["query"]["bool"]["must"] = [{"multi_match": {"query": "pharmacie", "type": "most_fields",
                                                      "fields": js.weighted_fields()}},
                                     {"multi_match": {"query": "pharmacie", "type": "bool_prefix",
                                                      "fields": js.weighted_fields(), "boost": 0.2}}]
    whole = elastic_engine.cluster.search(elastic_engine.index, {**body, "size": 100})
    expected = [raw["_id"] for raw in whole["hits"]["hits"]]
    seen, after = [], None
    while True:
        page = elastic_engine.cluster.search(
            elastic_engine.index, {**body, "size": 5, **({"search_after": after} if after else {})})
        seen += [raw["_id"] for raw in page["hits"]["hits"]]
        if len(page["hits"]["hits"]) < 5:
            break
        after = page["hits"]["hits"][-1]["sort"]
    assert seen == expected
