"""Markdown to safe HTML: markdown-it-py renders, nh3 (ammonia) sanitises.

Raw HTML in the source is escaped by the renderer and whatever comes out is cleaned
again against an allow-list: no script, no event handler, no style, only http(s) and
mailto links, and every link opens without handing the page to its target.
"""

from __future__ import annotations

import html as html_entities
import re

import nh3
from markdown_it import MarkdownIt

from rse.excerpts import BLOCK_BREAK, cut, flat

# "@marie.dupont": the local part of a work email address.
MENTION = re.compile(r"(?<![\w@/.])@([a-z0-9][a-z0-9._-]{0,62}[a-z0-9])", re.IGNORECASE)

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# Where a block ends in rendered HTML, or a line break the reader sees.
_BLOCK_END = re.compile(r"</(?:h[1-6]|p|li|blockquote|pre|tr|td|th)>|<br\s*/?>|<hr\s*/?>", re.IGNORECASE)

_BLANK_LINES = re.compile(r"[^\S\n]*\n\s*\n\s*")

_renderer = (
    MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False, "breaks": True})
    .enable(["linkify", "table", "strikethrough"])
)
# Images are not rendered: a picture in a post is an attached document.
_renderer.disable("image")


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def sanitize_marked(html: str) -> str:
    """Rendered HTML with changes marked (a comparison of versions): what a body may hold, plus
    <ins>, <del>, hidden labels and classes."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS | {"ins", "span", "div"},
        attributes={**ALLOWED_ATTRIBUTES, "*": {"class"}},
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def mention_handles(text: str) -> set[str]:
    return {match.group(1).lower() for match in MENTION.finditer(text or "")}


def render(text: str, mentions: dict[str, tuple[str, str]] | None = None) -> str:
    """Safe HTML for a Markdown text; `mentions` maps a handle to (profile URL, name)."""
    if mentions:
        text = MENTION.sub(lambda m: _mention_link(m, mentions), text)
    return sanitize(_renderer.render(text or ""))


def _mention_link(match: re.Match, mentions: dict[str, tuple[str, str]]) -> str:
    found = mentions.get(match.group(1).lower())
    if found is None:
        return match.group(0)
    url, name = found
    label = name.replace("[", "").replace("]", "").replace("\\", "")
    return f"[@{label}]({url})"


def html_text(html: str) -> str:
    """The text of rendered HTML, each block ending on a blank line (see rse.excerpts), no tag left."""
    marked = _BLOCK_END.sub(lambda m: m.group(0) + BLOCK_BREAK, html or "")
    text = html_entities.unescape(nh3.clean(marked, tags=set())).strip()
    return _BLANK_LINES.sub(BLOCK_BREAK, text)


def plain_excerpt(text: str, length: int = 200) -> str:
    """A short plain-text excerpt of a Markdown text (for cards and emails): blocks apart, cut at a word."""
    return cut(flat(html_text(_renderer.render(text or ""))), length)
