"""Pages of the social layer: likes and "same question", comments and good answers, the FAQ,
follows, suggestions ("Proposer à…"), and the parts it adds to a document's page. Their URLs are
in urls.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from rse import items, permissions
from rse.accounts import service as accounts
from rse.accounts.models import User
from rse.communities import service as communities
from rse.dbtypes import id_from_text
from rse.documents.models import Document
from rse.errors import BadRequest, NotFound
from rse.feeds import mentions
from rse.feeds.models import Comment, FollowTarget, Publication
from rse.feeds.publications import service as publications
from rse.forms import ActionForm, apply_errors, attempt, form_id, run_and_flash, run_work, submit
from rse.web import is_htmx, next_url

from . import answers, comments, follows, reactions, suggestions
from .forms import CommentForm, FollowForm, SuggestForm

SEARCH_LIMIT = 8
# An element id sent back by a toggle button, so that htmx keeps the focus on it.
_UID = re.compile(r"[a-z0-9-]{1,40}")


def _uid(default: str) -> str:
    value = request.form.get("uid", "")
    return value if _UID.fullmatch(value) else default


def _item_url(item: Publication | Document, anchor: str = "") -> str:
    return items.url(item, anchor=anchor)


# --- Likes and "same question" --------------------------------------------------------------------

def likes(publication_id: int):
    """GET: who liked. POST: like (a second like is refused with a message)."""
    publication = publications.get_publication(current_user, publication_id)
    if request.method == "GET":
        return render_template("feeds/likers.html", publication=publication,
                               people=reactions.likers(current_user, publication))
    return _toggle(publication, lambda: reactions.like(current_user, publication), "feeds/_like.html")


def unlike(publication_id: int):
    publication = publications.get_publication(current_user, publication_id)
    return _toggle(publication, lambda: reactions.unlike(current_user, publication), "feeds/_like.html")


def same_question(publication_id: int):
    publication = publications.get_publication(current_user, publication_id)
    return _toggle(publication, lambda: reactions.press_same_question(current_user, publication),
                   "feeds/_same_question.html")


def release_same_question(publication_id: int):
    publication = publications.get_publication(current_user, publication_id)
    return _toggle(publication, lambda: reactions.release_same_question(current_user, publication),
                   "feeds/_same_question.html")


def _toggle(publication: Publication, work, template: str):
    """A like or "same question" button: the new button for htmx, else back to the page."""
    message, status = attempt(work)
    if is_htmx():
        liked, same = reactions.user_state(current_user, [publication.id])
        return render_template(template, publication=publication, liked=publication.id in liked,
                               same_question=publication.id in same, uid=_uid(f"p{publication.id}"),
                               message=message, action_form=ActionForm()), status
    if message:
        flash(message, "error")
    return redirect(next_url(_item_url(publication)))


# --- Comments (on a publication or a document) and good answers -----------------------------------

def _commented(kind: str, item_id: int) -> Any:
    """The item of a comment URL ("/publications/7/commentaires", "/documents/7/commentaires",
    "/actions/7/commentaires")."""
    found = items.named(kind.removesuffix("s"))
    if found is None:  # the URL map allows these three only
        raise NotFound()
    return found.get(current_user, item_id)


def add_comment(kind: str, item_id: int):
    target = _commented(kind, item_id)
    form = CommentForm()
    if not form.validate_on_submit():
        form.form_errors.append(_("Le formulaire a expiré. Rechargez la page et réessayez."))
        return _comment_page(form, target, None), 400
    comment, status = submit(form, lambda: comments.add_comment(current_user, target, form.body.data))
    if comment is None:
        return _comment_page(form, target, None), status
    flash(_("Commentaire publié."), "success")
    for warning in mentions.unreached_warnings(current_user, comment.body, target):
        flash(warning, "warning")
    return redirect(_item_url(target, f"#commentaire-{comment.id}"))


def edit_comment(comment_id: int):
    comment = comments.get_comment(current_user, comment_id, "edit")
    target = comments.comment_target(comment)
    form = CommentForm()
    status = 200
    if request.method == "GET":
        form.body.data = comment.body
    elif form.validate_on_submit():
        done, status = submit(form, lambda: comments.edit_comment(current_user, comment, form.body.data))
        if done is not None:
            flash(_("Commentaire modifié."), "success")
            for warning in mentions.unreached_warnings(current_user, comment.body, target):
                flash(warning, "warning")
            return redirect(_item_url(target, f"#commentaire-{comment.id}"))
    else:
        status = 400
    return _comment_page(form, target, comment), status


def _comment_page(form: CommentForm, target: Any, comment: Comment | None) -> str:
    """A comment's form on a page of its own: to edit it, or to fix one that was refused."""
    kind = items.kind_of(target).name
    return render_template("feeds/comment_form.html", form=form, target=target, comment=comment,
                           is_publication=kind == "publication", kind_path=f"{kind}s",
                           target_title=items.title(target), target_url=items.url(target),
                           editor_target=editor_target(target))


def editor_target(target: Any) -> dict[str, int]:
    """Where a comment on `target` is written, as the editor's URLs name it: the publication or the
    document itself, else (an action of a plan) its space, whose readers are the item's."""
    kind = items.kind_of(target).name
    return {kind: target.id} if kind in ("publication", "document") else {"espace": target.community_id}


def delete_comment(comment_id: int):
    comment = comments.get_comment(current_user, comment_id, "delete")
    target = comments.comment_target(comment)
    if ActionForm().validate_on_submit():
        run_and_flash(lambda: comments.delete_comment(current_user, comment), success=_("Commentaire supprimé."))
        return redirect(_item_url(target, "#commentaires"))
    return redirect(_item_url(target, f"#commentaire-{comment.id}"))


def accept_answer(comment_id: int):
    comment = comments.get_comment(current_user, comment_id, "read")
    target = comments.comment_target(comment)
    permissions.require(current_user, "accept", target)  # only a question's asker and its animators
    if ActionForm().validate_on_submit():
        run_and_flash(lambda: answers.accept_answer(current_user, comment),
                      success=_("Ce commentaire est désormais la bonne réponse."))
    return redirect(_item_url(target, f"#commentaire-{comment.id}"))


def faq(community_id: int):
    community = communities.get_community(current_user, community_id, "read")
    questions = answers.faq(current_user, community)
    return render_template("feeds/faq.html", community=community, questions=questions,
                           answers=answers.accepted_answers(current_user, questions),
                           open_questions=answers.open_questions(current_user, community),
                           can_contribute=permissions.can(current_user, "contribute", community))


# --- Follows --------------------------------------------------------------------------------------

def _follow_key(target: str | None, raw: str):
    if target in (FollowTarget.PERSON, FollowTarget.DOCUMENT):
        return form_id(raw)
    return raw


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
    if message or state is None:  # a refusal always has its message
        flash(message or "", "error")
    elif state["following"]:
        flash(_("Vous suivez désormais « %(name)s ».", name=state["name"]), "success")
    elif state["name"]:
        flash(_("Vous ne suivez plus « %(name)s ».", name=state["name"]), "success")
    else:
        flash(_("Vous ne suivez plus cet élément."), "success")
    return redirect(next_url(url_for("communities.home")))


# --- Suggest ("Proposer à…") --------------------------------------------------------------------

def _suggested_item() -> tuple[str, Publication | Document]:
    """The item named by ?publication=<id> or ?document=<id>, if the user may read it (else 404)."""
    for kind in ("publication", "document"):
        raw = request.values.get(kind)
        if raw is not None:
            item_id = form_id(raw)
            if item_id is None:
                raise NotFound()
            return kind, suggestions.get_item(current_user, kind, item_id)
    raise NotFound()


def _ids(values: list[str]) -> list[int] | list[str]:
    """Ids as ints; a list with anything else is passed on as it came, for the service to refuse."""
    values = [v for v in values if v != ""]
    ids = [id_from_text(v) for v in values]
    return [i for i in ids if i is not None] if None not in ids else values


@dataclass
class Candidate:
    """A person in the picker, and whether they may read the item (else they cannot receive it)."""

    user: User
    may_read: bool


def _candidates(item, people: list[User]) -> list[Candidate]:
    return [Candidate(p, p.is_active and permissions.can(p, "read", item)) for p in people]


def _picker(item) -> dict:
    """The state of the people picker from the request: chosen people, search and its results."""
    chosen_ids = list(dict.fromkeys(i for i in map(form_id, request.values.getlist("users")) if i is not None))
    added, removed = form_id(request.values.get("ajouter")), form_id(request.values.get("retirer"))
    if added is not None and added not in chosen_ids:
        chosen_ids.append(added)
    if removed is not None:
        chosen_ids = [i for i in chosen_ids if i != removed]
    people = suggestions.visible_people(current_user, chosen_ids)
    chosen = _candidates(item, [people[i] for i in chosen_ids if i in people])
    # Once someone is added, the search starts afresh for the next one.
    query = "" if added is not None else request.values.get("q", "").strip()[:100]
    results: list[Candidate] = []
    if query:
        found, _total = accounts.search_people(current_user, query, limit=SEARCH_LIMIT + len(chosen_ids) + 1)
        skip = set(chosen_ids) | {current_user.id}
        results = _candidates(item, [p for p in found if p.id not in skip][:SEARCH_LIMIT])
    announce = ""
    if added in people:
        announce = _("%(name)s ajouté(e) aux destinataires.", name=people[added].name)
    elif removed is not None:
        announce = _("Destinataire retiré.")
    return {"chosen": chosen, "query": query, "results": results, "announce": announce}


def suggest_people():
    """The people picker alone (htmx): search the directory, add or remove a recipient."""
    kind, item = _suggested_item()
    return render_template("feeds/_notifications_suggest.html", item=item, item_kind=kind, **_picker(item))


def suggest():
    kind, item = _suggested_item()
    form = SuggestForm()
    status = 200
    picker_action = any(name in request.form for name in ("ajouter", "retirer", "chercher"))
    if request.method == "POST" and not picker_action:
        if form.validate_on_submit():
            _done, refused = run_work(lambda: suggestions.suggest(
                current_user, item, users=_ids(form.users.data or []), communities=_ids(form.communities.data or []),
                everyone=form.everyone.data, message=form.message.data or ""))
            if refused is None:
                flash(_("« %(title)s » a été proposé.", title=items.title(item)), "success")
                return redirect(items.url(item))
            apply_errors(form, refused)
        status = 422
    spaces, mine = suggestions.suggestable_communities(current_user)
    checked = {i for i in map(form_id, form.communities.data or []) if i is not None}
    return render_template("feeds/suggest.html", form=form, item=item, item_kind=kind,
                           title=items.title(item), item_url=items.url(item),
                           spaces=spaces, mine=mine, checked=checked, **_picker(item)), status


# --- Slots: the parts of a document's page --------------------------------------------------------

def document_comments_slot(document: Document, **_context) -> str:
    may_comment = not document.in_trash and permissions.can(current_user, "comment", document.community)
    return render_template("feeds/_document_comments.html", document=document,
                           comments=comments.list_comments(current_user, document), may_comment=may_comment,
                           may_upload=may_comment and permissions.can(current_user, "contribute", document.community),
                           may=lambda action, comment: permissions.can(current_user, action, comment),
                           comment_form=CommentForm(formdata=None), action_form=ActionForm())


def document_follow_slot(document: Document, **_context) -> str:
    if document.in_trash:
        return ""
    return render_template("feeds/_document_follow.html",
                           follow=follows.state(current_user, FollowTarget.DOCUMENT, document.id),
                           action_form=ActionForm())
