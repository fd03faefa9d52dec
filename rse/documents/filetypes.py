"""What an uploaded file really is: its type sniffed from its bytes and checked against its name.

`detect` reads a bounded prefix of the file (and, for ZIP containers, the archive's directory),
recognises the format from its content, and compares it with what the file name's extension
(and the Content-Type the client declared, when it says something specific) announce. A file
that pretends to be something else (`rapport.pdf` holding a PNG or a Windows program) raises
`ContentMismatch` with a message for the user; everything else gets the type we will serve.

Only PDF and JPEG/PNG/GIF/WebP images may ever be shown inline; HTML, SVG and XML are accepted
but always marked for download, as is anything unrecognised.
"""

from __future__ import annotations

import codecs
import os
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

SNIFF_BYTES = 64 * 1024
PDF_HEADER_WITHIN = 1024  # PDF readers accept a header preceded by a little junk


def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated where it is shown (Babel's keyword)."""
    return message


class ContentMismatch(Exception):
    """The file's content contradicts its extension or declared type.

    `str(exc)` (and `exc.message`) is the French message for the user. `template` and `params`
    let the web layer show it in the user's language: see `localized`.
    """

    def __init__(self, template: str, **params: str):
        self.template = template
        self.params = params
        self.message = template % params
        super().__init__(self.message)

    def localized(self, gettext: Callable[[str], str]) -> str:
        """The message through `gettext` (e.g. flask_babel.gettext); file names stay as they are."""
        params = {key: value if key == "filename" else gettext(value) for key, value in self.params.items()}
        return gettext(self.template) % params


@dataclass(frozen=True)
class FileType:
    content_type: str  # what we serve, with a charset parameter for text
    kind: str  # pdf, image, word, spreadsheet, presentation, text, csv, archive, html, svg, other
    inline: bool  # may be shown in the browser: only PDF and JPEG/PNG/GIF/WebP
    extension: str  # normalised, without the dot; "" when none fits


@dataclass(frozen=True)
class _Format:
    family: str  # what sniffing the content of such a file gives
    kind: str
    content_type: str
    extensions: tuple[str, ...]  # the first one is the usual one
    label: str  # French, with its article: "une image PNG"
    accepts: frozenset[str]  # content families acceptable under this format's extensions
    textual: bool = False  # text-based: served with a charset; plain text under its name resolves to it
    inline: bool = False
    generic: bool = False  # keeps an unknown extension of the file name (script.py stays "py")


_RASTER = frozenset({"jpeg", "png", "gif", "webp", "bmp", "tiff", "heic", "avif"})
_TEXTUAL = frozenset({"text", "html", "svg", "xml", "rtf"})
_ZIP_BASED = frozenset({"zip", "zip_damaged", "docx", "xlsx", "pptx", "odt", "ods", "odp", "odg", "epub"})
_OFFICE_WORD = frozenset({"docx", "ole2"})
_OFFICE_SHEET = frozenset({"xlsx", "ole2"})
_OFFICE_SLIDES = frozenset({"pptx", "ole2"})


def _f(family, kind, content_type, extensions, label, accepts=None, **flags) -> _Format:
    return _Format(family, kind, content_type, tuple(extensions), label,
                   frozenset(accepts) if accepts is not None else frozenset({family}), **flags)


_OOXML = "application/vnd.openxmlformats-officedocument."
_ODF = "application/vnd.oasis.opendocument."

_FORMATS = (
    _f("pdf", "pdf", "application/pdf", ["pdf"], N_("un document PDF"), inline=True),
    _f("jpeg", "image", "image/jpeg", ["jpg", "jpeg", "jpe", "jfif"], N_("une image JPEG"), _RASTER, inline=True),
    _f("png", "image", "image/png", ["png"], N_("une image PNG"), _RASTER, inline=True),
    _f("gif", "image", "image/gif", ["gif"], N_("une image GIF"), _RASTER, inline=True),
    _f("webp", "image", "image/webp", ["webp"], N_("une image WebP"), _RASTER, inline=True),
    _f("bmp", "image", "image/bmp", ["bmp"], N_("une image BMP"), _RASTER),
    _f("tiff", "image", "image/tiff", ["tiff", "tif"], N_("une image TIFF"), _RASTER),
    _f("heic", "image", "image/heic", ["heic", "heif"], N_("une image HEIC"), _RASTER),
    _f("avif", "image", "image/avif", ["avif"], N_("une image AVIF"), _RASTER),
    # Office Open XML. A password-protected .docx/.xlsx/.pptx is an OLE2 file, and Office opens
    # a legacy file renamed to the new extension: both are accepted.
    _f("docx", "word", _OOXML + "wordprocessingml.document", ["docx"], N_("un document Word"), _OFFICE_WORD),
    _f("docx", "word", "application/vnd.ms-word.document.macroEnabled.12", ["docm"],
       N_("un document Word"), _OFFICE_WORD),
    _f("docx", "word", _OOXML + "wordprocessingml.template", ["dotx"], N_("un modèle Word"), _OFFICE_WORD),
    _f("xlsx", "spreadsheet", _OOXML + "spreadsheetml.sheet", ["xlsx"], N_("un classeur Excel"), _OFFICE_SHEET),
    _f("xlsx", "spreadsheet", "application/vnd.ms-excel.sheet.macroEnabled.12", ["xlsm"],
       N_("un classeur Excel"), _OFFICE_SHEET),
    _f("xlsx", "spreadsheet", _OOXML + "spreadsheetml.template", ["xltx"], N_("un modèle Excel"), _OFFICE_SHEET),
    _f("pptx", "presentation", _OOXML + "presentationml.presentation", ["pptx"],
       N_("une présentation PowerPoint"), _OFFICE_SLIDES),
    _f("pptx", "presentation", "application/vnd.ms-powerpoint.presentation.macroEnabled.12", ["pptm"],
       N_("une présentation PowerPoint"), _OFFICE_SLIDES),
    _f("pptx", "presentation", _OOXML + "presentationml.slideshow", ["ppsx"],
       N_("une présentation PowerPoint"), _OFFICE_SLIDES),
    _f("pptx", "presentation", _OOXML + "presentationml.template", ["potx"],
       N_("un modèle PowerPoint"), _OFFICE_SLIDES),
    # Legacy binary Office (OLE2 compound files). Exports from business software often name an
    # HTML table, an XML spreadsheet or tab-separated text ".xls" (and HTML or RTF ".doc"): Office
    # opens them, so they are accepted and classified by their real content.
    _f("ole2", "word", "application/msword", ["doc", "dot"], N_("un document Word 97-2003"),
       {"ole2", "docx", "rtf", "html", "xml"}),
    _f("ole2", "spreadsheet", "application/vnd.ms-excel", ["xls", "xlt"], N_("un classeur Excel 97-2003"),
       {"ole2", "xlsx", "text", "html", "xml"}),
    _f("ole2", "presentation", "application/vnd.ms-powerpoint", ["ppt", "pps", "pot"],
       N_("une présentation PowerPoint 97-2003"), {"ole2", "pptx"}),
    _f("ole2", "other", "application/vnd.ms-outlook", ["msg"], N_("un message Outlook")),
    _f("ole2", "other", "application/vnd.visio", ["vsd"], N_("un dessin Visio")),
    _f("ole2", "other", "application/x-mspublisher", ["pub"], N_("un document Publisher")),
    _f("ole2", "other", "application/vnd.ms-project", ["mpp"], N_("un projet MS Project")),
    _f("ole2", "other", "application/x-msi", ["msi"], N_("un paquet d'installation Windows")),
    # OpenDocument
    _f("odt", "word", _ODF + "text", ["odt"], N_("un texte OpenDocument")),
    _f("odt", "word", _ODF + "text-template", ["ott"], N_("un modèle de texte OpenDocument")),
    _f("ods", "spreadsheet", _ODF + "spreadsheet", ["ods"], N_("un classeur OpenDocument")),
    _f("ods", "spreadsheet", _ODF + "spreadsheet-template", ["ots"], N_("un modèle de classeur OpenDocument")),
    _f("odp", "presentation", _ODF + "presentation", ["odp"], N_("une présentation OpenDocument")),
    _f("odp", "presentation", _ODF + "presentation-template", ["otp"],
       N_("un modèle de présentation OpenDocument")),
    _f("odg", "other", _ODF + "graphics", ["odg"], N_("un dessin OpenDocument")),
    _f("epub", "other", "application/epub+zip", ["epub"], N_("un livre numérique EPUB")),
    # Archives
    _f("zip", "archive", "application/zip", ["zip"], N_("une archive ZIP"), _ZIP_BASED, generic=True),
    _f("zip_damaged", "archive", "application/zip", ["zip"], N_("une archive ZIP endommagée"), _ZIP_BASED,
       generic=True),
    _f("gzip", "archive", "application/gzip", ["gz", "tgz"], N_("une archive gzip")),
    _f("7z", "archive", "application/x-7z-compressed", ["7z"], N_("une archive 7-Zip")),
    _f("rar", "archive", "application/vnd.rar", ["rar"], N_("une archive RAR")),
    _f("tar", "archive", "application/x-tar", ["tar"], N_("une archive TAR")),
    _f("xz", "archive", "application/x-xz", ["xz"], N_("une archive XZ")),
    _f("bz2", "archive", "application/x-bzip2", ["bz2"], N_("une archive bzip2")),
    # Programs are accepted under their own names only (the upload layer decides about them).
    _f("executable", "other", "application/octet-stream", ["exe", "dll", "scr", "com", "cpl", "so", "dylib",
                                                            "class"], N_("un programme exécutable"), generic=True),
    # Text. Any text-like content is accepted under a text extension; HTML and SVG content keep
    # their own (active, never inline) type whatever the name says.
    _f("text", "text", "text/plain", ["txt", "text", "log"], N_("un fichier texte"), _TEXTUAL,
       textual=True, generic=True),
    _f("text", "csv", "text/csv", ["csv"], N_("un fichier CSV"), _TEXTUAL, textual=True),
    _f("text", "csv", "text/tab-separated-values", ["tsv", "tab"], N_("un fichier TSV"), _TEXTUAL, textual=True),
    _f("text", "text", "text/markdown", ["md", "markdown"], N_("un fichier Markdown"), _TEXTUAL, textual=True),
    _f("text", "text", "application/json", ["json"], N_("un fichier JSON"), _TEXTUAL, textual=True),
    _f("text", "text", "text/calendar", ["ics"], N_("un agenda iCalendar"), _TEXTUAL, textual=True),
    _f("text", "text", "text/vcard", ["vcf"], N_("une carte de visite vCard"), _TEXTUAL, textual=True),
    _f("html", "html", "text/html", ["html", "htm", "xhtml"], N_("une page HTML"), _TEXTUAL, textual=True),
    _f("svg", "svg", "image/svg+xml", ["svg"], N_("une image SVG"), _TEXTUAL, textual=True),
    _f("xml", "html", "application/xml", ["xml"], N_("un document XML"), _TEXTUAL, textual=True),
    _f("rtf", "word", "application/rtf", ["rtf"], N_("un document RTF")),
)

# What sniffing alone concludes, for files whose name says nothing we know.
_OCTET_STREAM = _f("binary", "other", "application/octet-stream", [], N_("un fichier binaire de format inconnu"),
                   generic=True)
_CONTENT_ONLY = {
    "ole2": _f("ole2", "other", "application/octet-stream", [],
               N_("un document Office 97-2003 (Word, Excel ou PowerPoint)"), generic=True),
    "binary": _OCTET_STREAM,
}
_BY_FAMILY: dict[str, _Format] = {}
_BY_EXTENSION: dict[str, _Format] = {}
_BY_CONTENT_TYPE: dict[str, _Format] = {}
for _format in _FORMATS:
    _BY_FAMILY.setdefault(_format.family, _format)
    _BY_CONTENT_TYPE.setdefault(_format.content_type, _format)
    for _extension in _format.extensions:
        _BY_EXTENSION[_extension] = _format
_BY_FAMILY.update(_CONTENT_ONLY)

_EXTENSION_ALIASES = {"jpeg": "jpg", "jpe": "jpg", "jfif": "jpg", "tif": "tiff", "htm": "html", "text": "txt",
                      "markdown": "md", "heif": "heic", "tab": "tsv"}
_LOOSE_DECLARED = {"", "application/octet-stream", "binary/octet-stream", "application/binary",
                   "application/unknown", "application/x-download", "application/force-download",
                   "application/download", "*/*"}
# Other names clients give to the types above (Windows sends application/vnd.ms-excel for .csv,
# which the .xls format accepts since it accepts text).
_DECLARED_ALIASES = {
    "image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png",
    "image/x-ms-bmp": "image/bmp", "image/x-bmp": "image/bmp", "application/x-pdf": "application/pdf",
    "application/x-zip-compressed": "application/zip", "application/x-zip": "application/zip",
    "application/x-gzip": "application/gzip", "application/x-rar-compressed": "application/vnd.rar",
    "text/xml": "application/xml", "text/comma-separated-values": "text/csv", "text/x-csv": "text/csv",
    "application/csv": "text/csv", "text/rtf": "application/rtf", "application/xhtml+xml": "text/html",
    "text/x-markdown": "text/markdown",
}

_MISMATCH_EXTENSION = N_("Le fichier « %(filename)s » devrait être %(expected)s d'après son extension, "
                         "mais c'est en réalité %(actual)s. Vérifiez qu'il s'agit du bon fichier.")
_MISMATCH_DECLARED = N_("Le fichier « %(filename)s » est présenté comme %(expected)s, "
                        "mais c'est en réalité %(actual)s. Vérifiez qu'il s'agit du bon fichier.")


def detect(path: str, filename: str, declared: str | None = None) -> FileType:
    """The type of the file at `path`, uploaded as `filename` with the client's `declared` type.

    Raises ContentMismatch when the content contradicts the extension or a specific declared
    type. An unknown extension with unrecognised binary content is application/octet-stream.
    An empty file gets the type its name announces (refusing it is the caller's business).
    """
    extension = _extension_of(filename)
    by_extension = _BY_EXTENSION.get(extension)
    by_declared = _declared_format(declared)
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
        complete = len(head) < SNIFF_BYTES or not handle.read(1)
    if not head:
        found = by_extension or by_declared or _OCTET_STREAM
        return FileType(_served_type(found, None), found.kind, False, _served_extension(found, extension))

    family, charset = _sniff(head, complete, path)
    name = _display_name(filename)
    if by_extension is not None and family not in by_extension.accepts:
        raise ContentMismatch(_MISMATCH_EXTENSION, filename=name, expected=by_extension.label,
                              actual=_BY_FAMILY[family].label)
    if by_declared is not None and family not in by_declared.accepts:
        raise ContentMismatch(_MISMATCH_DECLARED, filename=name, expected=by_declared.label,
                              actual=_BY_FAMILY[family].label)
    found = _resolve(family, by_extension or by_declared)
    return FileType(_served_type(found, charset), found.kind, found.inline, _served_extension(found, extension))


def _resolve(family: str, announced: _Format | None) -> _Format:
    """The format to serve, given the sniffed family and what the name (or client) announced."""
    if announced is not None:
        if family == announced.family:
            return announced  # keeps the variant: .xlsm stays macro-enabled, .csv stays CSV
        if family == "ole2" or (family in ("text", "xml") and announced.textual):
            return announced  # the name tells which legacy Office file, or which kind of text
    if family == "text":
        return _BY_EXTENSION["txt"]
    return _BY_FAMILY[family]


def _served_type(found: _Format, charset: str | None) -> str:
    if found.textual and charset:
        return f"{found.content_type}; charset={charset}"
    return found.content_type


def _served_extension(found: _Format, extension: str) -> str:
    """The file's own extension when we know it (it was accepted for this content), else ours."""
    if extension in _BY_EXTENSION:
        return _EXTENSION_ALIASES.get(extension, extension)
    if found.generic:
        return extension  # an unknown extension, or none, on text or an unrecognised binary
    return found.extensions[0] if found.extensions else ""


def _extension_of(filename: str) -> str:
    name = os.path.basename(filename.replace("\\", "/")).rstrip(". ")  # Windows drops trailing dots
    if "." not in name.lstrip("."):
        return ""
    extension = name.rsplit(".", 1)[1].strip().lower()
    return extension if re.fullmatch(r"[a-z0-9]{1,16}", extension) else ""


def _display_name(filename: str) -> str:
    name = os.path.basename(filename.replace("\\", "/"))
    name = "".join(char for char in name if char.isprintable())
    return name if len(name) <= 120 else name[:117] + "…"


def _declared_format(declared: str | None) -> _Format | None:
    if declared is None:
        return None
    media_type = declared.split(";", 1)[0].strip().lower()
    if media_type in _LOOSE_DECLARED:
        return None
    if media_type == "text/plain":
        return _BY_EXTENSION["txt"]
    return _BY_CONTENT_TYPE.get(_DECLARED_ALIASES.get(media_type, media_type))


# --- Sniffing ---------------------------------------------------------------------------------

_MAGIC = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x7fELF", "executable"),
    (b"\xfe\xed\xfa\xce", "executable"),  # Mach-O, both byte orders, 32 and 64 bits
    (b"\xfe\xed\xfa\xcf", "executable"),
    (b"\xce\xfa\xed\xfe", "executable"),
    (b"\xcf\xfa\xed\xfe", "executable"),
    (b"\xca\xfe\xba\xbe", "executable"),  # universal Mach-O or Java class
)
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_ODF_MIMETYPES = ((_ODF + "text", "odt"), (_ODF + "spreadsheet", "ods"), (_ODF + "presentation", "odp"),
                  (_ODF + "graphics", "odg"), ("application/epub+zip", "epub"))
_OOXML_FOLDERS = (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx"))
# A document is HTML when it starts with one of these tags (the WHATWG sniffing rule for HTML).
_HTML_START = re.compile(r"<(!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|!--)"
                         r"[\s>]", re.IGNORECASE)
_SVG_ROOT = re.compile(r"<svg[\s>]", re.IGNORECASE)
_XHTML_ROOT = re.compile(r"<html[\s>]", re.IGNORECASE)
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x19\x1c-\x1f\x7f]")  # not \t \n \v \f \r, SUB, ESC


def _sniff(head: bytes, complete: bool, path: str) -> tuple[str, str | None]:
    """(content family, charset for text) of a file from its first bytes (and ZIP directory)."""
    for magic, family in _MAGIC:
        if head.startswith(magic):
            return family, None
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(path), None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp", None
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIC_BRANDS:
            return "heic", None
        if brand in _AVIF_BRANDS:
            return "avif", None
    if head[:2] == b"BM" and len(head) >= 26 and head[6:10] == b"\x00\x00\x00\x00":
        return "bmp", None
    if re.match(rb"BZh[1-9]1AY&SY", head):
        return "bz2", None
    if head[257:262] == b"ustar":
        return "tar", None
    if head[:2] == b"MZ" and len(head) >= 64:
        pe_offset = int.from_bytes(head[60:64], "little")
        if head[pe_offset:pe_offset + 4] == b"PE\x00\x00":
            return "executable", None
    if b"%PDF-" in head[:PDF_HEADER_WITHIN]:
        return "pdf", None
    text, charset = _decode_text(head, complete)
    if text is None:
        return "binary", None
    return _text_family(text), charset


def _sniff_zip(path: str) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    mimetype = member.read(128).decode("ascii", "replace").strip()
                for prefix, family in _ODF_MIMETYPES:
                    if mimetype.startswith(prefix):
                        return family
            if "[Content_Types].xml" in names:
                for folder, family in _OOXML_FOLDERS:
                    if any(name.startswith(folder) for name in names):
                        return family
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError, ValueError):
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression method
        return "zip_damaged"
    return "zip"


def _decode_text(head: bytes, complete: bool) -> tuple[str | None, str | None]:
    """The prefix as text and its charset, or (None, None) when it does not look like text."""
    for bom, encoding, charset in ((codecs.BOM_UTF8, "utf-8", "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
                                   (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16")):
        if head.startswith(bom):
            text = _decode_prefix(head[len(bom):], encoding, complete)
            return (text, charset) if text is not None and "\x00" not in text else (None, None)
    # No NUL, and control bytes as rare as in real text (binary formats are full of both).
    if b"\x00" in head or len(_CONTROL_BYTES.findall(head)) * 100 > len(head):
        return None, None
    text = _decode_prefix(head, "utf-8", complete)
    if text is not None:
        return text, "utf-8"
    try:
        return head.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        return head.decode("latin-1"), "iso-8859-1"


def _decode_prefix(data: bytes, encoding: str, complete: bool) -> str | None:
    """Decode `data`; a character cut at the end of an incomplete prefix is not an error."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        return decoder.decode(data, final=complete)
    except UnicodeDecodeError:
        return None


def _text_family(text: str) -> str:
    start = text.lstrip("\ufeff \t\r\n\x0c")[:4096]
    lower = start[:16].lower()
    if lower.startswith("{\\rtf"):
        return "rtf"
    if lower.startswith(("<?xml", "<!doctype", "<!--", "<svg")):
        svg, html = _SVG_ROOT.search(start), _XHTML_ROOT.search(start)
        if svg and (html is None or svg.start() < html.start()):
            return "svg"
        if html:
            return "html"
    if _HTML_START.match(start):
        return "html"
    if lower.startswith("<?xml"):
        return "xml"
    return "text"


__all__ = ["ContentMismatch", "FileType", "detect"]
