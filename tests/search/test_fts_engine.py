"""What only the embedded engine does: rowids in date order and the ranking window."""

from __future__ import annotations

import pytest

from rse.indexing import EVERY_STAFF_MEMBER
from rse.search import fts
from rse.search.engine import DATE, Query
from rse.search.fts import FtsEngine
from rse.search.text import parse_query

from .test_engine_contract import READER, fillers, item, put


@pytest.fixture
def engine(tmp_path):
    engine = FtsEngine(tmp_path / "search.db")
    engine.ensure()
    yield engine
    engine.close()


def search(engine, text: str, **options):
    return engine.search(Query(terms=parse_query(text), audience=READER, **options))


def test_rowids_follow_the_dates_whatever_the_order_of_writing(engine):
    put(engine, *(item(n, title=f"Garde {n}", days=days) for n, days in ((1, 3), (2, 0.5), (3, 10), (4, 0))))
    with engine._tx() as conn:
        g = engine._generation(conn)
        keys = [key for (key,) in conn.execute(f"SELECT key FROM items_{g} ORDER BY rowid DESC")]
    assert keys == ["publication:4", "publication:2", "publication:1", "publication:3"]


def test_items_of_the_same_second_keep_the_order_of_writing(engine):
    put(engine, *(item(n, title="Garde de nuit") for n in range(1, 41)))  # one date for all
    found = search(engine, "garde", sort=DATE, limit=100)
    assert [h.key for h in found.hits] == [f"publication:{n}" for n in range(40, 0, -1)]
    with engine._tx() as conn:
        g = engine._generation(conn)
        assert conn.execute(f"SELECT count(DISTINCT rowid) FROM items_{g}").fetchone()[0] == 40


def test_a_rewritten_item_keeps_one_row(engine):
    put(engine, item(1, title="Garde", days=5))
    put(engine, item(1, title="Garde de nuit", days=1), version=2)
    assert [h.key for h in search(engine, "nuit").hits] == ["publication:1"]
    assert engine.count() == 1


@pytest.mark.parametrize("order", [(1, 2), (2, 1)])
def test_two_changes_of_one_item_in_a_batch_leave_the_newest(engine, order):
    versions = {1: item(1, title="Garde de jour", days=2), 2: item(1, title="Garde de nuit", days=1)}
    engine.write([(versions[v].key, versions[v], v) for v in order])
    assert [h.title for h in search(engine, "garde").hits] == ["Garde de nuit"]
    assert engine.count() == 1


def test_past_the_window_the_newest_are_ranked_and_the_counts_are_lower_bounds(engine, monkeypatch):
    monkeypatch.setattr(fts, "RANKING_WINDOW", 4)
    put(engine, *(item(n, title="Endoscopes" if n == 6 else "Note", body="endoscopes", days=n) for n in range(1, 7)),
        *fillers())
    found = search(engine, "endoscope")
    # The title match (6 days old) is past the window of the 4 newest matches.
    assert [h.key for h in found.hits] == ["publication:1", "publication:2", "publication:3", "publication:4"]
    assert (found.total, found.counts, found.exact, found.total_exact) == (4, {"publication": 4}, False, False)
    monkeypatch.setattr(fts, "RANKING_WINDOW", 7)
    found = search(engine, "endoscope")
    assert found.hits[0].key == "publication:6"
    assert (found.total, found.exact) == (6, True)


def test_a_kind_past_the_window_is_sought_in_a_window_of_its_own(engine, monkeypatch):
    monkeypatch.setattr(fts, "RANKING_WINDOW", 3)
    put(engine, *(item(n, title="Garde", days=n) for n in range(1, 5)),
        item(10, "document", title="Garde des clés", days=20), *fillers())
    found = search(engine, "garde", kinds=frozenset({"document"}))
    assert [h.key for h in found.hits] == ["document:10"]
    assert found.counts == {"publication": 3}  # the counts are of the window of every kind
    assert (found.total, found.exact, found.total_exact) == (1, False, True)


def test_date_pages_walk_the_window(engine, monkeypatch):
    monkeypatch.setattr(fts, "RANKING_WINDOW", 5)
    put(engine, *(item(n, title="Garde", days=n) for n in range(1, 9)), *fillers())
    seen, after = [], None
    while True:
        found = search(engine, "garde", sort=DATE, limit=2, after=after)
        seen += [h.key for h in found.hits]
        if found.after is None:
            break
        after = found.after
    assert seen == [f"publication:{n}" for n in range(1, 6)]


@pytest.mark.parametrize("after", [["x"], [1, 2, 3], [True], [None], "12", [1.5, "key"]])
def test_a_cursor_of_another_shape_is_refused(engine, after):
    put(engine, item(1, title="Garde"))
    with pytest.raises(ValueError):
        search(engine, "garde", sort=DATE if len(after) == 1 else "relevance", after=after)


def test_two_letters_complete_among_the_newest_names(engine, monkeypatch):
    people = [item(n, "person", title=name, names=(name,), scopes=(EVERY_STAFF_MEMBER,), days=n)
              for n, name in ((1, "Marc Zola"), (2, "Manon Leroy"), (3, "Mathis Abadie"), (4, "Élise Martin"))]
    put(engine, *people)
    assert [s.label for s in engine.complete("ma", READER).people] == [
        "Élise Martin", "Manon Leroy", "Marc Zola", "Mathis Abadie"]  # tied: by folded name
    monkeypatch.setattr(fts, "NAME_WINDOW", 2)
    assert [s.label for s in engine.complete("ma", READER).people] == ["Manon Leroy", "Marc Zola"]
