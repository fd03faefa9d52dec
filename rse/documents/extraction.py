"""Plain text of a document for the search index: PDF, Office Open XML, OpenDocument, text, CSV.

Every extractor is a generator of text pieces (a page, a paragraph, a row) that stops as soon
as enough text has been gathered, so a huge document costs no more than its first `max_chars`.
Files are untrusted: archives are checked for zip bombs before any parser sees them, and any
failure of a parser becomes an `ExtractionError` that the caller logs before carrying on.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Generator, Iterator
from contextlib import closing

from .filetypes import FileType

# What an extractor yields: a generator, so that extract_text can close it (and the file it
# holds open) when it stops reading early.
Pieces = Generator[str, None, None]

# Limits on OOXML/OpenDocument archives, checked from the ZIP directory before parsing. The sizes
# are the ones the archive declares, which zipfile enforces while inflating (a member that
# inflates beyond its declared size fails its CRC check).
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_ABOVE = 10 * 1024 * 1024  # small members may compress as well as they like
MAX_ARCHIVE_MEMBERS = 20_000
# python-docx, python-pptx and odfpy build the whole XML tree in memory (about ten times the
# XML's size): a bigger part is refused rather than risking the worker's memory.
MAX_TREE_XML_BYTES = 100 * 1024 * 1024
MAX_SPREADSHEET_CELLS = 10_000_000  # empty cells included: padding of sparse rows costs time too
MAX_REPEATED_SPACES = 100  # ODF <text:s text:c="…"/> is a count we do not trust

_WORD_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-word.document.macroEnabled.12",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
}
_SPREADSHEET_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel.sheet.macroEnabled.12",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
}
_PRESENTATION_TYPES = {
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.ms-powerpoint.presentation.macroEnabled.12",
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
    "application/vnd.openxmlformats-officedocument.presentationml.template",
}
_OPENDOCUMENT_PREFIX = "application/vnd.oasis.opendocument."
_OPENDOCUMENT_TYPES = {_OPENDOCUMENT_PREFIX + name for name in (
    "text", "text-template", "spreadsheet", "spreadsheet-template", "presentation", "presentation-template",
    "graphics")}


class ExtractionError(Exception):
    """The text could not be extracted; the message is a short reason for the log."""


def extract_text(path: str, file_type: FileType, *, max_chars: int = 1_000_000, max_pages: int = 500) -> str:
    """The text of the file at `path` (as detected by filetypes.detect), for the search index.

    Whitespace is normalised (one space between words, one newline between paragraphs, pages,
    rows), Unicode is NFKC-normalised (PDF ligatures and non-breaking spaces become plain
    letters and spaces), and the result is cut at `max_chars`. PDFs are read up to `max_pages`.
    Kinds without an extractor (images, archives, HTML, legacy Office files...) give "".
    Raises ExtractionError for a corrupt, encrypted or suspicious (zip bomb) file.
    """
    collected: list[str] = []
    size = 0
    try:
        pieces = _pieces(path, file_type, max_chars, max_pages)
        if pieces is None:
            return ""
        with closing(pieces):
            for raw in pieces:
                piece = _normalise(raw)
                if piece:
                    collected.append(piece)
                    size += len(piece) + 1
                    if size > max_chars:
                        break
    except ExtractionError:
        raise
    except Exception as exc:  # parsers of untrusted files fail in many ways (KeyError, lxml, zlib...)
        raise ExtractionError(_reason(exc)) from exc
    return "\n".join(collected)[:max_chars].rstrip()


def _pieces(path: str, file_type: FileType, max_chars: int, max_pages: int) -> Pieces | None:
    media_type = file_type.content_type.split(";", 1)[0].strip()
    if media_type == "application/pdf":
        return _pdf_pieces(path, max_pages)
    if media_type in _WORD_TYPES:
        return _guarded(path, _docx_pieces, whole_tree=True)
    if media_type in _SPREADSHEET_TYPES:
        return _guarded(path, _xlsx_pieces, whole_tree=False)  # openpyxl's read-only mode streams
    if media_type in _PRESENTATION_TYPES:
        return _guarded(path, _pptx_pieces, whole_tree=True)
    if media_type in _OPENDOCUMENT_TYPES:
        return _guarded(path, _opendocument_pieces, whole_tree=True)
    if file_type.kind in ("text", "csv"):
        return _text_pieces(path, max_chars)
    return None


def _reason(exc: Exception) -> str:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {detail[:200]}" if detail else type(exc).__name__


# --- Normalisation ----------------------------------------------------------------------------

# Control characters (a PostgreSQL text cannot even hold NUL), lone surrogates, and invisible
# characters that cut words apart (soft hyphens from PDF hyphenation, zero-width spaces, BOMs).
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\ufeff\ud800-\udfff]")


def _normalise(text: str) -> str:
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


# --- Archives ---------------------------------------------------------------------------------

def _guarded(path: str, extractor: Callable[[str], Pieces], *, whole_tree: bool) -> Pieces:
    """Check the archive for zip bombs (and oversized XML for tree parsers), then extract."""
    _check_archive(path, whole_tree=whole_tree)
    return extractor(path)


def _check_archive(path: str, *, whole_tree: bool) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        # Password-protected OOXML files are OLE2 containers, not ZIP archives.
        raise ExtractionError(f"not a ZIP archive (password-protected or damaged file): {exc}") from exc
    except OSError as exc:
        raise ExtractionError(_reason(exc)) from exc
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise ExtractionError(f"archive has {len(members)} members (zip bomb?)")
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ExtractionError(f"archive expands to {total // 2**20} MiB (zip bomb?)")
    for member in members:
        if (member.file_size > RATIO_CHECKED_ABOVE
                and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)):
            raise ExtractionError(f"archive member {member.filename[:80]!r} compressed "
                                  f"{member.file_size // max(member.compress_size, 1)}:1 (zip bomb?)")
        if whole_tree and member.filename.endswith(".xml") and member.file_size > MAX_TREE_XML_BYTES:
            raise ExtractionError(f"archive member {member.filename[:80]!r} is too large to parse "
                                  f"({member.file_size // 2**20} MiB of XML)")


# --- Extractors -------------------------------------------------------------------------------

def _pdf_pieces(path: str, max_pages: int) -> Pieces:
    from pypdf import PasswordType, PdfReader

    with open(path, "rb") as handle:  # a handle, so that pypdf reads what it needs, not the whole file
        reader = PdfReader(handle)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            # An empty user password (restrictions only, common in official documents) opens it.
            raise ExtractionError("encrypted PDF: a password is required")
        for number, page in enumerate(reader.pages):
            if number >= max_pages:
                break
            yield page.extract_text()


def _docx_pieces(path: str) -> Pieces:
    import docx

    with open(path, "rb") as handle:
        document = docx.Document(handle)  # reads every part at once
    for section in document.sections:
        if not section.header.is_linked_to_previous:
            yield from _docx_blocks(section.header)
    yield from _docx_blocks(document)
    for section in document.sections:
        if not section.footer.is_linked_to_previous:
            yield from _docx_blocks(section.footer)


def _docx_blocks(container) -> Iterator[str]:
    """Paragraphs and table cells (nested tables too) of a document, header or cell, in order."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            seen = set()
            for row in block.rows:
                for cell in row.cells:
                    if cell._tc in seen:  # a merged cell is repeated once per grid column it spans
                        continue
                    seen.add(cell._tc)
                    yield from _docx_blocks(cell)
        else:
            yield block.text


def _xlsx_pieces(path: str) -> Pieces:
    import openpyxl

    with open(path, "rb") as handle, warnings.catch_warnings():
        # openpyxl warns about what it drops or cannot read (default styles, dates out of range,
        # drawings...); none of it matters for the text. Only its own warnings are silenced.
        # (catch_warnings is process-wide: a thread racing through it may see this filter.)
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        try:
            cells = 0
            for sheet in workbook.worksheets:
                yield sheet.title
                sheet.reset_dimensions()  # a declared dimension (XFD1048576) would pad every row
                for row in sheet.iter_rows(values_only=True):
                    cells += len(row)
                    if cells > MAX_SPREADSHEET_CELLS:
                        return
                    values = [str(value) for value in row if value is not None and value != ""]
                    if values:
                        yield " ".join(values)
        finally:
            workbook.close()  # read-only mode keeps the archive open until then


def _pptx_pieces(path: str) -> Pieces:
    import pptx

    with open(path, "rb") as handle:
        presentation = pptx.Presentation(handle)
    for slide in presentation.slides:
        yield from _shape_texts(slide.shapes)
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None:
                yield notes.text


def _shape_texts(shapes) -> Iterator[str]:
    from pptx.shapes.group import GroupShape

    for shape in shapes:
        if isinstance(shape, GroupShape):
            yield from _shape_texts(shape.shapes)
        elif shape.has_text_frame:
            yield shape.text_frame.text
        elif shape.has_table:
            for row in shape.table.rows:
                for cell in row.cells:
                    yield cell.text


_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODF_BLOCKS = {(_TEXT_NS, "p"), (_TEXT_NS, "h")}
_ODF_SKIPPED = {(_TEXT_NS, "tracked-changes")}  # deleted text kept for change tracking


def _opendocument_pieces(path: str) -> Pieces:
    from odf.element import Node
    from odf.opendocument import load

    with open(path, "rb") as handle:  # odfpy leaves its ZipFile unclosed on errors: we own the file
        document = load(handle)
    # Walk the body in document order with an explicit stack (no recursion limit to hit); a
    # (node, True) entry marks the end of a paragraph or heading.
    buffer: list[str] = []
    stack: list[tuple[Node, bool]] = [(document.body, False)]
    while stack:
        node, closing_block = stack.pop()
        if closing_block:
            yield "".join(buffer)
            buffer.clear()
        elif node.nodeType == Node.TEXT_NODE:
            buffer.append(node.data)
        elif node.nodeType == Node.ELEMENT_NODE and node.qname not in _ODF_SKIPPED:
            local_name = node.qname[1] if node.qname[0] == _TEXT_NS else None
            if local_name == "s":
                buffer.append(" " * min(_int(node.getAttribute("c")), MAX_REPEATED_SPACES))
            elif local_name == "tab":
                buffer.append("\t")
            elif local_name == "line-break":
                buffer.append("\n")
            else:
                if node.qname in _ODF_BLOCKS:
                    stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.childNodes))
    yield "".join(buffer)


def _int(value: str | None) -> int:
    try:
        return max(int(value or 1), 1)
    except ValueError:
        return 1


def _text_pieces(path: str, max_chars: int) -> Pieces:
    limit = max_chars * 4 + 4  # enough bytes for max_chars characters in any of our encodings
    with open(path, "rb") as handle:
        data = handle.read(limit)
        complete = not handle.read(1)
    yield _decode(data, complete)


def _decode(data: bytes, complete: bool) -> str:
    """UTF-16 when it says so (BOM), else UTF-8 (with or without BOM), else Windows-1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return codecs.getincrementaldecoder("utf-16")("replace").decode(data, final=complete)
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=complete)
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


__all__ = ["ExtractionError", "extract_text"]
