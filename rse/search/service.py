"""Searching as a user: who may find what, the reader's filters, and the results they may see.

Permissions are applied twice, both at query time. The engine filters on the scope tokens
of the reader's *audience*, computed from the database on each search (leave a community
and its items vanish from your results at once). Then every hit of the page is confirmed
by its source against the permission layer, which also catches what the index has not
caught up with yet (an item deleted a second ago, a partner whose access just expired).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup
from sqlalchemy import select

from rse import indexing, permissions
from rse.accounts.models import User
from rse.communities.models import Community
from rse.database import db
from rse.dbtypes import id_from_text, is_id
from rse.errors import BadRequest, ServiceUnavailable, ValidationError
from rse.indexing import KINDS
from rse.tags import fold

from .engine import RELEVANCE, SORTS, Completions, Hit, Query, Results, SearchUnavailable
from .indexer import engine
from .text import MAX_QUERY_LENGTH, highlight, parse_query

PAGE_SIZE = 20
MIN_PREFIX = 2
# What the box suggests to open under the spaces, tags and people: the best few contents.
SUGGESTED_ITEMS = 3
SUGGESTED_KINDS = frozenset({"publication", "wiki", "document"})


def audience(actor: Any) -> frozenset[str]:
    """The scope tokens the actor holds now (empty for anonymous and deactivated accounts)."""
    return indexing.audience(actor)


def filter_communities(actor: Any) -> list:
    """The communities the reader may filter on (those whose content they read), by name: rows of
    their id and name only (a staff member's list holds most of the group's spaces)."""
    return list(db.session.execute(select(Community.id, Community.name).where(
        permissions.readable(actor, Community)).order_by(Community.name)))


def visible_person(actor: Any, user_id: int) -> User | None:
    """The person a filter names, if the reader may see them."""
    return db.session.scalar(select(User).where(User.id == user_id, permissions.visible(actor, User)))


# The reader's request.

@dataclass(frozen=True)
class Params:
    q: str
    sort: str = RELEVANCE
    kind: str | None = None
    community_id: int | None = None
    tag: str | None = None
    author_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    cursor: str | None = None

    def fingerprint(self) -> str:
        data = [self.q, self.sort, self.kind, self.community_id, self.tag, self.author_id,
                str(self.date_from), str(self.date_to)]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]


def _int(value: Any, name: str, message: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = id_from_text(value.strip())
    if not is_id(value):
        raise ValidationError(fields={name: message})
    return value


def _date(value: Any, name: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(fields={name: _("Date attendue au format AAAA-MM-JJ.")}) from None


def read_params(args: Any) -> Params:
    """The search parameters of a query string or JSON body; a bad one is a 422 naming the field."""
    q = args.get("q") or ""
    if not isinstance(q, str):
        raise ValidationError(fields={"q": _("Texte attendu.")})
    q = " ".join(q.split())
    if len(q) > MAX_QUERY_LENGTH:
        raise ValidationError(_("La recherche est trop longue (%(max)d caractères au plus).", max=MAX_QUERY_LENGTH),
                              code="query_too_long",
                              fields={"q": _("%(max)d caractères au plus.", max=MAX_QUERY_LENGTH)})
    sort = args.get("sort") or RELEVANCE
    if sort not in SORTS:
        raise ValidationError(fields={"sort": _("Tri inconnu : pertinence (relevance) ou date.")})
    kind = args.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise ValidationError(fields={"kind": _("Type inconnu.")})
    tag = args.get("tag") or None
    if tag is not None and (not isinstance(tag, str) or len(tag) > 50):
        raise ValidationError(fields={"tag": _("Mot-clé invalide.")})
    params = Params(
        q=q, sort=sort, kind=kind, tag=fold(tag.strip()) if tag else None,
        community_id=_int(args.get("community"), "community", _("Espace invalide.")),
        author_id=_int(args.get("author"), "author", _("Auteur invalide.")),
        date_from=_date(args.get("from"), "from"), date_to=_date(args.get("to"), "to"),
        cursor=args.get("cursor") or None,
    )
    if params.date_from and params.date_to and params.date_from > params.date_to:
        raise ValidationError(fields={"to": _("La date de fin précède la date de début.")})
    return params


def _serializer() -> URLSafeSerializer:
    # The config's key, which load_config always sets (Flask types `app.secret_key` as optional).
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="search.cursor")


def _decode_cursor(params: Params) -> list | None:
    if not params.cursor:
        return None
    try:
        data = _serializer().loads(params.cursor)
        if data["f"] != params.fingerprint() or not isinstance(data["a"], list):
            raise ValueError
        return data["a"]
    except (BadSignature, KeyError, TypeError, ValueError):
        raise BadRequest(_("Curseur de pagination invalide : repartez de la première page."),
                         code="invalid_cursor") from None


def _day_start(day: date) -> datetime:
    """Midnight of a day in the site's time zone, in UTC."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


# Results.

@dataclass
class Result:
    hit: Hit
    title: Markup
    community: Community | None
    author: User | None
    details: dict[str, Any] = field(default_factory=dict)  # what its source says of it now (Source.details)

    @property
    def kind(self) -> str:
        return self.hit.kind


@dataclass
class ResultPage:
    params: Params
    results: list[Result]
    counts: dict[str, int]
    total: int
    next_cursor: str | None
    words: list[str] = field(default_factory=list)
    counts_exact: bool = True   # False: the engine counted no further than its window, these are lower bounds
    total_exact: bool = True


def search(actor: Any, params: Params, limit: int = PAGE_SIZE) -> ResultPage:
    """A page of results the actor may read, with the counts per kind."""
    terms = parse_query(params.q)
    if not terms:
        if params.q:
            raise ValidationError(_("Aucun mot à chercher : essayez avec des lettres ou des chiffres."),
                                  code="no_search_words", fields={"q": _("Aucun mot à chercher.")})
        raise ValidationError(_("Saisissez au moins un mot à chercher."), code="query_required",
                              fields={"q": _("Saisissez au moins un mot.")})
    after = _decode_cursor(params)
    query = Query(
        terms=terms, audience=audience(actor), sort=params.sort,
        kinds=frozenset({params.kind}) if params.kind else frozenset(),
        community_id=params.community_id, tag=params.tag, author_id=params.author_id,
        date_from=_day_start(params.date_from) if params.date_from else None,
        date_to=_day_start(params.date_to + timedelta(days=1)) if params.date_to else None,
        after=after, limit=limit,
    )
    found = _run(query)
    hits = confirm(actor, found.hits)
    cursor = _serializer().dumps({"a": found.after, "f": params.fingerprint()}) if found.after else None
    return ResultPage(params=params, results=_hydrate(actor, hits, terms), counts=found.counts, total=found.total,
                      next_cursor=cursor, words=[t.word for t in terms], counts_exact=found.exact,
                      total_exact=found.total_exact)


def _run(query: Query) -> Results:
    try:
        return engine().search(query)
    except ValueError:  # a cursor signed here but made by another engine, or an earlier shape of this one
        raise BadRequest(_("Curseur de pagination invalide : repartez de la première page."),
                         code="invalid_cursor") from None
    except SearchUnavailable as exc:
        current_app.logger.warning("search unavailable: %s", exc)
        raise ServiceUnavailable(_("La recherche est momentanément indisponible. Le reste du site fonctionne ; "
                                   "réessayez dans quelques minutes."), code="search_unavailable") from exc


def allowed(actor: Any, refs: list[tuple[str, int]]) -> set[tuple[str, int]]:
    """The (source, id) pairs the actor may read now, by their sources' permission checks."""
    sources = indexing.sources()
    by_source: dict[str, list[int]] = defaultdict(list)
    for name, item_id in refs:
        by_source[name].append(item_id)
    found: set[tuple[str, int]] = set()
    for name, ids in by_source.items():
        source = sources.get(name)
        if source is not None:
            found.update((name, i) for i in source.visible(actor, ids))
    return found


def confirm(actor: Any, hits: list[Hit]) -> list[Hit]:
    ok = allowed(actor, [(hit.source, hit.id) for hit in hits])
    return [hit for hit in hits if (hit.source, hit.id) in ok]


def _details(actor: Any, hits: list[Hit]) -> dict[tuple[str, int], dict[str, Any]]:
    """What the hits' sources say of them now, for those that say more than the index keeps."""
    sources = indexing.sources()
    by_source: dict[str, list[int]] = defaultdict(list)
    for hit in hits:
        if getattr(sources.get(hit.source), "details", None) is not None:
            by_source[hit.source].append(hit.id)
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for name, ids in by_source.items():
        details = sources[name].details
        assert details is not None
        found.update(((name, item_id), data) for item_id, data in details(actor, ids).items())
    return found


def _hydrate(actor: Any, hits: list[Hit], terms) -> list[Result]:
    community_ids = {h.community_id for h in hits if h.community_id}
    author_ids = {h.author_id for h in hits if h.author_id}
    # Keyed by optional ids: a hit without a community or an author finds None.
    communities: dict[int | None, Community] = {
        c.id: c for c in db.session.scalars(select(Community).where(Community.id.in_(community_ids)))}
    authors: dict[int | None, User] = {
        u.id: u for u in db.session.scalars(select(User).where(User.id.in_(author_ids)))}
    details = _details(actor, hits)
    return [
        Result(hit=h, title=highlight(h.title, terms, width=400), community=communities.get(h.community_id),
               author=authors.get(h.author_id), details=details.get((h.source, h.id), {}))
        for h in hits
    ]


def autocomplete(actor: Any, prefix: Any) -> Completions:
    """Up to 5 tags, communities and people whose words start with the prefix, that the actor may see."""
    if not isinstance(prefix, str):
        raise ValidationError(fields={"q": _("Texte attendu.")})
    prefix = " ".join(prefix.split())[:MAX_QUERY_LENGTH]
    reader = audience(actor)
    if len(fold(prefix)) < MIN_PREFIX or not reader:
        return Completions()
    try:
        found = engine().complete(prefix, reader, limit=5)
    except SearchUnavailable as exc:
        raise ServiceUnavailable(_("La recherche est momentanément indisponible."), code="search_unavailable") from exc
    named = [*found.communities, *found.people]
    ok = allowed(actor, [indexing.split_key(s.key) for s in named])
    found.communities = [s for s in found.communities if indexing.split_key(s.key) in ok]
    found.people = [s for s in found.people if indexing.split_key(s.key) in ok]
    return found


def suggested_items(actor: Any, prefix: Any) -> list[Result]:
    """The best few contents (publications, wiki pages, documents) for what is being typed, as the
    search page would rank them for the actor, and only those they may read."""
    if not isinstance(prefix, str):
        raise ValidationError(fields={"q": _("Texte attendu.")})
    terms = parse_query(" ".join(prefix.split())[:MAX_QUERY_LENGTH])
    reader = audience(actor)
    if len(fold(prefix.strip())) < MIN_PREFIX or not terms or not reader:
        return []
    # A few more than shown: the permission layer may still refuse one the index let through.
    found = _run(Query(terms=terms, audience=reader, kinds=SUGGESTED_KINDS, limit=SUGGESTED_ITEMS * 2))
    return _hydrate(actor, confirm(actor, found.hits)[:SUGGESTED_ITEMS], terms)
