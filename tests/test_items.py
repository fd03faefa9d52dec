"""Items (a publication or a document) as the tables that point at them hold them: real foreign
keys, one "already opened" row per person and item, one registry instead of type checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from rse import items
from rse.digest import service as digest
from rse.digest.models import ItemView
from rse.documents.models import Document
from rse.feeds.models import Comment, Follow, Publication
from rse.feeds.publications import service as publications
from rse.feeds.social import answers, comments, follows


def _views(db, **target) -> list[ItemView]:
    return list(db.session.scalars(select(ItemView).filter_by(**target)))


def test_a_second_view_updates_the_first_instead_of_adding_a_row(world, create_document, db):
    post = publications.publish(world.member, world.spaces["public"], {"kind": "post", "body": "Bonjour"})
    document = create_document(world.spaces["public"], world.member)
    db.session.commit()
    for item in (post, document, post, document):
        digest.record_view(item, world.animator)
    for target in ({"publication_id": post.id}, {"document_id": document.id}):
        [view] = _views(db, user_id=world.animator.id, **target)
        assert view.viewed_at is not None


def test_the_database_refuses_a_duplicate_view(world, db):
    post = publications.publish(world.member, world.spaces["public"], {"kind": "post", "body": "Bonjour"})
    db.session.commit()
    digest.record_view(post, world.animator)
    db.session.add(ItemView(user_id=world.animator.id, publication_id=post.id))
    with pytest.raises(IntegrityError):  # what two concurrent inserts would have left before
        db.session.commit()
    db.session.rollback()
    assert len(_views(db, user_id=world.animator.id, publication_id=post.id)) == 1


def test_a_later_view_moves_the_time_forward(world, db, monkeypatch):
    post = publications.publish(world.member, world.spaces["public"], {"kind": "post", "body": "Bonjour"})
    db.session.commit()
    digest.record_view(post, world.animator)
    [first] = _views(db, user_id=world.animator.id, publication_id=post.id)
    seen = first.viewed_at
    later = seen + timedelta(hours=2)
    monkeypatch.setattr(digest, "utcnow", lambda: later)
    digest.record_view(post, world.animator)
    db.session.expire_all()
    [view] = _views(db, user_id=world.animator.id, publication_id=post.id)
    assert view.viewed_at == later


def test_follows_of_a_deleted_document_go_with_it(world, create_document, db):
    document = create_document(world.spaces["public"], world.member)
    follows.follow(world.animator, "document", document.id)
    follows.follow(world.animator, "person", world.member.id)
    db.session.commit()
    assert [(f.target, f.key) for f in follows.following(world.animator)] == [
        ("document", document.id), ("person", world.member.id)]
    db.session.execute(delete(Document).where(Document.id == document.id))
    db.session.commit()
    assert [(f.target, f.key) for f in follows.following(world.animator)] == [("person", world.member.id)]


def test_a_follow_names_exactly_one_thing(world, db):
    db.session.add(Follow(user_id=world.member.id, target="person", person_id=world.animator.id, tag="achats"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 0


def test_a_good_answer_deleted_from_the_database_leaves_no_dangling_key(world, db):
    question = publications.publish(world.member, world.spaces["public"], {"kind": "question", "title": "Où ?"})
    answer = comments.add_comment(world.animator, question, "Ici.")
    answers.accept_answer(world.member, answer)
    db.session.commit()
    db.session.execute(delete(Comment).where(Comment.id == answer.id))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Publication, question.id).accepted_comment_id is None


def test_the_registry_knows_each_kind_and_nothing_else(world, create_document, db):
    post = publications.publish(world.member, world.spaces["public"], {"kind": "post", "body": "Bonjour"})
    document = create_document(world.spaces["public"], world.member, title="Protocole")
    db.session.commit()
    assert items.ref(post) == {"publication_id": post.id} and items.ref(document) == {"document_id": document.id}
    assert items.url(post) == f"/publications/{post.id}" and items.url(document) == f"/documents/{document.id}"
    assert items.title(document) == "Protocole" and items.title(post) == "Bonjour"
    assert items.named("document").get(world.member, document.id) == document
    assert items.named("folder") is None and items.named(["document"]) is None
    with pytest.raises(LookupError):
        items.kind_of(world.member)
