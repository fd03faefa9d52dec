"""The editor's requests, made by static/js/editor.js while one writes: "@" suggestions, mention
warnings and the preview, and a dropped file. They answer JSON (errors too: errors.answer_json),
except the preview, an HTML fragment. Their URLs are in urls.py."""

from __future__ import annotations

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from rse.dbtypes import id_from_text
from rse.documents.service import Upload
from rse.errors import BadRequest
from rse.extensions import csrf
from rse.forms import commit_work
from rse.uploads import allow_large_body, spool_of

from . import service

# The query parameter that names where one writes, and the service's name for it.
_TARGETS = {"espace": "community_id", "publication": "publication_id", "document": "document_id"}


def _target() -> service.Target:
    named = {}
    for param, name in _TARGETS.items():
        raw = request.values.get(param)
        if raw is None:
            continue
        named[name] = id_from_text(raw)
        if named[name] is None:
            raise BadRequest(_("Identifiant invalide : un nombre est attendu."), code="bad_id")
    return service.writing_target(current_user, **named)


def people():
    """GET ?q=…: the people "@q" may name, each with whether they may read where one writes."""
    target = _target()
    no_access = _("n'a pas accès à cet espace")
    found = service.suggest_people(current_user, target, request.args.get("q", ""))
    return jsonify({"people": [
        {"id": c.user.id, "name": c.user.name, "handle": c.handle, "job": c.user.job_title,
         "may_read": c.may_read, "note": None if c.may_read else no_access} for c in found]})


def mention_warnings():
    """POST body=…: a sentence for each person the text names who cannot read where one writes."""
    target = _target()
    return jsonify({"warnings": service.mention_warnings(current_user, target, request.form.get("body", ""))})


def preview():
    """POST body=…: the text rendered as it will be published (an HTML fragment)."""
    target = _target()
    html = service.preview(current_user, target, request.form.get("body", ""))
    return render_template("feeds/_preview.html", html=Markup(html))


@csrf.exempt  # checked below, once the body may be as large as an upload (the token is in it)
def upload():
    """POST file=…: the file stored as a document of the space; its link for the text."""
    allow_large_body()
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    target = _target()
    part = request.files.get("file")
    upload = Upload(spool=spool_of(part), filename=part.filename or "",
                    declared_type=part.mimetype) if part is not None else None
    document = commit_work(lambda: service.attach_file(current_user, target, upload))
    return jsonify({
        "document": {"id": document.id, "title": document.title},
        "markdown": service.file_link(document),
        "message": _("« %(title)s » est déposé dans les documents de l'espace.", title=document.title),
    }), 201
