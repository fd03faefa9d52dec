"""The permission layer's SQL filters select exactly what its policies allow, for every registered type.

Over a world of every kind of actor (administrator, animator, member and reader of each community,
staff and partner outside them, deactivated, expired, nobody) and of target (public, private and
secret communities; live, deleted and trashed items; comments, tags, folders, quick links), for
each type whose filters are registered:
- `readable(actor, T)` holds exactly where `can(actor, "read", x)` does;
- `visible(actor, T)` holds exactly where the policy does not hide x (`decide(...) is not HIDDEN`);
- `readers(x)` selects exactly the people for whom `can(person, "read", x)`.
A list that uses the filters therefore says no more and no less than the object routes.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rse import permissions
from rse.accounts.models import User
from rse.communities import service as communities
from rse.communities.models import Community, QuickLink
from rse.database import db
from rse.documents import service as documents
from rse.documents.models import Document, Folder
from rse.feeds.models import Comment, Publication, Tagging
from rse.feeds.publications import service as publications
from rse.feeds.social import comments
from rse.permissions import Decision
from rse.plans import service as plans
from rse.plans.models import Action, Plan

# Every type whose rows are read on someone's behalf: each must register its filters.
CONTENT_TYPES = {Community, User, Publication, Document, Comment, Tagging, Folder, QuickLink, Plan, Action}
READER_TYPES = {Community, Publication, Document, Plan, Action}


@pytest.fixture
def every_kind(world, snapshot, create_user, create_document):
    """The permission matrix's world (every kind of actor around a public, a private and a secret
    community) with a reader in each community, and every kind of item in each."""
    reader_id = snapshot("every_kind", lambda: _every_kind(world, create_user, create_document))
    return [world.admin, world.animator, world.member, db.session.get(User, reader_id), world.partner,
            world.outsider, world.stranger, world.deactivated, world.expired, None]


def _every_kind(world, create_user, create_document) -> int:
    reader = create_user("staff", name="Lectrice")
    member, animator = world.member, world.animator
    for space in world.spaces.values():
        communities.add_member(animator, space, reader, "reader")
        post = publications.publish(member, space, {"kind": "post", "body": "Message", "tags": ["Fusion"]})
        gone = publications.publish(member, space, {"kind": "question", "title": "Supprimée ?", "body": "Texte"})
        live_doc = create_document(space, member, title=f"Protocole {space.visibility}", tags=["Hygiène"])
        trashed_by_member = create_document(space, member, title="Ancien protocole")
        trashed_by_animator = create_document(space, animator, title="Brouillon")
        for target in (post, gone, live_doc, trashed_by_member):
            comments.add_comment(member, target, "Un avis")
            dropped = comments.add_comment(member, target, "Retiré")
            comments.delete_comment(member, dropped)
        publications.delete_publication(member, gone)
        documents.trash_document(member, trashed_by_member)
        documents.trash_document(animator, trashed_by_animator)
        documents.create_folder(member, space, "Comptes rendus")
        communities.add_link(animator, "Intranet", "https://intranet.example/", community=space)
        plan = plans.create_plan(animator, space, {"title": f"Plan {space.visibility}"})
        objective = plans.add_objective(animator, plan, {"title": "Objectif"})
        plans.create_action(animator, objective, {"title": "Action", "owner_id": member.id})
    communities.add_link(world.outsider, "Mes favoris", "https://favoris.example/")
    communities.add_link(world.partner, "Agence", "https://agence.example/")
    db.session.commit()
    return reader.id


def _label(actor) -> str:
    return "nobody" if actor is None else actor.name


def test_every_content_type_registers_its_filters(app):
    registered = permissions.registered_filters()
    assert registered["readable"] >= CONTENT_TYPES
    assert registered["visible"] >= CONTENT_TYPES
    assert registered["readers"] >= READER_TYPES


@pytest.mark.parametrize("model", sorted(CONTENT_TYPES, key=lambda m: m.__name__), ids=lambda m: m.__name__)
def test_sql_filters_select_what_the_policy_allows(every_kind, model):
    rows = list(db.session.scalars(select(model)))
    assert rows, f"the world holds no {model.__name__}"
    for actor in every_kind:
        readable = set(db.session.scalars(select(model.id).where(permissions.readable(actor, model))))
        visible = set(db.session.scalars(select(model.id).where(permissions.visible(actor, model))))
        decisions = {row.id: permissions.decide(actor, "read", row) for row in rows}
        assert readable == {i for i, d in decisions.items() if d is Decision.ALLOW}, (model.__name__, _label(actor))
        assert visible == {i for i, d in decisions.items() if d is not Decision.HIDDEN}, (model.__name__, _label(actor))
        assert readable <= visible


def test_each_meaning_differs_where_it_should(every_kind):
    """Not a tautology: a private community is visible but not readable to a staff outsider, a
    trashed document readable by its author but by no other member."""
    outsider, member = every_kind[5], every_kind[2]
    private = db.session.scalar(select(Community).where(Community.name == "Espace private"))
    assert private.id in set(db.session.scalars(select(Community.id).where(permissions.visible(outsider, Community))))
    assert private.id not in set(db.session.scalars(select(Community.id).where(
        permissions.readable(outsider, Community))))
    trashed = db.session.scalar(select(Document).where(Document.title == "Ancien protocole",
                                                       Document.community_id == private.id))
    reader = every_kind[3]
    assert trashed.id in set(db.session.scalars(select(Document.id).where(permissions.readable(member, Document))))
    assert trashed.id not in set(db.session.scalars(select(Document.id).where(permissions.readable(reader, Document))))


def test_readers_are_the_people_the_policy_lets_read(every_kind):
    people = list(db.session.scalars(select(User)))
    targets = [*db.session.scalars(select(Community)), *db.session.scalars(select(Publication)),
               *db.session.scalars(select(Document)), *db.session.scalars(select(Plan)),
               *db.session.scalars(select(Action))]
    assert {type(t) for t in targets} == READER_TYPES
    for target in targets:
        readers = set(db.session.scalars(select(User.id).where(permissions.readers(target))))
        assert readers == {p.id for p in people if permissions.can(p, "read", target)}, target
