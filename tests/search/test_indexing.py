"""From a change in the database to the index: the outbox, the inline sync, outages and reindex."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rse.communities import service as communities
from rse.database import db
from rse.feeds.publications import service as publications
from rse.feeds.social import comments, reactions
from rse.search import engine_from_url, indexer, service
from rse.search.engine import SearchUnavailable
from rse.search.models import SearchChange

from ..conftest import PASSWORD  # noqa: F401  (the factories' password)


def found(user, q: str, **args) -> list[str]:
    page = service.search(user, service.read_params({"q": q, **args}))
    return [r.hit.key for r in page.results]


def pending() -> int:
    return db.session.scalar(select(func.count()).where(SearchChange.done_at.is_(None)))


@pytest.fixture(autouse=True)
def inline_sync(app):
    """These tests are about the sync itself: every commit syncs (as in production), and a search
    reads the index as it is, without the catching up the other tests get (backends.CatchingUp)."""
    app.config["SEARCH_SYNC_INLINE"] = True
    state = app.extensions["rse_search"]
    state.engine = state.engine.engine


@pytest.fixture
def author(create_user):
    return create_user("staff", name="Claire Martin")


@pytest.fixture
def space(create_community, author):
    return create_community(author, name="Hygiène GHT", visibility="private")


def test_a_change_is_searchable_right_after_its_commit(app, author, space):
    post = publications.publish(author, space, {"kind": "post", "title": "Nouveau protocole de bionettoyage",
                                         "body": "Applicable au bloc opératoire.", "tags": "Hygiène"})
    db.session.commit()
    assert found(author, "bionettoyage") == [f"publication:{post.id}"]
    assert pending() == 0
    publications.update_publication(author, post, {"title": "Protocole de désinfection"})
    db.session.commit()
    assert found(author, "bionettoyage") == []
    assert found(author, "désinfection") == [f"publication:{post.id}"]
    publications.delete_publication(author, post)
    db.session.commit()
    assert found(author, "désinfection") == []


def test_the_outbox_row_is_part_of_the_transaction(app, author, space):
    before = db.session.scalar(select(func.count()).select_from(SearchChange))
    publications.publish(author, space, {"kind": "post", "title": "Brouillon abandonné", "body": "x"})
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(SearchChange)) == before + 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SearchChange)) == before
    assert found(author, "abandonné") == []


def test_counters_do_not_reindex_but_comments_follow_their_publication(app, author, space, create_user):
    reader = create_user("staff")
    communities.add_member(author, space, reader, "member")
    post = publications.publish(author, space, {"kind": "question", "title": "Qui valide les protocoles ?", "body": "?"})
    db.session.commit()
    comment = comments.add_comment(reader, post, "Le CLIN, après relecture par l'équipe opérationnelle.")
    db.session.commit()
    assert found(author, "relecture") == [f"comment:{comment.id}"]
    changes = db.session.scalar(select(func.count()).select_from(SearchChange))
    reactions.like(reader, post)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(SearchChange)) == changes
    publications.delete_publication(author, post)
    db.session.commit()
    assert found(author, "relecture") == []  # gone from the index, not only filtered
    assert indexer.engine().count() == 3  # the community and its two members are left


@pytest.mark.outage
def test_engine_down_content_written_engine_back_found(app, author, space, tmp_path):
    state = app.extensions["rse_search"]
    working = state.engine
    (tmp_path / "blocker").write_text("a file where the index's folder should be")
    state.engine = engine_from_url(f"sqlite:///{tmp_path / 'blocker' / 'search.db'}")
    state.ready = False
    try:
        post = publications.publish(author, space, {"kind": "announcement", "title": "Exercice plan blanc jeudi",
                                             "body": "Tous les services."})
        db.session.commit()  # the site keeps working
        assert pending() >= 1
        with pytest.raises(Exception) as refused:
            found(author, "exercice")
        assert getattr(refused.value, "code", "") == "search_unavailable"
        with pytest.raises(SearchUnavailable):
            indexer.sync()
        assert pending() >= 1  # nothing lost
    finally:
        state.engine, state.ready = working, False
    report = indexer.sync()
    assert report.pending == 0 and report.done >= 1
    assert found(author, "exercice") == [f"publication:{post.id}"]


def test_reindex_rebuilds_everything_and_replays_what_changed_meanwhile(app, author, space, monkeypatch):
    first = publications.publish(author, space, {"kind": "post", "title": "Permanence des soins", "body": "x"})
    db.session.commit()
    engine = indexer.engine()
    real_builder, late = engine.builder, []

    def builder():
        new = real_builder()
        real_switch = new.switch

        def switch():
            # The old index still answers; another request publishes, and its inline sync
            # writes to the old index, in the middle of the rebuild.
            assert found(author, "permanence") == [f"publication:{first.id}"]
            late.append(publications.publish(author, space, {"kind": "post", "title": "Permanence du week-end",
                                                      "body": "y"}))
            db.session.commit()
            real_switch()

        new.switch = switch
        return new

    monkeypatch.setattr(engine, "builder", builder)
    assert indexer.reindex(batch=2) == 3  # the publication, the community, its animator
    assert set(found(author, "permanence")) == {f"publication:{first.id}", f"publication:{late[0].id}"}


def test_cli_sync_reindex_and_status(app, author, space):
    runner = app.test_cli_runner()
    publications.publish(author, space, {"kind": "post", "title": "Tableau des gardes", "body": "x"})
    db.session.commit()
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 0 and "fts5, reachable" in result.output and "0 change(s) pending" in result.output
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "publication: 1" in result.output and "reindexed" in result.output
    result = runner.invoke(args=["search", "sync"])
    assert result.exit_code == 0 and "0 pending" in result.output
    assert found(author, "gardes")


def test_removed_from_a_community_its_items_vanish_at_once(app, author, space, create_user):
    reader = create_user("staff")
    communities.add_member(author, space, reader, "member")
    post = publications.publish(author, space, {"kind": "post", "title": "Compte rendu du CLIN", "body": "x"})
    db.session.commit()
    assert found(reader, "clin") == [f"publication:{post.id}"]
    app.config["SEARCH_SYNC_INLINE"] = False  # not even the index has been told
    communities.remove_member(author, space, reader.id)
    db.session.commit()
    assert found(reader, "clin") == []
    assert found(author, "clin") == [f"publication:{post.id}"]


def test_sync_rebuilds_a_lost_index(app, author, space, tmp_path):
    post = publications.publish(author, space, {"kind": "post", "title": "Registre des astreintes", "body": "x"})
    db.session.commit()
    state = app.extensions["rse_search"]
    state.engine, state.ready = engine_from_url(f"sqlite:///{tmp_path / 'new' / 'search.db'}"), False
    assert found(author, "astreintes") == []
    result = app.test_cli_runner().invoke(args=["search", "sync"])
    assert result.exit_code == 0, result.output
    assert "rebuilding" in result.output
    assert found(author, "astreintes") == [f"publication:{post.id}"]
