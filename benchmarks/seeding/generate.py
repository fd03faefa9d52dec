"""`flask rse seed`: a large, realistic French dataset written in bulk, for the stream benchmarks.

Rows are built in Python and written by batches in foreign-key order (COPY on PostgreSQL,
executemany INSERTs elsewhere), all in the caller's transaction. Ids are given here, from
each table's current maximum, so rows point at each other without reading anything back.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from itertools import accumulate
from operator import itemgetter

from sqlalchemy import JSON, Table, bindparam, func, select, text, update

from rse.accounts.models import Role, User
from rse.communities.models import Community, MemberRole, Membership, Visibility
from rse.database import db
from rse.dbtypes import utcnow
from rse.feeds import markdown
from rse.feeds.models import (
    Activity,
    Comment,
    Delivery,
    Kind,
    Like,
    Notification,
    NotificationKind,
    Pin,
    Publication,
    SameQuestion,
    Suggestion,
    Tagging,
    Verb,
    WikiVersion,
)
from rse.tags import fold

from . import data

BATCH = 10_000
SPAN = timedelta(days=3 * 365)  # the activities spread over the last three years
HEAVY_MEMBERSHIPS = 40          # some people are in this many communities (the benchmark's reader)
HEAVY_EVERY = 500               # one staff member in HEAVY_EVERY
PARTNER_EVERY = 10
KIND_WEIGHTS = {Kind.POST: 45, Kind.QUESTION: 15, Kind.LINK: 14, Kind.ANNOUNCEMENT: 12, Kind.WIKI: 14}
SUGGESTION_SHARE = 0.01         # of the activities: a suggestion of a recent publication to people
EVERYONE_SHARE = 0.005          # of the suggestions: an administrator's suggestion to everyone
WIKI_EDIT_SHARE = 0.04          # of the activities: a new version of an existing wiki page
DELETED_SHARE = 0.003           # of the publications: deleted (their activity hidden)
UNREAD_AGE = timedelta(days=30)  # notifications younger than this are left unread


@dataclass
class Template:
    title: str
    body: str
    body_html: str
    tags: tuple[str, ...]
    url: str | None = None


@dataclass
class WikiState:
    number: int
    template: Template
    updated_at: datetime


@dataclass
class SeedReport:
    counts: Counter
    admin_email: str
    heavy_emails: list[str] = field(default_factory=list)
    wiki_pages_updated: int = 0

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


class BulkWriter:
    """Rows buffered per table, written in foreign-key order once a batch is waiting."""

    def __init__(self, connection):
        self.connection = connection
        self.postgresql = connection.dialect.name == "postgresql"
        self.order = {table: position for position, table in enumerate(db.metadata.sorted_tables)}
        self.buffers: dict[Table, list[dict]] = {}
        self.counts: Counter = Counter()
        self.pending = 0

    def add(self, model, row: dict) -> None:
        self.buffers.setdefault(model.__table__, []).append(row)
        self.pending += 1

    def maybe_flush(self) -> None:
        """Called between two complete units (a publication and what hangs on it), never inside one."""
        if self.pending >= BATCH:
            self.flush()

    def flush(self) -> None:
        for table in sorted(self.buffers, key=self.order.__getitem__):
            rows = self.buffers[table]
            if rows:
                self._write(table, rows)
                self.counts[table.name] += len(rows)
        self.buffers.clear()
        self.pending = 0

    def _write(self, table: Table, rows: list[dict]) -> None:
        columns = list(rows[0])
        if self.postgresql:
            as_json = [isinstance(table.c[name].type, JSON) for name in columns]
            names = ", ".join(f'"{name}"' for name in columns)
            cursor = self.connection.connection.dbapi_connection.cursor()
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([json.dumps(row[name]) if encode else row[name]
                                    for name, encode in zip(columns, as_json, strict=True)])
            cursor.close()
            return
        # The statement SQLAlchemy compiles and the columns' own bind processors (how a date or a
        # JSON value is stored), applied here without the per-row bookkeeping of an ORM-level insert.
        dialect = self.connection.dialect
        compiled = table.insert().compile(dialect=dialect, column_keys=columns)
        order = compiled.positiontup
        processors = [(position, process) for position, name in enumerate(order)
                      if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))]
        values = itemgetter(*order)
        params = []
        for row in rows:
            line = list(values(row))
            for position, process in processors:
                line[position] = process(line[position])
            params.append(tuple(line))
        self.connection.exec_driver_sql(compiled.string, params)


def _templates() -> dict[str, list[Template]]:
    """Every body rendered once (streams show `body_html`, never render)."""
    def make(title, body, tags, url=None):
        return Template(title, body, markdown.render(body), tuple(tags), url)

    return {
        Kind.POST: [make(t, b, tags) for t, b, tags in data.POSTS],
        Kind.ANNOUNCEMENT: [make(t, b, tags) for t, b, tags in data.ANNOUNCEMENTS],
        Kind.QUESTION: [make(t, b, tags) for t, b, tags in data.QUESTIONS],
        Kind.LINK: [make(t, b, tags, url) for t, url, b, tags in data.LINKS],
        Kind.WIKI: [make(t, b, tags) for t, b, tags in data.WIKIS],
    }


@cache
def _folded(label: str) -> str:
    return fold(label)[:50]


class Seeder:
    def __init__(self, writer: BulkWriter, rng: random.Random, password_hash: str):
        self.writer, self.rng, self.password_hash = writer, rng, password_hash
        self.now = utcnow().replace(microsecond=0)
        self.start = self.now - SPAN
        self.next_ids = {model: (db.session.scalar(select(func.max(model.id))) or 0) + 1 for model in (
            User, Community, Membership, Publication, WikiVersion, Tagging, Comment, Suggestion, Activity, Pin,
            Notification)}
        self.templates = _templates()
        self.comments = [(body, markdown.render(body)) for body in data.COMMENTS]
        self.answers = {title: (body, markdown.render(body))
                        for (title, _body, _tags), body in zip(data.QUESTIONS, data.ANSWERS, strict=True)}
        self.wiki_revisions = {
            (template.title, number): markdown.render(template.body + data.WIKI_REVISIONS[number])
            for template in self.templates[Kind.WIKI] for number in range(len(data.WIKI_REVISIONS))}
        self.kinds = list(KIND_WEIGHTS)
        self.kind_weights = list(accumulate(KIND_WEIGHTS.values()))
        self.staff: list[int] = []
        self.partners: list[int] = []
        self.emails: dict[int, str] = {}
        self.heavy: list[int] = []
        self.admin_id = 0
        self.members: list[list[int]] = []        # per community (by position): every member
        self.contributors: list[list[int]] = []   # animators and members, who may publish
        self.community_ids: list[int] = []
        self.public: list[bool] = []
        self.wikis: list[list[int]] = []
        self.wiki_state: dict[int, WikiState] = {}
        self.last_announcement: dict[int, int] = {}
        self.accepted: dict[int, int] = {}  # question → its good answer, set once the comments are written
        self.recent: deque = deque(maxlen=500)
        self.wiki_pages_updated = 0

    def take_id(self, model) -> int:
        value = self.next_ids[model]
        self.next_ids[model] = value + 1
        return value

    def days_before_start(self, most: int) -> datetime:
        return self.start - timedelta(days=self.rng.uniform(1, most))

    # --- People ---------------------------------------------------------------------------------

    def people(self, count: int) -> None:
        rng = self.rng
        taken = set(db.session.scalars(select(User.email)))
        used: Counter = Counter()

        def email(local: str, domain: str) -> str:
            local = re.sub(r"[^a-z0-9.-]+", "", fold(local).replace(" ", "-"))
            while True:
                used[local, domain] += 1
                n = used[local, domain]
                address = f"{local}{n if n > 1 else ''}@{domain}"
                if address not in taken:
                    taken.add(address)
                    return address

        for position in range(count):
            first, last = rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES)
            user_id = self.take_id(User)
            row = {"id": user_id, "name": f"{first} {last}", "role": Role.STAFF.value,
                   "password_hash": self.password_hash,
                   "phone": f"04 77 {rng.randrange(10, 100)} {rng.randrange(10, 100)} {rng.randrange(10, 100)}",
                   "phone_visible": position % 10 != 9,  # one person in ten hides their phone
                   "bio": "", "theme": "ocean", "background": "uni", "locale": None,
                   "has_photo": False, "expires_at": None,
                   "deactivated_at": None, "created_at": self.days_before_start(900), "last_login_at": None}
            if position == 0:
                row.update(name="Administrateur Maillage", role=Role.ADMIN.value, job_title="Administrateur du réseau",
                           organisation="GHT", site="Direction des systèmes d'information",
                           email=email("administrateur", data.INTERNAL_DOMAIN))
                self.admin_id = user_id
            elif position % PARTNER_EVERY == PARTNER_EVERY - 1:
                organisation, domain, jobs = rng.choice(data.PARTNERS)
                row.update(role=Role.PARTNER.value, job_title=rng.choice(jobs), organisation=organisation, site="",
                           email=email(f"{first}.{last}", domain))
                self.partners.append(user_id)
            else:
                establishment, sites = rng.choice(data.ESTABLISHMENTS)
                row.update(job_title=rng.choice(data.STAFF_JOBS), organisation=establishment,
                           site=f"{rng.choice(sites)} – {rng.choice(data.DEPARTMENTS)}",
                           email=email(f"{first}.{last}", data.INTERNAL_DOMAIN))
                if len(self.staff) % HEAVY_EVERY == 0:
                    self.heavy.append(user_id)
                self.staff.append(user_id)
            self.emails[user_id] = row["email"]
            self.writer.add(User, row)
        self.writer.flush()

    # --- Communities and memberships ------------------------------------------------------------

    def communities(self, count: int) -> None:
        rng = self.rng
        taken = set(db.session.scalars(select(Community.name)))
        places = ["GHT", *(name for name, _sites in data.ESTABLISHMENTS)]
        names = [f"{kind} {theme} – {place}" for kind in data.COMMUNITY_KINDS for theme in data.COMMUNITY_THEMES
                 for place in places]
        rng.shuffle(names)
        fresh = (name for name in names if name not in taken)
        visibilities = [rng.choices((Visibility.PUBLIC, Visibility.PRIVATE, Visibility.SECRET), (55, 35, 10))[0].value
                        for _ in range(count)]
        # Popularity is skewed (a few communities of thousands, most of a few dozen); ids are shuffled.
        popularity = list(accumulate(1 / (rank + 8) ** 1.05 for rank in rng.sample(range(count), count)))
        closed = [i for i, v in enumerate(visibilities) if v != Visibility.PUBLIC] or list(range(count))
        closed_popularity = list(accumulate(popularity[i] - (popularity[i - 1] if i else 0) for i in closed))
        roles: list[dict[int, str]] = [{} for _ in range(count)]

        def join(user_id: int, how_many: int, pool: list[int] | None, weights: list[float]) -> None:
            chosen: set[int] = set()
            how_many = min(how_many, len(pool) if pool else count)
            while len(chosen) < how_many:
                picks = rng.choices(pool or range(count), cum_weights=weights, k=how_many - len(chosen))
                chosen.update(picks)
            for position in chosen:
                roles[position][user_id] = MemberRole.READER.value if rng.random() < 0.1 else MemberRole.MEMBER.value

        heavy, partners = set(self.heavy), set(self.partners)
        for user_id in self.staff:
            wanted = HEAVY_MEMBERSHIPS if user_id in heavy else round(rng.lognormvariate(1.4, 0.6))
            join(user_id, max(1, wanted), None, popularity)
        for user_id in self.partners:
            join(user_id, rng.randint(1, 3), closed, closed_popularity)
        join(self.admin_id, 5, None, popularity)

        for position in range(count):
            members = roles[position]
            staff = [uid for uid in members if uid not in partners]
            animator = staff[0] if staff else rng.choice(self.staff or [self.admin_id])
            members[animator] = MemberRole.ANIMATOR.value
            community_id = self.take_id(Community)
            created = self.days_before_start(1000)
            visibility = visibilities[position]
            self.writer.add(Community, {
                "id": community_id, "name": next(fresh, None) or f"Espace {community_id}",
                "description": rng.choice(data.COMMUNITY_DESCRIPTIONS), "visibility": visibility,
                "sensitive": visibility != Visibility.PUBLIC and rng.random() < 0.1, "created_at": created,
                "created_by_id": animator})
            for user_id, role in members.items():
                self.writer.add(Membership, {"id": self.take_id(Membership), "community_id": community_id,
                                             "user_id": user_id, "role": role, "created_at": created})
            self.community_ids.append(community_id)
            self.public.append(visibility == Visibility.PUBLIC)
            self.members.append(list(members))
            self.contributors.append([uid for uid, role in members.items() if role != MemberRole.READER])
            self.wikis.append([])
        self.writer.flush()

    # --- Activities -----------------------------------------------------------------------------

    def activities(self, count: int) -> None:
        rng = self.rng
        # Big communities are busier, not proportionally so.
        weights = list(accumulate(len(members) ** 0.9 * rng.uniform(0.5, 1.5) for members in self.members))
        seconds = SPAN.total_seconds()
        block: list[int] = []
        for i in range(count):
            if not block:
                block = rng.choices(range(len(self.members)), cum_weights=weights, k=min(BATCH, count - i))
            position = block.pop()
            # Strictly increasing with the id: each activity takes a random moment of its own slot.
            at = self.start + timedelta(seconds=seconds * (i + 0.9 * rng.random()) / count)
            self.one_activity(position, at)
            self.writer.maybe_flush()
        self.writer.flush()

    def one_activity(self, position: int, at: datetime) -> None:
        draw = self.rng.random()
        if draw < SUGGESTION_SHARE and self.recent and self.suggestion(at):
            return
        if draw < SUGGESTION_SHARE + WIKI_EDIT_SHARE and self.wikis[position]:
            self.wiki_edit(position, at)
        else:
            self.publication(position, at)

    def activity(self, at: datetime, verb: str, kind: str, publication_id: int, **fields) -> int:
        activity_id = self.take_id(Activity)
        row = {"id": activity_id, "community_id": None, "actor_id": None, "verb": verb, "kind": kind,
               "publication_id": publication_id, "document_id": None, "action_id": None, "version_number": None,
               "suggestion_id": None, "everyone": False, "hidden": False, "run_size": None, "folded": False,
               "created_at": at}
        row.update(fields)
        self.writer.add(Activity, row)
        return activity_id

    def someone_else(self, members: list[int], user_id: int) -> int:
        for _try in range(5):
            other = self.rng.choice(members)
            if other != user_id:
                return other
        return other

    def later(self, at: datetime, most_minutes: float) -> datetime:
        return min(at + timedelta(minutes=self.rng.uniform(1, most_minutes)), self.now)

    def publication(self, position: int, at: datetime) -> None:
        rng = self.rng
        community_id, members = self.community_ids[position], self.members[position]
        kind = rng.choices(self.kinds, cum_weights=self.kind_weights)[0]
        template = rng.choice(self.templates[kind])
        author = rng.choice(self.contributors[position])
        publication_id = self.take_id(Publication)
        tags = list(template.tags)
        if rng.random() < 0.3:
            extra = rng.choice(data.TAGS)
            if _folded(extra) not in {_folded(t) for t in tags}:
                tags.append(extra)
        for label in tags:
            self.writer.add(Tagging, {"id": self.take_id(Tagging), "tag": _folded(label), "label": label,
                                      "publication_id": publication_id, "document_id": None})

        answered = kind == Kind.QUESTION and rng.random() < 0.45
        comment_count = 0 if rng.random() < 0.7 and not answered else 1 + min(int(rng.expovariate(0.7)), 11)
        accepted = None
        for n in range(comment_count):
            comment_id = self.take_id(Comment)
            if n == 0 and answered:
                accepted = comment_id
                body, html = self.answers[template.title]
                commenter = self.someone_else(members, author)
            else:
                body, html = rng.choice(self.comments)
                commenter = rng.choice(members)
            self.writer.add(Comment, {
                "id": comment_id, "publication_id": publication_id, "document_id": None, "author_id": commenter,
                "body": body, "body_html": html, "mentions": {}, "created_at": self.later(at, 600 * (n + 1)),
                "updated_at": None, "deleted_at": None, "deleted_by_id": None})

        like_count = 0 if rng.random() < 0.5 else min(int(rng.paretovariate(1.6)), 40, len(members))
        for liker in rng.sample(members, like_count):
            self.writer.add(Like, {"publication_id": publication_id, "user_id": liker,
                                   "created_at": self.later(at, 2000)})
        same_count = 0
        if kind == Kind.QUESTION and rng.random() < 0.4:
            sharing = [m for m in rng.sample(members, min(len(members), 1 + int(rng.expovariate(0.4)), 20))
                       if m != author]
            same_count = len(sharing)
            for user_id in sharing:
                self.writer.add(SameQuestion, {"publication_id": publication_id, "user_id": user_id,
                                               "created_at": self.later(at, 3000)})

        if accepted is not None:
            self.accepted[publication_id] = accepted
        deleted = rng.random() < DELETED_SHARE
        self.writer.add(Publication, {
            "id": publication_id, "community_id": community_id, "author_id": author, "kind": kind.value,
            "title": template.title, "body": template.body, "body_html": template.body_html, "url": template.url,
            "place": rng.choice(data.SITES) if rng.random() < 0.25 else "", "tags": tags, "mentions": {},
            "created_at": at, "updated_at": at, "deleted_at": self.later(at, 60) if deleted else None,
            "deleted_by_id": author if deleted else None, "like_count": like_count, "comment_count": comment_count,
            "same_question_count": same_count, "accepted_comment_id": None,
            "wiki_number": 1 if kind == Kind.WIKI else 0})
        if kind == Kind.WIKI:
            self.writer.add(WikiVersion, {
                "id": self.take_id(WikiVersion), "publication_id": publication_id, "number": 1,
                "title": template.title, "body": template.body, "note": "", "author_id": author, "created_at": at,
                "restored_from": None})
        self.activity(at, Verb.PUBLISHED.value, kind.value, publication_id, community_id=community_id,
                      actor_id=author, hidden=deleted)
        if deleted:
            return
        if kind == Kind.WIKI:
            self.wikis[position] = [*self.wikis[position][-19:], publication_id]
            self.wiki_state[publication_id] = WikiState(1, template, at)
        if kind == Kind.ANNOUNCEMENT:
            self.last_announcement[position] = publication_id
        self.recent.append((publication_id, position, kind.value))

    def wiki_edit(self, position: int, at: datetime) -> None:
        publication_id = self.rng.choice(self.wikis[position])
        state = self.wiki_state[publication_id]
        state.number += 1
        state.updated_at = at
        revision = min(state.number - 2, len(data.WIKI_REVISIONS) - 1)
        author = self.rng.choice(self.contributors[position])
        self.writer.add(WikiVersion, {
            "id": self.take_id(WikiVersion), "publication_id": publication_id, "number": state.number,
            "title": state.template.title, "body": state.template.body + data.WIKI_REVISIONS[revision],
            "note": "Mise à jour", "author_id": author, "created_at": at, "restored_from": None})
        self.activity(at, Verb.EDITED.value, Kind.WIKI.value, publication_id, community_id=self.community_ids[position],
                      actor_id=author, version_number=state.number)

    def suggestion(self, at: datetime) -> bool:
        """A recent publication suggested to a few of its readers (or, rarely, to everyone)."""
        rng = self.rng
        publication_id, position, kind = rng.choice(self.recent)
        members = self.members[position]
        everyone = self.public[position] and rng.random() < EVERYONE_SHARE
        sender = self.admin_id if everyone else rng.choice(members)
        recipients = [] if everyone else [m for m in rng.sample(members, min(len(members), rng.randint(1, 3)))
                                          if m != sender]
        if not everyone and not recipients:
            return False
        suggestion_id = self.take_id(Suggestion)
        self.writer.add(Suggestion, {
            "id": suggestion_id, "sender_id": sender, "publication_id": publication_id, "document_id": None,
            "message": rng.choice(data.SUGGESTION_MESSAGES), "everyone": everyone,
            "recipients": {"users": recipients, "communities": []}, "created_at": at})
        activity_id = self.activity(at, Verb.SUGGESTED.value, kind, publication_id, actor_id=sender,
                                    suggestion_id=suggestion_id, everyone=everyone)
        community_id = self.community_ids[position]
        # The recent ones are still unread; a suggestion to everyone notifies no one here
        # (30,000 rows each: the bell reads one person's rows only).
        unread = at > self.now - UNREAD_AGE
        for user_id in recipients:
            self.writer.add(Delivery, {"user_id": user_id, "activity_id": activity_id})
            self.writer.add(Notification, {
                "id": self.take_id(Notification), "user_id": user_id, "kind": NotificationKind.SUGGESTION.value,
                "actor_id": sender, "community_id": community_id, "publication_id": publication_id,
                "document_id": None, "action_id": None, "comment_id": None, "suggestion_id": suggestion_id,
                "event": "", "version_number": None, "run_size": None, "created_at": at,
                "read_at": None if unread else self.later(at, 3000), "email_id": None})
        return True

    # --- Finishing ------------------------------------------------------------------------------

    def finish(self) -> None:
        """Wiki pages take their last version; a few pins; PostgreSQL sequences follow the given ids."""
        edited = [(pid, state) for pid, state in self.wiki_state.items() if state.number > 1]
        statement = update(Publication.__table__).where(Publication.__table__.c.id == bindparam("pid")).values(
            wiki_number=bindparam("number"), body=bindparam("new_body"), body_html=bindparam("new_html"),
            updated_at=bindparam("at"))
        for start in range(0, len(edited), BATCH):
            rows = []
            for pid, state in edited[start:start + BATCH]:
                revision = min(state.number - 2, len(data.WIKI_REVISIONS) - 1)
                rows.append({"pid": pid, "number": state.number, "at": state.updated_at,
                             "new_body": state.template.body + data.WIKI_REVISIONS[revision],
                             "new_html": self.wiki_revisions[state.template.title, revision]})
            self.writer.connection.execute(statement, rows)
        self.wiki_pages_updated = len(edited)

        # Good answers point at comments, written after their question (the key goes both ways).
        answers = [{"pid": pid, "cid": cid} for pid, cid in self.accepted.items()]
        statement = update(Publication.__table__).where(Publication.__table__.c.id == bindparam("pid")).values(
            accepted_comment_id=bindparam("cid"))
        for start in range(0, len(answers), BATCH):
            self.writer.connection.execute(statement, answers[start:start + BATCH])

        for position, publication_id in self.last_announcement.items():
            if self.rng.random() < 0.1:
                self.writer.add(Pin, {
                    "id": self.take_id(Pin), "publication_id": publication_id, "scope": "community",
                    "community_id": self.community_ids[position], "position": 0, "until": None,
                    "pinned_by_id": self.contributors[position][0], "created_at": self.now})
        public = [(pid, position) for position, pid in self.last_announcement.items() if self.public[position]]
        for rank, (publication_id, position) in enumerate(sorted(public, reverse=True)[:2]):
            self.writer.add(Pin, {
                "id": self.take_id(Pin), "publication_id": publication_id, "scope": "home",
                "community_id": self.community_ids[position], "position": rank, "until": None,
                "pinned_by_id": self.admin_id, "created_at": self.now})
        self.writer.flush()
        if self.writer.postgresql:
            for model in self.next_ids:
                table = model.__tablename__
                self.writer.connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM \"{table}\"))"))


def seed(*, users: int, communities: int, activities: int, password_hash: str, seed: int = 42) -> SeedReport:
    """Write the dataset in the session's transaction (the caller commits)."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        # Losing the load to a power cut costs a re-run; the settings go back at commit (see the command).
        connection.exec_driver_sql("PRAGMA synchronous=OFF")
        connection.exec_driver_sql("PRAGMA cache_size=-262144")
    writer = BulkWriter(connection)
    seeder = Seeder(writer, random.Random(seed), password_hash)
    seeder.people(users)
    seeder.communities(communities)
    seeder.activities(activities)
    seeder.finish()
    return SeedReport(writer.counts, seeder.emails[seeder.admin_id],
                      [seeder.emails[uid] for uid in seeder.heavy[:3]], seeder.wiki_pages_updated)


def restore_settings() -> None:
    """After the commit: SQLite's usual durability, and fresh statistics for the query planner."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
        connection.exec_driver_sql("PRAGMA cache_size=-2000")
    connection.exec_driver_sql("ANALYZE")
    db.session.commit()


def pick_heavy_reader(memberships: int = HEAVY_MEMBERSHIPS) -> User | None:
    """An active staff member in exactly `memberships` communities (the benchmark's reader)."""
    counted = (select(Membership.user_id).group_by(Membership.user_id)
               .having(func.count() == memberships).subquery())
    return db.session.scalar(select(User).join(counted, counted.c.user_id == User.id).where(
        User.role == Role.STAFF, User.deactivated_at.is_(None)).order_by(User.id).limit(1))

