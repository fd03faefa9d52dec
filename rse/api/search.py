"""API: full-text search over what the caller may read, and autocomplete."""

from __future__ import annotations

from flask import jsonify, request

from rse.indexing import KINDS, split_key
from rse.search import service
from rse.search.engine import Suggestion
from rse.search.service import Result

from . import actor, bp
from .serializers import iso, person_ref


def result_json(result: Result) -> dict:
    hit = result.hit
    return {
        "kind": hit.kind,
        "subkind": hit.subkind or None,
        "id": hit.id,
        "title": result.title.striptags(),
        "title_html": str(result.title),
        "snippet": str(hit.snippet),
        "score": round(hit.score, 6),
        "community": {"id": result.community.id, "name": result.community.name} if result.community else None,
        "author": person_ref(result.author),
        "date": iso(hit.date),
        "url": hit.url,
    }


def named_json(suggestion: Suggestion) -> dict:
    return {"id": split_key(suggestion.key)[1], "name": suggestion.label, "url": suggestion.url}


@bp.get("/search")
def search():
    page = service.search(actor(), service.read_params(request.args))
    return jsonify({
        "items": [result_json(r) for r in page.results],
        "counts": {kind: page.counts.get(kind, 0) for kind in KINDS},
        "total": page.total,
        "counts_exact": page.counts_exact,
        "total_exact": page.total_exact,
        "next_cursor": page.next_cursor,
    })


@bp.get("/autocomplete")
def autocomplete():
    found = service.autocomplete(actor(), request.args.get("q", ""))
    return jsonify({
        "tags": [{"tag": s.key, "label": s.label, "count": s.count} for s in found.tags],
        "communities": [named_json(s) for s in found.communities],
        "people": [named_json(s) for s in found.people],
    })
