"""An entry's details as French phrases: people and spaces by name, codes as words, no program output.

Services record details as small JSON objects (`{"user_id": 2, "role": "member"}`); this module
reads them for the page and the export. Ids become names through `subjects.Names` (so a name
is shown only to whom may read it); a file's fingerprint is cut to a short prefix; the ids of
invitations and tokens, which tell an administrator nothing, are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from rse.i18n import format_day

from .actions import label
from .models import AuditEntry
from .subjects import Name, Names

# Detail keys that hold the id of a thing (or a list of ids), and the kind of thing.
_REFERENCES = {"user_id": "user", "author_id": "user", "users": "user", "holder": "user", "community_id": "community",
               "communities": "community", "comment_id": "comment"}
_HIDDEN = {"invitation_id", "token_id"}
_ONLY_IF_TRUE = {"everyone", "existing_account"}

_ROLES = {"admin": _l("administrateur"), "staff": _l("agent"), "partner": _l("partenaire"),
          "animator": _l("animateur"), "member": _l("membre"), "reader": _l("lecteur")}
_VISIBILITY = {"public": _l("public"), "private": _l("privé"), "secret": _l("secret")}
_FREQUENCIES = {"weekly": _l("hebdomadaire"), "daily": _l("quotidien"), "never": _l("aucun")}
_KINDS = {"post": _l("message"), "announcement": _l("annonce"), "question": _l("question"), "link": _l("lien"),
          "wiki": _l("page wiki"), "publication": _l("publication"), "document": _l("document")}
_FIELDS = {"name": _l("nom"), "description": _l("description"), "visibility": _l("visibilité"),
           "sensitive": _l("caractère sensible"), "title": _l("titre"), "body": _l("texte"), "url": _l("lien"),
           "place": _l("lieu"), "tags": _l("étiquettes"), "attachments": _l("pièces jointes"),
           "folder_id": _l("dossier"), "review_by": _l("date de révision"), "read": _l("lecture")}
_VIA = {"web": _l("le site"), "api": _l("l'API"), "profile": _l("son profil"), "preferences": _l("ses préférences"),
        "one-click": _l("le lien de désabonnement du courriel"), "admin": _l("un administrateur")}
_REASONS = {"password": _l("mot de passe incorrect"), "unknown": _l("aucun compte à cette adresse"),
            "throttled": _l("trop d'essais, connexion bloquée un moment"), "expired": _l("accès expiré"),
            "deactivated": _l("compte désactivé"), "password_reset": _l("mot de passe réinitialisé"),
            "password_changed": _l("mot de passe changé"),
            "password_set_by_operator": _l("mot de passe défini par l'équipe informatique")}
_HOW = {"left": _l("a quitté l'espace"), "removed": _l("retiré par un animateur")}
_SCOPES = {"home": _l("en tête de l'accueil de tous"), "community": _l("en tête de son espace")}

_LABELS = {
    "user_id": _l("Personne"), "users": _l("Suggéré à"), "author_id": _l("Auteur"), "community_id": _l("Espace"),
    "communities": _l("Espaces"), "comment_id": _l("Réponse"), "role": _l("Rôle"), "visibility": _l("Visibilité"),
    "kind": _l("Type"), "fields": _l("Champs modifiés"), "via": _l("Depuis"), "reason": _l("Motif"),
    "how": _l("Comment"), "scope": _l("Épinglée"), "version": _l("Version"), "size": _l("Taille"),
    "sha256": _l("Empreinte"), "restored_from": _l("Rétablie depuis la version"), "from": _l("Avant"),
    "to": _l("Après"), "email": _l("Adresse invitée"), "name": _l("Nom"), "sessions": _l("Sessions fermées"),
    "tokens": _l("Jetons révoqués"), "expires_at": _l("Fin d'accès"), "everyone": _l("À tout le monde"),
    "moderated": _l("Supprimé par"), "existing_account": _l("Compte existant"), "inline": _l("Ouverture"),
    # Controlled documents.
    "code": _l("Code"), "type": _l("Type de document"), "roles_added": _l("Rôles ajoutés"),
    "roles_removed": _l("Rôles retirés"), "renewal": _l("Reconduction sans modification"), "stage": _l("Étape"),
    "verdict": _l("Décision"), "comment": _l("Commentaire"), "previous": _l("Version précédemment en vigueur"),
    "effective": _l("Date d'effet"), "review_by": _l("Prochaine révision"), "holder": _l("Détenteur"),
    "broken": _l("Libération forcée"), "hours": _l("Durée (heures)"), "people": _l("Personnes"),
    "establishments": _l("Établissements"),
}
_VERDICTS = {"approve": _l("approuvée"), "return": _l("renvoyée en rédaction")}
_STAGES = {"checking": _l("vérification"), "approval": _l("approbation")}


@dataclass
class Detail:
    """One line: a label, then a text or the names of things (each linked if it may be read)."""

    label: str
    text: str = ""
    names: list[Name] = field(default_factory=list)

    def plain(self) -> str:
        value = ", ".join(n.plain() for n in self.names) if self.names else self.text
        return f"{self.label} : {value}"


def references(entry: AuditEntry) -> Iterator[tuple[str, Any]]:
    """The things an entry names ((kind, id) pairs): its target and the ids in its details."""
    if entry.target_type and entry.target_id:
        yield entry.target_type, entry.target_id
    if entry.actor_id:
        yield "user", entry.actor_id
    details = entry.details or {}
    for key, kind in _REFERENCES.items():
        value = details.get(key)
        for one in value if isinstance(value, list) else [value]:
            if one is not None:
                yield kind, one
    if isinstance(details.get("on"), str) and "id" in details:
        yield details["on"], details["id"]


def names_for(reader: Any, entries: Iterable[AuditEntry]) -> Names:
    return Names(reader, (ref for entry in entries for ref in references(entry)))


def describe(entry: AuditEntry, names: Names) -> list[Detail]:
    """The details of an entry as lines a person reads."""
    details = dict(entry.details or {})
    lines: list[Detail] = []
    if isinstance(details.get("on"), str) and "id" in details:
        on, item_id = details.pop("on"), details.pop("id")
        lines.append(Detail(str(_l("Sur")), names=[names.get(on, item_id)]))
    for key, value in details.items():
        if key in _HIDDEN or value is None or value == [] or value == "" or (key in _ONLY_IF_TRUE and not value):
            continue
        line = _line(entry.action, key, value, names)
        if line is not None:
            lines.append(line)
    return lines


def _line(action: str, key: str, value: Any, names: Names) -> Detail | None:
    label = str(_LABELS.get(key, key))
    if key in _REFERENCES:
        kind = _REFERENCES[key]
        return Detail(label, names=[names.get(kind, one) for one in (value if isinstance(value, list) else [value])])
    if action == "publication.wiki_restore" and key == "from":
        return Detail(str(_LABELS["restored_from"]), _text(value))
    if key in ("from", "to"):
        words = _FREQUENCIES if action.startswith("digest.") else _ROLES
        return Detail(label, _word(words, value))
    return Detail(label, _value(key, value))


def _value(key: str, value: Any) -> str:
    match key:
        case "role":
            return _word(_ROLES, value)
        case "visibility":
            return _word(_VISIBILITY, value)
        case "kind":
            return _word(_KINDS, value)
        case "fields":
            return ", ".join(_word(_FIELDS, one) for one in value) if isinstance(value, list) else _text(value)
        case "via":
            return _word(_VIA, value)
        case "reason":
            return _word(_REASONS, value)
        case "how":
            return _word(_HOW, value)
        case "scope":
            return _word(_SCOPES, value)
        case "size":
            return _size(value)
        case "sha256":
            return f"{str(value)[:10]}…" if len(str(value)) > 10 else _text(value)
        case "expires_at" | "effective" | "review_by":
            return _day(value)
        case "verdict":
            return _word(_VERDICTS, value)
        case "stage":
            return _word(_STAGES, value)
        case "moderated":
            return str(_l("un modérateur") if value else _l("son auteur"))
        case "inline":
            return str(_l("dans le navigateur") if value else _l("téléchargement"))
    return _text(value)


def _word(words: dict, value: Any) -> str:
    found = words.get(value) if isinstance(value, str) else None
    return str(found) if found is not None else _text(value)


def _text(value: Any) -> str:
    """Any other value, as a person writes it (never a Python repr)."""
    if isinstance(value, bool):
        return str(_l("oui") if value else _l("non"))
    if isinstance(value, list):
        return ", ".join(_text(one) for one in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} : {_text(v)}" for k, v in value.items())
    if isinstance(value, int):
        return format_decimal(value)
    return str(value)


def _size(value: Any) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return _text(value)
    for unit, power in (("Go", 3), ("Mo", 2), ("ko", 1)):
        if value >= 1024 ** power:
            return f"{format_decimal(round(value / 1024 ** power, 1))} {unit}"
    return str(_l("%(num)s octets", num=format_decimal(value)))


def _day(value: Any) -> str:
    if not value:
        return str(_l("aucune (accès sans date de fin)"))
    try:
        return format_day(datetime.fromisoformat(str(value)))
    except ValueError:
        return _text(value)


@dataclass
class Row:
    """An entry as the page and the export show it."""

    entry: AuditEntry
    label: str
    actor: Name | None  # None: the system acted
    actor_has_account: bool
    target: Name | None
    lines: list[Detail]


def rows(reader: Any, entries: list[AuditEntry]) -> list[Row]:
    """Entries with their label, names and details, the names looked up together."""
    names = names_for(reader, entries)
    found = []
    for entry in entries:
        if entry.actor_id:
            actor: Name | None = names.get("user", entry.actor_id, entry.actor_label)
        else:
            actor = Name(entry.actor_label) if entry.actor_label else None
        target = names.get(entry.target_type, entry.target_id, entry.target_label) if entry.target_type else None
        found.append(Row(entry, label(entry.action), actor, bool(entry.actor_id), target, describe(entry, names)))
    return found
