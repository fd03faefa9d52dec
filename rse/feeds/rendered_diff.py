"""Two Markdown texts compared as the reader sees them: block by block, then word by word.

Both texts are rendered and sanitised as every body is (`markdown.render`), then read back into
blocks — the title, paragraphs, headings, list items, code blocks, tables — each a run of
inline pieces (words, spaces, the sanitiser's inline tags). Blocks are matched first; a block
changed into a similar one is compared word by word: the new version's words and tags are all
kept, in order, the added words in <ins>, and the old words that went are put back in <del>
(text only, so the tags stay balanced). Blocks added or removed whole are marked whole. The
result is sanitised again, with only <ins>, <del>, their hidden labels and classes added to
what a body may hold.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

from flask_babel import gettext as _
from markupsafe import Markup

from . import markdown

# Below this likeness, a block in the place of another is a new block, not the old one edited.
SIMILAR = 0.4

_LEAVES = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "hr"}
_INLINE = {"strong", "em", "del", "s", "code", "a", "br"}
_UNITS = re.compile(r"\w+|\s+|[^\w\s]")


@dataclass
class Block:
    kind: str                       # "title", a leaf tag ("p", "h2", "li", …) or "table"
    lists: tuple[str, ...] = ()     # the lists around a list item, outermost first ("ul", "ol")
    quoted: bool = False
    pieces: list[tuple[str, str]] = field(default_factory=list)  # ("text", words) or ("tag", html)

    @property
    def text(self) -> str:
        return "".join(value for kind, value in self.pieces if kind == "text")

    def key(self) -> tuple:
        return self.kind, self.lists, self.quoted, self.text, tuple(self.pieces)


class _Blocks(HTMLParser):
    """Sanitised HTML (markdown.render's) read back into blocks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.lists: list[str] = []
        self.quotes = 0
        self.table: Block | None = None
        self.current: Block | None = None

    def _open(self, kind: str) -> Block:
        block = Block(kind, tuple(self.lists) if kind == "li" else (), self.quotes > 0)
        self.blocks.append(block)
        return block

    def handle_starttag(self, tag, attrs):
        if self.table is not None:
            self.table.pieces.append(("tag", _tag(tag, attrs)))
            return
        if tag == "table":
            self.current = None
            self.table = self._open("table")
            self.table.pieces.append(("tag", _tag(tag, attrs)))
        elif tag in ("ul", "ol"):
            self.lists.append(tag)
            self.current = None
        elif tag == "blockquote":
            self.quotes += 1
            self.current = None
        elif tag in _LEAVES:
            # A paragraph that opens a list item (a loose list) belongs to the item.
            if not (tag == "p" and self.current is not None and self.current.kind == "li" and not self.current.pieces):
                self.current = self._open(tag)
            if tag == "hr":
                self.current = None
        elif tag in _INLINE:
            self._inline().pieces.append(("tag", _tag(tag, attrs)))

    def handle_endtag(self, tag):
        if self.table is not None:
            self.table.pieces.append(("tag", f"</{tag}>"))
            if tag == "table":
                self.table = None
            return
        if tag in ("ul", "ol"):
            self.lists.pop()
            self.current = None
        elif tag == "blockquote":
            self.quotes -= 1
            self.current = None
        elif tag in _LEAVES:
            if not (tag == "p" and self.current is not None and self.current.kind == "li"):
                self.current = None
        elif tag in _INLINE and tag != "br":
            self._inline().pieces.append(("tag", f"</{'s' if tag == 'del' else tag}>"))

    def handle_data(self, data):
        if self.table is not None:
            self.table.pieces.extend(("text", unit) for unit in _UNITS.findall(data))
            return
        if self.current is None and not data.strip():
            return  # the white space between blocks
        self._inline().pieces.extend(("text", unit) for unit in _UNITS.findall(data))

    def _inline(self) -> Block:
        if self.current is None:  # text after a nested list, inside its item
            self.current = self._open("p")
        return self.current


def _tag(tag: str, attrs: list[tuple[str, str | None]]) -> str:
    tag = "s" if tag == "del" else tag  # struck-out text is not a removal: <del> is the comparison's
    shown = "".join(f' {name}="{escape(value or "")}"' for name, value in attrs if name != "rel")
    return f"<{tag}{shown}>"


def blocks(title: str, body: str) -> list[Block]:
    parser = _Blocks()
    parser.feed(markdown.render(body))
    parser.close()
    heading = Block("title", pieces=[("text", unit) for unit in _UNITS.findall(title)])
    found = [heading, *(b for b in parser.blocks if b.pieces or b.kind == "hr")]
    for block in found:
        if block.kind != "pre":
            block.pieces = _trimmed(block.pieces)
    return found


def _trimmed(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """White space as the page shows it: one space, none at either end of a block."""
    spaced = [("text", " ") if kind == "text" and value.isspace() else (kind, value) for kind, value in pieces]
    while spaced and spaced[0] == ("text", " "):
        spaced.pop(0)
    while spaced and spaced[-1] == ("text", " "):
        spaced.pop()
    return spaced


@dataclass
class RenderedDiff:
    html: Markup
    added: int = 0
    removed: int = 0
    changed: int = 0


def compare(old_title: str, old_body: str, new_title: str, new_body: str) -> RenderedDiff:
    before, after = blocks(old_title, old_body), blocks(new_title, new_body)
    marked: list[tuple[Block, str, str]] = []   # (block, html of its content, its classes), in reading order
    counts = {"added": 0, "removed": 0, "changed": 0}
    matcher = difflib.SequenceMatcher(a=[b.key() for b in before], b=[b.key() for b in after], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            marked.extend((block, _whole(block, None), _STATES[None]) for block in after[j1:j2])
            continue
        for a, b in _pairs(before[i1:i2], after[j1:j2]):
            if a is not None and b is not None:
                counts["changed"] += 1
                marked.append((b, _words(a, b), _STATES["changed"]))
            elif a is not None:
                counts["removed"] += 1
                marked.append((a, _whole(a, "del"), _STATES["del"]))
            elif b is not None:
                counts["added"] += 1
                marked.append((b, _whole(b, "ins"), _STATES["ins"]))
    html = markdown.sanitize_marked(_layout(marked))
    return RenderedDiff(Markup(html), **counts)


def _pairs(old: list[Block], new: list[Block]):
    """The blocks of a changed stretch in reading order, as (old, new) when one became the other,
    (old, None) when removed, (None, new) when added: blocks of one kind are lined up first."""
    shapes = difflib.SequenceMatcher(a=[(b.kind, b.lists, b.quoted) for b in old],
                                     b=[(b.kind, b.lists, b.quoted) for b in new], autojunk=False)
    for _op, i1, i2, j1, j2 in shapes.get_opcodes():
        removed = []
        for k in range(max(i2 - i1, j2 - j1)):
            a = old[i1 + k] if i1 + k < i2 else None
            b = new[j1 + k] if j1 + k < j2 else None
            if a is not None and b is not None and not _alike(a, b):
                removed.append(a)
                a = None
            if a is not None and b is None:
                removed.append(a)
                continue
            yield from ((gone, None) for gone in removed)
            removed = []
            yield a, b
        yield from ((gone, None) for gone in removed)


def _alike(a: Block, b: Block) -> bool:
    if (a.kind, a.lists, a.quoted) != (b.kind, b.lists, b.quoted):
        return False
    if a.kind in ("title", "table"):
        return True
    old, new = ([v for kind, v in block.pieces if kind == "text" and not v.isspace()] for block in (a, b))
    kept = sum(m.size for m in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_matching_blocks())
    # Like enough: most of the shorter one kept (a word added to a short item), or of both.
    return kept >= SIMILAR * max(len(old), len(new)) or kept >= 0.6 * min(len(old), len(new)) > 0


def _labelled(mark: str, text: str) -> str:
    label = _("Ajouté :") if mark == "ins" else _("Retiré :")
    return f'<{mark}><span class="visually-hidden">{escape(label)} </span>{escape(text)}</{mark}>'


def _emit(pieces: list[tuple[str, str]], mark: str | None, *, keep_tags: bool = True) -> str:
    """Pieces as HTML, each run of text between two tags in <mark> (if any); tags as they are."""
    out: list[str] = []
    run: list[str] = []

    def flush():
        text = "".join(run)
        run.clear()
        if not text:
            return
        if not mark or not text.strip():
            out.append(escape(text))
            return
        # The spaces around the changed words stay outside the mark (not underlined nor struck out).
        words = text.strip()
        start = text.index(words)
        out.append(escape(text[:start]) + _labelled(mark, words) + escape(text[start + len(words):]))

    for kind, value in pieces:
        if kind == "text":
            run.append(value)
        else:
            flush()
            if keep_tags:
                out.append(value)
    flush()
    return "".join(out)


def _whole(block: Block, mark: str | None) -> str:
    return _emit(block.pieces, mark)


def _words(old: Block, new: Block) -> str:
    out = []
    matcher = difflib.SequenceMatcher(a=old.pieces, b=new.pieces, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(_emit(new.pieces[j1:j2], None))
            continue
        if i2 > i1:  # the old words, without their tags: the new version's tags are all kept
            out.append(_emit(old.pieces[i1:i2], "del", keep_tags=False))
        if j2 > j1:
            out.append(_emit(new.pieces[j1:j2], "ins"))
    return "".join(out)


def _layout(marked: list[tuple[Block, str, str]]) -> str:
    """The blocks in their elements: list items in their (nested) lists, quotes in blockquotes."""
    out: list[str] = []
    lists: list[list] = []      # the open lists, outermost first: [tag, whether an <li> is open in it]
    quoted = False

    def close_lists(depth: int):
        while len(lists) > depth:
            tag, item_open = lists.pop()
            out.append(("</li>" if item_open else "") + f"</{tag}>")

    for block, content, state in marked:
        if block.quoted != quoted:
            close_lists(0)
            out.append("<blockquote>" if block.quoted else "</blockquote>")
            quoted = block.quoted
        if block.kind != "li":
            close_lists(0)
            out.append(_element(block, content, state))
            continue
        wanted = block.lists
        same = 0
        while same < min(len(lists), len(wanted)) and lists[same][0] == wanted[same]:
            same += 1
        close_lists(min(same, len(wanted)))
        if len(lists) == len(wanted):
            if lists and lists[-1][1]:
                out.append("</li>")
        else:  # deeper: a nested list goes inside the open item of its parent list
            if lists and not lists[-1][1]:
                out.append("<li>")
                lists[-1][1] = True
            for depth in range(len(lists), len(wanted)):
                out.append(f"<{wanted[depth]}>")
                lists.append([wanted[depth], False])
                if depth < len(wanted) - 1:
                    out.append("<li>")
                    lists[-1][1] = True
        out.append(f'<li class="{state}">{content}')
        lists[-1][1] = True
    close_lists(0)
    if quoted:
        out.append("</blockquote>")
    return "".join(out)


_STATES = {None: "diff-block", "del": "diff-block diff-block-del", "ins": "diff-block diff-block-add",
           "changed": "diff-block diff-block-changed"}


def _element(block: Block, content: str, state: str) -> str:
    if block.kind == "title":
        return f'<p class="{state} diff-doc-title">{content}</p>'
    if block.kind == "hr":
        return "<hr>"
    if block.kind == "table":
        return f'<div class="{state} diff-table">{content}</div>'
    return f'<{block.kind} class="{state}">{content}</{block.kind}>'
