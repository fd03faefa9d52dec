"""A plan's table imported from the XLSX people already keep, in the columns an export writes too.

The columns are those of docs/PLANS_IMPORT.md: headers in French, found whatever their case, accents
and order, on one of the sheet's first rows. Reading a file changes nothing: it gives a Preview (what
would be created, and each wrong cell as « Ligne 7, Échéance : … »). Importing takes all the rows or
none, and creates through the service, so its rules, history and signals apply. The exports, in the
same columns so that they import again, are in rse.plans.export.
"""

from __future__ import annotations

import io
import re
import secrets
import time
import unicodedata
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _

from rse import permissions
from rse.accounts.models import User
from rse.errors import ValidationError
from rse.i18n import format_day
from rse.validation import clean_text

from . import service
from .models import CLOSED_STATUSES, Action, ActionStatus, Plan, Priority

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 5_000
# Rows read at most, blank ones included: a small file may declare a million formatted empty rows.
_MAX_SHEET_ROWS = 50_000
_MAX_COLUMNS = 60
_HEADER_SEARCH = 20  # the header row is one of the sheet's first rows (a title may stand above it)


@dataclass(frozen=True)
class Column:
    key: str
    header: str           # as written in an export and in the documentation
    aliases: tuple = ()   # other headers taken for it, already normalised
    required: bool = False


# The layout of docs/PLANS_IMPORT.md, in the order of an export. The headers are the file's, not
# the interface's: they stay French whatever the reader's language, so a file always imports again.
COLUMNS = (
    Column("objective", "Objectif", ("axe",), required=True),
    Column("title", "Action", ("intitule", "titre", "intitule de l action"), required=True),
    Column("description", "Description"),
    Column("owner", "Responsable", ("pilote", "porteur")),
    Column("co_owners", "Co-responsables", ("co responsable", "coresponsables", "coresponsable")),
    Column("start_date", "Début", ("date de debut",)),
    Column("due_date", "Échéance", ("date d echeance", "date echeance", "date de fin", "fin")),
    Column("status", "Statut", ("etat",)),
    Column("progress", "Avancement", ("progression",)),
    Column("priority", "Priorité"),
    Column("result_note", "Résultat", ("note de resultat",)),
)
_BY_KEY = {column.key: column for column in COLUMNS}

STATUS_LABELS = {ActionStatus.NOT_STARTED: "À faire", ActionStatus.IN_PROGRESS: "En cours",
                 ActionStatus.DONE: "Réalisée", ActionStatus.ABANDONED: "Abandonnée"}
PRIORITY_LABELS = {Priority.LOW: "Basse", Priority.NORMAL: "Normale", Priority.HIGH: "Haute"}


def normalise(text: str) -> str:
    """"Échéance (JJ/MM/AAAA)" -> "echeance": no accents, no case, no bracketed note, no punctuation."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    text = re.sub(r"\([^)]*\)", " ", text)
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


_STATUSES = {normalise(word): status for status, words in {
    ActionStatus.NOT_STARTED: ("À faire", "Non commencée", "Non démarrée", "Not started", "not_started", "To do"),
    ActionStatus.IN_PROGRESS: ("En cours", "In progress", "in_progress", "Started"),
    ActionStatus.DONE: ("Réalisée", "Réalisé", "Terminée", "Terminé", "Faite", "Fait", "Done", "Completed"),
    ActionStatus.ABANDONED: ("Abandonnée", "Abandonné", "Abandoned", "Cancelled", "Canceled"),
}.items() for word in words}
_PRIORITIES = {normalise(word): priority for priority, words in {
    Priority.LOW: ("Basse", "Faible", "Low"), Priority.NORMAL: ("Normale", "Moyenne", "Normal", "Medium"),
    Priority.HIGH: ("Haute", "Élevée", "Forte", "High"),
}.items() for word in words}


# --- Reading a file -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    line: int       # the row's number in the sheet, as the spreadsheet shows it
    column: str     # the column's header as documented ("Échéance")
    message: str    # "date attendue au format JJ/MM/AAAA"

    def __str__(self) -> str:
        return _("Ligne %(line)d, %(column)s : %(message)s", line=self.line, column=self.column,
                 message=self.message)


@dataclass
class PreviewRow:
    line: int
    objective: str
    objective_is_new: bool
    title: str
    description: str = ""
    owner: User | None = None
    co_owners: list[User] = field(default_factory=list)
    start_date: date | None = None
    due_date: date | None = None
    status: str = ActionStatus.NOT_STARTED
    progress: int = 0
    priority: str = Priority.NORMAL
    result_note: str = ""

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[ActionStatus(self.status)]

    @property
    def priority_label(self) -> str:
        return PRIORITY_LABELS[Priority(self.priority)]


@dataclass
class Preview:
    plan_id: int
    sheet: str
    rows: list[PreviewRow]
    errors: list[RowError]
    ignored_columns: list[str]

    @property
    def new_objectives(self) -> list[str]:
        return list(dict.fromkeys(row.objective for row in self.rows if row.objective_is_new))

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code, fields={"file": message})


def _open_workbook(stream: IO[bytes]):
    data = stream.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise _refuse(_("Le fichier dépasse la taille maximale (%(mb)d Mo).", mb=MAX_IMPORT_BYTES // 2**20),
                      "file_too_large")
    if not data:
        raise _refuse(_("Le fichier est vide."), "empty_file")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _refuse(_("Ce fichier n'est pas un classeur Excel (.xlsx)."), "not_xlsx")
    import openpyxl

    try:
        with warnings.catch_warnings():
            # openpyxl warns about what it cannot read (styles, drawings): none of it matters here.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises anything from KeyError to XML errors on a damaged file
        current_app.logger.info("plan import: unreadable workbook", exc_info=True)
        raise _refuse(_("Ce classeur est illisible ou endommagé : enregistrez-le de nouveau au format .xlsx."),
                      "unreadable_xlsx") from None


def _find_header(rows: list[tuple[int, list]]) -> tuple[int, dict[int, Column], list[str]] | None:
    """(line, column index -> Column, headers not understood) of the first row naming the required columns."""
    names = {normalise(c.header): c for c in COLUMNS} | {alias: c for c in COLUMNS for alias in c.aliases}
    for line, cells in rows:
        found: dict[int, Column] = {}
        ignored = []
        for index, cell in enumerate(cells):
            text = normalise(cell.value) if isinstance(cell.value, str) else ""
            column = names.get(text)
            if column is not None and column not in found.values():
                found[index] = column
            elif isinstance(cell.value, str) and cell.value.strip():
                ignored.append(cell.value.strip())
        if all(c in found.values() for c in COLUMNS if c.required):
            return line, found, ignored
    return None


def read_workbook(actor: User, plan: Plan, stream: IO[bytes]) -> Preview:
    """What importing this file into the plan would create, and what is wrong in it. Changes nothing.
    A file that cannot be read at all (too large, not XLSX, no header row, too many rows) is refused
    with a ValidationError whose code says why."""
    permissions.require(actor, "manage", plan)
    book = _open_workbook(stream)
    try:
        named = [sheet for sheet in book.worksheets if normalise(sheet.title) == "actions"]
        sheet = named[0] if named else book.worksheets[0]
        sheet.reset_dimensions()  # a declared dimension (XFD1048576) would pad every row
        lines = sheet.iter_rows(max_col=_MAX_COLUMNS)
        head = []
        for line, cells in enumerate(lines, 1):
            head.append((line, list(cells)))
            if line >= _HEADER_SEARCH:
                break
        header = _find_header(head)
        if header is None:
            raise _refuse(_("Aucune ligne d'en-tête trouvée : la première feuille (ou celle nommée « Actions ») "
                            "doit avoir au moins les colonnes « Objectif » et « Action »."), "no_header_row")
        header_line, columns, ignored = header
        body = [(line, cells) for line, cells in head if line > header_line]
        raw: list[tuple[int, dict[str, Any]]] = []
        for line, cells in [*body, *((n, list(c)) for n, c in enumerate(lines, len(head) + 1))]:
            if line > _MAX_SHEET_ROWS:
                raise _refuse(_("Le fichier a trop de lignes : %(n)d au plus.", n=MAX_IMPORT_ROWS), "too_many_rows")
            values = {columns[i].key: cell for i, cell in enumerate(cells) if i in columns}
            if all(_blank(cell.value) for cell in values.values()):
                continue
            raw.append((line, values))
            if len(raw) > MAX_IMPORT_ROWS:
                raise _refuse(_("Le fichier a trop de lignes : %(n)d au plus.", n=MAX_IMPORT_ROWS), "too_many_rows")
        title = sheet.title
    finally:
        book.close()
    if not raw:
        raise _refuse(_("Le fichier n'a aucune action sous sa ligne d'en-tête."), "no_rows")
    return _preview(actor, plan, title, raw, ignored)


# A cell a short row does not have (read-only rows end at their last written cell).
_EMPTY = SimpleNamespace(value=None, number_format="General")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _People:
    """The members of the plan's space an owner may be, found by e-mail or full name. One who is not
    found is refused alike, unknown or outside the space (the service's rule, `_member_ids`)."""

    def __init__(self, actor: User, plan: Plan):
        members = service.assignable_people(actor, plan.community)
        self.by_email = {user.email.casefold(): user for user in members}
        self.by_name: dict[str, list[User]] = {}
        for user in members:
            self.by_name.setdefault(normalise(user.name), []).append(user)

    def find(self, text: str) -> User:
        bracketed = re.search(r"<([^<>]+@[^<>]+)>", text)
        key = (bracketed.group(1) if bracketed else text).strip()
        if "@" in key:
            user = self.by_email.get(key.casefold())
            if user is not None:
                return user
        else:
            named = self.by_name.get(normalise(key), [])
            if len(named) == 1:
                return named[0]
            if len(named) > 1:
                raise ValueError(_("plusieurs membres de l'espace portent ce nom : indiquez son adresse électronique."))
        raise ValueError(_("« %(value)s » n'est pas une personne membre de l'espace (indiquez son adresse "
                           "électronique ou son nom complet).", value=text))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return format_day(value)
    return str(value).strip()


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _date(cell) -> date | None:
    value = cell.value
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        try:
            if match:
                return date(int(match[3]), int(match[2]), int(match[1]))
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                return date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(_("date attendue au format JJ/MM/AAAA."))


def _progress(cell) -> int:
    value = cell.value
    if _blank(value):
        return 0
    percent_cell = "%" in (getattr(cell, "number_format", "") or "")
    if isinstance(value, str):
        text = value.strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
        percent_cell = text.endswith("%")
        try:
            value = float(text.removesuffix("%"))
        except ValueError:
            value = None
        else:
            percent_cell = False  # "45 %" and "45" both mean 45
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(_("nombre entier entre 0 et 100 attendu."))
    if percent_cell:  # 0.45 shown as 45 %
        value = round(value * 100, 6)
    if not 0 <= value <= 100 or (not percent_cell and value != int(value)):
        raise ValueError(_("nombre entier entre 0 et 100 attendu."))
    return round(value)


def _choice(cell, choices: Mapping[str, str], default: str, labels: dict) -> str:
    if _blank(cell.value):
        return default
    found = choices.get(normalise(_text(cell.value)))
    if found is None:
        raise ValueError(_("valeur non reconnue ; valeurs possibles : %(values)s.",
                           values=", ".join(f"« {label} »" for label in labels.values())))
    return found


def _preview(actor: User, plan: Plan, sheet: str, raw: list[tuple[int, dict]], ignored: list[str]) -> Preview:
    people = _People(actor, plan)
    existing = {normalise(o.title): o.title for o in plan.objectives}
    seen_new: dict[str, str] = {}
    rows: list[PreviewRow] = []
    errors: list[RowError] = []
    for line, cells in raw:
        row_errors: list[RowError] = []

        def check(key: str, parse, *, cells=cells, line=line, row_errors=row_errors):
            try:
                return parse(cells.get(key, _EMPTY))
            except (ValueError, ValidationError) as error:
                message = (" ".join(str(m) for m in error.fields.values()) or error.message
                           if isinstance(error, ValidationError) else str(error))
                row_errors.append(RowError(line, _BY_KEY[key].header, _lower_first(message)))
                return None

        def text(key: str, limit: int, *, required: bool = False, multiline: bool = False):
            return lambda cell: clean_text(_text(cell.value), key, max_length=limit,
                                           required=required, multiline=multiline)

        objective = check("objective", text("objective", 200, required=True))
        title = check("title", text("title", 200, required=True))
        description = check("description", text("description", 10_000, multiline=True)) or ""
        owner = check("owner", lambda cell: people.find(_text(cell.value)) if not _blank(cell.value) else None)
        co_owners = check("co_owners", lambda cell: _co_owners(people, _text(cell.value))) or []
        start = check("start_date", _date)
        due = check("due_date", _date)
        status = check("status", lambda cell: _choice(cell, _STATUSES, ActionStatus.NOT_STARTED, STATUS_LABELS))
        progress = check("progress", _progress)
        priority = check("priority", lambda cell: _choice(cell, _PRIORITIES, Priority.NORMAL, PRIORITY_LABELS))
        result_note = check("result_note", text("result_note", 4000, multiline=True)) or ""
        if start and due and start > due:
            row_errors.append(RowError(line, _BY_KEY["due_date"].header,
                                       _("l'échéance ne peut pas précéder le début.")))
        if status in CLOSED_STATUSES and not result_note:
            row_errors.append(RowError(line, _BY_KEY["result_note"].header,
                                       _("obligatoire pour une action réalisée ou abandonnée.")))
        errors.extend(row_errors)
        if row_errors or objective is None or title is None:
            continue
        key = normalise(objective)
        is_new = key not in existing
        if is_new:
            objective = seen_new.setdefault(key, objective)  # spelled as on its first row
        else:
            objective = existing[key]
        rows.append(PreviewRow(
            line=line, objective=objective, objective_is_new=is_new, title=title, description=description,
            owner=owner, co_owners=[u for u in co_owners if u is not owner], start_date=start, due_date=due,
            status=status or ActionStatus.NOT_STARTED, progress=progress or 0, priority=priority or Priority.NORMAL,
            result_note=result_note))
    return Preview(plan_id=plan.id, sheet=sheet, rows=rows, errors=errors, ignored_columns=ignored)


def _co_owners(people: _People, text: str) -> list[User]:
    names = [part.strip() for part in re.split(r"[;\n]", text) if part.strip()]
    if len(names) > service.MAX_CO_OWNERS:
        raise ValueError(_("au plus %(n)d personnes.", n=service.MAX_CO_OWNERS))
    return list(dict.fromkeys(people.find(name) for name in names))


# --- Importing ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Imported:
    objectives: int  # created
    actions: int


def import_rows(actor: User, plan: Plan, preview: Preview) -> Imported:
    """Create the preview's objectives and actions, all or none: when any row is wrong nothing is
    created (a ValidationError lists each wrong cell). Creation goes through the service, so a row
    it refuses still refuses the whole unit of work, which the caller then rolls back."""
    permissions.require(actor, "manage", plan)
    if preview.plan_id != plan.id:
        raise ValidationError(_("Cet aperçu est celui d'un autre plan."), code="wrong_plan")
    if preview.errors or not preview.rows:
        errors = preview.errors
        raise ValidationError(
            _("Rien n'a été importé : corrigez le fichier (%(n)d erreur(s)) puis déposez-le de nouveau.",
              n=len(errors)) if errors else _("Le fichier n'a aucune action sous sa ligne d'en-tête."),
            code="import_refused", fields={f"line_{e.line}_{n}": str(e) for n, e in enumerate(errors)})
    objectives = {normalise(o.title): o for o in plan.objectives}
    created_objectives = 0
    batch = service.ActionBatch(actor, plan)
    for row in preview.rows:
        key = normalise(row.objective)
        if key not in objectives:
            objectives[key] = service.add_objective(actor, plan, {"title": row.objective})
            created_objectives += 1
        try:
            _create(batch, objectives[key], row)
        except ValidationError as error:
            message = " ".join(str(m) for m in error.fields.values()) or error.message
            raise ValidationError(_("Rien n'a été importé : ligne %(line)d : %(message)s", line=row.line,
                                    message=message), code="import_refused",
                                  fields={f"line_{row.line}": _("Ligne %(line)d : %(message)s", line=row.line,
                                                                message=message)}) from None
    batch.finish()  # each owner told once, not once per action
    return Imported(objectives=created_objectives, actions=len(preview.rows))


def _create(batch: service.ActionBatch, objective, row: PreviewRow) -> Action:
    closed = row.status in CLOSED_STATUSES
    opened_as = (ActionStatus.IN_PROGRESS if row.progress else ActionStatus.NOT_STARTED) if closed else row.status
    action = batch.create(objective, {
        "title": row.title, "description": row.description, "owner_id": row.owner.id if row.owner else None,
        "co_owners": [user.id for user in row.co_owners], "start_date": row.start_date, "due_date": row.due_date,
        "status": opened_as, "progress": row.progress, "priority": row.priority,
        **({} if closed else {"result_note": row.result_note})})
    if closed:
        batch.close(action, status=row.status, result_note=row.result_note)
    return action


# --- Keeping an uploaded file between its preview and its import --------------------------------------

KEEP_SECONDS = 30 * 60
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


def _kept_folder() -> Path:
    return Path(current_app.config["UPLOAD_TMP"]) / "plan-imports"


def keep_upload(data: bytes) -> str:
    """Keep a previewed file for its confirmation; the token names it. Older kept files are removed."""
    folder = _kept_folder()
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in folder.glob("*.xlsx"):
        try:
            if now - old.stat().st_mtime > KEEP_SECONDS:
                old.unlink()
        except FileNotFoundError:  # another request swept it first
            pass
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.xlsx").write_bytes(data)
    return token


def kept_upload(token: Any) -> bytes | None:
    """The kept file's bytes, or None when the token is malformed, unknown or expired."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    path = _kept_folder() / f"{token}.xlsx"
    try:
        if time.time() - path.stat().st_mtime > KEEP_SECONDS:
            path.unlink(missing_ok=True)
            return None
        return path.read_bytes()
    except FileNotFoundError:
        return None


def drop_upload(token: Any) -> None:
    if isinstance(token, str) and _TOKEN.fullmatch(token):
        (_kept_folder() / f"{token}.xlsx").unlink(missing_ok=True)
