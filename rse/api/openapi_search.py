"""The search part of the OpenAPI document."""

from __future__ import annotations

from rse.indexing import KINDS
from rse.search.engine import SORTS
from rse.search.fts import RANKING_WINDOW
from rse.search.text import MAX_QUERY_LENGTH

from .openapi import ID, I, S, _errors, _json, _op, _query, _ref, line

REF = {"type": "object", "nullable": True, "properties": {"id": I, "name": S}}


def search_paths() -> dict:
    params = [
        {**_query("q", description=f"The words to find (required; {MAX_QUERY_LENGTH} characters at most). "
                                   "Case, accents, elisions and plurals don't matter; a word's start finds it. "
                                   "At least one letter or digit (422 no_search_words otherwise)."),
         "required": True, "schema": line(MAX_QUERY_LENGTH, required=True)},
        {**_query("sort", description="relevance (default) or date, newest first"),
         "schema": {"type": "string", "enum": list(SORTS)}},
        {**_query("kind", description="Only this kind"), "schema": {"type": "string", "enum": list(KINDS)}},
        {**_query("community", description="Only items of this community"), "schema": ID},
        {**_query("tag", description="Only items carrying this tag (case and accents folded)"), "schema": line(50)},
        {**_query("author", description="Only items by this person"), "schema": ID},
        {**_query("from", description="From this day (YYYY-MM-DD, inclusive)"), "schema": {"type": "string",
                                                                                           "format": "date"}},
        {**_query("to", description="Up to this day (YYYY-MM-DD, inclusive)"), "schema": {"type": "string",
                                                                                         "format": "date"}},
        _query("cursor", description="The next_cursor of the previous page (signed, tied to the same query)"),
    ]
    return {
        "/search": {"get": _op(
            "Full-text search over what the caller may read now, 20 results a page, with counts per kind", {
                "200": _json(_ref("SearchPage")), **_errors("400", "401", "422", "503")},
            params=params, tag="search")},
        "/autocomplete": {"get": _op(
            "Tags, communities and people whose words start with q (2 characters at least), 5 of each at most, "
            "only those the caller may see", {
                "200": _json(_ref("Completions")), **_errors("401", "422", "503")},
            params=[_query("q", description="The start of a word; any text is taken as typed so far (spaces "
                                             f"collapsed, cut at {MAX_QUERY_LENGTH} characters)")],
            tag="search")},
    }


SEARCH_SCHEMAS = {
    "SearchResult": {"type": "object", "properties": {
        "kind": {"type": "string", "enum": list(KINDS)}, "subkind": {"type": "string", "nullable": True}, "id": I,
        "title": S, "title_html": {**S, "description": "The title, HTML-escaped, the query's words in <mark>"},
        "snippet": {**S, "description": "A passage, HTML-escaped, the query's words in <mark>"},
        "score": {"type": "number", "description": "Relevance; comparable within one result list only"},
        "community": REF, "author": REF, "date": {"type": "string", "format": "date-time"}, "url": S}},
    "SearchPage": {"type": "object", "properties": {
        "items": {"type": "array", "items": _ref("SearchResult")},
        "counts": {"type": "object", "description": "Matches per kind, whatever the kind filter",
                   "properties": dict.fromkeys(KINDS, I)},
        "total": {"type": "integer", "description": "Matches with every filter"},
        "counts_exact": {"type": "boolean", "description": "False when the engine stopped counting (the embedded "
                         f"engine ranks and counts the newest {RANKING_WINDOW:,} matches): the counts are then "
                         "lower bounds"},
        "total_exact": {"type": "boolean", "description": "False when the total is a lower bound"},
        "next_cursor": {"type": "string", "nullable": True}}},
    "Completions": {"type": "object", "properties": {
        "tags": {"type": "array", "items": {"type": "object", "properties": {"tag": S, "label": S, "count": I}}},
        "communities": {"type": "array", "items": {"type": "object", "properties": {"id": I, "name": S, "url": S}}},
        "people": {"type": "array", "items": {"type": "object", "properties": {"id": I, "name": S, "url": S}}}}},
}
