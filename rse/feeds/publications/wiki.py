"""Wiki pages' versions: every saved change is a numbered version; read, compare, restore."""

from __future__ import annotations

import difflib
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from rse import audit, permissions
from rse.accounts.models import User
from rse.database import db
from rse.dbtypes import is_id, utcnow
from rse.errors import Conflict, NotFound
from rse.feeds import mentions, rendered_diff
from rse.feeds.activity import add_activity
from rse.feeds.models import Kind, Publication, Verb, WikiVersion


def add_version(publication: Publication, actor: User, *, note: str, restored_from: int | None = None):
    publication.wiki_number += 1
    version = WikiVersion(publication_id=publication.id, number=publication.wiki_number, title=publication.title,
                          body=publication.body, note=note, author_id=actor.id, restored_from=restored_from)
    db.session.add(version)
    db.session.flush()
    return version


def changed(publication: Publication) -> bool:
    last = db.session.scalar(select(WikiVersion).where(
        WikiVersion.publication_id == publication.id).order_by(WikiVersion.number.desc()).limit(1))
    return last is None or (last.title, last.body) != (publication.title, publication.body)


def wiki_versions(actor: User, publication: Publication) -> list[WikiVersion]:
    permissions.require(actor, "read", publication)
    return list(db.session.scalars(select(WikiVersion).where(
        WikiVersion.publication_id == publication.id).order_by(WikiVersion.number.desc())))


def wiki_version(actor: User, publication: Publication, number: Any) -> WikiVersion:
    permissions.require(actor, "read", publication)
    version = None
    if is_id(number):
        version = db.session.scalar(select(WikiVersion).where(
            WikiVersion.publication_id == publication.id, WikiVersion.number == number))
    if version is None:
        raise NotFound(_("Cette version n'existe pas."))
    return version


def wiki_diff(actor: User, publication: Publication, old: Any, new: Any) -> list[tuple[str, str]]:
    """The line diff of the Markdown texts of two versions: [(tag, line)] with tag "=", "-" or "+"."""
    before, after = wiki_version(actor, publication, old), wiki_version(actor, publication, new)
    a = [f"# {before.title}", *before.body.splitlines()]
    b = [f"# {after.title}", *after.body.splitlines()]
    lines: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            lines.extend(("=", line) for line in a[i1:i2])
            continue
        lines.extend(("-", line) for line in a[i1:i2])
        lines.extend(("+", line) for line in b[j1:j2])
    return lines


def wiki_rendered_diff(actor: User, publication: Publication, old: Any, new: Any) -> rendered_diff.RenderedDiff:
    """The new version as the reader sees it, the words changed since the old one marked."""
    before, after = wiki_version(actor, publication, old), wiki_version(actor, publication, new)
    return rendered_diff.compare(before.title, before.body, after.title, after.body)


def restore_wiki_version(actor: User, publication: Publication, number: Any) -> WikiVersion:
    permissions.require(actor, "edit", publication)
    old = wiki_version(actor, publication, number)
    if old.number == publication.wiki_number:
        raise Conflict(_("C'est déjà la version en cours."), code="already_current")
    publication.title, publication.body = old.title, old.body
    mentions.apply(actor, publication, publication.body, publication)
    publication.updated_at = utcnow()
    # No note: the pages say "restored from version N" in the reader's language.
    version = add_version(publication, actor, note="", restored_from=old.number)
    add_activity(Verb.EDITED, actor, community_id=publication.community_id, kind=Kind.WIKI,
                 publication_id=publication.id, version_number=version.number)
    audit.record("publication.wiki_restore", actor=actor, target=publication, details={"from": old.number})
    return version
