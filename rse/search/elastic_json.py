"""The JSON that the Lucene engine sends: index definition, documents, searches, alias moves.

Plain functions with no client and no I/O, so that what reaches the server can be read and
tested on its own (`elastic.py` sends it and reads the answers). Elasticsearch 8 and OpenSearch 3
take it unchanged; "Elasticsearch" below stands for either.

Matching follows the shared semantics of the engines (see `engine.py`): every query word must
match one of the weighted fields as the same analysed word, the last one (the word being typed)
also as the start of one, and an exact match scores above a prefix-only one. Elasticsearch
analyses the words itself with `maillage_french`, which plays the part `text.token` plays for the
embedded engine.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from rse.indexing import KINDS, SearchItem
from rse.tags import fold

from .engine import DATE, FIELDS, MAX_BODY_CHARS, Query
from .text import Term, words

FRENCH_ANALYZER = "maillage_french"
FOLD_ANALYZER = "maillage_fold"

# The elided articles and pronouns dropped before a word ("l'hygiène" → "hygiène"), as text.py does.
ELISION_ARTICLES = ("l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu")

# A prefix match scores a constant: this boost times the field's weight (title 1.0, body 0.2),
# added to the BM25F score of an exact match. A word begun in the title ranks above one begun in
# the body, and a word matched exactly in a field always above one only begun there.
PREFIX_BOOST = 0.2

SNIPPET_CHARS = 240
# The start of the snippet's text kept in the document, for a snippet when nothing is highlighted.
EXCERPT_CHARS = 2_000
# Where a snippet comes from: the body, else the description, else the title.
SNIPPET_FIELDS = ("body", "description", "title")

# Tag completion: one keyword per (word of a tag, tag as typed), joined by this character, which
# no word can contain. A terms aggregation on them counts items per tag for a word prefix.
TAG_WORD_SEPARATOR = "\x1f"
TAG_BUCKETS = 200

KIND_AGGREGATION = "kinds"
TAG_AGGREGATION = "tags"

# What a hit needs from `_source` (the long texts stay on the server).
HIT_SOURCE = ("key", "source", "id", "kind", "date", "community_id", "author_id", "hit")


# --- Index --------------------------------------------------------------------------------------

def weighted_fields() -> list[str]:
    """The searched fields with their boosts, from `FIELDS` ("title^5", ...)."""
    return [f"{name}^{weight}" for name, weight in FIELDS]


def analysis() -> dict[str, Any]:
    """The analysers: French words for the weighted fields, folded words for autocomplete.

    Order of the French chain:
    - lowercase first, then elision: the elision filter is asked to ignore case
      (`articles_case`), lowering first makes "L'Hygiène" lose its article whatever the filter does;
    - word_delimiter_graph splits what the standard tokenizer keeps whole but the embedded engine
      (text.words) splits: "aujourd'hui", "e.coli", "soignant·e·s", "3.5", dotted URLs and
      e-mail addresses; lowering comes first so it never splits on a change of case, and digits
      stay with their letters ("covid19") as in text.words;
    - asciifolding before the light French stemmer, although Lucene's French analyzer only stems
      (its stemmer folds most accents in its last step): the stemmer's rules test accented endings
      ("-ière", "-ée"), so a word typed without its accents can take another rule than the accented
      one ("infirmières" → "infirmi", "infirmieres" → "infirmier"). Folded first, both reach the
      stemmer as the same string and always meet; "hôpitaux", "Hôpitaux", "hopitaux" and "hôpital"
      all become "hopital" either way.
    """
    return {
        "filter": {
            "maillage_elision": {"type": "elision", "articles_case": True, "articles": list(ELISION_ARTICLES)},
            "maillage_words": {
                "type": "word_delimiter_graph",
                "split_on_case_change": False,
                "split_on_numerics": False,
                "stem_english_possessive": False,
                "preserve_original": False,
            },
            "maillage_stemmer": {"type": "stemmer", "language": "light_french"},
        },
        "analyzer": {
            FRENCH_ANALYZER: {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", "maillage_elision", "maillage_words", "asciifolding", "maillage_stemmer"],
            },
            # Names: folded words, never stemmed ("Martine" is not "Martin").
            FOLD_ANALYZER: {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", "maillage_words", "asciifolding"],
            },
        },
    }


def mappings() -> dict[str, Any]:
    """Strict mappings: a field that is not declared here is refused, never guessed."""
    french = {"type": "text", "analyzer": FRENCH_ANALYZER}
    properties: dict[str, Any] = {name: dict(french) for name, _ in FIELDS}
    # Offsets make highlighting a long body cheap (no re-analysis of the whole text).
    properties["body"]["index_options"] = "offsets"
    properties.update({
        "key": {"type": "keyword"},
        "source": {"type": "keyword"},
        "id": {"type": "long"},
        "kind": {"type": "keyword"},
        "scopes": {"type": "keyword"},
        "date": {"type": "date"},
        "community_id": {"type": "long"},
        "author_id": {"type": "long"},
        "tag_keys": {"type": "keyword"},
        "tag_words": {"type": "keyword"},
        "names": {"type": "search_as_you_type", "analyzer": FOLD_ANALYZER},
        "label": {"type": "keyword", "ignore_above": 256},
        "deleted": {"type": "boolean"},
        # Shown, never searched: kept in _source only.
        "hit": {"type": "object", "enabled": False},
    })
    return {"dynamic": "strict", "properties": properties}


# A live index: no replica on a single node (green health), one as soon as a second node joins;
# the server's default refresh (every second) makes a write searchable.
LIVE_SETTINGS: dict[str, Any] = {"auto_expand_replicas": "0-1", "refresh_interval": None}
# An index that a full reindex is filling, which nobody searches yet: no periodic refresh (the
# indexing buffer is written out when full, in fewer and larger segments, merged less) and no
# replica to copy each document to. `live_settings` is applied before it is switched in.
BUILDING_SETTINGS: dict[str, Any] = {"auto_expand_replicas": "false", "number_of_replicas": 0,
                                     "refresh_interval": "-1"}


def index_body(alias: str | None = None, *, building: bool = False) -> dict[str, Any]:
    """Settings and mappings of a concrete index, with the live alias when it is the first one;
    `building`: the settings of an index being filled by a full reindex."""
    settings = dict(BUILDING_SETTINGS) if building else {
        name: value for name, value in LIVE_SETTINGS.items() if value is not None}
    body: dict[str, Any] = {
        "settings": {"number_of_shards": 1, **settings, "analysis": analysis()},
        "mappings": mappings(),
    }
    if alias:
        body["aliases"] = {alias: {}}
    return body


def live_settings() -> dict[str, Any]:
    """The settings that make a built index a live one (None: the server's default)."""
    return {"index": dict(LIVE_SETTINGS)}


def switch_actions(alias: str, old_indices: Iterable[str], new_index: str) -> list[dict[str, Any]]:
    """One atomic `_aliases` request: the alias leaves the old indices and points at the new one."""
    actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": alias}} for name in sorted(old_indices)]
    actions.append({"add": {"index": new_index, "alias": alias}})
    return actions


# --- Documents ----------------------------------------------------------------------------------

def iso_date(value: datetime) -> str:
    """An aware UTC ISO date (a naive one is taken as UTC, as the embedded engine does)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def tag_words(tag: str) -> set[str]:
    """The folded forms under which a tag is completed: the whole tag and each of its words."""
    return {fold(tag), *(fold(word) for word in words(tag))}


def tag_word_entries(labels: Iterable[str]) -> set[str]:
    """The completion keywords of some tags: "word<separator>tag as typed" for each word form."""
    clean = [label.replace(TAG_WORD_SEPARATOR, " ") for label in labels]
    return {f"{word}{TAG_WORD_SEPARATOR}{label}" for label in clean for word in tag_words(label) if word}


def snippet_source(item: SearchItem) -> tuple[str, str]:
    """(field, text) a snippet is cut from: the body, else the description, else the title."""
    texts = {"body": item.body[:MAX_BODY_CHARS], "description": item.description, "title": item.title}
    for name in SNIPPET_FIELDS:
        if texts[name].strip():
            return name, texts[name]
    return "title", item.display_title


def document(item: SearchItem) -> dict[str, Any]:
    """The indexed document of an item."""
    labels: dict[str, str] = {}
    for tag in item.tags:
        labels.setdefault(fold(tag), tag)  # the first spelling of a tag wins, as in the embedded engine
    excerpt_field, excerpt = snippet_source(item)
    names = list(item.names) or ([item.title] if item.title else [])
    return {
        "key": item.key,
        "source": item.source,
        "id": item.id,
        "kind": item.kind,
        "scopes": sorted(set(item.scopes)),
        "date": iso_date(item.date),
        "community_id": item.community_id,
        "author_id": item.author_id,
        "title": item.title,
        "tags": list(labels.values()),
        "description": item.description,
        "link": item.link,
        "place": item.place,
        "body": item.body[:MAX_BODY_CHARS],
        "tag_keys": sorted(labels),
        "tag_words": sorted(tag_word_entries(labels.values())),
        "names": names,
        "label": item.display_title,
        "deleted": False,
        "hit": {
            "title": item.display_title,
            "subkind": item.subkind,
            "url": item.url,
            "excerpt_field": excerpt_field,
            "excerpt": excerpt[:EXCERPT_CHARS],
        },
    }


def tombstone(key: str) -> dict[str, Any]:
    """What stays of a deleted item: its key and, in the index metadata, the delete's version.

    Elasticsearch forgets the version of a real delete after `index.gc_deletes` (60 s by
    default); a tombstone document keeps it for as long as the index lives, so a late, older
    upsert can never bring the item back. It has no scopes, so no audience ever finds it.
    """
    return {"key": key, "deleted": True}


def bulk_operations(changes: Iterable[tuple[str, SearchItem | None, int]],
                    index: str) -> list[dict[str, Any]]:
    """Bulk lines for (key, item or None, version): an external-versioned `index` action each."""
    operations: list[dict[str, Any]] = []
    for key, item, version in changes:
        operations.append({"index": {"_index": index, "_id": key, "version": int(version),
                                     "version_type": "external"}})
        operations.append(document(item) if item is not None else tombstone(key))
    return operations


def live_query() -> dict[str, Any]:
    """Every item that is not a tombstone (for counting)."""
    return {"bool": {"must_not": [{"term": {"deleted": True}}]}}


# --- Search -------------------------------------------------------------------------------------

def term_clause(term: Term, prefix: bool = False) -> dict[str, Any]:
    """One query word: the same analysed word in a weighted field, or (`prefix`: the last word of
    the query, of 2 characters and more) the start of one, scored lower. Elasticsearch analyses
    `term.word` with the fields' analyser.

    The exact match is a `combined_fields` query (BM25F): the weighted fields are scored as one
    field where a word of the title counts five times, with one document frequency for all of
    them, as the embedded engine's bm25 does. Per-field BM25 (`multi_match`) would give a word
    found in the rarely filled tags or place fields a tiny IDF, and rank a body match above them.
    The prefix match (`bool_prefix`) scores a constant per field: its boost times the weight.
    """
    exact = {"combined_fields": {"query": term.word, "fields": weighted_fields(), "operator": "and"}}
    if not prefix or len(term.token) <= 1:
        return exact
    start = {"multi_match": {"query": term.word, "type": "bool_prefix", "fields": weighted_fields(),
                             "operator": "and", "boost": PREFIX_BOOST}}
    return {"bool": {"should": [exact, start], "minimum_should_match": 1}}


def filters(query: Query) -> list[dict[str, Any]]:
    """Every filter but the kind: the audience always comes first."""
    found: list[dict[str, Any]] = [{"terms": {"scopes": sorted(query.audience)}}]
    if query.community_id is not None:
        found.append({"term": {"community_id": query.community_id}})
    if query.tag:
        found.append({"term": {"tag_keys": query.tag}})
    if query.author_id is not None:
        found.append({"term": {"author_id": query.author_id}})
    dates: dict[str, str] = {}
    if query.date_from is not None:
        dates["gte"] = iso_date(query.date_from)
    if query.date_to is not None:
        dates["lt"] = iso_date(query.date_to)
    if dates:
        found.append({"range": {"date": dates}})
    return found


def sort(sort_name: str) -> list[dict[str, Any]]:
    """Relevance: score, newer first, key; date: newer first, key. The key makes the order total,
    which keyset pagination (`search_after`) needs."""
    order: list[dict[str, Any]] = [{"date": {"order": "desc"}}, {"key": {"order": "asc"}}]
    if sort_name == DATE:
        return order
    return [{"_score": {"order": "desc"}}, *order]


def cursor(query: Query) -> list | None:
    """`Query.after` checked against the shape this engine gives it (see `sort`).

    The cursor comes back from the reader's browser: anything else is a ValueError, never
    a request Elasticsearch would refuse.
    """
    after = query.after
    if after is None:
        return None
    expected = 2 if query.sort == DATE else 3
    if not isinstance(after, list | tuple) or len(after) != expected:
        raise ValueError("invalid search cursor")
    *head, date, key = after
    if not isinstance(key, str) or isinstance(date, bool) or not isinstance(date, int):
        raise ValueError("invalid search cursor")
    if head:
        score = head[0]
        if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
            raise ValueError("invalid search cursor")
        return [float(score), date, key]
    return [date, key]


def highlight() -> dict[str, Any]:
    """One passage of about `SNIPPET_CHARS`, HTML-escaped, the matched words in <mark>."""
    return {
        "type": "unified",
        "encoder": "html",
        "pre_tags": ["<mark>"],
        "post_tags": ["</mark>"],
        "boundary_scanner": "sentence",
        "boundary_scanner_locale": "fr-FR",
        "fields": {name: {"fragment_size": SNIPPET_CHARS, "number_of_fragments": 1} for name in SNIPPET_FIELDS},
    }


def search_body(query: Query) -> dict[str, Any]:
    """A page of `query`: one more hit than the page holds tells whether another page follows."""
    body: dict[str, Any] = {
        "query": {"bool": {"must": [term_clause(term, prefix=term is query.terms[-1]) for term in query.terms],
                           "filter": filters(query)}},
        "sort": sort(query.sort),
        "size": query.limit + 1,
        "track_total_hits": True,
        "track_scores": True,
        "_source": list(HIT_SOURCE),
        "highlight": highlight(),
        # Counts per kind over every filter but the kind, which applies to the hits only.
        "aggs": {KIND_AGGREGATION: {"terms": {"field": "kind", "size": max(len(KINDS), 10)}}},
    }
    if query.kinds:
        body["post_filter"] = {"terms": {"kind": sorted(query.kinds)}}
    after = cursor(query)
    if after is not None:
        body["search_after"] = after
    return body


# --- Autocomplete -------------------------------------------------------------------------------

def prefix_words(prefix: str) -> list[str]:
    """The folded, unstemmed words of what the reader typed so far."""
    return [w for w in (fold(word) for word in words(prefix)) if w]


def regex_literal(text: str) -> str:
    """`text` as a Lucene regular expression matching only itself.

    Every character but letters and digits is escaped (a backslash before a punctuation mark is
    always literal); letters and digits never are, since "\\d", "\\w" or "\\s" are classes.
    """
    return "".join(ch if ch.isalnum() else "\\" + ch for ch in text)


def tag_completion(prefix: str, audience: frozenset[str]) -> dict[str, Any]:
    """Tags whose folded form, or one of its words, starts with `prefix` (folded words joined by
    spaces, as `prefix_words` gives them), counted over the items the audience may find."""
    return {
        "size": 0,
        "query": {"bool": {"filter": [
            {"terms": {"scopes": sorted(audience)}},
            {"prefix": {"tag_words": prefix}},
        ]}},
        "aggs": {TAG_AGGREGATION: {"terms": {
            "field": "tag_words",
            "include": regex_literal(prefix) + ".*",
            "size": TAG_BUCKETS,
        }}},
    }


def name_completion(kind: str, folded: list[str], audience: frozenset[str], limit: int) -> dict[str, Any]:
    """Items of `kind` with a name word starting with each typed word; whole words and words in the
    typed order rank first."""
    joined = " ".join(folded)
    return {
        "size": limit,
        "query": {"bool": {
            "must": [{"match_bool_prefix": {"names": word}} for word in folded],
            "should": [
                {"multi_match": {"query": joined, "type": "bool_prefix",
                                 "fields": ["names", "names._2gram", "names._3gram"]}},
                *({"term": {"names": word}} for word in folded),
            ],
            "filter": [{"term": {"kind": kind}}, {"terms": {"scopes": sorted(audience)}}],
        }},
        "sort": [{"_score": {"order": "desc"}}, {"label": {"order": "asc"}}, {"key": {"order": "asc"}}],
        "_source": ["key", "hit"],
    }


def completion_searches(prefix: str, audience: frozenset[str], limit: int) -> list[dict[str, Any]]:
    """The `_msearch` lines of one completion: tags, communities, people (header, body each).

    Empty when nothing is typed (no word) or the audience is empty.
    """
    folded = prefix_words(prefix)
    if not folded or not audience:
        return []
    return [
        {}, tag_completion(" ".join(folded), audience),
        {}, name_completion("community", folded, audience, limit),
        {}, name_completion("person", folded, audience, limit),
    ]
