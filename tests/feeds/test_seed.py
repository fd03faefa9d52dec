"""`flask rse seed`: rows that hold together, a stream that reads them, refusal on a used database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from benchmarks.seeding import generate as seed
from rse.accounts.models import Role, User
from rse.communities.models import Membership
from rse.feeds import markdown
from rse.feeds.models import (
    Activity,
    Comment,
    Delivery,
    Like,
    Notification,
    Publication,
    SameQuestion,
    Suggestion,
    Tagging,
    WikiVersion,
)
from rse.feeds.publications import service as publications
from rse.feeds.streams import service as streams
from rse.security import verify_password

from ..conftest import PASSWORD

# The benchmark seeder fills thousands of rows per test: seconds each.
pytestmark = pytest.mark.slow

SMALL = ["rse", "seed", "--users", "120", "--communities", "45", "--activities", "3000", "--password", PASSWORD]


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def scalar(db, sql: str) -> int:
    return db.session.execute(text(sql)).scalar_one()


def test_seed_writes_rows_that_hold_together(app, db, runner):
    result = runner.invoke(args=SMALL)
    assert result.exit_code == 0, result.output
    assert "seeded in" in result.output and "rows/s" in result.output
    assert count(db, User) == 120 and count(db, Activity) == 3000
    assert count(db, Comment) > 0 and count(db, Like) > 0 and count(db, SameQuestion) > 0
    assert count(db, Suggestion) > 0 and count(db, Tagging) > 0
    assert count(db, Notification) == count(db, Delivery) > 0  # each person a suggestion reached is told
    kinds = set(db.session.scalars(select(Publication.kind).distinct()))
    assert kinds == {"post", "announcement", "question", "link", "wiki"}
    assert db.session.scalar(select(func.count()).where(User.role == Role.ADMIN)) == 1
    assert db.session.scalar(select(func.count()).where(User.role == Role.PARTNER)) == 12

    # Every activity points at a publication, of its own community when it has one.
    assert scalar(db, "SELECT count(*) FROM activities a LEFT JOIN publications p ON p.id = a.publication_id "
                      "WHERE p.id IS NULL OR (a.community_id IS NOT NULL AND a.community_id <> p.community_id)") == 0
    # Time goes forward with the id.
    assert scalar(db, "SELECT count(*) FROM activities a JOIN activities b ON b.id = a.id + 1 "
                      "WHERE b.created_at <= a.created_at") == 0
    # Counters count real rows; good answers are comments of their question.
    assert scalar(db, "SELECT count(*) FROM publications p WHERE "
                      "comment_count <> (SELECT count(*) FROM comments c WHERE c.publication_id = p.id) OR "
                      "like_count <> (SELECT count(*) FROM likes l WHERE l.publication_id = p.id) OR "
                      "same_question_count <> (SELECT count(*) FROM same_questions s WHERE s.publication_id = p.id)"
                  ) == 0
    assert scalar(db, "SELECT count(*) FROM publications WHERE accepted_comment_id IS NOT NULL") > 0
    assert scalar(db, "SELECT count(*) FROM publications p WHERE accepted_comment_id IS NOT NULL AND NOT EXISTS "
                      "(SELECT 1 FROM comments c WHERE c.id = p.accepted_comment_id AND c.publication_id = p.id)") == 0
    # A wiki page is its last version.
    assert db.session.scalar(select(func.max(WikiVersion.number))) > 1
    assert scalar(db, "SELECT count(*) FROM publications p JOIN wiki_versions w ON w.publication_id = p.id "
                      "AND w.number = p.wiki_number WHERE p.kind = 'wiki' AND w.body <> p.body") == 0
    assert scalar(db, "SELECT count(*) FROM publications WHERE kind = 'wiki' AND wiki_number < 1") == 0
    # Authors may publish where they do.
    assert scalar(db, "SELECT count(*) FROM publications p LEFT JOIN memberships m ON m.user_id = p.author_id "
                      "AND m.community_id = p.community_id WHERE m.role IS NULL OR m.role = 'reader'") == 0
    # One hash for everyone, and it is the given password.
    hashes = set(db.session.scalars(select(User.password_hash)))
    assert len(hashes) == 1 and verify_password(hashes.pop(), PASSWORD)


def test_seeded_reader_gets_full_pages_and_can_log_in(app, db, runner, login):
    assert runner.invoke(args=SMALL).exit_code == 0
    reader = seed.pick_heavy_reader(memberships=40)
    assert reader is not None
    assert db.session.scalar(select(func.count()).where(Membership.user_id == reader.id)) == 40
    page = streams.home(reader)
    assert len(page.items) == streams.PAGE_SIZE and page.next_cursor
    assert all(item.publication.body_html == markdown.render(item.publication.body) for item in page.items)
    assert any(item.publication.body_html for item in page.items)
    ids = [item.activity.id for item in page.items]
    assert ids == sorted(ids, reverse=True)
    second = streams.home(reader, cursor=page.next_cursor)
    assert len(second.items) == streams.PAGE_SIZE and second.items[0].activity.id < ids[-1]

    response = login(reader, PASSWORD).get("/")
    assert response.status_code == 200
    assert page.items[0].community.name in response.get_data(as_text=True)


def test_new_rows_after_a_seed_get_fresh_ids(app, db, runner):
    assert runner.invoke(args=SMALL).exit_code == 0
    reader = seed.pick_heavy_reader(memberships=40)
    community = db.session.scalar(select(Membership).where(
        Membership.user_id == reader.id, Membership.role != "reader")).community
    before = db.session.scalar(select(func.max(Publication.id)))
    publication = publications.publish(reader, community, {"kind": "post", "body": "Après le jeu d'essai."})
    db.session.commit()
    assert publication.id == before + 1  # PostgreSQL's sequences follow the ids the seed gave
    assert streams.home(reader).items[0].publication.id == publication.id


def test_seed_refuses_a_database_with_publications_unless_forced(app, db, runner):
    assert runner.invoke(args=SMALL).exit_code == 0
    publications = count(db, Publication)

    refused = runner.invoke(args=SMALL)
    assert refused.exit_code == 1
    assert f"already holds {publications} publications" in refused.output and "--force" in refused.output
    assert count(db, Publication) == publications and count(db, User) == 120

    forced = runner.invoke(args=[*SMALL, "--force"])
    assert forced.exit_code == 0, forced.output
    assert count(db, User) == 240 and count(db, Activity) == 6000
    assert len(set(db.session.scalars(select(User.email)))) == 240  # the second batch took other addresses


def test_sqlite_durability_is_back_after_the_seed(app, db, runner, backend):
    result = runner.invoke(args=["rse", "seed", "--users", "10", "--communities", "3", "--activities", "50"])
    assert result.exit_code == 0, result.output
    if backend == "sqlite":
        assert scalar(db, "PRAGMA synchronous") == 1  # NORMAL, as every connection opens with
    assert count(db, Activity) == 50
