"""Pages of publications: publish and edit, a publication with its comments, pins, and the wiki
history. Their URLs are in urls.py."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from rse import permissions, signals
from rse.communities import service as communities
from rse.communities.models import Community
from rse.documents import service as documents
from rse.errors import NotFound
from rse.feeds import markdown, mentions
from rse.feeds.models import Kind, Publication
from rse.feeds.social import comments, reactions
from rse.feeds.social.forms import CommentForm
from rse.forms import ActionForm, end_of_day, run_and_flash, submit
from rse.web import next_url

from . import pins, service, wiki
from .forms import KIND_LABELS, PinForm, PublicationForm


def show_url(publication: Publication, anchor: str = "") -> str:
    return url_for("publications.show", publication_id=publication.id) + anchor


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


def _form_page(form: PublicationForm, community: Community, publication: Publication | None, status: int):
    return render_template("feeds/form.html", form=form, community=community, publication=publication,
                           may_attach=permissions.can(current_user, "contribute", community)), status


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
        publication, status = submit(form, lambda: service.publish(current_user, community, data))
        if publication is not None:
            flash(_("Publication enregistrée."), "success")
            for warning in mentions.unreached_warnings(current_user, publication.body, publication):
                flash(warning, "warning")
            return redirect(show_url(publication))
    else:
        status = 400
    return _form_page(form, community, None, status)


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
        done, status = submit(form, lambda: service.update_publication(current_user, publication, data))
        if done is not None:
            flash(_("Modifications enregistrées."), "success")
            for warning in mentions.unreached_warnings(current_user, publication.body, publication):
                flash(warning, "warning")
            return redirect(show_url(publication))
    else:
        status = 400
    form.kind.data = publication.kind
    return _form_page(form, community, publication, status)


def delete(publication_id: int):
    publication = service.get_publication(current_user, publication_id, "delete")

    def work() -> bool:
        service.delete_publication(current_user, publication)
        return True

    if ActionForm().validate_on_submit() and run_and_flash(work, success=_("Publication supprimée.")):
        return redirect(url_for("communities.show", community_id=publication.community_id))
    return redirect(show_url(publication))


# --- A publication --------------------------------------------------------------------------------

def show(publication_id: int):
    publication = service.get_publication(current_user, publication_id)
    signals.item_viewed.send(publication, user=current_user._get_current_object())
    liked, same = reactions.user_state(current_user, [publication.id])
    versions = wiki.wiki_versions(current_user, publication) if publication.kind == Kind.WIKI else []
    return render_template(
        "feeds/show.html", publication=publication, community=publication.community,
        attachments=service.attachments(publication), comments=comments.list_comments(current_user, publication),
        liked=publication.id in liked, same_question=publication.id in same,
        pin_scopes=pins.pins_of([publication.id]).get(publication.id, set()),
        last_version=versions[0] if versions else None,
        can=lambda action: permissions.can(current_user, action, publication),
        may=lambda action, comment: permissions.can(current_user, action, comment),
        comment_form=CommentForm(formdata=None), pin_form=PinForm(formdata=None), action_form=ActionForm())


# --- Pins -----------------------------------------------------------------------------------------

def _pinned(publication_id: int) -> tuple[Publication, bool]:
    """The publication and the scope of the button: its community's stream, or (administrators,
    "portee=accueil") everyone's home page."""
    home = request.form.get("portee") == "accueil"
    return service.get_publication(current_user, publication_id, "pin_home" if home else "pin"), home


def pin(publication_id: int):
    publication, home = _pinned(publication_id)
    form = PinForm()
    if form.validate_on_submit():
        run_and_flash(lambda: pins.pin(current_user, publication, home=home, until=end_of_day(form.until.data)),
                      success=_("Publication épinglée à l'accueil de tous.") if home else
                      _("Publication épinglée en tête de l'espace."))
    else:
        flash(_("Indiquez une date valide, ou laissez le champ vide."), "error")
    return redirect(next_url(show_url(publication)))


def unpin(publication_id: int):
    publication, home = _pinned(publication_id)
    if ActionForm().validate_on_submit():
        run_and_flash(lambda: pins.unpin(current_user, publication, home=home), success=_("Publication désépinglée."))
    else:
        flash(_("Le formulaire a expiré. Rechargez la page et réessayez."), "error")
    return redirect(next_url(show_url(publication)))


# --- Wiki history ---------------------------------------------------------------------------------

def _wiki(publication_id: int, action: str = "read") -> Publication:
    publication = service.get_publication(current_user, publication_id, action)
    if publication.kind != Kind.WIKI:
        raise NotFound()
    return publication


def history(publication_id: int):
    publication = _wiki(publication_id)
    return render_template("feeds/history.html", publication=publication,
                           versions=wiki.wiki_versions(current_user, publication),
                           can_edit=permissions.can(current_user, "edit", publication), action_form=ActionForm())


def diff(publication_id: int):
    publication = _wiki(publication_id)
    current = publication.wiki_number
    old = request.args.get("de", type=int) if "de" in request.args else max(current - 1, 1)
    new = request.args.get("a", type=int) if "a" in request.args else current
    raw = request.args.get("vue") == "texte"  # the Markdown, line by line, rather than the page as shown
    context: dict = {"rendered": None, "lines": []}
    if raw:
        lines = context["lines"] = wiki.wiki_diff(current_user, publication, old, new)
        context.update(added=sum(1 for tag, _line in lines if tag == "+"),
                       removed=sum(1 for tag, _line in lines if tag == "-"))
    else:
        context["rendered"] = wiki.wiki_rendered_diff(current_user, publication, old, new)
    return render_template("feeds/diff.html", publication=publication, old=old, new=new, raw=raw,
                           versions=wiki.wiki_versions(current_user, publication), **context)


def version(publication_id: int, number: int):
    publication = _wiki(publication_id)
    found = wiki.wiki_version(current_user, publication, number)
    return render_template("feeds/version.html", publication=publication, version=found,
                           # Rendered and sanitised like every body; old versions keep no HTML of their own.
                           version_html=Markup(markdown.render(found.body)),
                           can_edit=permissions.can(current_user, "edit", publication), action_form=ActionForm())


def restore_version(publication_id: int, number: int):
    publication = _wiki(publication_id, "edit")
    if ActionForm().validate_on_submit():
        restored = run_and_flash(lambda: wiki.restore_wiki_version(current_user, publication, number))
        if restored is not None:
            flash(_("La version %(old)d est redevenue la version en cours (version %(new)d).",
                    old=number, new=restored.number), "success")
            return redirect(show_url(publication))
    return redirect(url_for("publications.history", publication_id=publication.id))
