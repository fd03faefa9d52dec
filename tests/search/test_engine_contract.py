"""The contract both engines keep: the same items and queries give the same hits in the same order.

It runs on the embedded FTS5 engine and on the Lucene engine over a real OpenSearch node, through
OpenSearch's client and Elasticsearch's (see conftest.py). Scores differ
between engines (FTS5's bm25 is not Lucene's BM25F): only hits and their order are compared,
never score values.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rse.indexing import EVERY_STAFF_MEMBER, SearchItem, content_scope, listing_scope, people_scope
from rse.search.engine import DATE, Query
from rse.search.fts import FtsEngine
from rse.search.text import parse_query
from rse.tags import fold

from .conftest import CLIENTS, fresh_engine, server_of

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
C1, C2 = content_scope(1), content_scope(2)
READER = frozenset({C1, listing_scope(1), EVERY_STAFF_MEMBER})

# Unrelated items, so that no word of the tests is in most items (bm25 gives a word found in
# more than half the items almost no weight, which would make order tests meaningless).
FILLER_WORDS = ("budget", "réunion", "planning", "astreinte", "pharmacie", "formation", "archives", "congés",
                "restauration", "informatique", "travaux", "parking")


def item(source_id: int, kind: str = "publication", *, scopes=(C1,), days: float = 0, **fields) -> SearchItem:
    source = {"community": "community", "person": "person", "comment": "comment", "document": "document"}.get(
        kind, "publication")
    fields.setdefault("community_id", 1 if C1 in scopes else 2 if C2 in scopes else None)
    return SearchItem(source=source, id=source_id, kind=kind, scopes=tuple(scopes), url=f"/{kind}/{source_id}",
                      date=NOW - timedelta(days=days), **fields)


def fillers(start: int = 900, count: int = 12) -> list[SearchItem]:
    return [item(start + n, title=f"Note {FILLER_WORDS[n % len(FILLER_WORDS)]}",
                 body=f"Compte rendu {FILLER_WORDS[(n + 3) % len(FILLER_WORDS)]} du service.", days=30 + n)
            for n in range(count)]


@pytest.fixture(params=["fts5", *CLIENTS])
def engine(request, tmp_path):
    if request.param == "fts5":
        fts = FtsEngine(tmp_path / "search.db")
        fts.ensure()
        yield fts
        fts.close()
    else:
        with fresh_engine(server_of(request, request.param)) as lucene:
            yield lucene


def put(engine, *items: SearchItem, version: int = 1) -> None:
    engine.write([(i.key, i, version) for i in items])


def keys(engine, text: str, audience=READER, **options) -> list[str]:
    return [hit.key for hit in engine.search(Query(terms=parse_query(text), audience=audience, **options)).hits]


# French matching.

@pytest.mark.parametrize("query, typed", [
    ("hopital", "Hôpital de jour"),
    ("HÔPITAL", "hopital de jour"),
    ("hôpitaux", "Hôpital de jour"),
    ("l'hygiène", "Hygiène des mains"),
    ("hygiène", "Rappel sur l'hygiène des mains"),
    ("d’urgence", "Plan urgence"),
    ("protocoles", "Protocole de bionettoyage"),
    ("protocole", "Les protocoles de bionettoyage"),
    ("proto", "Protocole de bionettoyage"),
    ("bionet", "Protocole de bionettoyage"),
    ("infirmières", "Réunion des infirmières de nuit"),
    ("Infirmieres", "Réunion des infirmières de nuit"),
])
def test_french_folding_finds_the_word(engine, query, typed):
    put(engine, item(1, title=typed), item(2, title="Budget annexe"), *fillers())
    assert keys(engine, query) == ["publication:1"]


def test_every_word_must_match_but_in_any_field(engine):
    put(engine,
        item(1, title="Protocole de bionettoyage", body="Applicable au bloc opératoire."),
        item(2, title="Protocole de transfusion", body="Applicable aux urgences."),
        item(3, title="Bloc opératoire", tags=("Protocole",)),
        *fillers())
    assert set(keys(engine, "protocole bloc")) == {"publication:1", "publication:3"}
    assert keys(engine, "protocole bloc transfusion") == []


def test_same_words_rank_title_then_tags_then_description_then_body(engine):
    put(engine,
        item(1, body="Le nouveau circuit du médicament est en place."),
        item(2, title="Circuit du médicament"),
        item(3, description="Circuit du médicament", title="Note"),
        item(4, tags=("circuit médicament",), title="Fiche"),
        *fillers())
    assert keys(engine, "circuit médicament") == ["publication:2", "publication:4", "publication:3", "publication:1"]


def test_a_rare_word_weighs_more_than_a_common_one(engine):
    """Inverse document frequency (BM25 on both engines): with both words in every hit, the item
    whose title holds the rarer word comes first."""
    put(engine,
        item(1, title="Pharmacie", body="Tableau de garde."),
        item(2, title="Garde", body="Tableau de la pharmacie."),
        *[item(100 + n, title=f"Note {FILLER_WORDS[n % 12]}", body="Commande de la pharmacie.", days=20 + n)
          for n in range(10)],
        *fillers())
    assert keys(engine, "pharmacie garde") == ["publication:2", "publication:1"]


def test_a_short_field_weighs_more_than_a_long_one(engine):
    """Length normalisation (BM25 on both engines): the same word once, in a short title and in
    a long one."""
    put(engine,
        item(1, title="Protocole de prise en charge des patients porteurs de bactéries hautement résistantes"),
        item(2, title="Protocole bactéries"),
        *fillers())
    assert keys(engine, "bactéries") == ["publication:2", "publication:1"]


def test_link_and_place_weigh_more_than_body(engine):
    put(engine,
        item(1, title="Lien", body="Voir le site de la certification."),
        item(2, title="Lien", link="https://certification.example.fr/guide"),
        item(3, title="Rendez-vous", place="Salle certification"),
        *fillers())
    found = keys(engine, "certification")
    assert found[-1] == "publication:1"
    assert set(found) == {"publication:1", "publication:2", "publication:3"}


def test_an_exact_word_ranks_above_a_longer_word_it_begins(engine):
    put(engine, item(1, title="Dossier informatisé"), item(2, title="Dossier"), *fillers())
    assert keys(engine, "dossier") == ["publication:2", "publication:1"]
    put(engine, item(3, title="Protocolaire"), item(4, title="Protocole"))
    assert keys(engine, "protocole")[0] == "publication:4"


def test_only_the_last_word_is_taken_as_the_start_of_a_word(engine):
    put(engine, item(1, title="Protocole du bloc opératoire"), *fillers())
    assert keys(engine, "bloc proto") == ["publication:1"]
    assert keys(engine, "proto bloc") == []  # "proto" was typed in full before "bloc"
    assert keys(engine, "protocole bloc") == ["publication:1"]


def test_a_one_letter_word_is_not_a_prefix(engine):
    put(engine, item(1, title="Vitamine D en EHPAD"), item(2, title="Dossier diététique"), *fillers())
    assert keys(engine, "vitamine d") == ["publication:1"]
    assert "publication:2" not in keys(engine, "d ehpad")


# Who finds what.

def test_the_audience_decides_what_is_found(engine):
    put(engine,
        item(1, title="Plan blanc", scopes=(C1,)),
        item(2, title="Plan blanc confidentiel", scopes=(C2,)),
        item(3, "community", title="Plan blanc GHT", scopes=(listing_scope(2),), names=("Plan blanc GHT",)),
        item(4, "person", title="Paul Blanc", scopes=(EVERY_STAFF_MEMBER, people_scope(2)), names=("Paul Blanc",)),
        *fillers())
    assert set(keys(engine, "blanc")) == {"publication:1", "person:4"}
    partner = frozenset({C2, listing_scope(2), people_scope(2)})
    assert set(keys(engine, "blanc", audience=partner)) == {"publication:2", "community:3", "person:4"}
    assert keys(engine, "blanc", audience=frozenset()) == []
    assert keys(engine, "blanc", audience=frozenset({content_scope(3)})) == []


def test_filters_kind_community_tag_author_and_dates(engine):
    put(engine,
        item(1, title="Audit hygiène", tags=("Hygiène", "Audit"), author_id=7, days=1),
        item(2, "document", title="Audit hygiène 2025", tags=("audit",), author_id=8, days=40),
        item(3, "comment", heading="Audit", body="Audit hygiène : je valide.", author_id=7, days=3),
        item(4, "wiki", title="Audit hygiène : méthode", scopes=(C1, C2), community_id=2, days=10),
        *fillers())
    audience = READER | {C2}
    assert set(keys(engine, "audit", audience)) == {"publication:1", "document:2", "comment:3", "publication:4"}
    assert keys(engine, "audit", audience, kinds=frozenset({"document"})) == ["document:2"]
    assert set(keys(engine, "audit", audience, kinds=frozenset({"comment", "wiki"}))) == {"comment:3",
                                                                                         "publication:4"}
    assert keys(engine, "audit", audience, community_id=2) == ["publication:4"]
    assert set(keys(engine, "audit", audience, tag=fold("AUDIT"))) == {"publication:1", "document:2"}
    assert keys(engine, "audit", audience, tag=fold("Hygiène")) == ["publication:1"]
    assert set(keys(engine, "audit", audience, author_id=7)) == {"publication:1", "comment:3"}
    week = dict(date_from=NOW - timedelta(days=7), date_to=NOW + timedelta(seconds=1))
    assert set(keys(engine, "audit", audience, **week)) == {"publication:1", "comment:3"}
    assert keys(engine, "audit", audience, date_from=NOW - timedelta(days=41), date_to=NOW - timedelta(days=39)) \
        == ["document:2"]


def test_counts_per_kind_ignore_the_kind_filter(engine):
    put(engine,
        item(1, title="Qualité des soins"), item(2, title="Qualité de vie au travail"),
        item(3, "document", title="Rapport qualité"), item(4, "comment", heading="x", body="La qualité avant tout"),
        item(5, title="Qualité confidentielle", scopes=(C2,)),
        *fillers())
    results = engine.search(Query(terms=parse_query("qualité"), audience=READER, kinds=frozenset({"document"})))
    assert [h.key for h in results.hits] == ["document:3"]
    assert results.counts == {"publication": 2, "document": 1, "comment": 1}
    assert results.total == 1
    everything = engine.search(Query(terms=parse_query("qualité"), audience=READER))
    assert everything.total == 4


# Order and pages.

def test_date_sort_is_newest_first(engine):
    put(engine, *(item(n, title=f"Garde semaine {n}", days=n) for n in (5, 1, 9, 3)),
        item(20, title="Garde", body="garde garde", days=30), *fillers())
    assert keys(engine, "garde", sort=DATE) == ["publication:1", "publication:3", "publication:5",
                                                    "publication:9", "publication:20"]


@pytest.mark.parametrize("sort", ["relevance", DATE])
def test_pages_follow_each_other_without_overlap_or_gap(engine, sort):
    items = [item(n, title="Pharmacie " + "garde " * (n % 4), body="pharmacie " * (n % 3), days=n % 5)
             for n in range(1, 24)]
    put(engine, *items, *fillers())
    whole = keys(engine, "pharmacie", sort=sort, limit=100)
    assert {i.key for i in items} <= set(whole)
    seen, after = [], None
    for _page in range(20):
        results = engine.search(Query(terms=parse_query("pharmacie"), audience=READER, sort=sort, limit=5,
                                      after=after))
        seen.extend(h.key for h in results.hits)
        after = results.after
        if after is None:
            break
    assert seen == whole


# What a hit shows.

def test_snippets_mark_the_words_and_escape_the_rest(engine):
    body = ("Début du texte. " * 30 + "La procédure <script>alert(1)</script> de désinfection des endoscopes "
            "change au 1er décembre. " + "Suite du texte. " * 30)
    put(engine, item(1, title="Endoscopie", body=body), *fillers())
    [hit] = engine.search(Query(terms=parse_query("désinfection"), audience=READER)).hits
    snippet = str(hit.snippet)
    assert "<mark>désinfection</mark>" in snippet
    assert "<script>" not in snippet
    assert len(hit.snippet.striptags()) <= 320
    assert hit.title == "Endoscopie" and hit.url == "/publication/1" and hit.date == NOW


def test_snippets_keep_blocks_apart_and_end_between_words(engine):
    body = ("Calendrier CPOM\n\nDiagnostic partagé : fin janvier\n\nFiches objectifs : mars\n\nSignature : juin\n\n"
            + "Les établissements transmettent leurs indicateurs. " * 20)
    put(engine, item(1, title="CPOM", body=body), *fillers())
    [hit] = engine.search(Query(terms=parse_query("objectifs"), audience=READER)).hits
    snippet = str(hit.snippet)
    assert "Fiches <mark>objectifs</mark> : mars" in snippet
    assert "janvier Fiches" not in snippet and "mars Signature" not in snippet
    assert snippet.endswith("…")
    whole = set(body.split())
    assert snippet.removesuffix("…").split()[-1] in whole  # the last word shown is a whole one


def test_a_comment_shows_its_heading_as_title(engine):
    put(engine, item(1, "comment", heading="Protocole de bionettoyage", body="Je propose une relecture."),
        *fillers())
    [hit] = engine.search(Query(terms=parse_query("relecture"), audience=READER)).hits
    assert hit.title == "Protocole de bionettoyage" and hit.kind == "comment"


def test_quotes_and_symbols_in_items_are_plain_text(engine):
    put(engine, item(1, title='Le "plan" AND (bleu) OR NOT * : - NEAR', body="a'b \"c\" 😀 ∑"), *fillers())
    assert keys(engine, "plan bleu") == ["publication:1"]
    assert keys(engine, "near") == ["publication:1"]


# Versions and rebuilds.

def test_an_older_version_never_overwrites_a_newer_one(engine):
    put(engine, item(1, title="Version deux"), version=2)
    put(engine, item(1, title="Version une"), version=1)
    assert keys(engine, "deux") == ["publication:1"] and keys(engine, "une") == []
    engine.write([("publication:1", None, 3)])
    assert keys(engine, "deux") == []
    put(engine, item(1, title="Version deux"), version=2)  # a late upsert does not resurrect it
    assert keys(engine, "deux") == []
    put(engine, item(1, title="Version quatre"), version=4)
    assert keys(engine, "quatre") == ["publication:1"]


def test_a_rebuild_answers_from_the_old_index_until_it_switches(engine):
    put(engine, item(1, title="Ancien index"), *fillers())
    with engine.rebuilding() as builder:
        builder.add([(item(2, title="Nouvel index"), 5)])
        builder.apply([("publication:3", item(3, title="Index rattrapé"), 6)])
        assert keys(engine, "index") == ["publication:1"]
        builder.switch()
    assert set(keys(engine, "index")) == {"publication:2", "publication:3"}
    assert engine.count() == 2


# Autocomplete.

def test_autocomplete_offers_tags_communities_and_people_the_audience_may_see(engine):
    put(engine,
        item(1, title="a", tags=("Hygiène", "Hygiène des mains")),
        item(2, title="b", tags=("hygiène",)),
        item(3, title="c", tags=("Hydratation",), scopes=(C2,)),
        item(4, "community", title="Hygiène – protocoles GHT", scopes=(listing_scope(1),),
             names=("Hygiène – protocoles GHT",)),
        item(5, "community", title="Hygiène secrète", scopes=(listing_scope(2),), names=("Hygiène secrète",)),
        item(6, "person", title="Hugo Hyacinthe", scopes=(EVERY_STAFF_MEMBER,), names=("Hugo Hyacinthe",)),
        item(7, "person", title="Sophie Durand", scopes=(EVERY_STAFF_MEMBER,), names=("Sophie Durand",)),
    )
    found = engine.complete("hy", READER)
    assert [(s.key, s.count) for s in found.tags] == [("hygiene", 2), ("hygiene des mains", 1)]
    assert found.tags[0].label in {"Hygiène", "hygiène"}
    assert [s.key for s in found.communities] == ["community:4"]
    assert found.communities[0].url == "/community/4"
    assert [s.key for s in found.people] == ["person:6"]
    assert [s.key for s in engine.complete("dur", READER).people] == ["person:7"]
    assert [s.key for s in engine.complete("protoc", READER).communities] == ["community:4"]
    assert [s.key for s in engine.complete("mains", READER).tags] == ["hygiene des mains"]
    assert engine.complete("hy", frozenset()).tags == []
    partner = engine.complete("hy", frozenset({C2, listing_scope(2)}))
    assert [s.key for s in partner.tags] == ["hydratation"]
    assert [s.key for s in partner.communities] == ["community:5"] and partner.people == []


def test_autocomplete_takes_at_most_limit_of_each(engine):
    put(engine, *(item(n, "person", title=f"Martin {n}", scopes=(EVERY_STAFF_MEMBER,), names=(f"Martin {n}",))
                  for n in range(1, 9)))
    assert len(engine.complete("mar", READER, limit=5).people) == 5


def test_a_removed_tag_no_longer_completes(engine):
    put(engine, item(1, title="a", tags=("Vaccination",)))
    assert [s.key for s in engine.complete("vacc", READER).tags] == ["vaccination"]
    engine.write([("publication:1", None, 2)])
    assert engine.complete("vacc", READER).tags == []


def test_the_snippet_shows_the_field_that_matched(engine):
    put(engine, item(1, "document", title="Guide", description="Procédure de stérilisation des instruments",
                     body="Page 1. Sommaire. Introduction générale du service."), *fillers())
    [hit] = engine.search(Query(terms=parse_query("stérilisation"), audience=READER)).hits
    assert "<mark>stérilisation</mark>" in str(hit.snippet)
