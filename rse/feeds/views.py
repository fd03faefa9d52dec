"""Pages of the feeds: publish and edit, a publication with its comments, likes, pins and wiki
history (the streams, follows and slots are in stream_views.py)."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from rse import permissions, signals, transactions
from rse.communities import service as communities
from rse.communities.models import Community
from rse.documents import service as documents
from rse.documents.models import Document
from rse.errors import DomainError, NotFound, ValidationError
from rse.forms import ActionForm, apply_errors, end_of_day, error_text, run_and_flash
from rse.transactions import commit_with_retry

from . import comments, markdown, service, streams
from .forms import KIND_LABELS, CommentForm, PinForm, PublicationForm
from .models import Comment, Kind, Publication

bp = Blueprint("feeds", __name__)

# An element id sent back by a toggle button, so that htmx keeps the focus on it.
_UID = re.compile(r"[a-z0-9-]{1,40}")
# No backslash, space or control character: browsers read "/\\evil" or "/\t/evil" as another site.
_LOCAL_PATH = re.compile(r"/[^\s\\\x00-\x1f\x7f]{0,1999}")


# --- Helpers --------------------------------------------------------------------------------------

def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


@bp.app_template_global("feed_here")
def here() -> str:
    """The page being shown (for an htmx fragment: the page that asked for it), as a local path."""
    current = request.headers.get("HX-Current-URL") if is_htmx() else None
    if current:
        parts = urlsplit(current)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    query = request.query_string.decode("latin-1")
    return quote(request.script_root + request.path) + (f"?{query}" if query else "")


@bp.app_template_filter("feed_excerpt")
def excerpt(text: str, length: int = 280) -> str:
    return markdown.plain_excerpt(text, length)


def kind_arg() -> str | None:
    """The stream filter of the query string; an unknown one is refused with its own message."""
    try:
        return streams.clean_kind(request.args.get("kind") or None)
    except ValidationError as exc:
        raise ValidationError(error_text(exc), code=exc.code) from None


def next_url(default: str) -> str:
    """Where a button's form says to come back to: a path of this site only."""
    target = request.form.get("next") or ""
    return target if _LOCAL_PATH.fullmatch(target) and not target.startswith("//") else default


def _uid(default: str) -> str:
    value = request.form.get("uid", "")
    return value if _UID.fullmatch(value) else default


def _show_url(publication: Publication, anchor: str = "") -> str:
    return url_for("feeds.show", publication_id=publication.id) + anchor


def _item_url(item: Publication | Document, anchor: str = "") -> str:
    if isinstance(item, Document):
        return url_for("documents.show", document_id=item.id) + anchor
    return _show_url(item, anchor)


def _submit(form, work):
    """Run a form's unit of work: (result, 200), or (None, status) with the refusal on the form."""
    try:
        return commit_with_retry(work), 200
    except DomainError as exc:
        if exc.status in (401, 404):
            raise
        transactions.rollback()
        if isinstance(exc, ValidationError):
            apply_errors(form, exc)
        else:
            form.form_errors.append(exc.message)
        return None, exc.status


def attempt(work) -> tuple[str | None, int]:
    """Run a button's unit of work: (None, 200), or the refusal's message and status."""
    if not ActionForm().validate_on_submit():
        return _("Le formulaire a expiré. Rechargez la page et réessayez."), 400
    try:
        commit_with_retry(work)
    except DomainError as exc:
        if exc.status in (401, 404):
            raise
        transactions.rollback()
        return error_text(exc), exc.status
    return None, 200


# --- Publishing -----------------------------------------------------------------------------------

def _document_choices(community: Community) -> list[SelectChoice]:
    found = documents.list_documents(current_user, community, all_folders=True)
    return [SelectChoice(str(d.id), d.title) for d in sorted(found, key=lambda d: d.title.lower())]


def _publication_data(form: PublicationForm, kind: str) -> dict:
    data = {"title": form.title.data or "", "body": form.body.data or "", "place": form.place.data or "",
            "tags": form.tags.data or "", "attachments": form.attachments.data or []}
    if kind == Kind.LINK:
        data["url"] = form.url.data or ""
    return data


@bp.route("/espaces/<int:community_id>/publier", methods=["GET", "POST"])
def publish(community_id: int):
    community = communities.get_community(current_user, community_id, "read")
    permissions.require(current_user, "contribute", community)
    form = PublicationForm()
    form.attachments.choices = _document_choices(community)
    status = 200
    if request.method == "GET":
        kind = request.args.get("type")
        form.kind.data = kind if kind in KIND_LABELS else Kind.POST.value
    elif form.validate_on_submit():
        kind = form.kind.data
        data = {"kind": kind, **_publication_data(form, kind)}
        publication, status = _submit(form, lambda: service.publish(current_user, community, data))
        if publication is not None:
            flash(_("Publication enregistrée."), "success")
            return redirect(_show_url(publication))
    else:
        status = 400
    return render_template("feeds/form.html", form=form, community=community, publication=None), status


@bp.route("/publications/<int:publication_id>/modifier", methods=["GET", "POST"])
def edit(publication_id: int):
    publication = service.get_publication(current_user, publication_id, "edit")
    community = publication.community
    form = PublicationForm()
    form.attachments.choices = _document_choices(community)
    status = 200
    if request.method == "GET":
        form.title.data, form.body.data = publication.title, publication.body
        form.url.data, form.place.data = publication.url or "", publication.place
        form.tags.data = ", ".join(publication.tags or [])
        form.attachments.data = [str(d.id) for d in service.attachments(publication)]
    elif form.validate_on_submit():
        data = _publication_data(form, publication.kind)
        if publication.kind == Kind.WIKI:
            data["note"] = form.note.data or ""
        done, status = _submit(form, lambda: service.update_publication(current_user, publication, data))
        if done is not None:
            flash(_("Modifications enregistrées."), "success")
            return redirect(_show_url(publication))
    else:
        status = 400
    form.kind.data = publication.kind
    return render_template("feeds/form.html", form=form, community=community, publication=publication), status


@bp.route("/publications/<int:publication_id>/supprimer", methods=["POST"])
def delete(publication_id: int):
    publication = service.get_publication(current_user, publication_id, "delete")

    def work() -> bool:
        service.delete_publication(current_user, publication)
        return True

    if ActionForm().validate_on_submit() and run_and_flash(work, success=_("Publication supprimée.")):
        return redirect(url_for("communities.show", community_id=publication.community_id))
    return redirect(_show_url(publication))


# --- A publication --------------------------------------------------------------------------------

@bp.route("/publications/<int:publication_id>")
def show(publication_id: int):
    publication = service.get_publication(current_user, publication_id)
    signals.item_viewed.send(publication, user=current_user._get_current_object())
    liked, same = service.user_state(current_user, [publication.id])
    versions = service.wiki_versions(current_user, publication) if publication.kind == Kind.WIKI else []
    return render_template(
        "feeds/show.html", publication=publication, community=publication.community,
        attachments=service.attachments(publication), comments=comments.list_comments(current_user, publication),
        liked=publication.id in liked, same_question=publication.id in same,
        pin_scopes=service.pins_of([publication.id]).get(publication.id, set()),
        last_version=versions[0] if versions else None,
        can=lambda action: permissions.can(current_user, action, publication),
        may=lambda action, comment: permissions.can(current_user, action, comment),
        comment_form=CommentForm(formdata=None), pin_form=PinForm(formdata=None), action_form=ActionForm())


@bp.route("/publications/<int:publication_id>/jaime", methods=["GET", "POST"])
def likes(publication_id: int):
    """GET: who liked. POST: like (a second like is refused with a message)."""
    publication = service.get_publication(current_user, publication_id)
    if request.method == "GET":
        return render_template("feeds/likers.html", publication=publication,
                               people=service.likers(current_user, publication))
    return _toggle(publication, lambda: service.like(current_user, publication), "feeds/_like.html")


@bp.route("/publications/<int:publication_id>/jaime/retirer", methods=["POST"])
def unlike(publication_id: int):
    publication = service.get_publication(current_user, publication_id)
    return _toggle(publication, lambda: service.unlike(current_user, publication), "feeds/_like.html")


@bp.route("/publications/<int:publication_id>/meme-question", methods=["POST"])
def same_question(publication_id: int):
    publication = service.get_publication(current_user, publication_id)
    return _toggle(publication, lambda: service.press_same_question(current_user, publication),
                   "feeds/_same_question.html")


@bp.route("/publications/<int:publication_id>/meme-question/retirer", methods=["POST"])
def release_same_question(publication_id: int):
    publication = service.get_publication(current_user, publication_id)
    return _toggle(publication, lambda: service.release_same_question(current_user, publication),
                   "feeds/_same_question.html")


def _toggle(publication: Publication, work, template: str):
    """A like or "same question" button: the new button for htmx, else back to the page."""
    message, status = attempt(work)
    if is_htmx():
        liked, same = service.user_state(current_user, [publication.id])
        return render_template(template, publication=publication, liked=publication.id in liked,
                               same_question=publication.id in same, uid=_uid(f"p{publication.id}"),
                               message=message, action_form=ActionForm()), status
    if message:
        flash(message, "error")
    return redirect(next_url(_show_url(publication)))


@bp.route("/publications/<int:publication_id>/<any(epingler, desepingler):action>", methods=["POST"])
def pin(publication_id: int, action: str):
    """Pin to the community's stream, or (scope "accueil", administrators) to everyone's home."""
    home = request.form.get("portee") == "accueil"
    publication = service.get_publication(current_user, publication_id, "pin_home" if home else "pin")
    form = PinForm()
    if form.validate_on_submit():
        if action == "epingler":
            run_and_flash(lambda: service.pin(current_user, publication, home=home, until=end_of_day(form.until.data)),
                          success=_("Publication épinglée à l'accueil de tous.") if home else
                          _("Publication épinglée en tête de l'espace."))
        else:
            run_and_flash(lambda: service.unpin(current_user, publication, home=home),
                          success=_("Publication désépinglée."))
    else:
        flash(_("Indiquez une date valide, ou laissez le champ vide."), "error")
    return redirect(next_url(_show_url(publication)))


# --- Wiki history ---------------------------------------------------------------------------------

def _wiki(publication_id: int, action: str = "read") -> Publication:
    publication = service.get_publication(current_user, publication_id, action)
    if publication.kind != Kind.WIKI:
        raise NotFound()
    return publication


@bp.route("/publications/<int:publication_id>/historique")
def history(publication_id: int):
    publication = _wiki(publication_id)
    return render_template("feeds/history.html", publication=publication,
                           versions=service.wiki_versions(current_user, publication),
                           can_edit=permissions.can(current_user, "edit", publication), action_form=ActionForm())


@bp.route("/publications/<int:publication_id>/diff")
def diff(publication_id: int):
    publication = _wiki(publication_id)
    current = publication.wiki_number
    old = request.args.get("de", type=int) if "de" in request.args else max(current - 1, 1)
    new = request.args.get("a", type=int) if "a" in request.args else current
    lines = service.wiki_diff(current_user, publication, old, new)
    return render_template("feeds/diff.html", publication=publication, old=old, new=new, lines=lines,
                           added=sum(1 for tag, _line in lines if tag == "+"),
                           removed=sum(1 for tag, _line in lines if tag == "-"),
                           versions=service.wiki_versions(current_user, publication))


@bp.route("/publications/<int:publication_id>/versions/<int:number>")
def version(publication_id: int, number: int):
    publication = _wiki(publication_id)
    found = service.wiki_version(current_user, publication, number)
    return render_template("feeds/version.html", publication=publication, version=found,
                           # Rendered and sanitised like every body; old versions keep no HTML of their own.
                           version_html=Markup(markdown.render(found.body)),
                           can_edit=permissions.can(current_user, "edit", publication), action_form=ActionForm())


@bp.route("/publications/<int:publication_id>/versions/<int:number>/restaurer", methods=["POST"])
def restore_version(publication_id: int, number: int):
    publication = _wiki(publication_id, "edit")
    if ActionForm().validate_on_submit():
        restored = run_and_flash(lambda: service.restore_wiki_version(current_user, publication, number))
        if restored is not None:
            flash(_("La version %(old)d est redevenue la version en cours (version %(new)d).",
                    old=number, new=restored.number), "success")
            return redirect(_show_url(publication))
    return redirect(url_for("feeds.history", publication_id=publication.id))


# --- Comments (on a publication or a document) ----------------------------------------------------

def _commented(kind: str, item_id: int) -> Publication | Document:
    if kind == "documents":
        return documents.get_document(current_user, item_id)
    return service.get_publication(current_user, item_id)


@bp.route("/<any(publications, documents):kind>/<int:item_id>/commentaires", methods=["POST"])
def add_comment(kind: str, item_id: int):
    target = _commented(kind, item_id)
    form = CommentForm()
    if not form.validate_on_submit():
        form.form_errors.append(_("Le formulaire a expiré. Rechargez la page et réessayez."))
        return _comment_page(form, target, None), 400
    comment, status = _submit(form, lambda: comments.add_comment(current_user, target, form.body.data))
    if comment is None:
        return _comment_page(form, target, None), status
    flash(_("Commentaire publié."), "success")
    return redirect(_item_url(target, f"#commentaire-{comment.id}"))


@bp.route("/commentaires/<int:comment_id>/modifier", methods=["GET", "POST"])
def edit_comment(comment_id: int):
    comment = comments.get_comment(current_user, comment_id, "edit")
    target = comments.comment_target(comment)
    form = CommentForm()
    status = 200
    if request.method == "GET":
        form.body.data = comment.body
    elif form.validate_on_submit():
        done, status = _submit(form, lambda: comments.edit_comment(current_user, comment, form.body.data))
        if done is not None:
            flash(_("Commentaire modifié."), "success")
            return redirect(_item_url(target, f"#commentaire-{comment.id}"))
    else:
        status = 400
    return _comment_page(form, target, comment), status


def _comment_page(form: CommentForm, target: Publication | Document, comment: Comment | None) -> str:
    """A comment's form on a page of its own: to edit it, or to fix one that was refused."""
    return render_template("feeds/comment_form.html", form=form, target=target, comment=comment,
                           is_document=isinstance(target, Document))


@bp.route('/commentaires/<int:comment_id>/<any(supprimer, "bonne-reponse"):action>', methods=["POST"])
def comment_action(comment_id: int, action: str):
    comment = comments.get_comment(current_user, comment_id, "delete" if action == "supprimer" else "read")
    target = comments.comment_target(comment)
    if action != "supprimer":
        permissions.require(current_user, "accept", target)  # only a question's asker and its animators
    if ActionForm().validate_on_submit():
        if action == "supprimer":
            run_and_flash(lambda: comments.delete_comment(current_user, comment), success=_("Commentaire supprimé."))
            return redirect(_item_url(target, "#commentaires"))
        run_and_flash(lambda: service.accept_answer(current_user, comment),
                      success=_("Ce commentaire est désormais la bonne réponse."))
    return redirect(_item_url(target, f"#commentaire-{comment.id}"))
