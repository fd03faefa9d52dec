"""Membership rules: join, request, approve or refuse, roles, the last animator, quick links."""

import pytest
from sqlalchemy import func, select

from rse.audit.models import AuditEntry
from rse.communities import service
from rse.communities.models import JoinRequest, Membership, QuickLink
from rse.errors import Conflict, NotFound, PermissionDenied, ValidationError


def test_join_request_then_approval(create_user, create_community, db):
    animator, applicant = create_user("staff"), create_user("staff")
    community = create_community(animator, visibility="private")
    service.request_to_join(applicant, community, "Je coordonne la qualité à Roanne.")
    db.session.commit()
    [pending] = service.list_join_requests(animator, community)
    assert pending.user_id == applicant.id and pending.message.startswith("Je coordonne")
    with pytest.raises(Conflict):
        service.request_to_join(applicant, community)
    service.decide_join_request(animator, community, pending.id, approve=True)
    db.session.commit()
    assert service.membership_role(applicant.id, community.id) == "member"
    assert db.session.get(JoinRequest, pending.id).status == "approved"


def test_refused_request_can_be_made_again(create_user, create_community, db):
    animator, applicant = create_user("staff"), create_user("staff")
    community = create_community(animator, visibility="private")
    request = service.request_to_join(applicant, community)
    service.decide_join_request(animator, community, request.id, approve=False)
    db.session.commit()
    assert service.membership_role(applicant.id, community.id) is None
    service.request_to_join(applicant, community)  # the unique index covers pending requests only
    db.session.commit()


def test_requests_are_not_for_public_secret_or_partners(create_user, create_community):
    staff, partner = create_user("staff"), create_user("partner")
    with pytest.raises(PermissionDenied):
        service.request_to_join(staff, create_community(visibility="public"))
    with pytest.raises(PermissionDenied) as secret:
        service.request_to_join(staff, create_community(visibility="secret"))
    assert secret.value.status == 404
    with pytest.raises(PermissionDenied) as private:
        service.request_to_join(partner, create_community(visibility="private"))
    assert private.value.status == 404


def test_member_cannot_decide_requests(create_user, create_community, db):
    animator, member, applicant = create_user("staff"), create_user("staff"), create_user("staff")
    community = create_community(animator, members=[(member, "member")])
    request = service.request_to_join(applicant, community)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        service.decide_join_request(member, community, request.id, approve=True)
    with pytest.raises(NotFound):
        service.decide_join_request(animator, community, 999999, approve=True)


def test_reader_reads_and_comments_but_does_not_contribute(create_user, create_community):
    from rse.permissions import can

    reader = create_user("staff")
    community = create_community(members=[(reader, "reader")])
    assert can(reader, "read", community) and can(reader, "comment", community)
    assert not can(reader, "contribute", community) and not can(reader, "manage", community)


def test_two_animators_demote_each_other_only_one_succeeds(create_user, create_community, db):
    first, second = create_user("staff"), create_user("staff")
    community = create_community(first, members=[(second, "animator")])
    service.change_role(first, community, second.id, "member")
    db.session.commit()
    with pytest.raises(PermissionDenied):
        service.change_role(second, community, first.id, "member")  # no longer an animator
    with pytest.raises(Conflict):
        service.change_role(first, community, first.id, "member")  # the last one stays
    roles = dict(db.session.execute(select(Membership.user_id, Membership.role)).all())
    assert roles == {first.id: "animator", second.id: "member"}


def test_membership_changes_are_audited(create_user, create_community, db):
    animator, colleague = create_user("staff"), create_user("staff")
    community = create_community(animator)
    service.add_member(animator, community, colleague, "member")
    service.change_role(animator, community, colleague.id, "reader")
    service.remove_member(animator, community, colleague.id)
    db.session.commit()
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "community")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["community.created", "membership.added", "membership.role_changed", "membership.removed"]


def test_quick_links_for_a_community_and_a_person(create_user, create_community, db):
    animator, member = create_user("staff"), create_user("staff")
    community = create_community(animator, members=[(member, "member")])
    first = service.add_link(animator, "Calendrier", "https://www.ars.sante.fr/", community=community)
    second = service.add_link(animator, "Intranet", "/espaces", community=community)
    db.session.commit()
    service.move_link(animator, second.id, -1)
    db.session.commit()
    assert [link.title for link in service.list_links(member, community)] == ["Intranet", "Calendrier"]
    with pytest.raises(PermissionDenied):
        service.add_link(member, "X", "https://x.fr", community=community)
    with pytest.raises(PermissionDenied):
        service.remove_link(member, first.id)
    mine = service.add_link(member, "Mon agenda", "https://agenda.ght-exemple.fr")
    db.session.commit()
    assert [link.title for link in service.list_links(member)] == ["Mon agenda"]
    with pytest.raises(PermissionDenied) as foreign:
        service.remove_link(animator, mine.id)
    assert foreign.value.status == 404


def test_a_communitys_links_and_member_count_are_for_those_who_may_see_it(create_user, create_community, db):
    animator, outsider = create_user("staff"), create_user("staff")
    community = create_community(animator, visibility="secret")
    service.add_link(animator, "Tableau de bord", "https://ars.example/", community=community)
    db.session.commit()
    assert [link.title for link in service.list_links(animator, community)] == ["Tableau de bord"]
    assert service.member_count(animator, community) == 1
    for ask in (lambda: service.list_links(outsider, community), lambda: service.member_count(outsider, community)):
        with pytest.raises(PermissionDenied) as refused:
            ask()
        assert refused.value.hidden  # a secret community's links and size are as missing as it is


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "//evil.example", "ftp://x", "", "x" * 2001])
def test_quick_link_urls_are_checked(create_user, url, db):
    user = create_user("staff")
    with pytest.raises(ValidationError):
        service.add_link(user, "Lien", url)
    assert db.session.scalar(select(func.count(QuickLink.id))) == 0


def test_community_names_are_unique_ignoring_case(create_user, create_community):
    create_community(name="Achats")
    with pytest.raises(Conflict):
        service.create_community(create_user("staff"), {"name": "ACHATS"})


def test_a_role_kept_for_the_transaction_follows_every_change_made_in_it(create_user, create_community, db):
    """membership_role remembers its answers within a transaction: each way of changing a membership
    (an object added or edited and not yet flushed, a bulk statement, a rollback, a commit elsewhere)
    is seen by the next permission check."""
    from sqlalchemy import delete, update

    from rse import permissions

    animator, reader = create_user("staff"), create_user("staff")
    community = create_community(animator, visibility="private")
    assert not permissions.can(reader, "read", community)

    membership = Membership(community_id=community.id, user_id=reader.id, role="reader")
    db.session.add(membership)  # not flushed
    assert permissions.can(reader, "read", community) and not permissions.can(reader, "contribute", community)

    membership.role = "member"  # edited in place, not flushed
    assert permissions.can(reader, "contribute", community)

    db.session.execute(update(Membership).where(Membership.user_id == reader.id).values(role="reader"))
    assert not permissions.can(reader, "contribute", community)

    db.session.rollback()
    assert not permissions.can(reader, "read", community)

    db.session.add(Membership(community_id=community.id, user_id=reader.id, role="member"))
    db.session.commit()
    assert permissions.can(reader, "contribute", community)
    db.session.execute(delete(Membership).where(Membership.user_id == reader.id))
    assert not permissions.can(reader, "read", community)
    db.session.commit()
