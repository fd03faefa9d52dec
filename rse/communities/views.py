"""Community pages: home, list, page, members, invitations, settings, quick links."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from rse import permissions
from rse.accounts import service as accounts
from rse.accounts.web import sign_in
from rse.errors import Conflict
from rse.extensions import limiter
from rse.forms import ActionForm, commit_work, end_of_day, run_and_flash, submit
from rse.fragments import Fragments, row_state
from rse.i18n import DEFAULT_LOCALE
from rse.web import is_htmx, next_url

from . import invitations, service
from .forms import ROLE_LABELS, AcceptInvitationForm, CommunityForm, InviteForm, JoinRequestForm, LinkForm, RoleForm
from .models import Community

bp = Blueprint("communities", __name__)


@bp.app_context_processor
def labels():
    return {"ROLE_LABELS": ROLE_LABELS}


@bp.route("/")
def home():
    communities = service.list_communities(current_user, mine=True)
    cards = Fragments("space", {community.id: (row_state(community), role, count)
                                for community, role, count in communities})
    return render_template("communities/home.html", communities=communities, cards=cards,
                           links=service.list_links(current_user),
                           link_form=LinkForm(), action_form=ActionForm())


@bp.route("/liens", methods=["POST"])
def add_personal_link():
    form = LinkForm()
    if form.validate_on_submit():
        run_and_flash(lambda: service.add_link(current_user, form.title.data, form.url.data))
    else:
        flash(_("Indiquez un titre et une adresse."), "error")
    return redirect(url_for("communities.home"))


def _link_change(work):
    """A personal or community quick link's button: remove it or move it, then back to where it was."""
    if ActionForm().validate_on_submit():
        commit_work(work)
        return redirect(next_url(url_for("communities.home")))
    return redirect(request.referrer or url_for("communities.home"))


@bp.route("/liens/<int:link_id>/supprimer", methods=["POST"])
def remove_link(link_id: int):
    return _link_change(lambda: service.remove_link(current_user, link_id))


@bp.route("/liens/<int:link_id>/monter", methods=["POST"])
def move_link_up(link_id: int):
    return _link_change(lambda: service.move_link(current_user, link_id, -1))


@bp.route("/liens/<int:link_id>/descendre", methods=["POST"])
def move_link_down(link_id: int):
    return _link_change(lambda: service.move_link(current_user, link_id, 1))


@bp.route("/espaces")
def index():
    query = request.args.get("q", "")[:100]
    scope = request.args.get("vue", "tous")
    rows = service.list_communities(current_user, mine=scope == "miens", query=query)
    template = "communities/_list.html" if is_htmx() else "communities/index.html"
    joining, action_form = _joining(rows), ActionForm()
    row_cards = Fragments("space-row", {community.id: (row_state(community), role, count, joining[community.id])
                                        for community, role, count in rows}, action_form)
    return render_template(template, rows=rows, query=query, scope=scope, joining=joining, row_cards=row_cards,
                           action_form=action_form, can_create=permissions.can(current_user, "community.create"))


def _joining(rows) -> dict[int, str | None]:
    """What each listed space offers the viewer: "member", "join", "request", "pending" or nothing.

    The same rules as the space's own page (an administrator may both join and request: joining is
    the simpler of the two).
    """
    offers: dict[int, str | None] = {}
    pending = service.pending_request_ids(current_user)
    for community, role, _count in rows:
        if role:
            offers[community.id] = "member"
        elif permissions.can(current_user, "join", community):
            offers[community.id] = "join"
        elif permissions.can(current_user, "request_join", community):
            offers[community.id] = "pending" if community.id in pending else "request"
        else:
            offers[community.id] = None
    return offers


@bp.route("/espaces/nouveau", methods=["GET", "POST"])
def create():
    permissions.require(current_user, "community.create")
    form = CommunityForm()
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        community, status = submit(form, lambda: service.create_community(current_user, _community_data(form)))
        if community is not None:
            flash(_("Espace créé. Invitez maintenant ses membres."), "success")
            return redirect(url_for("communities.members", community_id=community.id))
    return render_template("communities/form.html", form=form, community=None), status


def _community_data(form: CommunityForm) -> dict:
    return {"name": form.name.data, "description": form.description.data,
            "visibility": form.visibility.data, "sensitive": bool(form.sensitive.data)}


# Service field names that a form calls otherwise.
_FORM_FIELDS = {"account_expires_at": "account_expires_on"}


@bp.route("/espaces/<int:community_id>")
def show(community_id: int):
    community = service.get_community(current_user, community_id, "view")
    can_read = permissions.can(current_user, "read", community)
    return render_template(
        "communities/show.html", community=community, can_read=can_read,
        role=service.membership_role(current_user.id, community.id),
        can=lambda action: permissions.can(current_user, action, community),
        pending=service.pending_request(current_user, community),
        links=service.list_links(current_user, community) if can_read else [],
        member_count=service.member_count(current_user, community),
        action_form=ActionForm(), link_form=LinkForm(), request_form=JoinRequestForm())


def _membership_change(community_id: int, work, success: Callable[[Community], str]):
    """Join, leave or ask to join: the change, then the community's page (the list once out of sight)."""
    community = service.get_community(current_user, community_id, "view")
    form = JoinRequestForm()
    if form.validate_on_submit():
        run_and_flash(lambda: work(community, form), success=success(community))
    if not permissions.can(current_user, "view", community):
        return redirect(url_for("communities.index"))
    return redirect(url_for("communities.show", community_id=community.id))


@bp.route("/espaces/<int:community_id>/rejoindre", methods=["POST"])
def join(community_id: int):
    return _membership_change(community_id, lambda community, _form: service.join(current_user, community),
                              lambda community: _("Bienvenue dans l'espace « %(name)s ».", name=community.name))


@bp.route("/espaces/<int:community_id>/quitter", methods=["POST"])
def leave(community_id: int):
    return _membership_change(community_id, lambda community, _form: service.leave(current_user, community),
                              lambda community: _("Vous avez quitté l'espace « %(name)s ».", name=community.name))


@bp.route("/espaces/<int:community_id>/demander", methods=["POST"])
def request_to_join(community_id: int):
    return _membership_change(
        community_id, lambda community, form: service.request_to_join(current_user, community, form.message.data or ""),
        lambda _community: _("Votre demande est envoyée aux animateurs."))


@bp.route("/espaces/<int:community_id>/membres", methods=["GET", "POST"])
@limiter.limit("60 per hour", methods=["POST"])
def members(community_id: int):
    community = service.get_community(current_user, community_id, "read")
    manage = permissions.can(current_user, "manage", community)
    invite_form = InviteForm(locale=current_user.locale or DEFAULT_LOCALE)
    status = 200
    if request.method == "POST":
        permissions.require(current_user, "invite", community)
        if invite_form.validate_on_submit():
            result, status = submit(invite_form, lambda: invitations.invite(
                current_user, community, invite_form.email.data, invite_form.role.data,
                end_of_day(invite_form.account_expires_on.data), locale=invite_form.locale.data or None),
                names=_FORM_FIELDS)
            if result is not None:
                if isinstance(result, invitations.Invitation):
                    flash(_("Invitation envoyée à %(email)s.", email=result.email), "success")
                else:
                    flash(_("%(name)s a rejoint l'espace et en est prévenu.", name=result.user.name), "success")
                return redirect(url_for("communities.members", community_id=community.id))
        else:
            status = 422
    return render_template(
        "communities/members.html", community=community, manage=manage,
        members=service.list_members(current_user, community),
        pending=invitations.list_pending_invitations(current_user, community) if manage else [],
        requests=service.list_join_requests(current_user, community) if manage else [],
        invite_form=invite_form, role_form=RoleForm(), action_form=ActionForm()), status


def _member_change(community_id: int, form, work):
    community = service.get_community(current_user, community_id, "read")
    permissions.require(current_user, "manage", community)
    if form.validate_on_submit():
        run_and_flash(lambda: work(community), success=_("Modification enregistrée."))
    return redirect(url_for("communities.members", community_id=community.id))


@bp.route("/espaces/<int:community_id>/membres/<int:user_id>/role", methods=["POST"])
def change_member_role(community_id: int, user_id: int):
    form = RoleForm()
    return _member_change(community_id, form,
                          lambda community: service.change_role(current_user, community, user_id, form.role.data))


@bp.route("/espaces/<int:community_id>/membres/<int:user_id>/retirer", methods=["POST"])
def remove_member(community_id: int, user_id: int):
    return _member_change(community_id, ActionForm(),
                          lambda community: service.remove_member(current_user, community, user_id))


@bp.route("/espaces/<int:community_id>/invitations/<int:invitation_id>/annuler", methods=["POST"])
def revoke_invitation(community_id: int, invitation_id: int):
    community = service.get_community(current_user, community_id, "read")
    if ActionForm().validate_on_submit():
        commit_work(lambda: invitations.revoke_invitation(current_user, community, invitation_id))
        flash(_("Invitation annulée."), "success")
    return redirect(url_for("communities.members", community_id=community.id))


def _decide_request(community_id: int, request_id: int, *, approve: bool):
    community = service.get_community(current_user, community_id, "read")
    if ActionForm().validate_on_submit():
        commit_work(lambda: service.decide_join_request(current_user, community, request_id, approve=approve))
        flash(_("Demande acceptée.") if approve else _("Demande refusée."), "success")
    return redirect(url_for("communities.members", community_id=community.id))


@bp.route("/espaces/<int:community_id>/demandes/<int:request_id>/accepter", methods=["POST"])
def accept_request(community_id: int, request_id: int):
    return _decide_request(community_id, request_id, approve=True)


@bp.route("/espaces/<int:community_id>/demandes/<int:request_id>/refuser", methods=["POST"])
def refuse_request(community_id: int, request_id: int):
    return _decide_request(community_id, request_id, approve=False)


@bp.route("/espaces/<int:community_id>/parametres", methods=["GET", "POST"])
def settings(community_id: int):
    community = service.get_community(current_user, community_id, "read")
    permissions.require(current_user, "manage", community)
    form = CommunityForm(obj=community)
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        done, status = submit(form, lambda: service.update_community(current_user, community, _community_data(form)))
        if done is not None:
            flash(_("Paramètres enregistrés."), "success")
            return redirect(url_for("communities.show", community_id=community.id))
    return render_template("communities/form.html", form=form, community=community), status


@bp.route("/espaces/<int:community_id>/liens", methods=["POST"])
def add_community_link(community_id: int):
    community = service.get_community(current_user, community_id, "read")
    permissions.require(current_user, "manage", community)
    form = LinkForm()
    if form.validate_on_submit():
        run_and_flash(lambda: service.add_link(current_user, form.title.data, form.url.data, community=community))
    else:
        flash(_("Indiquez un titre et une adresse."), "error")
    return redirect(url_for("communities.show", community_id=community.id))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def accept_invitation(token: str):
    invitation = invitations.find_invitation(token)
    # The page speaks the language of the email that brought the invitee here, not their browser's.
    with force_locale(invitations.invitation_locale(invitation)):
        return _accept_invitation(token, invitation)


def _accept_invitation(token: str, invitation: invitations.Invitation):
    if current_user.is_authenticated and current_user.email != invitation.email:
        # Accepting here would create or join another account from this person's session.
        raise Conflict(_("Cette invitation est destinée à %(email)s : déconnectez-vous pour l'accepter.",
                         email=invitation.email), code="invitation_other_account")
    existing = accounts.find_user_by_email(invitation.email)
    form = AcceptInvitationForm()
    if existing is not None and request.method == "POST" and ActionForm().validate_on_submit():
        _user, community, _created = commit_work(lambda: invitations.accept_invitation(token, existing.name, ""))
        flash(_("Vous avez rejoint l'espace « %(name)s ». Connectez-vous.", name=community.name), "success")
        return redirect(url_for("accounts.login", next=url_for("communities.show", community_id=community.id)))
    if existing is None and form.validate_on_submit():
        if form.password.data != form.confirm.data:
            form.confirm.errors.append(_("Les deux mots de passe diffèrent."))
        else:
            def work():
                user, community, _created = invitations.accept_invitation(token, form.name.data, form.password.data)
                sign_in(user)
                return user, community

            accepted, _status = submit(form, work)
            if accepted is not None:
                user, community = accepted
                flash(_("Bienvenue sur Maillage, %(name)s.", name=user.name), "success")
                return redirect(url_for("communities.show", community_id=community.id))
    status = 422 if request.method == "POST" else 200
    return render_template("communities/accept_invitation.html", invitation=invitation, form=form,
                           existing=existing, action_form=ActionForm()), status


def admin_user_spaces_slot(person, **_context) -> str:
    """The spaces a person belongs to, on their administration page (slot "admin_user.main")."""
    return render_template("communities/_admin_user_spaces.html", person=person,
                           memberships=service.memberships_of(current_user, person))
