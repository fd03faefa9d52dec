"""Documents: upload, versions, restore, trash, folders, review dates — with permissions and audit."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from rse import audit, permissions, signals
from rse.accounts.models import User
from rse.communities.models import Community
from rse.database import db
from rse.dbtypes import get_by_id, is_id, utcnow
from rse.errors import Conflict, NotFound, ValidationError
from rse.i18n import local_today
from rse.tags import clean_tags
from rse.uploads import HashingSpool
from rse.validation import clean_text

from . import access, blobs
from .controlled import service as controlled
from .filetypes import ContentMismatch, FileType, detect
from .models import Document, DocumentVersion, Folder

MAX_FILENAME = 255


@dataclass
class Upload:
    """An uploaded file as the web layer hands it over: spooled, hashed, measured."""

    spool: HashingSpool
    filename: str
    declared_type: str | None = None


# --- Checks -------------------------------------------------------------------------------------

def clean_filename(value: str | None) -> str:
    name = unicodedata.normalize("NFC", (value or "").strip())
    if not name:
        raise ValidationError(fields={"file": _("Le fichier n'a pas de nom.")})
    if "/" in name or "\\" in name or ".." in name:
        raise ValidationError(fields={"file": _("Le nom du fichier ne peut contenir ni « / », ni « \\ », ni « .. ».")})
    # Control characters and invisible direction marks (which can disguise "exe.pdf").
    if any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in name):
        raise ValidationError(fields={"file": _("Le nom du fichier contient des caractères non autorisés.")})
    if len(name) > MAX_FILENAME:
        raise ValidationError(fields={"file": _("Le nom du fichier dépasse %(max)d caractères.", max=MAX_FILENAME)})
    return name


def _checked_upload(upload: Upload | None) -> tuple[HashingSpool, str, FileType]:
    """The upload's spool, clean file name and detected type, or the form error saying what is wrong."""
    if upload is None or upload.spool is None:
        raise ValidationError(fields={"file": _("Choisissez un fichier.")})
    filename = clean_filename(upload.filename)
    if upload.spool.size == 0:
        raise ValidationError(fields={"file": _("Le fichier est vide.")})
    upload.spool.flush()
    try:
        file_type = detect(upload.spool.path, filename, upload.declared_type)
    except ContentMismatch as exc:
        raise ValidationError(fields={"file": exc.localized(_)}, code="content_mismatch") from exc
    return upload.spool, filename, file_type


def _clean_review_by(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError(fields={"review_by": _("Date attendue au format AAAA-MM-JJ.")}) from None


def _clean_metadata(data: dict, *, partial: bool) -> dict:
    cleaned: dict[str, Any] = {}
    if not partial or "title" in data:
        cleaned["title"] = clean_text(data.get("title"), "title", max_length=200, required=True)
    if "description" in data:
        cleaned["description"] = clean_text(data["description"], "description", max_length=5000, multiline=True)
    if "tags" in data:
        cleaned["tags"] = clean_tags(data["tags"])
    if "review_by" in data:
        cleaned["review_by"] = _clean_review_by(data["review_by"])
    return cleaned


# --- Reading ------------------------------------------------------------------------------------

def get_document(actor: User, document_id, action: str = "read") -> Document:
    document = get_by_id(Document, document_id)
    if document is None:
        raise NotFound()
    permissions.require(actor, action, document)
    return document


def list_documents(actor: User, community: Community, *, folder_id: int | None = None,
                   all_folders: bool = False, trash: bool = False) -> list[Document]:
    permissions.require(actor, "read", community)
    statement = select(Document).where(Document.community_id == community.id, permissions.readable(actor, Document))
    if trash:
        statement = statement.where(Document.deleted_at.is_not(None))
    else:
        statement = statement.where(Document.deleted_at.is_(None))
        if not all_folders:
            statement = statement.where(Document.folder_id == folder_id if folder_id else Document.folder_id.is_(None))
    return list(db.session.scalars(statement.order_by(Document.updated_at.desc(), Document.id.desc())))


def list_versions(actor: User, document: Document) -> list[DocumentVersion]:
    """The versions the actor may open, newest first (a controlled document's drafts only for its circuit)."""
    permissions.require(actor, "read", document)
    versions = db.session.scalars(select(DocumentVersion).where(DocumentVersion.document_id == document.id)
                                  .order_by(DocumentVersion.number.desc()))
    if access.in_circuit(actor, document):
        return list(versions)
    published = access.published_numbers(document)
    return [v for v in versions if published is None or v.number in published]


def get_version(actor: User, document: Document, number) -> DocumentVersion:
    permissions.require(actor, "read", document)
    version = db.session.scalar(select(DocumentVersion).where(
        DocumentVersion.document_id == document.id, DocumentVersion.number == number)) \
        if is_id(number) else None
    if version is None or not permissions.can(actor, "read", version):
        raise NotFound(_("Cette version n'existe pas."))
    return version


def current_version(document: Document) -> DocumentVersion:
    return db.session.scalars(select(DocumentVersion).where(
        DocumentVersion.document_id == document.id, DocumentVersion.number == document.current_number)).one()


def due_for_review(actor: User, community: Community, *, within_days: int = 30) -> list[Document]:
    """Documents whose review date is past or within `within_days`, most urgent first."""
    permissions.require(actor, "read", community)
    horizon = local_today() + timedelta(days=within_days)
    return list(db.session.scalars(select(Document).where(
        Document.community_id == community.id, Document.deleted_at.is_(None), permissions.readable(actor, Document),
        Document.review_by.is_not(None), Document.review_by <= horizon).order_by(Document.review_by)))


def record_download(actor: User, document: Document, version: DocumentVersion, *, inline: bool = False) -> None:
    """Every fetch of a version's bytes is audited; `inline` marks a view in the page (PDF reader, image)."""
    permissions.require(actor, "download", document)
    audit.record("document.downloaded", actor=actor, target=document,
                 details={"version": version.number, "community_id": document.community_id, "inline": inline})


# --- Writing ------------------------------------------------------------------------------------

def create_document(actor: User, community: Community, upload: Upload | None, data: dict) -> Document:
    permissions.require(actor, "contribute", community)
    spool, filename, file_type = _checked_upload(upload)  # the file first: it is what the user came with
    # No title given: the file's name without its extension, as the person named it.
    title = data.get("title") or filename.rsplit(".", 1)[0][:200]
    metadata = _clean_metadata({**data, "title": title}, partial=False)
    folder = _folder_in(community, data.get("folder_id"))
    blob = blobs.store_blob(spool.path, spool.sha256, spool.size, file_type.content_type)
    document = Document(community_id=community.id, folder_id=folder.id if folder else None,
                        created_by_id=actor.id, current_number=1, **metadata)
    db.session.add(document)
    db.session.flush()
    version = _add_version_row(document, 1, blob, filename, file_type, actor, note=data.get("note") or "")
    if data.get("control") is not None:  # controlled from its first version: a draft its readers never hear of
        controlled.set_control(actor, document, data["control"])
    audit.record("document.uploaded", actor=actor, target=document,
                 details={"community_id": community.id, "version": 1, "sha256": blob.sha256, "size": blob.size})
    signals.document_version_added.send(document, version=version, actor=actor)
    return document


def add_version(actor: User, document: Document, upload: Upload | None, note: str = "") -> DocumentVersion:
    permissions.require(actor, "add_version", document)
    note = clean_text(note, "note", max_length=1000, multiline=True)
    spool, filename, file_type = _checked_upload(upload)
    blob = blobs.store_blob(spool.path, spool.sha256, spool.size, file_type.content_type)
    return _next_version(actor, document, blob, filename, file_type, note)


def restore_version(actor: User, document: Document, number: int) -> DocumentVersion:
    """Make an old version current by adding it again as the newest (the history keeps all)."""
    permissions.require(actor, "restore_version", document)
    old = get_version(actor, document, number)
    if number == controlled.latest_number(document):
        raise Conflict(_("C'est déjà la version en cours."), code="already_current")
    file_type = FileType(content_type=old.content_type, kind=old.kind, inline=False, extension="")
    note = _("Restauration de la version %(number)d", number=number)
    version = _next_version(actor, document, old.blob, old.filename, file_type, note, restored_from=number)
    version.extraction, version.extracted_text = old.extraction, old.extracted_text
    return version


def _next_version(actor, document, blob, filename, file_type, note, restored_from=None) -> DocumentVersion:
    # Row lock on PostgreSQL; SQLite serialises writers itself. Two uploads at once get
    # consecutive numbers; a clash on the unique (document, number) is retried by the caller.
    db.session.execute(select(Document.id).where(Document.id == document.id).with_for_update())
    db.session.refresh(document, attribute_names=["current_number"])
    number = (db.session.scalar(select(func.max(DocumentVersion.number)).where(
        DocumentVersion.document_id == document.id)) or 0) + 1
    version = _add_version_row(document, number, blob, filename, file_type, actor, note, restored_from)
    if document.control is None or document.control.in_force_number is None:
        document.current_number = number  # a controlled document's readers keep the version in force
    if document.control is not None:
        controlled.version_added(document, version)
    document.updated_at = utcnow()
    audit.record("document.version_added", actor=actor, target=document,
                 details={"version": number, "sha256": blob.sha256, "size": blob.size,
                          "restored_from": restored_from})
    signals.document_version_added.send(document, version=version, actor=actor)
    return version


def _add_version_row(document, number, blob, filename, file_type, actor, note="", restored_from=None):
    version = DocumentVersion(document_id=document.id, number=number, blob_sha256=blob.sha256,
                              filename=filename, content_type=file_type.content_type, kind=file_type.kind,
                              size=blob.size, note=note, author_id=actor.id, restored_from=restored_from,
                              extraction="pending" if restored_from is None else "skipped")
    db.session.add(version)
    db.session.flush()
    if restored_from is None:
        blobs.schedule_processing(version)
    return version


def update_document(actor: User, document: Document, data: dict) -> Document:
    permissions.require(actor, "edit", document)
    cleaned = _clean_metadata(data, partial=True)
    if "folder_id" in data:
        folder = _folder_in(document.community, data["folder_id"])
        cleaned["folder_id"] = folder.id if folder else None
    for field, value in cleaned.items():
        setattr(document, field, value)
    if cleaned:
        document.updated_at = utcnow()
        audit.record("document.updated", actor=actor, target=document, details={"fields": sorted(cleaned)})
    db.session.flush()
    signals.document_changed.send(document, actor=actor)
    return document


def trash_document(actor: User, document: Document) -> None:
    permissions.require(actor, "trash", document)
    document.deleted_at, document.deleted_by_id = utcnow(), actor.id
    audit.record("document.trashed", actor=actor, target=document, details={"community_id": document.community_id})
    signals.document_changed.send(document, actor=actor)


def restore_document(actor: User, document: Document) -> None:
    permissions.require(actor, "restore", document)
    if document.deleted_at is None:
        raise Conflict(_("Ce document n'est pas dans la corbeille."), code="not_in_trash")
    document.deleted_at = document.deleted_by_id = None
    audit.record("document.restored", actor=actor, target=document, details={"community_id": document.community_id})
    signals.document_changed.send(document, actor=actor)


# --- Folders ------------------------------------------------------------------------------------

def _folder_in(community: Community, folder_id) -> Folder | None:
    if folder_id in (None, "", 0):
        return None
    try:
        folder_id = int(folder_id)
    except (TypeError, ValueError):
        raise ValidationError(fields={"folder_id": _("Dossier invalide.")}) from None
    folder = get_by_id(Folder, folder_id)  # None for a number no id column holds
    if folder is None or folder.community_id != community.id:
        raise ValidationError(fields={"folder_id": _("Ce dossier n'existe pas dans cet espace.")})
    return folder


def list_folders(actor: User, community: Community) -> list[Folder]:
    permissions.require(actor, "read", community)
    return list(db.session.scalars(select(Folder).where(Folder.community_id == community.id).order_by(Folder.name)))


def create_folder(actor: User, community: Community, name: str, parent_id=None) -> Folder:
    permissions.require(actor, "contribute", community)
    name = _clean_folder_name(name)
    parent = _folder_in(community, parent_id)
    _check_sibling_name(community, parent.id if parent else None, name)
    folder = Folder(community_id=community.id, parent_id=parent.id if parent else None, name=name,
                    created_by_id=actor.id)
    db.session.add(folder)
    db.session.flush()
    return folder


def rename_folder(actor: User, folder: Folder, name: str) -> Folder:
    permissions.require(actor, "edit", folder)
    name = _clean_folder_name(name)
    _check_sibling_name(db.session.get_one(Community, folder.community_id), folder.parent_id, name, folder.id)
    folder.name = name
    db.session.flush()
    return folder


def get_folder(actor: User, folder_id) -> Folder:
    folder = get_by_id(Folder, folder_id)
    if folder is None:
        raise NotFound()
    permissions.require(actor, "read", folder)
    return folder


def document_path(actor: User, document: Document) -> list[Folder]:
    """The folders from the root down to the document's own (for breadcrumbs)."""
    permissions.require(actor, "read", document)
    return folder_path(db.session.get(Folder, document.folder_id) if document.folder_id else None)


def folder_path(folder: Folder | None) -> list[Folder]:
    """The folders from the root down to `folder` (for breadcrumbs)."""
    path = []
    while folder is not None:
        path.append(folder)
        folder = db.session.get(Folder, folder.parent_id) if folder.parent_id else None
    return list(reversed(path))


def _clean_folder_name(name) -> str:
    name = clean_text(name, "name", max_length=120, required=True)
    if "/" in name or "\\" in name:
        raise ValidationError(fields={"name": _("Un nom de dossier ne contient ni « / » ni « \\ ».")})
    return name


def _check_sibling_name(community: Community, parent_id: int | None, name: str, folder_id: int | None = None):
    clash = db.session.scalar(select(Folder.id).where(
        Folder.community_id == community.id,
        Folder.parent_id == parent_id if parent_id else Folder.parent_id.is_(None),
        func.lower(Folder.name) == name.lower()))
    if clash is not None and clash != folder_id:
        raise Conflict(_("Un dossier porte déjà ce nom ici."), code="folder_exists")
