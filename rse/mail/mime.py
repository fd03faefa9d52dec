"""Outgoing messages (a plain text, with or without an HTML alternative) written straight to bytes,
ready for the wire.

The `email` package's generator turns every header into a `Header` object and refolds it on the
way out: for the digest that took longer than selecting and rendering the digest itself, and its
refolding drops the space between an encoded word and the next word ("long d'été" came back as
"longd'été"). Every message has one of two fixed shapes, so it is written here directly: each
header once (non-ASCII text as RFC 2047 encoded words, whose folding keeps every space), the
bodies in base64 (encoded in C), CRLF line ends throughout.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, parseaddr

from rse.validation import without_direction_controls

MAX_HEADER_LINE = 998  # RFC 5322: the hard limit of a line, CRLF excluded


@dataclass(frozen=True)
class RawMessage:
    """A message already serialised, with its envelope: the mail backends send it as it is."""

    sender: str                 # envelope sender (a bare address)
    recipients: tuple[str, ...]
    data: bytes
    message_id: str = ""


def address(value: str) -> str:
    """An address header's value in ASCII: 'Name <local@domain>' with the name encoded if need be."""
    name, addr = parseaddr(value)
    return formataddr((name, addr), charset="utf-8") if name else addr


def header(name: str, value: str) -> bytes:
    """One header line (folded only where encoded words need it). Line breaks in the value are
    turned into spaces: nothing can start a header or end the block from inside a value. Direction
    controls are taken out: a subject cannot show its words in a disguised order."""
    value = " ".join(without_direction_controls(value).split())
    # A subject is free text: "=?…?=" typed in it would be read back as an encoded word.
    if value.isascii() and not (name.lower() == "subject" and "=?" in value):
        line = f"{name}: {value}"
    else:
        line = f"{name}: " + Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    if any(len(part) > MAX_HEADER_LINE for part in line.split("\r\n")):
        raise ValueError(f"header {name} is longer than {MAX_HEADER_LINE} characters on one line")
    return line.encode("ascii") + b"\r\n"


def _base64_part(content_type: str, body: str) -> bytes:
    encoded = base64.encodebytes(body.encode("utf-8")).replace(b"\n", b"\r\n") or b"\r\n"  # lines of 76
    return (f"Content-Type: {content_type}; charset=\"utf-8\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n").encode("ascii") + encoded


def _header_block(headers: Iterable[tuple[str, str]]) -> tuple[list[bytes], str]:
    """The header lines in order, and the Message-ID among them ("" if none)."""
    message_id = ""
    lines = []
    for name, value in headers:
        if name.lower() == "message-id":
            message_id = value
        lines.append(header(name, value))
    lines.append(b"MIME-Version: 1.0\r\n")
    return lines, message_id


def alternative(headers: Iterable[tuple[str, str]], text: str, html: str, *, sender: str,
                recipients: Iterable[str]) -> RawMessage:
    """A multipart/alternative message: `headers` in order (From, To, Subject, … with address
    headers already passed through `address`), then the plain text and the HTML parts."""
    # "=_" cannot occur in base64, so the boundary cannot occur in either body.
    boundary = f"=_{secrets.token_hex(12)}"  # the Content-Type line stays under 78 characters
    lines, message_id = _header_block(headers)
    lines.append(f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n".encode("ascii"))
    delimiter = f"--{boundary}\r\n".encode("ascii")
    lines += [delimiter, _base64_part("text/plain", text), delimiter, _base64_part("text/html", html),
              f"--{boundary}--\r\n".encode("ascii")]
    return RawMessage(sender=parseaddr(sender)[1], recipients=tuple(recipients), data=b"".join(lines),
                      message_id=message_id)


def plain(headers: Iterable[tuple[str, str]], text: str, *, sender: str, recipients: Iterable[str]) -> RawMessage:
    """A text/plain message: `headers` as for `alternative`, then the text."""
    lines, message_id = _header_block(headers)
    lines.append(_base64_part("text/plain", text))
    return RawMessage(sender=parseaddr(sender)[1], recipients=tuple(recipients), data=b"".join(lines),
                      message_id=message_id)
