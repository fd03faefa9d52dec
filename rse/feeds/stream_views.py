"""Pages of the streams (home, community, person, tag), the FAQ and follows, and the parts the
feeds add to the pages of lower packages (home, community, profile, document) through slots."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from rse import permissions, slots
from rse.accounts import service as accounts
from rse.accounts.models import User
from rse.communities import service as communities
from rse.communities.models import Community
from rse.documents.models import Document
from rse.errors import BadRequest, ValidationError
from rse.forms import ActionForm, error_text, form_id

from . import comments, follows, service, streams
from .forms import KIND_LABELS, CommentForm, FollowForm, PublicationForm
from .models import FollowTarget
from .views import attempt, bp, is_htmx, kind_arg, next_url

STREAM_TABS = (
    ("", _l("Tout")), ("post", _l("Messages")), ("announcement", _l("Annonces")), ("question", _l("Questions")),
    ("link", _l("Liens")), ("wiki", _l("Wiki")), ("document", _l("Documents")),
)


# --- Streams ----------------------------------------------------------------------------------------

@dataclass
class Source:
    """Where a stream's fragments come from (`partial`) and the page its tabs lead to (`page`)."""

    partial: str
    page: str
    args: dict = field(default_factory=dict)
    page_args: dict = field(default_factory=dict)
    show_community: bool = True  # not on a community's own stream


def _stream_context(page: streams.Page, kind: str | None, source: Source) -> dict:
    return {"page": page, "kind": kind or "", "source": source, "tabs": STREAM_TABS,
            "destinations": streams.suggested_to(current_user, page), "action_form": ActionForm()}


def _stream_response(load, source: Source, title: str, back: str):
    """A stream's next page (or a filtered first page): a fragment for htmx, else a page of its own."""
    cursor = request.args.get("cursor") or None
    try:
        kind = kind_arg()
        page = load(cursor, kind)
    except (BadRequest, ValidationError) as exc:
        if not is_htmx():
            raise
        return render_template("feeds/_stream_error.html", message=error_text(exc), back=back,
                               wrap="item" if cursor else "stream"), exc.status
    context = _stream_context(page, kind, source)
    if is_htmx():
        template = "feeds/_items.html" if cursor else "feeds/_stream.html"
        return render_template(template, focus_first=bool(cursor), **context)
    return render_template("feeds/stream_page.html", title=title, back=back, more=bool(cursor), **context)


def _home_source() -> Source:
    return Source("feeds.home_stream", "communities.home")


def _community_source(community: Community) -> Source:
    return Source("feeds.community_stream", "communities.show", {"community_id": community.id},
                  {"community_id": community.id}, show_community=False)


def _person_source(person: User) -> Source:
    return Source("feeds.person_stream", "accounts.profile", {"user_id": person.id}, {"user_id": person.id})


def _tag_source(tag: str) -> Source:
    return Source("feeds.tag_stream", "feeds.tag", {"tag": tag}, {"tag": tag})


@bp.route("/fil")
def home_stream():
    return _stream_response(lambda cursor, kind: streams.home(current_user, cursor=cursor, kind=kind),
                            _home_source(), _("Fil d'actualité"), url_for("communities.home"))


@bp.route("/espaces/<int:community_id>/fil")
def community_stream(community_id: int):
    community = communities.get_community(current_user, community_id, "read")
    return _stream_response(
        lambda cursor, kind: streams.community(current_user, community, cursor=cursor, kind=kind),
        _community_source(community), _("Activité de l'espace « %(name)s »", name=community.name),
        url_for("communities.show", community_id=community.id))


@bp.route("/personnes/<int:user_id>/fil")
def person_stream(user_id: int):
    person = accounts.get_user(user_id)
    permissions.require(current_user, "read", person)
    return _stream_response(
        lambda cursor, kind: streams.person(current_user, person, cursor=cursor, kind=kind),
        _person_source(person), _("Activité de %(name)s", name=person.name),
        url_for("accounts.profile", user_id=person.id))


@bp.route("/mots-cles/<path:tag>/fil")
def tag_stream(tag: str):
    return _stream_response(lambda cursor, kind: streams.tag(current_user, tag, cursor=cursor, kind=kind),
                            _tag_source(tag), _("Mot-clé « %(tag)s »", tag=streams.tag_label(current_user, tag)),
                            url_for("feeds.tag", tag=tag))


@bp.route("/mots-cles/<path:tag>")
def tag(tag: str):
    kind = kind_arg()
    page = streams.tag(current_user, tag, kind=kind)
    return render_template("feeds/tag.html", label=streams.tag_label(current_user, tag), tag=tag,
                           follow=follows.state(current_user, FollowTarget.TAG, tag),
                           **_stream_context(page, kind, _tag_source(tag)))


@bp.route("/espaces/<int:community_id>/faq")
def faq(community_id: int):
    community = communities.get_community(current_user, community_id, "read")
    questions = service.faq(current_user, community)
    answers = service.accepted_answers(current_user, questions)
    return render_template("feeds/faq.html", community=community, questions=questions, answers=answers,
                           open_questions=service.open_questions(current_user, community),
                           can_contribute=permissions.can(current_user, "contribute", community))


# --- Follows ----------------------------------------------------------------------------------------

def _follow_key(target: str | None, raw: str):
    if target in (FollowTarget.PERSON, FollowTarget.DOCUMENT):
        return form_id(raw)
    return raw


@bp.route("/suivre", methods=["POST"])
def follow():
    form = FollowForm()
    target, action = form.target.data, form.action.data
    key = _follow_key(target, form.key.data or "")
    if action not in ("follow", "unfollow"):
        raise BadRequest(_("Action inconnue : suivre ou ne plus suivre."))
    if action == "follow":
        message, status = attempt(lambda: follows.follow(current_user, target, key))
    else:
        message, status = attempt(lambda: follows.unfollow(current_user, target, key))
    state = follows.state(current_user, target, key) if status == 200 else None
    if is_htmx():
        if state is None:
            return render_template("feeds/_stream_error.html", message=message, back=None), status
        return render_template("feeds/_follow.html", follow=state, action_form=ActionForm())
    if message:
        flash(message, "error")
    elif state["following"]:
        flash(_("Vous suivez désormais « %(name)s ».", name=state["name"]), "success")
    elif state["name"]:
        flash(_("Vous ne suivez plus « %(name)s ».", name=state["name"]), "success")
    else:
        flash(_("Vous ne suivez plus cet élément."), "success")
    return redirect(next_url(url_for("communities.home")))


# --- Slots: the parts of other packages' pages --------------------------------------------------

def _home_slot(**_context) -> str:
    kind = kind_arg()
    page = streams.home(current_user, kind=kind)
    return render_template("feeds/_home.html", **_stream_context(page, kind, _home_source()))


def _community_slot(community: Community, **_context) -> str:
    kind = kind_arg()
    page = streams.community(current_user, community, kind=kind)
    return render_template("feeds/_community.html", community=community,
                           can_contribute=permissions.can(current_user, "contribute", community),
                           quick_form=PublicationForm(formdata=None), kinds=KIND_LABELS,
                           **_stream_context(page, kind, _community_source(community)))


def _profile_slot(person: User, **_context) -> str:
    kind = kind_arg()
    page = streams.person(current_user, person, kind=kind)
    follow_state = None if person.id == current_user.id else follows.state(current_user, FollowTarget.PERSON, person.id)
    return render_template("feeds/_profile.html", person=person, follow=follow_state,
                           **_stream_context(page, kind, _person_source(person)))


def _document_comments_slot(document: Document, **_context) -> str:
    may_comment = not document.in_trash and permissions.can(current_user, "comment", document.community)
    return render_template("feeds/_document_comments.html", document=document,
                           comments=comments.list_comments(current_user, document), may_comment=may_comment,
                           may=lambda action, comment: permissions.can(current_user, action, comment),
                           comment_form=CommentForm(formdata=None), action_form=ActionForm())


def _document_follow_slot(document: Document, **_context) -> str:
    if document.in_trash:
        return ""
    return render_template("feeds/_document_follow.html",
                           follow=follows.state(current_user, FollowTarget.DOCUMENT, document.id),
                           action_form=ActionForm())


def register_slots(app: Flask) -> None:
    slots.register(app, "home.main", _home_slot)
    slots.register(app, "community.main", _community_slot)
    slots.register(app, "profile.main", _profile_slot)
    slots.register(app, "document.main", _document_comments_slot)
    slots.register(app, "document.aside", _document_follow_slot)
