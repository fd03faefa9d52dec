"""The social layer: comments, likes, "same question", good answers and FAQ, pins, follows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from rse.database import db
from rse.dbtypes import utcnow
from rse.errors import Conflict, PermissionDenied, ValidationError
from rse.feeds.models import Comment, Follow, Like, Notification, Pin, Publication, SameQuestion
from rse.feeds.notifications import service as notifications
from rse.feeds.publications import pins
from rse.feeds.social import answers, comments, follows, reactions
from rse.feeds.streams import service as streams

from ..documents.samples import pdf_bytes


def _question(publish, author, community, title="Où est le protocole ?"):
    return publish(author, community, "question", body="", title=title)


def _comment(author, target, body="Réponse"):
    comment = comments.add_comment(author, target, body)
    db.session.commit()
    return comment


def _count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def _notified(user, kind) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind).order_by(Notification.id)))


def _ids(items):
    return [item.item.id for item in items]


# --- Comments -----------------------------------------------------------------------------------

def test_comment_on_a_publication_updates_the_counter(world, publish):
    post = publish(world.animator, world.spaces["public"])
    first = _comment(world.member, post, "Merci !")
    second = _comment(world.partner, post, "Bien reçu")
    assert db.session.get(Publication, post.id).comment_count == 2
    assert [c.id for c in comments.list_comments(world.animator, post)] == [first.id, second.id]
    assert comments.comment_target(first).id == post.id
    assert "Merci" in first.body_html


def test_comment_on_a_document(world, create_document):
    document = create_document(world.spaces["private"], world.animator)
    comment = _comment(world.member, document, "Version validée ?")
    assert (comment.document_id, comment.publication_id) == (document.id, None)
    assert [c.id for c in comments.list_comments(world.partner, document)] == [comment.id]
    assert [n.document_id for n in _notified(world.animator, "comment")] == [document.id]


def test_the_author_of_the_item_hears_of_a_comment(world, publish):
    post = publish(world.animator, world.spaces["public"])
    comment = _comment(world.member, post)
    rows = _notified(world.animator, "comment")
    assert [(n.publication_id, n.comment_id, n.actor_id) for n in rows] == [(post.id, comment.id, world.member.id)]
    _comment(world.animator, post, "Je réponds à moi-même")
    assert len(_notified(world.animator, "comment")) == 1


def test_a_non_member_may_not_comment_and_a_stranger_does_not_see(world, publish, refused):
    post = publish(world.animator, world.spaces["public"])
    assert not refused(PermissionDenied, comments.add_comment, world.outsider, post, "Hors espace").hidden
    assert refused(PermissionDenied, comments.add_comment, world.stranger, post, "Hors espace").hidden
    assert _count(Comment) == 0


def test_only_its_author_edits_a_comment(world, publish, refused):
    post = publish(world.animator, world.spaces["public"])
    comment = _comment(world.member, post, "Première version")
    comments.edit_comment(world.member, comment, "Version corrigée")
    db.session.commit()
    assert db.session.get(Comment, comment.id).body == "Version corrigée"
    assert comment.updated_at is not None
    for who in (world.animator, world.admin, world.partner):
        assert not refused(PermissionDenied, comments.edit_comment, who, comment, "Réécrit").hidden
    assert db.session.get(Comment, comment.id).body == "Version corrigée"


def test_the_author_deletes_their_comment(world, publish, refused):
    post = publish(world.animator, world.spaces["public"])
    comment = _comment(world.member, post)
    comments.delete_comment(world.member, comment)
    db.session.commit()
    assert db.session.get(Publication, post.id).comment_count == 0
    assert comments.list_comments(world.member, post) == []
    assert refused(PermissionDenied, comments.get_comment, world.member, comment.id).hidden


@pytest.mark.parametrize("moderator", ["animator", "admin"])
def test_animators_and_admins_moderate_comments(world, moderator, publish):
    post = publish(world.member, world.spaces["public"])
    comment = _comment(world.partner, post, "Hors sujet")
    comments.delete_comment(getattr(world, moderator), comment)
    db.session.commit()
    assert db.session.get(Comment, comment.id).deleted_by_id == getattr(world, moderator).id
    assert db.session.get(Publication, post.id).comment_count == 0


def test_a_member_may_not_delete_another_members_comment(world, publish, refused):
    post = publish(world.member, world.spaces["public"])
    comment = _comment(world.partner, post)
    assert not refused(PermissionDenied, comments.delete_comment, world.member, comment).hidden
    assert db.session.get(Comment, comment.id).deleted_at is None
    assert db.session.get(Publication, post.id).comment_count == 1


# --- Likes --------------------------------------------------------------------------------------

def test_like_and_unlike_keep_the_count(world, publish):
    post = publish(world.animator, world.spaces["public"])
    reactions.like(world.member, post)
    reactions.like(world.partner, post)
    db.session.commit()
    assert db.session.get(Publication, post.id).like_count == 2
    assert reactions.user_state(world.member, [post.id])[0] == {post.id}
    reactions.unlike(world.member, post)
    db.session.commit()
    assert db.session.get(Publication, post.id).like_count == 1
    assert [u.id for u in reactions.likers(world.animator, post)] == [world.partner.id]


def test_liking_twice_is_a_conflict_and_changes_nothing(world, publish, refused):
    post = publish(world.animator, world.spaces["public"])
    reactions.like(world.member, post)
    db.session.commit()
    assert refused(Conflict, reactions.like, world.member, post).code == "already_liked"
    assert db.session.get(Publication, post.id).like_count == 1 and _count(Like) == 1
    reactions.unlike(world.member, post)
    db.session.commit()
    assert refused(Conflict, reactions.unlike, world.member, post).code == "not_liked"
    assert db.session.get(Publication, post.id).like_count == 0


def test_likers_are_those_the_actor_may_see(world, publish):
    post = publish(world.animator, world.spaces["public"])
    for who in (world.member, world.outsider, world.partner):
        reactions.like(who, post)
    db.session.commit()
    everyone = [world.member.id, world.outsider.id, world.partner.id]
    assert [u.id for u in reactions.likers(world.member, post)] == everyone
    # The partner shares no community with the outsider (a staff member reading a public community).
    assert [u.id for u in reactions.likers(world.partner, post)] == [world.member.id, world.partner.id]


def test_who_may_not_read_may_not_like(world, publish, refused):
    post = publish(world.animator, world.spaces["private"])
    assert refused(PermissionDenied, reactions.like, world.outsider, post).hidden
    assert refused(PermissionDenied, reactions.likers, world.stranger, post).hidden
    assert _count(Like) == 0


# --- Same question ------------------------------------------------------------------------------

def test_same_question_is_counted_and_released(world, publish, refused):
    question = _question(publish, world.member, world.spaces["public"])
    reactions.press_same_question(world.partner, question)
    reactions.press_same_question(world.animator, question)
    db.session.commit()
    assert db.session.get(Publication, question.id).same_question_count == 2
    assert reactions.user_state(world.partner, [question.id])[1] == {question.id}
    reactions.release_same_question(world.partner, question)
    db.session.commit()
    assert db.session.get(Publication, question.id).same_question_count == 1
    assert refused(Conflict, reactions.release_same_question, world.partner, question).code == "not_pressed"


def test_those_who_share_a_question_hear_of_its_comments(world, publish):
    question = _question(publish, world.member, world.spaces["public"])
    reactions.press_same_question(world.partner, question)
    db.session.commit()
    comment = _comment(world.animator, question, "Piste de réponse")
    for user in (world.member, world.partner):
        assert [n.comment_id for n in _notified(user, "comment")] == [comment.id]


def test_same_question_twice_is_a_conflict(world, publish, refused):
    question = _question(publish, world.member, world.spaces["public"])
    reactions.press_same_question(world.partner, question)
    db.session.commit()
    assert refused(Conflict, reactions.press_same_question, world.partner, question).code == "already_pressed"
    assert db.session.get(Publication, question.id).same_question_count == 1


def test_the_asker_does_not_share_their_own_question(world, publish, refused):
    question = _question(publish, world.member, world.spaces["public"])
    assert not refused(PermissionDenied, reactions.press_same_question, world.member, question).hidden
    assert _count(SameQuestion) == 0


def test_same_question_only_for_questions(world, publish, refused):
    post = publish(world.member, world.spaces["public"])
    refused(PermissionDenied, reactions.press_same_question, world.partner, post)
    assert _count(SameQuestion) == 0 and db.session.get(Publication, post.id).same_question_count == 0


# --- Good answers and FAQ -----------------------------------------------------------------------

def test_the_asker_accepts_an_answer_which_is_then_listed_first(world, publish, refused):
    question = _question(publish, world.member, world.spaces["public"])
    early = _comment(world.partner, question, "Je ne sais pas")
    good = _comment(world.animator, question, "Dans le classeur rouge")
    late = _comment(world.partner, question, "Merci")
    answers.accept_answer(world.member, good)
    db.session.commit()
    assert db.session.get(Publication, question.id).accepted_comment_id == good.id
    assert [c.id for c in comments.list_comments(world.partner, question)] == [good.id, early.id, late.id]
    assert refused(Conflict, answers.accept_answer, world.member, good).code == "already_accepted"


def test_an_animator_accepts_and_pressers_and_asker_are_told(world, create_user, publish):
    from rse.communities import service as communities

    presser = create_user("staff")
    communities.add_member(world.animator, world.spaces["private"], presser, "member")
    db.session.commit()
    question = _question(publish, world.member, world.spaces["private"])
    reactions.press_same_question(presser, question)
    reactions.press_same_question(world.partner, question)
    db.session.commit()
    good = _comment(world.partner, question, "Voici")
    answers.accept_answer(world.animator, good)
    db.session.commit()
    for user in (world.member, presser, world.partner):
        assert [(n.publication_id, n.comment_id) for n in _notified(user, "answer")] == [(question.id, good.id)]
    assert _notified(world.animator, "answer") == []


def test_a_member_who_did_not_ask_may_not_accept(world, publish, refused):
    question = _question(publish, world.member, world.spaces["public"])
    comment = _comment(world.animator, question)
    assert not refused(PermissionDenied, answers.accept_answer, world.partner, comment).hidden
    assert db.session.get(Publication, question.id).accepted_comment_id is None


def test_the_asker_may_not_accept_a_comment_of_another_question(world, publish, refused):
    mine = _question(publish, world.member, world.spaces["public"], "Ma question")
    theirs = _question(publish, world.partner, world.spaces["public"], "Leur question")
    other = _comment(world.animator, theirs)
    assert not refused(PermissionDenied, answers.accept_answer, world.member, other).hidden
    assert db.session.get(Publication, theirs.id).accepted_comment_id is None
    assert db.session.get(Publication, mine.id).accepted_comment_id is None
    assert _count(Notification, Notification.kind == "answer") == 0


def test_a_comment_on_a_post_or_a_document_is_not_an_answer(world, create_document, publish, refused):
    post = publish(world.member, world.spaces["public"])
    on_post = _comment(world.animator, post)
    assert refused(ValidationError, answers.accept_answer, world.member, on_post).code == "not_a_question"
    document = create_document(world.spaces["public"], world.member)
    on_document = _comment(world.animator, document)
    assert refused(ValidationError, answers.accept_answer, world.member, on_document).code == "not_a_question"
    assert db.session.get(Publication, post.id).accepted_comment_id is None


def test_deleting_the_good_answer_reopens_the_question(world, publish):
    question = _question(publish, world.member, world.spaces["public"])
    good = _comment(world.animator, question)
    answers.accept_answer(world.member, good)
    db.session.commit()
    comments.delete_comment(world.animator, good)
    db.session.commit()
    assert db.session.get(Publication, question.id).accepted_comment_id is None
    assert [q.id for q in answers.open_questions(world.member, world.spaces["public"])] == [question.id]


def test_faq_lists_answered_questions_most_shared_first(world, create_user, publish, refused):
    public = world.spaces["public"]
    little = _question(publish, world.member, public, "Peu partagée")
    much = _question(publish, world.member, public, "Très partagée")
    unanswered = _question(publish, world.member, public, "Sans réponse")
    for who in (world.partner, world.animator):
        reactions.press_same_question(who, much)
        reactions.press_same_question(who, unanswered)
    reactions.press_same_question(world.partner, little)
    db.session.commit()
    for question in (little, much):
        answers.accept_answer(world.member, _comment(world.animator, question))
    db.session.commit()
    assert [q.id for q in answers.faq(world.partner, public)] == [much.id, little.id]
    assert [q.id for q in answers.open_questions(world.partner, public)] == [unanswered.id]
    assert refused(PermissionDenied, answers.faq, world.stranger, public).hidden


# --- Pins ---------------------------------------------------------------------------------------

def test_animator_pins_in_order_and_the_community_stream_shows_them_first(world, publish):
    public = world.spaces["public"]
    first, second, third = (publish(world.member, public, body=f"Message {i}") for i in range(3))
    pins.pin(world.animator, second)
    pins.pin(world.animator, first)
    db.session.commit()
    page = streams.community(world.member, public)
    assert _ids(page.pins) == [second.id, first.id]
    assert all(item.pinned for item in page.pins)
    pins.pin(world.animator, first, position=0)
    pins.pin(world.animator, second, position=1)
    db.session.commit()
    assert _ids(streams.community(world.member, public).pins) == [first.id, second.id]
    pins.unpin(world.animator, first)
    db.session.commit()
    assert _ids(streams.community(world.member, public).pins) == [second.id]
    assert third.id in _ids(streams.community(world.member, public).items)


def test_pin_end_date_in_the_past_is_refused(world, publish, refused):
    post = publish(world.member, world.spaces["public"])
    error = refused(ValidationError, pins.pin, world.animator, post, until=utcnow() - timedelta(minutes=1))
    assert "until" in error.fields
    assert _count(Pin) == 0


def test_an_expired_pin_is_not_shown(world, publish):
    public = world.spaces["public"]
    post = publish(world.member, public)
    pins.pin(world.animator, post, until=utcnow() + timedelta(days=1))
    db.session.commit()
    assert _ids(streams.community(world.member, public).pins) == [post.id]
    db.session.execute(update(Pin).values(until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert streams.community(world.member, public).pins == []


def test_admin_home_pins_show_on_the_home_of_everyone_who_may_read(world, publish):
    public_post = publish(world.animator, world.spaces["public"], body="Pour tous")
    private_post = publish(world.animator, world.spaces["private"], body="Pour les membres")
    pins.pin(world.admin, private_post, home=True)
    pins.pin(world.admin, public_post, home=True)
    db.session.commit()
    assert _ids(streams.home(world.member).pins) == [private_post.id, public_post.id]
    assert _ids(streams.home(world.outsider).pins) == [public_post.id]  # not a member of either
    assert _ids(streams.home(world.stranger).pins) == []
    assert _ids(streams.home(world.partner).pins) == [private_post.id, public_post.id]


@pytest.mark.parametrize("home", [False, True])
def test_a_member_without_the_role_may_not_pin(world, home, publish, refused):
    post = publish(world.member, world.spaces["public"])
    error = refused(PermissionDenied, pins.pin, world.member, post, home=home)
    assert not error.hidden
    assert _count(Pin) == 0


def test_an_animator_may_not_pin_to_everyones_home(world, publish, refused):
    post = publish(world.member, world.spaces["public"])
    refused(PermissionDenied, pins.pin, world.animator, post, home=True)
    assert _count(Pin) == 0


def test_unpinning_what_is_not_pinned_is_a_conflict(world, publish, refused):
    post = publish(world.member, world.spaces["public"])
    assert refused(Conflict, pins.unpin, world.animator, post).code == "not_pinned"


# --- Follows ------------------------------------------------------------------------------------

def test_follow_a_person_a_tag_and_a_document(world, create_document):
    document = create_document(world.spaces["public"], world.animator, title="Protocole")
    follows.follow(world.member, "person", world.animator.id)
    follows.follow(world.member, "tag", "Hygiène")
    follows.follow(world.member, "document", document.id)
    follows.follow(world.member, "tag", "HYGIENE")  # the same tag: kept once
    db.session.commit()
    rows = [(f.target, f.key, f.label) for f in follows.following(world.member)]
    assert rows == [("person", world.animator.id, world.animator.name), ("tag", "hygiene", "Hygiène"),
                    ("document", document.id, "Protocole")]
    assert follows.is_following(world.member, "tag", "hygiène")
    follows.unfollow(world.member, "tag", "hygiene")
    db.session.commit()
    assert not follows.is_following(world.member, "tag", "Hygiène")
    assert _count(Follow) == 2


def test_follow_refuses_oneself_and_who_one_may_not_see(world, refused):
    assert refused(ValidationError, follows.follow, world.member, "person", world.member.id).code == "follow_self"
    assert refused(PermissionDenied, follows.follow, world.partner, "person", world.outsider.id).hidden
    assert "target" in refused(ValidationError, follows.follow, world.member, "planet", 1).fields
    assert _count(Follow) == 0


def test_a_new_document_version_notifies_its_followers(app, world, create_document):
    from rse.documents import service as documents
    from rse.uploads import HashingSpool

    document = create_document(world.spaces["public"], world.animator)
    follows.follow(world.member, "document", document.id)
    follows.follow(world.outsider, "document", document.id)
    db.session.commit()
    spool = HashingSpool(app.config["UPLOAD_TMP"], app.config["MAX_UPLOAD_BYTES"])
    try:
        spool.write(pdf_bytes("Deuxième version"))
        spool.flush()
        documents.add_version(world.animator, document, documents.Upload(spool, "protocole.pdf"))
        db.session.commit()
    finally:
        spool.close()
    for follower in (world.member, world.outsider):
        assert [n.document_id for n in _notified(follower, "version")] == [document.id]
    assert _notified(world.partner, "version") == []


def test_a_followed_persons_publication_notifies_followers_who_may_read_it(world, publish):
    follows.follow(world.member, "person", world.animator.id)
    follows.follow(world.outsider, "person", world.animator.id)
    db.session.commit()
    private = publish(world.animator, world.spaces["private"], body="Réservé aux membres")
    assert [n.publication_id for n in _notified(world.member, "followed")] == [private.id]
    assert _notified(world.outsider, "followed") == []  # not a member of the private community
    public = publish(world.animator, world.spaces["public"], body="Pour tous")
    assert [n.publication_id for n in _notified(world.outsider, "followed")] == [public.id]
    assert notifications.unread_count(world.outsider) == 1


def test_a_followed_tag_notifies_followers(world, publish):
    follows.follow(world.partner, "tag", "hygiene")
    db.session.commit()
    tagged = publish(world.member, world.spaces["secret"], body="Rappel", tags=["Hygiène"])
    publish(world.member, world.spaces["secret"], body="Autre sujet", tags=["Cantine"])
    assert [n.publication_id for n in _notified(world.partner, "followed")] == [tagged.id]


def test_one_stops_following_what_one_can_no_longer_see(world, create_document):
    from rse.communities import service as communities
    from rse.documents import service as documents

    document = create_document(world.spaces["secret"], world.animator)
    follows.follow(world.partner, "person", world.member.id)
    follows.follow(world.partner, "document", document.id)
    db.session.commit()
    documents.trash_document(world.animator, document)
    for visibility in ("public", "private", "secret"):
        communities.leave(world.partner, world.spaces[visibility])
    db.session.commit()
    follows.unfollow(world.partner, "person", world.member.id)
    follows.unfollow(world.partner, "document", document.id)
    db.session.commit()
    assert follows.following(world.partner) == []
