"""The embedded engine: SQLite FTS5 in a file of its own (RSE_SEARCH_URL=sqlite:///…).

Texts are folded and stemmed in Python (`text.analyze`) before FTS5 sees them, so its
`unicode61 remove_diacritics 2` tokenizer only splits words; relevance is FTS5's bm25
with the column weights of `FIELDS`. Beside the full-text table the file holds what a
query filters on (`items`, kept narrow: it is read for every match), what a hit shows
(`shown`), who may find each item (`scopes`), its tags, a small full-text table of names
for autocomplete with prefix indexes, per-scope tag counts for tag completion, and the last
version written for each key.

A full reindex builds a new *generation* of these tables in the same file and switches
to it in one transaction: readers see the old generation or the new one, never a mix.

An item's rowid follows its date (`_rowid`), so FTS5 walks its matches newest first. A search
ranks and counts the newest `RANKING_WINDOW` matches the reader may see: its cost stays bounded
for a word found in half the items (bm25 costs about a microsecond per match), and past the
window the counts are lower bounds (`Results.exact`), as a search engine's "10,000+" is.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from markupsafe import Markup

from rse.indexing import SearchItem
from rse.tags import fold

from .engine import (
    DATE,
    FIELDS,
    MAX_BODY_CHARS,
    Builder,
    Completions,
    Engine,
    Hit,
    Query,
    Results,
    SearchUnavailable,
    Suggestion,
)
from .text import Term, analyze, highlight, words

SNIPPET_SOURCE_CHARS = 20_000
RANKING_WINDOW = 4_000
NAME_WINDOW = 1_000
# rowid = the date in seconds times 16, plus the first free of those 16: date order, and rowids close
# enough for FTS5's doclists (which store the gap from one rowid to the next) to stay small.
_ROWIDS_PER_SECOND = 16
BUSY_TIMEOUT_MS = 5_000
_WEIGHTS = ", ".join(str(weight) for _, weight in FIELDS)
_COLUMNS = ", ".join(name for name, _ in FIELDS)


def _schema(g: int) -> list[str]:
    return [
        # What a query reads for every match, kept narrow (many rows to a page); `scope` is the
        # item's scope when it has only one (content, communities), else NULL: see `scopes`.
        f"""CREATE TABLE IF NOT EXISTS items_{g} (
            rowid INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, scope TEXT,
            community_id INTEGER, author_id INTEGER, date REAL NOT NULL)""",
        # What only the hits of a page show.
        f"""CREATE TABLE IF NOT EXISTS shown_{g} (
            rowid INTEGER PRIMARY KEY, source TEXT NOT NULL, ref_id INTEGER NOT NULL, subkind TEXT NOT NULL,
            title TEXT NOT NULL, url TEXT NOT NULL, excerpt TEXT NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS scopes_{g} (
            item INTEGER NOT NULL, scope TEXT NOT NULL, PRIMARY KEY (item, scope)) WITHOUT ROWID""",
        f"""CREATE TABLE IF NOT EXISTS tags_{g} (
            tag TEXT NOT NULL, item INTEGER NOT NULL, label TEXT NOT NULL, PRIMARY KEY (tag, item)) WITHOUT ROWID""",
        f"CREATE INDEX IF NOT EXISTS tags_{g}_item ON tags_{g} (item)",
        # Tag completion: for each scope, each tag and each word of it, how many items carry the tag.
        f"""CREATE TABLE IF NOT EXISTS tag_words_{g} (
            word TEXT NOT NULL, scope TEXT NOT NULL, tag TEXT NOT NULL, label TEXT NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (word, scope, tag)) WITHOUT ROWID""",
        f"""CREATE VIRTUAL TABLE IF NOT EXISTS fts_{g} USING fts5({_COLUMNS},
            tokenize = "unicode61 remove_diacritics 2", prefix = '2 3')""",
        f"""CREATE VIRTUAL TABLE IF NOT EXISTS names_{g} USING fts5(name,
            tokenize = "unicode61 remove_diacritics 2", prefix = '2 3 4')""",
        f"CREATE TABLE IF NOT EXISTS versions_{g} (key TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID",
    ]


_TABLES = ("items", "shown", "scopes", "tags", "tag_words", "fts", "names", "versions")


def _timestamp(value: datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _phrase(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def match_expression(terms: list[Term]) -> str:
    """Every term as its exact token; the last one (the word being typed) also as the start of a
    token, from two characters.

    The last term's exact form is asked for beside its prefix so that bm25 counts it twice:
    "protocole" then ranks an exact "protocole" above "protocolaire". Only the last term is a
    prefix, as in search-as-you-type engines: a prefix phrase merges the doclists of every token
    it begins, the dearest part of a query on common words.
    """
    clauses = []
    for position, term in enumerate(terms, start=1):
        phrase = _phrase(term.token)
        last = position == len(terms)
        clauses.append(f"({phrase} OR {phrase}*)" if last and len(term.token) > 1 else phrase)
    return " AND ".join(clauses)


def _audience_test(g: int, parameter: str) -> str:
    """Whether item `i` has a scope in the JSON list `parameter`.

    An item of one scope is checked on its own row; the others (people) through `scopes`, whose
    few rows of the item are sought first (`+s.scope`: without the `+`, SQLite probes the
    (item, scope) key once per audience token, for every matching item).
    """
    tokens = f"(SELECT value FROM json_each(:{parameter}))"
    return (f"(i.scope IN {tokens} OR (i.scope IS NULL AND EXISTS (SELECT 1 FROM scopes_{g} AS s "
            f"WHERE s.item = i.rowid AND +s.scope IN {tokens})))")


def _tag_words(tag: str) -> set[str]:
    key = fold(tag)
    return {key, *(fold(word) for word in words(tag))}


def _rowid(conn: sqlite3.Connection, g: int, item: SearchItem) -> int:
    """A free rowid that sorts the item by its date: to the second, then in the order of writing
    (writes come in date order, see `_Writer.apply`)."""
    rowid = math.floor(_timestamp(item.date)) * _ROWIDS_PER_SECOND
    while conn.execute(f"SELECT 1 FROM items_{g} WHERE rowid = ?", (rowid,)).fetchone() is not None:
        rowid += 1  # another item of the same second
    return rowid


class FtsEngine(Engine):
    name = "fts5"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()

    # Connections: one per thread and process, opened on first use.

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @property
    def _conn(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.conn, local.pid = self._connect(), os.getpid()
        return local.conn

    @contextmanager
    def _tx(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        try:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except (sqlite3.Error, OSError) as exc:
            raise SearchUnavailable(f"search index {self.path}: {exc}") from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise SearchUnavailable(f"search index {self.path}: {exc}") from exc
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
            self._local.pid = None

    def _generation(self, conn: sqlite3.Connection) -> int:
        try:
            row = conn.execute("SELECT generation FROM meta").fetchone()
        except sqlite3.OperationalError:
            row = None
        if row is None:
            raise SearchUnavailable("the search index has not been created (flask search reindex)")
        return row[0]

    # The interface.

    def ensure(self) -> None:
        with self._tx(write=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (generation INTEGER NOT NULL)")
            if conn.execute("SELECT generation FROM meta").fetchone() is None:
                conn.execute("INSERT INTO meta (generation) VALUES (1)")
                for statement in _schema(1):
                    conn.execute(statement)

    def ping(self) -> bool:
        try:
            with self._tx() as conn:
                self._generation(conn)
        except SearchUnavailable:
            return False
        return True

    def count(self) -> int:
        with self._tx() as conn:
            g = self._generation(conn)
            return conn.execute(f"SELECT count(*) FROM items_{g}").fetchone()[0]

    def write(self, changes: Iterable[tuple[str, SearchItem | None, int]]) -> None:
        changes = list(changes)
        if not changes:
            return
        with self._tx(write=True) as conn:
            _Writer(conn, self._generation(conn)).apply(changes)

    def builder(self) -> FtsBuilder:
        self.ensure()
        return FtsBuilder(self)

    def search(self, query: Query) -> Results:
        if not query.terms or not query.audience:
            return Results(hits=[], counts={}, after=None, total=0)
        with self._tx() as conn:
            g = self._generation(conn)
            return _Search(conn, g, query).run()

    def complete(self, prefix: str, audience: frozenset[str], limit: int = 5) -> Completions:
        prefix_words = [fold(w) for w in words(prefix)]
        if not prefix_words or not audience:
            return Completions()
        scopes = json.dumps(sorted(audience))
        with self._tx() as conn:
            g = self._generation(conn)
            return Completions(
                tags=self._complete_tags(conn, g, " ".join(prefix_words), scopes, limit),
                communities=self._complete_names(conn, g, "community", prefix_words, scopes, limit),
                people=self._complete_names(conn, g, "person", prefix_words, scopes, limit),
            )

    def _complete_tags(self, conn, g: int, prefix: str, scopes: str, limit: int) -> list[Suggestion]:
        rows = conn.execute(
            f"""SELECT tag, max(label), sum(n) FROM (
                    SELECT DISTINCT scope, tag, label, n FROM tag_words_{g}
                    WHERE word >= :p AND word < :p || char(1114111)
                      AND scope IN (SELECT value FROM json_each(:scopes)))
                GROUP BY tag ORDER BY sum(n) DESC, tag LIMIT :limit""",
            {"p": prefix, "scopes": scopes, "limit": limit},
        ).fetchall()
        return [Suggestion(key=tag, label=label, count=n) for tag, label, n in rows]

    def _complete_names(self, conn, g: int, kind: str, prefix_words: list[str], scopes: str,
                        limit: int) -> list[Suggestion]:
        """The best names among the newest `NAME_WINDOW` the reader may see (two letters match
        thousands of people: any five of them serve, the next letter narrows it down); ties in
        alphabetical order of the folded name, read from the small names table."""
        expression = " AND ".join(f"{_phrase(w)}*" for w in prefix_words)
        rows = conn.execute(
            f"""WITH found AS (
                    SELECT n.rowid AS item, n.rank AS rank, n.name AS name
                    FROM names_{g} AS n JOIN items_{g} AS i ON i.rowid = n.rowid
                    WHERE names_{g} MATCH :match AND i.kind = :kind AND {_audience_test(g, "scopes")}
                    ORDER BY n.rowid DESC LIMIT :window),
                best AS (SELECT item, rank, name FROM found ORDER BY rank, name LIMIT :limit)
                SELECT i.key, d.title, d.url FROM best JOIN items_{g} AS i ON i.rowid = best.item
                JOIN shown_{g} AS d ON d.rowid = best.item ORDER BY best.rank, best.name""",
            {"match": expression, "kind": kind, "scopes": scopes, "limit": limit, "window": NAME_WINDOW},
        ).fetchall()
        return [Suggestion(key=key, label=title, url=url) for key, title, url in rows]


class _Writer:
    """Writes items into one generation's tables, inside the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection, generation: int):
        self.conn, self.g = conn, generation

    def apply(self, changes: Iterable[tuple[str, SearchItem | None, int]]) -> None:
        g = self.g
        newest: dict[str, tuple[SearchItem | None, int]] = {}
        for key, item, version in changes:
            if key not in newest or newest[key][1] < version:
                newest[key] = (item, version)
        fresh = []
        for key, (item, version) in newest.items():
            row = self.conn.execute(f"SELECT version FROM versions_{g} WHERE key = ?", (key,)).fetchone()
            if row is not None and row[0] >= version:
                continue  # a newer (or the same) change is already in
            self.remove(key)
            if item is not None:
                fresh.append(item)
            self.conn.execute(
                f"INSERT INTO versions_{g} (key, version) VALUES (?, ?) "
                f"ON CONFLICT (key) DO UPDATE SET version = excluded.version",
                (key, version),
            )
        # In date order, so in rowid order: FTS5 writes out its pending terms each time a rowid comes
        # below the last one, and a batch in any order would leave hundreds of tiny segments.
        for item in sorted(fresh, key=lambda i: _timestamp(i.date)):
            self.insert(item)

    def remove(self, key: str) -> None:
        g, conn = self.g, self.conn
        row = conn.execute(f"SELECT rowid FROM items_{g} WHERE key = ?", (key,)).fetchone()
        if row is None:
            return
        rowid = row[0]
        scopes = [s for (s,) in conn.execute(f"SELECT scope FROM scopes_{g} WHERE item = ?", (rowid,))]
        for tag, label in conn.execute(f"SELECT tag, label FROM tags_{g} WHERE item = ?", (rowid,)).fetchall():
            keys = [(word, scope, tag) for word in _tag_words(label) for scope in scopes]
            conn.executemany(f"UPDATE tag_words_{g} SET n = n - 1 WHERE word = ? AND scope = ? AND tag = ?", keys)
            # Only the counts just lowered can have reached zero (a scan of the table costs ms).
            conn.executemany(f"DELETE FROM tag_words_{g} WHERE word = ? AND scope = ? AND tag = ? AND n <= 0", keys)
        for table in ("fts", "names", "shown"):
            conn.execute(f"DELETE FROM {table}_{g} WHERE rowid = ?", (rowid,))
        conn.execute(f"DELETE FROM scopes_{g} WHERE item = ?", (rowid,))
        conn.execute(f"DELETE FROM tags_{g} WHERE item = ?", (rowid,))
        conn.execute(f"DELETE FROM items_{g} WHERE rowid = ?", (rowid,))

    def insert(self, item: SearchItem) -> None:
        g, conn = self.g, self.conn
        body = item.body[:MAX_BODY_CHARS]
        # The snippet's passage: the description first (what a document is about), then the body;
        # the highlight starts at the first matched word, wherever it is.
        excerpt = " — ".join(text for text in (item.description, body) if text) or item.title
        excerpt = excerpt[:SNIPPET_SOURCE_CHARS]
        scopes = sorted(set(item.scopes))
        rowid = _rowid(conn, g, item)
        conn.execute(
            f"""INSERT INTO items_{g} (rowid, key, kind, scope, community_id, author_id, date)
                VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (rowid, item.key, item.kind, scopes[0] if len(scopes) == 1 else None, item.community_id,
             item.author_id, _timestamp(item.date)),
        )
        conn.execute(
            f"""INSERT INTO shown_{g} (rowid, source, ref_id, subkind, title, url, excerpt)
                VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (rowid, item.source, item.id, item.subkind, item.display_title, item.url, excerpt),
        )
        texts = {"title": item.title, "tags": " ".join(item.tags), "description": item.description,
                 "link": item.link, "place": item.place, "body": body}
        conn.execute(
            f"INSERT INTO fts_{g} (rowid, {_COLUMNS}) VALUES (?, {', '.join('?' for _ in FIELDS)})",
            (rowid, *(analyze(texts[name]) for name, _ in FIELDS)),
        )
        if item.names:
            conn.execute(f"INSERT INTO names_{g} (rowid, name) VALUES (?, ?)",
                         (rowid, " ".join(fold(name) for name in item.names)))
        conn.executemany(f"INSERT INTO scopes_{g} (item, scope) VALUES (?, ?)", [(rowid, s) for s in scopes])
        seen = set()
        for label in item.tags:
            tag = fold(label)
            if tag in seen:
                continue
            seen.add(tag)
            conn.execute(f"INSERT INTO tags_{g} (tag, item, label) VALUES (?, ?, ?)", (tag, rowid, label))
            conn.executemany(
                f"""INSERT INTO tag_words_{g} (word, scope, tag, label, n) VALUES (?, ?, ?, ?, 1)
                    ON CONFLICT (word, scope, tag) DO UPDATE SET n = n + 1""",
                [(word, scope, tag, label) for word in _tag_words(label) for scope in scopes],
            )


class _Search:
    """One query against one generation: the newest `RANKING_WINDOW` matches the reader may see are
    gathered once (narrow rows: no text), then a page of them is sorted and they are counted per kind."""

    def __init__(self, conn: sqlite3.Connection, generation: int, query: Query):
        self.conn, self.g, self.q = conn, generation, query
        self.params: dict = {
            "match": match_expression(query.terms),
            "audience": json.dumps(sorted(query.audience)),
            "window": RANKING_WINDOW,
            "limit": query.limit + 1,
        }
        if query.kinds:
            self.params["kinds"] = json.dumps(sorted(query.kinds))

    def _filters(self, kinds: bool) -> str:
        q, p = self.q, self.params
        where = [_audience_test(self.g, "audience")]
        if kinds and q.kinds:
            where.append("i.kind IN (SELECT value FROM json_each(:kinds))")
        if q.community_id is not None:
            p["community_id"] = q.community_id
            where.append("i.community_id = :community_id")
        if q.author_id is not None:
            p["author_id"] = q.author_id
            where.append("i.author_id = :author_id")
        if q.tag:
            p["tag"] = q.tag
            where.append(f"EXISTS (SELECT 1 FROM tags_{self.g} AS t WHERE t.tag = :tag AND t.item = i.rowid)")
        if q.date_from is not None:
            p["date_from"] = _timestamp(q.date_from)
            where.append("i.date >= :date_from")
        if q.date_to is not None:
            p["date_to"] = _timestamp(q.date_to)
            where.append("i.date < :date_to")
        return " AND ".join(where)

    def _after(self) -> str:
        """The previous page's last row, as `run` gave it: [rowid] by date, [score, rowid] by relevance."""
        after = self.q.after
        if not after:
            return ""
        expected = 1 if self.q.sort == DATE else 2
        if not isinstance(after, list | tuple) or len(after) != expected or not all(
                isinstance(value, int | float) and not isinstance(value, bool) for value in after):
            raise ValueError("invalid search cursor")
        if self.q.sort == DATE:
            self.params["a_item"] = int(after[0])
            return " AND item < :a_item"
        self.params.update(a_score=float(after[0]), a_item=int(after[1]))
        return " AND (score > :a_score OR (score = :a_score AND item < :a_item))"

    def _rows(self, kinds_in_window: bool) -> list:
        """The page's rows, then one row per kind with its count in the window."""
        g, q = self.g, self.q
        order = "item DESC" if q.sort == DATE else "score, item DESC"
        # bm25 costs about a microsecond per match, and its first call reads the whole doclist of
        # each phrase: a date-sorted search does without it.
        score = "0.0" if q.sort == DATE else f"bm25(fts_{g}, {_WEIGHTS})"
        page_filter = "1"
        if q.kinds and not kinds_in_window:
            page_filter = "kind IN (SELECT value FROM json_each(:kinds))"
        page_filter += self._after()
        return self.conn.execute(
            f"""WITH w AS MATERIALIZED (
                    SELECT f.rowid AS item, i.kind AS kind, {score} AS score
                    FROM fts_{g} AS f JOIN items_{g} AS i ON i.rowid = f.rowid
                    WHERE fts_{g} MATCH :match AND {self._filters(kinds_in_window)}
                    ORDER BY f.rowid DESC LIMIT :window),
                page AS (SELECT item, score FROM w WHERE {page_filter} ORDER BY {order} LIMIT :limit)
                SELECT i.key, d.source, d.ref_id, i.kind, d.subkind, d.title, d.url, d.excerpt, page.score, i.date,
                       i.community_id, i.author_id, page.item
                FROM page JOIN items_{g} AS i ON i.rowid = page.item JOIN shown_{g} AS d ON d.rowid = page.item
                UNION ALL
                SELECT NULL, NULL, count(*), kind, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
                FROM w GROUP BY kind""",
            self.params,
        ).fetchall()

    def run(self) -> Results:
        q = self.q
        rows = self._rows(kinds_in_window=False)
        counts = {row[3]: row[2] for row in rows if row[0] is None}
        exact = sum(counts.values()) < RANKING_WINDOW
        total = sum(n for kind, n in counts.items() if not q.kinds or kind in q.kinds)
        total_exact = exact
        if q.kinds and not exact:
            # The window is full of every kind: the page is taken from a window of the asked kinds.
            rows = self._rows(kinds_in_window=True)
            total = sum(row[2] for row in rows if row[0] is None)
            total_exact = total < RANKING_WINDOW
        rows = [row for row in rows if row[0] is not None]
        if q.sort == DATE:
            rows.sort(key=lambda row: -row[12])
        else:
            rows.sort(key=lambda row: (row[8], -row[12]))
        more = len(rows) > q.limit
        rows = rows[: q.limit]
        hits = [self._hit(row) for row in rows]
        after = None
        if more and rows:
            last = rows[-1]
            after = [last[12]] if q.sort == DATE else [last[8], last[12]]
        return Results(hits=hits, counts=counts, after=after, total=total, exact=exact, total_exact=total_exact)

    def _hit(self, row) -> Hit:
        key, source, ref_id, kind, subkind, title, url, excerpt, score, date, community_id, author_id, _item = row
        snippet: Markup = highlight(excerpt, self.q.terms)
        return Hit(key=key, source=source, id=ref_id, kind=kind, subkind=subkind, title=title, url=url,
                   snippet=snippet, score=-score, date=datetime.fromtimestamp(date, UTC),
                   community_id=community_id, author_id=author_id)


class FtsBuilder(Builder):
    """A new generation filled beside the live one; `switch` makes it live and drops the old."""

    def __init__(self, engine: FtsEngine):
        self.engine = engine
        with engine._tx(write=True) as conn:
            live = engine._generation(conn)
            self.g = conn.execute(
                "SELECT max(CAST(substr(name, 7) AS INTEGER)) FROM sqlite_master WHERE name GLOB 'items_[0-9]*'"
            ).fetchone()[0] + 1
            self.g = max(self.g, live + 1)
            for statement in _schema(self.g):
                conn.execute(statement)

    def add(self, items: Iterable[tuple[SearchItem, int]]) -> None:
        self.apply((item.key, item, version) for item, version in items)

    def apply(self, changes: Iterable[tuple[str, SearchItem | None, int]]) -> None:
        with self.engine._tx(write=True) as conn:
            _Writer(conn, self.g).apply(changes)

    def switch(self) -> None:
        with self.engine._tx(write=True) as conn:
            old = self.engine._generation(conn)
            conn.execute("UPDATE meta SET generation = ?", (self.g,))
            _drop(conn, old)

    def discard(self) -> None:
        with self.engine._tx(write=True) as conn:
            _drop(conn, self.g)


def _drop(conn: sqlite3.Connection, g: int) -> None:
    for table in _TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}_{g}")
