"""API: documents, their versions and their bytes."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from rse.communities import service as communities
from rse.documents import service
from rse.documents.downloads import answer, starts_a_download, thumbnail_response
from rse.errors import ValidationError
from rse.transactions import commit_with_retry
from rse.uploads import allow_large_body, spool_of

from . import actor, bp, created, json_body, query_bool
from .serializers import document_json, version_json


def _upload() -> service.Upload:
    """The uploaded file of a multipart request (already spooled and hashed by the parser)."""
    allow_large_body()
    part = request.files.get("file")
    if part is None:
        raise ValidationError(fields={"file": _("Choisissez un fichier (champ multipart « file »).")})
    return service.Upload(spool=spool_of(part), filename=part.filename or "", declared_type=part.mimetype)


@bp.post("/communities/<int:community_id>/documents")
def upload_document(community_id: int):
    community = communities.get_community(actor(), community_id, "view")
    upload = _upload()
    data = {key: request.form.get(key) for key in ("title", "description", "tags", "folder_id", "review_by", "note")
            if key in request.form}
    document = commit_with_retry(lambda: service.create_document(actor(), community, upload, data))
    return created(document_json(document, current=service.current_version(document)))


@bp.get("/communities/<int:community_id>/documents")
def list_documents(community_id: int):
    community = communities.get_community(actor(), community_id, "view")
    trash = query_bool("trash")
    documents = service.list_documents(actor(), community, all_folders=True, trash=trash)
    return jsonify({"items": [document_json(d) for d in documents], "total": len(documents)})


@bp.get("/documents/<int:document_id>")
def get_document(document_id: int):
    document = service.get_document(actor(), document_id)
    return jsonify(document_json(document, versions=service.list_versions(actor(), document)))


@bp.patch("/documents/<int:document_id>")
def update_document(document_id: int):
    document = service.get_document(actor(), document_id)
    data = json_body()
    unknown = set(data) - {"title", "description", "tags", "review_by", "folder_id"}
    if unknown:
        raise ValidationError(fields={name: _("Champ inconnu.") for name in sorted(unknown)})
    service.update_document(actor(), document, data)
    return jsonify(document_json(document))


@bp.post("/documents/<int:document_id>/versions")
def upload_version(document_id: int):
    document = service.get_document(actor(), document_id)
    upload = _upload()
    note = request.form.get("note", "")
    version = commit_with_retry(lambda: service.add_version(actor(), document, upload, note))
    return created(version_json(version, document))


@bp.get("/documents/<int:document_id>/versions/<int:number>/content")
def version_content(document_id: int, number: int):
    document = service.get_document(actor(), document_id, "download")
    version = service.get_version(actor(), document, number)
    response = answer(actor(), document, version, inline=query_bool("inline"), original=query_bool("original"))
    if starts_a_download(response):
        service.record_download(actor(), document, version, inline=query_bool("inline"))
    return response


@bp.get("/documents/<int:document_id>/versions/<int:number>/thumbnail")
def version_thumbnail(document_id: int, number: int):
    document = service.get_document(actor(), document_id)
    return thumbnail_response(service.get_version(actor(), document, number))


@bp.post("/documents/<int:document_id>/versions/<int:number>/restore")
def restore_version(document_id: int, number: int):
    document = service.get_document(actor(), document_id)
    version = commit_with_retry(lambda: service.restore_version(actor(), document, number))
    return created(version_json(version, document))


@bp.delete("/documents/<int:document_id>")
def trash_document(document_id: int):
    document = service.get_document(actor(), document_id)
    service.trash_document(actor(), document)
    return "", 204


@bp.post("/documents/<int:document_id>/restore")
def restore_document(document_id: int):
    document = service.get_document(actor(), document_id, "restore")
    service.restore_document(actor(), document)
    return jsonify(document_json(document))
