"""Pages of the streams (home, community, person, tag), and the streams the feeds add to the pages
of lower packages (home, community, profile) through slots. Their URLs are in urls.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from rse import permissions
from rse.accounts import service as accounts
from rse.accounts.models import User
from rse.communities import service as communities
from rse.communities.models import Community
from rse.errors import BadRequest, ValidationError
from rse.feeds.cards import Cards
from rse.feeds.models import FollowTarget
from rse.feeds.publications.forms import KIND_LABELS, PublicationForm
from rse.feeds.social import follows
from rse.forms import ActionForm, error_text
from rse.web import is_htmx

from . import service as streams

STREAM_TABS = (
    ("", _l("Tout")), ("post", _l("Messages")), ("announcement", _l("Annonces")), ("question", _l("Questions")),
    ("link", _l("Liens")), ("wiki", _l("Wiki")), ("document", _l("Documents")),
)


def kind_arg() -> str | None:
    """The stream filter of the query string; an unknown one is refused with its own message."""
    try:
        return streams.clean_kind(request.args.get("kind") or None)
    except ValidationError as exc:
        raise ValidationError(error_text(exc), code=exc.code) from None


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
    destinations, action_form = streams.suggested_to(current_user, page), ActionForm()
    shown = [(item, True) for item in page.pins] + [(item, False) for item in page.items]
    return {"page": page, "kind": kind or "", "source": source, "tabs": STREAM_TABS,
            "destinations": destinations, "action_form": action_form,
            "cards": Cards(shown, destinations=destinations, show_community=source.show_community,
                           action_form=action_form)}


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
    return Source("streams.home_stream", "communities.home")


def _community_source(community: Community) -> Source:
    return Source("streams.community_stream", "communities.show", {"community_id": community.id},
                  {"community_id": community.id}, show_community=False)


def _person_source(person: User) -> Source:
    return Source("streams.person_stream", "accounts.profile", {"user_id": person.id}, {"user_id": person.id})


def _tag_source(tag: str) -> Source:
    return Source("streams.tag_stream", "streams.tag", {"tag": tag}, {"tag": tag})


def home_stream():
    return _stream_response(lambda cursor, kind: streams.home(current_user, cursor=cursor, kind=kind),
                            _home_source(), _("Fil d'actualité"), url_for("communities.home"))


def community_stream(community_id: int):
    community = communities.get_community(current_user, community_id, "read")
    return _stream_response(
        lambda cursor, kind: streams.community(current_user, community, cursor=cursor, kind=kind),
        _community_source(community), _("Activité de l'espace « %(name)s »", name=community.name),
        url_for("communities.show", community_id=community.id))


def person_stream(user_id: int):
    person = accounts.get_user(current_user, user_id)
    return _stream_response(
        lambda cursor, kind: streams.person(current_user, person, cursor=cursor, kind=kind),
        _person_source(person), _("Activité de %(name)s", name=person.name),
        url_for("accounts.profile", user_id=person.id))


def tag_stream(tag: str):
    return _stream_response(lambda cursor, kind: streams.tag(current_user, tag, cursor=cursor, kind=kind),
                            _tag_source(tag), _("Mot-clé « %(tag)s »", tag=streams.tag_label(current_user, tag)),
                            url_for("streams.tag", tag=tag))


def tag(tag: str):
    kind = kind_arg()
    page = streams.tag(current_user, tag, kind=kind)
    return render_template("feeds/tag.html", label=streams.tag_label(current_user, tag), tag=tag,
                           follow=follows.state(current_user, FollowTarget.TAG, tag),
                           **_stream_context(page, kind, _tag_source(tag)))


# --- Slots: the streams in lower packages' pages (home, community, profile) ----------------------

def home_slot(**_context) -> str:
    kind = kind_arg()
    page = streams.home(current_user, kind=kind)
    return render_template("feeds/_home.html", **_stream_context(page, kind, _home_source()))


def community_slot(community: Community, **_context) -> str:
    kind = kind_arg()
    page = streams.community(current_user, community, kind=kind)
    return render_template("feeds/_community.html", community=community,
                           can_contribute=permissions.can(current_user, "contribute", community),
                           quick_form=PublicationForm(formdata=None), kinds=KIND_LABELS,
                           **_stream_context(page, kind, _community_source(community)))


def profile_slot(person: User, **_context) -> str:
    kind = kind_arg()
    page = streams.person(current_user, person, kind=kind)
    follow_state = None if person.id == current_user.id else follows.state(current_user, FollowTarget.PERSON, person.id)
    return render_template("feeds/_profile.html", person=person, follow=follow_state,
                           **_stream_context(page, kind, _person_source(person)))
