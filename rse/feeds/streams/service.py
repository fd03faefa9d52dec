"""Streams: home, community, person and tag, newest first, by keyset (cursor) pagination.

Every stream is a merge of index range scans on `activities`: one per community of the
home (`community_id, id`), one over the person's deliveries and one over what was
suggested to everyone. Each scan reads at most a page of rows below the cursor, so the
cost of a page grows with the logarithm of the table, not with its size or the page's
depth. Who may read what comes from the permission layer's filters: the scans walk only
communities the reader may read (items never move between communities, and a deleted or
trashed item's activities are hidden), and a suggestion, whose item may live in another
community, shows only once the item filters confirm it in SQL (one query for a page that holds
suggestions: they are about 1 % of the activity).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Integer, bindparam, false, func, or_, select, true, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm.util import identity_key

from rse import items as item_kinds
from rse import permissions
from rse.accounts.models import User
from rse.communities.access import member_community_ids
from rse.communities.models import Community
from rse.database import db
from rse.dbtypes import is_id, utcnow
from rse.documents.models import Document
from rse.errors import BadRequest, Unauthorized, ValidationError
from rse.feeds.activity import Run, change_runs
from rse.feeds.models import STREAM_KINDS, Activity, Delivery, Pin, Publication, Suggestion, Tagging, Verb
from rse.feeds.publications.pins import pins_of
from rse.feeds.social import reactions
from rse.tags import clean_tags, fold

PAGE_SIZE = 20
MAX_PAGE_SIZE = 50
# SQLite caps a compound SELECT at 500 terms: the scans of a large home go by chunks.
_CHUNK = 100
_MAX_ROUNDS = 5


@dataclass
class StreamItem:
    activity: Activity
    actor: User | None
    community: Community | None
    publication: Publication | None = None
    document: Document | None = None
    suggestion: Suggestion | None = None
    liked: bool = False
    same_question: bool = False
    pinned: bool = False
    run: Run | None = None   # the author's successive changes this card stands for (rse.feeds.activity)
    # An item of another kind registered with rse.items (an action of a plan), when the activity is about one.
    subject: Any = None

    @property
    def item(self):
        if self.publication is not None:
            return self.publication
        return self.document if self.document is not None else self.subject

    @property
    def subject_title(self) -> str:
        return item_kinds.title(self.subject) if self.subject is not None else ""

    @property
    def subject_url(self) -> str:
        return item_kinds.url(self.subject) if self.subject is not None else ""

    @property
    def subject_group(self) -> item_kinds.Group | None:
        """The group of the subject (an action's plan), when the card stands for a run of them."""
        return item_kinds.group(self.subject) if self.subject is not None and self.activity.run_size else None


@dataclass
class Page:
    items: list[StreamItem]
    next_cursor: str | None
    pins: list[StreamItem] = field(default_factory=list)


# --- Cursors ------------------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="feeds.cursor")


def encode_cursor(activity_id: int) -> str:
    return _serializer().dumps({"b": activity_id})


def decode_cursor(value: str | None) -> int | None:
    """The activity id a cursor points below; a forged or damaged cursor is a 400."""
    if not value:
        return None
    try:
        data = _serializer().loads(value)
        before = data["b"]
    except (BadSignature, KeyError, TypeError, ValueError):
        raise BadRequest(_("Curseur de pagination invalide : repartez de la première page."),
                         code="invalid_cursor") from None
    if not is_id(before):
        raise BadRequest(_("Curseur de pagination invalide : repartez de la première page."), code="invalid_cursor")
    return before


def clean_kind(value: Any) -> str | None:
    if value is None:  # an empty kind is no kind at all: refused below, as any unknown one
        return None
    if value not in STREAM_KINDS:
        raise ValidationError(fields={"kind": _("Type inconnu : %(kinds)s.", kinds=", ".join(STREAM_KINDS))},
                              code="unknown_kind")
    return value


def clean_limit(value: Any) -> int:
    if value in (None, ""):
        return PAGE_SIZE
    try:
        limit = int(value)
    except (TypeError, ValueError):
        limit = 0
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise BadRequest(_("limit entre 1 et %(max)d.", max=MAX_PAGE_SIZE), code="bad_pagination")
    return limit


# --- Scans --------------------------------------------------------------------------------------

def _shown():
    """SQL on Activity: it has a card of its own (its item is not in the trash, it is not folded into
    a later one of its run)."""
    return (Activity.hidden == false()) & (Activity.folded == false())


def _scan(condition, cursor: bool, kind: bool):
    """The ids of the shown activities meeting `condition`, newest first, below a cursor and of a
    kind when told so. The cursor, the kind and the number of rows are bound at execution
    (`_values`): a statement built once serves every call of its shape."""
    query = select(Activity.id).where(condition, _shown())
    if cursor:
        query = query.where(Activity.id < bindparam("before"))
    if kind:
        query = query.where(Activity.kind == bindparam("kind"))
    return query.order_by(Activity.id.desc()).limit(bindparam("n", type_=Integer))


def _values(before: int | None, kind: str | None, n: int) -> dict[str, Any]:
    return {"before": before, "kind": kind, "n": n}


def _union(scans: list):
    """One statement of the n highest ids over these scans (each already newest first and limited)."""
    if len(scans) == 1:
        return scans[0]
    merged = union_all(*(select(sub.c.id) for sub in (scan.subquery() for scan in scans))).subquery()
    return select(merged.c.id).order_by(merged.c.id.desc()).limit(bindparam("n", type_=Integer))


def _top(statement, values: dict[str, Any], n: int) -> list[int]:
    """The n highest ids among the statement's rows."""
    return heapq.nlargest(n, set(db.session.scalars(statement, values)))


def _ids(conditions: list, before: int | None, kind: str | None, n: int) -> list[int]:
    """The n highest ids of the shown activities below `before` (of that kind) meeting any of the conditions."""
    scans = [_scan(condition, before is not None, kind is not None) for condition in conditions]
    return _top(_union(scans), _values(before, kind, n), n)


@lru_cache(maxsize=512)
def _communities_statement(size: int, cursor: bool, kind: bool, postgresql: bool):
    """The scans of `size` communities (ids bound as c0, c1…; PostgreSQL: an array, home_ids), as one
    statement, built once per shape: building and keying forty scans cost more than running them."""
    if postgresql:
        array = bindparam("home_ids", type_=ARRAY(Integer))
        ids = func.unnest(array).table_valued("cid").render_derived(name="home")
        per_community = _scan(Activity.community_id == ids.c.cid, cursor, kind).lateral()
        return select(per_community.c.id).select_from(ids).join(per_community, true())
    return _union([_scan(Activity.community_id == bindparam(f"c{i}"), cursor, kind) for i in range(size)])


def _community_scans(community_ids: list[int], before, kind) -> list[tuple[Any, dict[str, Any]]]:
    """One scan per community. PostgreSQL runs them as one LATERAL join over the array of ids;
    elsewhere they are a UNION of range scans (SQLite caps a compound SELECT at 500 terms: by chunks)."""
    if not community_ids:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        return [(_communities_statement(0, before is not None, kind is not None, True), {"home_ids": community_ids})]
    chunks = [community_ids[start:start + _CHUNK] for start in range(0, len(community_ids), _CHUNK)]
    return [(_communities_statement(len(chunk), before is not None, kind is not None, False),
             {f"c{i}": cid for i, cid in enumerate(chunk)}) for chunk in chunks]


def _home_ids(actor: User, before, kind, n) -> list[int]:
    """The n highest ids of the home: its communities, the person's deliveries, what was suggested to everyone."""
    values = _values(before, kind, n)
    found = []
    for statement, ids in _community_scans(list(db.session.scalars(member_community_ids(actor.id))), before, kind):
        found.extend(_top(statement, {**values, **ids}, n))
    # Walked down the person's deliveries (their primary key), with the kind and hidden rows
    # filtered on the way: a limit on the deliveries alone would stop short of older matches.
    # What was suggested to the person or to everyone shows only while they may read the item.
    readable_item = shows_readable_item(actor)
    delivered = select(Activity.id).join(Delivery, Delivery.activity_id == Activity.id).where(
        Delivery.user_id == actor.id, _shown(), readable_item)
    if before is not None:
        delivered = delivered.where(Delivery.activity_id < bindparam("before"))
    if kind is not None:
        delivered = delivered.where(Activity.kind == bindparam("kind"))
    delivered = delivered.order_by(Delivery.activity_id.desc()).limit(bindparam("n", type_=Integer))
    everyone = _scan((Activity.everyone == true()) & readable_item, before is not None, kind is not None)
    found.extend(_top(_union([delivered, everyone]), values, n))
    return heapq.nlargest(n, set(found))


def shows_readable_item(actor):
    """SQL on Activity: its publication or document is live and the actor may read it.

    Correlated (EXISTS on the row's own item), so it costs a lookup per candidate row instead
    of listing every item of every readable community first.
    """
    publication = select(Publication.id).where(
        Publication.id == Activity.publication_id, permissions.readable(actor, Publication)).exists()
    document = select(Document.id).where(
        Document.id == Activity.document_id, Document.deleted_at.is_(None),
        permissions.readable(actor, Document)).exists()
    return or_(publication, document)


def _readable_communities(actor):
    """A SELECT of the ids of the communities whose content the actor may read (to narrow scans)."""
    return select(Community.id).where(permissions.readable(actor, Community))


def _page(actor: User, ids_for, before: int | None, kind: str | None, limit: int,
          *, exclude: frozenset[int] | set[int] = frozenset()) -> tuple[list[StreamItem], str | None]:
    """Items below `before`, newest first, as many as `limit`, and the next cursor. `ids_for(before,
    kind, n)` gives the n highest activity ids below `before` (of that kind) that the stream holds."""
    visible: list[StreamItem] = []
    exhausted = False
    for round_number in range(_MAX_ROUNDS):
        n = limit + 1 - len(visible)
        if round_number == 0:
            n += len(exclude)  # the pins, left out below, would otherwise cost a second round each time
        ids = ids_for(before, kind, n)
        items = hydrate(actor, ids)
        readable = _confirmed(actor, [i.activity.id for i in items if i.activity.verb == Verb.SUGGESTED])
        folded, runs = change_runs([i.activity for i in items])
        for item in items:
            if item.item is None or _gone(item):  # deleted since its activity was hidden, or never hidden
                continue
            if item.activity.id in folded:  # shown by the card of the author's next change
                continue
            item.run = runs.get(item.activity.id)
            if item.activity.verb == Verb.SUGGESTED and item.activity.id not in readable:
                continue
            if item.activity.verb == Verb.PUBLISHED and item.activity.publication_id in exclude:
                continue
            visible.append(item)
        if ids:
            before = ids[-1]
        if len(ids) < n:
            exhausted = True
            break
        if len(visible) > limit:
            break
    if len(visible) > limit:
        visible = visible[:limit]
        return visible, encode_cursor(visible[-1].activity.id)
    # Out of rounds on a long run of hidden rows: let the reader go on past them.
    return visible, None if exhausted or before is None else encode_cursor(before)


def _confirmed(actor, activity_ids: list[int]) -> set[int]:
    """Those of these activities whose item the actor may read now (by the item filters)."""
    if not activity_ids:
        return set()
    return set(db.session.scalars(select(Activity.id).where(
        Activity.id.in_(activity_ids), shows_readable_item(actor))))


def _gone(item: StreamItem) -> bool:
    if item.publication is not None:
        return item.publication.deleted_at is not None
    return item.document is not None and item.document.deleted_at is not None


# --- Hydration ----------------------------------------------------------------------------------

def hydrate(actor: User, activity_ids: list[int]) -> list[StreamItem]:
    """The stream items of these activities, in this order, loaded with a handful of queries."""
    if not activity_ids:
        return []
    activities = {a.id: a for a in db.session.scalars(select(Activity).where(Activity.id.in_(activity_ids)))}
    rows = [activities[i] for i in activity_ids if i in activities]

    def load(model, ids):
        """These rows by id; those already in the session (joined to a publication) are not read again."""
        found, missing = {}, set()
        for i in {i for i in ids if i is not None}:
            obj = db.session.identity_map.get(identity_key(model, i))
            if obj is None:
                missing.add(i)
            else:
                found[i] = obj
        if missing:
            found.update((obj.id, obj) for obj in db.session.scalars(select(model).where(model.id.in_(missing))))
        return found

    publications = load(Publication, (a.publication_id for a in rows))
    documents = load(Document, (a.document_id for a in rows))
    # The other kinds of item an activity may be about (an action of a plan), by their column.
    subjects = {kind.column: load(kind.model, (getattr(a, kind.column) for a in rows)) for kind in _other_kinds()}
    suggestions = load(Suggestion, (a.suggestion_id for a in rows))
    people = load(User, (a.actor_id for a in rows))
    communities = load(Community, [a.community_id for a in rows]
                       + [p.community_id for p in publications.values()]
                       + [d.community_id for d in documents.values()]
                       + [s.community_id for loaded in subjects.values() for s in loaded.values()])
    liked, same = reactions.user_state(actor, list(publications))
    pinned = pins_of(list(publications))
    items = []
    for activity in rows:
        publication = publications.get(activity.publication_id)
        document = documents.get(activity.document_id)
        subject = next((found for column, loaded in subjects.items()
                        if (found := loaded.get(getattr(activity, column))) is not None), None)
        target = publication or document or subject
        community_id = target.community_id if target is not None else activity.community_id
        items.append(StreamItem(
            activity=activity, actor=people.get(activity.actor_id) if activity.actor_id else None,
            community=communities.get(community_id) if community_id else None,
            publication=publication, document=document,
            suggestion=suggestions.get(activity.suggestion_id) if activity.suggestion_id else None,
            liked=activity.publication_id in liked, same_question=activity.publication_id in same,
            pinned=activity.publication_id is not None and bool(pinned.get(activity.publication_id)),
            subject=subject))
    return items


def _other_kinds() -> list[item_kinds.ItemKind]:
    """The kinds of item, other than publications and documents, an activity may be about."""
    return [kind for kind in item_kinds.kinds() if kind.name not in ("publication", "document")
            and hasattr(Activity, kind.column)]


def _active_pins(query) -> list[Pin]:
    active = query.where(or_(Pin.until.is_(None), Pin.until > utcnow())).order_by(Pin.position, Pin.id)
    return list(db.session.scalars(active))


def _pinned_items(actor: User, pins: list[Pin]) -> list[StreamItem]:
    if not pins:
        return []
    publications = {p.id: p for p in db.session.scalars(select(Publication).where(
        Publication.id.in_([pin.publication_id for pin in pins]), permissions.readable(actor, Publication)))}
    items = []
    liked, same = reactions.user_state(actor, list(publications))
    for pin in pins:
        publication = publications.get(pin.publication_id)
        if publication is None:
            continue
        activity = Activity(id=0, verb=Verb.PUBLISHED, kind=publication.kind, actor_id=publication.author_id,
                            community_id=publication.community_id, publication_id=publication.id,
                            created_at=publication.created_at)
        items.append(StreamItem(activity=activity, actor=publication.author, community=publication.community,
                                publication=publication, liked=publication.id in liked,
                                same_question=publication.id in same, pinned=True))
    return items


# --- The four streams ---------------------------------------------------------------------------

def home(actor: User, *, cursor: str | None = None, kind: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """My communities' activity, what was suggested to me or to everyone; administrator pins on top."""
    if permissions.effective_actor(actor) is None:
        raise Unauthorized()  # a deactivated or expired account keeps its memberships, not their content
    before, kind = decode_cursor(cursor), clean_kind(kind)
    # Pinned publications stand above the stream (unfiltered), so the stream leaves them out.
    pins = _active_pins(select(Pin).where(Pin.scope == "home")) if kind is None else []
    items, next_cursor = _page(actor, lambda b, k, n: _home_ids(actor, b, k, n), before, kind, limit,
                               exclude={pin.publication_id for pin in pins})
    return Page(items, next_cursor, _pinned_items(actor, pins) if before is None else [])


def community(actor: User, community: Community, *, cursor: str | None = None, kind: str | None = None,
              limit: int = PAGE_SIZE) -> Page:
    permissions.require(actor, "read", community)
    before, kind = decode_cursor(cursor), clean_kind(kind)
    pins = []
    if kind is None:
        pins = _active_pins(select(Pin).where(Pin.scope == "community", Pin.community_id == community.id))
    items, next_cursor = _page(
        actor, lambda b, k, n: _ids([Activity.community_id == community.id], b, k, n), before, kind, limit,
        exclude={pin.publication_id for pin in pins})
    return Page(items, next_cursor, _pinned_items(actor, pins) if before is None else [])


def person(actor: User, user: User, *, cursor: str | None = None, kind: str | None = None,
           limit: int = PAGE_SIZE) -> Page:
    """What `user` did where the actor may see it (their suggestions to others are not shown)."""
    permissions.require(actor, "read", user)
    before, kind = decode_cursor(cursor), clean_kind(kind)
    condition = (Activity.actor_id == user.id) & (Activity.verb != Verb.SUGGESTED) & (
        Activity.community_id.in_(_readable_communities(actor)))
    items, next_cursor = _page(actor, lambda b, k, n: _ids([condition], b, k, n), before, kind, limit)
    return Page(items, next_cursor)


def tag(actor: User, label: str, *, cursor: str | None = None, kind: str | None = None,
        limit: int = PAGE_SIZE) -> Page:
    """Publications and documents carrying this tag (case and accents folded) that the actor may read."""
    key = tag_key(label)
    before, kind = decode_cursor(cursor), clean_kind(kind)
    readable = _readable_communities(actor)
    tagged_publications = select(Tagging.publication_id).where(Tagging.tag == key, Tagging.publication_id.is_not(None))
    tagged_documents = select(Tagging.document_id).where(Tagging.tag == key, Tagging.document_id.is_not(None))
    base = (Activity.verb != Verb.SUGGESTED) & Activity.community_id.in_(readable)

    def ids(b, k, n):
        return _ids([base & Activity.publication_id.in_(tagged_publications),
                     base & Activity.document_id.in_(tagged_documents)], b, k, n)

    items, next_cursor = _page(actor, ids, before, kind, limit)
    return Page(items, next_cursor)


def tag_key(label: Any) -> str:
    """A tag's folded form (case, accents and spaces), as tag streams and follows match it. Checked
    as tags are when they are written (length, control and direction characters), or a 422: a
    label is never cut silently."""
    tags = clean_tags([label] if isinstance(label, str) else label, "tag")
    if len(tags) != 1:
        raise ValidationError(fields={"tag": _("Un mot-clé est attendu.")})
    return fold(tags[0])


def tag_label(actor: User, label: str) -> str:
    """The tag as first typed on an item the actor may read, else as the actor typed it: the
    spelling of a tag is part of the items that carry it."""
    key = tag_key(label)
    found = db.session.scalar(select(Tagging.label).where(
        Tagging.tag == key, permissions.readable(actor, Tagging)).order_by(Tagging.id).limit(1)) if key else None
    return found or label


def suggested_to(actor: User, page: Page) -> dict[int, Community]:
    """The communities this page's items were suggested to, those the actor may know exist."""
    ids = {item.activity.community_id for item in page.items
           if item.activity.verb == Verb.SUGGESTED and item.activity.community_id}
    if not ids:
        return {}
    return {c.id: c for c in db.session.scalars(select(Community).where(
        Community.id.in_(ids), permissions.visible(actor, Community)))}
