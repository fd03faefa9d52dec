"""Passages of plain text shown for an item (feed cards, emails, search snippets): one convention.

A text kept for an item (indexed text, a rendered body's text) marks the end of a block — a
paragraph, a heading, a list item, a line break the reader sees — with a blank line. Shown on
one line, each such break becomes « · », so list items and paragraphs never run together; any
other run of white space (a line wrapped inside a paragraph of an extracted PDF) is one space.
A passage too long is cut between two words, and « … » says so.
"""

from __future__ import annotations

import re

BLOCK_BREAK = "\n\n"
SEPARATOR = " · "
ELLIPSIS = "…"

_BLOCK_BREAKS = re.compile(r"\s*\n[^\S\n]*\n\s*")
_SPACES = re.compile(r"\s+")


def one_line(text: str) -> str:
    """The text on one line: block breaks as « · », other white space as one space.

    White space at either end is kept as one space (a piece between two highlighted words
    keeps its spaces); strip the whole passage, not its pieces."""
    blocks = _BLOCK_BREAKS.split(text)
    return SEPARATOR.join(_SPACES.sub(" ", block) for block in blocks)


def flat(text: str) -> str:
    """A whole passage on one line, without a separator or a space at either end."""
    return one_line(text.strip())


def cut(text: str, length: int) -> str:
    """At most `length` characters of a one-line text, cut between two words, « … » added when cut."""
    if len(text) <= length:
        return text
    head = text[: max(length - len(ELLIPSIS), 0) + 1]
    space = head.rfind(" ")
    # A single word longer than the passage is cut where it must be.
    head = head[:space] if space > 0 else head[:-1]
    return head.rstrip(" ·—,;:") + ELLIPSIS


def cut_after(text: str, end: int) -> int:
    """Where a passage that should end near `end` ends between two words (never past `end`)."""
    if end >= len(text) or text[end].isspace():
        return end
    space = text.rfind(" ", 0, end + 1)
    return space if space > 0 else end
