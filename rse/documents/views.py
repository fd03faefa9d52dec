"""Document pages: a community's documents and folders, a document with its versions, downloads."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from rse import permissions, signals
from rse.communities import service as communities
from rse.forms import ActionForm, commit_work, run_and_flash, submit
from rse.uploads import allow_large_body, spool_of

from . import service
from .controlled import service as controlled
from .controlled import views as controlled_views
from .downloads import INLINE_TYPES, answer, starts_a_download, thumbnail_response
from .forms import DocumentForm, FolderForm, UploadForm, VersionForm

bp = Blueprint("documents", __name__)


def _folder_choices(community, folders) -> list[SelectChoice]:
    by_id = {f.id: f for f in folders}

    def label(folder):
        parts = [folder.name]
        while folder.parent_id and folder.parent_id in by_id:
            folder = by_id[folder.parent_id]
            parts.append(folder.name)
        return " / ".join(reversed(parts))

    return [SelectChoice("", _("(racine de l'espace)"))] + sorted(
        (SelectChoice(str(f.id), label(f)) for f in folders), key=lambda c: c.label.lower())


def _upload_from(form_field) -> service.Upload | None:
    part = request.files.get(form_field)
    if part is None or not part.filename:
        return None
    return service.Upload(spool=spool_of(part), filename=part.filename, declared_type=part.mimetype)


@bp.route("/espaces/<int:community_id>/documents", methods=["GET", "POST"])
def index(community_id: int):
    if request.method == "POST":
        allow_large_body()
    community = communities.get_community(current_user, community_id, "read")
    folders = service.list_folders(current_user, community)
    folder_id = request.args.get("dossier", type=int)
    folder = service.get_folder(current_user, folder_id) if folder_id else None
    if folder is not None and folder.community_id != community.id:
        folder = None
    form = UploadForm()
    form.folder_id.choices = _folder_choices(community, folders)
    if request.method == "GET":
        form.folder_id.data = str(folder.id) if folder else ""
    status = 200
    if request.method == "POST":
        permissions.require(current_user, "contribute", community)
        if form.validate_on_submit():
            upload = _upload_from("file")
            data = {"title": form.title.data,
                    "description": form.description.data, "tags": form.tags.data,
                    "folder_id": form.folder_id.data or None, "review_by": form.review_by.data}
            document, status = submit(form, lambda: service.create_document(current_user, community, upload, data))
            if document is not None:
                flash(_("Document « %(title)s » déposé.", title=document.title), "success")
                return redirect(url_for("documents.show", document_id=document.id))
        else:
            status = 422
    subfolders = [f for f in folders if f.parent_id == (folder.id if folder else None)]
    return render_template(
        "documents/index.html", community=community, folder=folder, subfolders=subfolders,
        path=service.folder_path(folder),
        documents=service.list_documents(current_user, community, folder_id=folder.id if folder else None),
        due=service.due_for_review(current_user, community),
        can_contribute=permissions.can(current_user, "contribute", community),
        form=form, folder_form=FolderForm(), max_upload_mb=_max_upload_mb()), status


def _max_upload_mb() -> int:
    from flask import current_app

    return current_app.config["MAX_UPLOAD_BYTES"] // 2**20


@bp.route("/espaces/<int:community_id>/dossiers", methods=["POST"])
def create_folder(community_id: int):
    community = communities.get_community(current_user, community_id, "read")
    form = FolderForm()
    parent = request.form.get("parent_id") or None
    if form.validate_on_submit():
        folder = run_and_flash(lambda: service.create_folder(current_user, community, form.name.data, parent))
        if folder is not None:
            return redirect(url_for("documents.index", community_id=community.id, dossier=folder.id))
    else:
        flash(_("Indiquez un nom de dossier."), "error")
    target: dict[str, Any] = {"dossier": parent} if parent else {}
    return redirect(url_for("documents.index", community_id=community.id, **target))


@bp.route("/dossiers/<int:folder_id>/renommer", methods=["POST"])
def rename_folder(folder_id: int):
    folder = service.get_folder(current_user, folder_id)
    form = FolderForm()
    if form.validate_on_submit():
        run_and_flash(lambda: service.rename_folder(current_user, folder, form.name.data),
                      success=_("Dossier renommé."))
    return redirect(url_for("documents.index", community_id=folder.community_id, dossier=folder.id))


@bp.route("/espaces/<int:community_id>/corbeille")
def trash(community_id: int):
    community = communities.get_community(current_user, community_id, "read")
    return render_template("documents/trash.html", community=community, action_form=ActionForm(),
                           documents=service.list_documents(current_user, community, trash=True))


@bp.route("/documents/<int:document_id>", methods=["GET", "POST"])
def show(document_id: int):
    """The document, its current version in the page, its history; POST adds a version."""
    if request.method == "POST":
        allow_large_body()
    document = service.get_document(current_user, document_id)
    version_form = VersionForm()
    status = 200
    if request.method == "POST":
        permissions.require(current_user, "add_version", document)
        if version_form.validate_on_submit():
            upload = _upload_from("file")
            version, status = submit(version_form, lambda: service.add_version(
                current_user, document, upload, version_form.note.data or ""))
            if version is not None:
                flash(_("Version %(number)d déposée.", number=version.number), "success")
                return redirect(url_for("documents.show", document_id=document.id))
        else:
            status = 422
    signals.item_viewed.send(document, user=current_user._get_current_object())
    community = document.community
    folders = service.list_folders(current_user, community)
    edit_form = DocumentForm(obj=document, formdata=None)
    edit_form.folder_id.choices = _folder_choices(community, folders)
    edit_form.folder_id.data = str(document.folder_id or "")
    edit_form.tags.data = ", ".join(document.tags or [])
    current = service.current_version(document)
    return render_template(
        "documents/show.html", document=document, community=community, current=current,
        versions=service.list_versions(current_user, document),
        path=service.document_path(current_user, document),
        viewable=current is not None and current.content_type in INLINE_TYPES,
        can=lambda action: permissions.can(current_user, action, document),
        control=controlled_views.panel(current_user, document), stage_labels=controlled.STAGE_LABELS,
        version_form=version_form, edit_form=edit_form, action_form=ActionForm(),
        max_upload_mb=_max_upload_mb()), status


@bp.route("/documents/<int:document_id>/modifier", methods=["POST"])
def edit(document_id: int):
    document = service.get_document(current_user, document_id)
    form = DocumentForm()
    form.folder_id.choices = _folder_choices(document.community, service.list_folders(current_user, document.community))
    if form.validate_on_submit():
        data = {"title": form.title.data, "description": form.description.data, "tags": form.tags.data,
                "review_by": form.review_by.data, "folder_id": form.folder_id.data or None}
        run_and_flash(lambda: service.update_document(current_user, document, data),
                      success=_("Document mis à jour."))
    else:
        flash(_("Indiquez au moins un titre."), "error")
    return redirect(url_for("documents.show", document_id=document.id))


@bp.route("/documents/<int:document_id>/versions/<int:number>/restaurer", methods=["POST"])
def restore_version(document_id: int, number: int):
    document = service.get_document(current_user, document_id)
    if ActionForm().validate_on_submit():
        version = run_and_flash(lambda: service.restore_version(current_user, document, number))
        if version is not None:
            flash(_("La version %(old)d est redevenue la version en cours (version %(new)d).",
                    old=number, new=version.number), "success")
    return redirect(url_for("documents.show", document_id=document.id))


@bp.route("/documents/<int:document_id>/corbeille", methods=["POST"])
def trash_document(document_id: int):
    document = service.get_document(current_user, document_id, "read")
    if ActionForm().validate_on_submit():
        commit_work(lambda: service.trash_document(current_user, document))
        flash(_("Document mis à la corbeille. Il peut être restauré depuis la corbeille de l'espace."), "success")
    return redirect(url_for("documents.index", community_id=document.community_id))


@bp.route("/documents/<int:document_id>/restaurer", methods=["POST"])
def restore_document(document_id: int):
    document = service.get_document(current_user, document_id, "read")
    if ActionForm().validate_on_submit():
        commit_work(lambda: service.restore_document(current_user, document))
        flash(_("Document restauré."), "success")
    return redirect(url_for("documents.show", document_id=document.id))


@bp.route("/documents/<int:document_id>/versions/<int:number>/contenu")
def download(document_id: int, number: int):
    document = service.get_document(current_user, document_id, "download")
    version = service.get_version(current_user, document, number)
    response = answer(current_user, document, version, inline=request.args.get("inline") == "1",
                      original=request.args.get("original") == "1")
    if starts_a_download(response):
        commit_work(lambda: service.record_download(current_user, document, version,
                                                    inline=request.args.get("inline") == "1"))
    return response


@bp.route("/documents/<int:document_id>/versions/<int:number>/apercu")
def thumbnail(document_id: int, number: int):
    document = service.get_document(current_user, document_id)
    return thumbnail_response(service.get_version(current_user, document, number))


@bp.route("/documents/<int:document_id>/lecteur")
def viewer(document_id: int):
    """A page that shows the current PDF with pdf.js (desktop and phone alike)."""
    document = service.get_document(current_user, document_id)
    current = service.current_version(document)
    number = request.args.get("version", type=int) or current.number
    version = service.get_version(current_user, document, number)
    return render_template("documents/viewer.html", document=document, version=version)


@bp.route("/espaces/<int:community_id>/documents/a-reviser")
def due_partial(community_id: int):
    """Documents due or overdue for review: loaded by the community page (htmx)."""
    community = communities.get_community(current_user, community_id, "read")
    return render_template("documents/_due.html", community=community,
                           due=service.due_for_review(current_user, community))
