"""Feeds: what people publish and how it reaches others, in four topics and their editor.

- publications/: posts, announcements, questions, links and wiki pages (with versions, pins);
- social/: comments, likes, "same question", good answers, follows, suggestions;
- notifications/: the bell, the list, email preferences and notification emails;
- streams/: the home, community, person and tag streams;
- editor/: what the writing editor asks while one writes ("@" suggestions, preview, dropped files).

Shared by the four: the models, the permission rules (access.py), activities and taggings
(activity.py), mentions, Markdown rendering and the search sources (indexing.py). Each topic
has its own blueprint, whose URL map is the topic's urls.py. Everything is wired here.
"""

from typing import Any

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from rse import audit, items, signals, slots

from . import access, activity, demo, indexing, markdown, titles
from .editor import urls as editor_urls
from .models import Comment, Publication
from .notifications import service as notification_service
from .notifications import urls as notification_urls
from .notifications import views as notification_views
from .publications import service as publications
from .publications import urls as publication_urls
from .social import urls as social_urls
from .social import views as social_views
from .streams import urls as stream_urls
from .streams import views as stream_views


def _on_version_added(document, *, version, actor, **_extra) -> None:
    activity.document_version_added(document, version, actor)


def _on_document_changed(document, **_extra) -> None:
    activity.document_changed(document)


def _on_controlled_step(document, *, event, actor, version, user_ids, **_extra) -> None:
    if event == "in_force":
        activity.document_in_force(document, version, actor)
    notification_service.controlled_step(actor, document, event, version, user_ids)


def excerpt(text: str, length: int = 280) -> str:
    return markdown.plain_excerpt(text, length)


def _publication_title(publication: Publication) -> str:
    return titles.publication_title(publication.title, publication.body)


def _comment_title(comment: Comment) -> str:
    item = items.pointed_at(comment)
    return _("Commentaire sur « %(title)s »", title=items.title(item)) if item is not None else _("Commentaire")


def _comment_url(comment: Comment) -> str:
    item = items.pointed_at(comment)
    return items.url(item, anchor=f"#commentaire-{comment.id}") if item is not None else ""


def _comments_in(community_id: int):
    """The ids of the comments on the publications and documents of a space."""
    models: list[tuple[str, Any]] = [(kind.column, kind.model) for kind in items.kinds()]
    return select(Comment.id).where(or_(*(
        getattr(Comment, column).in_(select(model.id).where(model.community_id == community_id))
        for column, model in models)))


def init_app(app: Flask) -> None:
    access.register()
    audit.register_subject(audit.Subject(name="comment", model=Comment, title=_comment_title, url=_comment_url,
                                         gone=_l("Commentaire supprimé"), in_community=_comments_in))
    items.register(items.ItemKind(
        name="publication", model=Publication, column="publication_id", endpoint="publications.show",
        get=publications.get_publication, title=_publication_title, stream_kind=lambda publication: publication.kind))
    indexing.register()
    signals.document_version_added.connect(_on_version_added)
    signals.document_changed.connect(_on_document_changed)
    signals.controlled_document_event.connect(_on_controlled_step)
    demo.init_app(app)
    for urls in (publication_urls, social_urls, notification_urls, stream_urls, editor_urls):
        app.register_blueprint(urls.bp)
    app.add_template_filter(excerpt, "feed_excerpt")
    slots.register(app, "header.actions", notification_views.bell_slot)
    slots.register(app, "home.main", stream_views.home_slot)
    slots.register(app, "community.main", stream_views.community_slot)
    slots.register(app, "profile.main", stream_views.profile_slot)
    slots.register(app, "document.main", social_views.document_comments_slot)
    slots.register(app, "document.aside", social_views.document_follow_slot)
