"""French text for the embedded engine: words, folded and stemmed, and the reader's query.

The same steps run when an item is indexed and when a query is read, so that
"l'Hôpital", "hopitaux" and "hôpital" all meet on one token:

1. words are runs of letters and digits (punctuation, operators and emoji separate them);
2. an elided article or pronoun is dropped ("l'hygiène" → "hygiène");
3. case and accents are folded ("Hôpitaux" → "hopitaux");
4. the word is stemmed with the Snowball French stemmer ("hopitaux" → "hopital",
   "protocoles" → "protocol"). Folding first means a word typed without its accents
   ("infirmieres") meets the accented one ("infirmières") on the same stem.

Elasticsearch does the same with its own analyzer (see `elastic_json.py`); queries reach
both engines as the list of words that `parse_query` keeps.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import Stemmer
from markupsafe import Markup, escape

from rse.excerpts import ELLIPSIS, SEPARATOR, cut, cut_after, flat
from rse.tags import fold

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.IGNORECASE)
_APOSTROPHE = re.compile(r"['’]")
_STEMMER = Stemmer.Stemmer("french")

# Dropped from a query that has other words: they are in nearly every French text.
STOPWORDS = frozenset(
    "a au aux avec ce ces dans de des du elle en et eux il je la le les leur lui ma mais me meme mes moi "
    "mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une "
    "vos votre vous y est sont".split()
)


@dataclass(frozen=True)
class Term:
    word: str    # as the reader typed it, elision removed ("hygiène")
    token: str   # folded and stemmed ("hygien"): what the embedded index holds
    plain: str   # folded, not stemmed ("hygiene"): for prefixes of names and tags


def words(text: str) -> list[str]:
    """The words of a text, elided articles removed, in their typed form."""
    found = []
    for word in _WORD.findall(unicodedata.normalize("NFC", text)):
        if "'" not in word and "’" not in word:  # most words: no elision to look for (indexing's hot loop)
            found.append(word)
            continue
        found.extend(part for part in _APOSTROPHE.split(_ELISION.sub("", word)) if part)
    return found


@functools.lru_cache(maxsize=200_000)
def token(word: str) -> str:
    """The indexed form of one word (letters and digits only: "¼" folds to "1⁄4", kept as "14")."""
    return _STEMMER.stemWord("".join(ch for ch in fold(word) if ch.isalnum()))


def analyze(text: str) -> str:
    """A text as the embedded index holds it: tokens separated by spaces."""
    return " ".join(filter(None, (token(word) for word in words(text))))


def parse_query(raw: str) -> list[Term]:
    """The words of a query worth searching for; operators and symbols are only separators."""
    terms: list[Term] = []
    seen = set()
    for word in words(raw[:MAX_QUERY_LENGTH]):
        term = Term(word=word, token=token(word), plain=fold(word))
        if term.token and term.token not in seen:
            seen.add(term.token)
            terms.append(term)
    meaningful = [t for t in terms if t.plain not in STOPWORDS]
    return (meaningful or terms)[:MAX_TERMS]


def matches(word: str, terms: list[Term]) -> bool:
    """Whether a word of a text is one the query asks for: the same stem, or one that the last
    term (the word being typed) begins."""
    tok = token(word)
    if any(tok == t.token for t in terms):
        return True
    last = terms[-1].token if terms else ""
    return len(last) > 1 and tok.startswith(last)


def _matched_spans(text: str, terms: list[Term], width: int) -> tuple[list[tuple[int, int]], int, int]:
    """The matched words of the passage that starts a little before the first of them.

    Reads no further than the passage (an excerpt may be 20,000 characters) and judges each
    distinct word once (a long text repeats its words).
    """
    spans: list[tuple[int, int]] = []
    judged: dict[str, bool] = {}
    start = end = 0
    for match in _WORD.finditer(text):
        if spans and match.start() >= end:
            break
        word = match.group()
        hit = judged.get(word)
        if hit is None:
            hit = judged[word] = matches(_ELISION.sub("", word), terms)
        if not hit:
            continue
        if not spans:
            start = max(0, match.start() - width // 4)
            if start:
                space = text.rfind(" ", 0, start)
                start = space + 1 if space >= 0 else start
                if text.startswith(SEPARATOR.lstrip(), start):  # a passage starts on a word, not on « · »
                    start += len(SEPARATOR.lstrip())
            end = cut_after(text, min(len(text), start + width))
        spans.append(match.span())
    return spans, start, end


def highlight(text: str, terms: list[Term], width: int = 240) -> Markup:
    """A passage of `text` around the query's words, the words marked, the rest escaped; its blocks
    apart and its ends between two words, as rse.excerpts says."""
    text = flat(text)
    spans, start, end = _matched_spans(text, terms, width)
    if not spans:
        return escape(cut(text, width))
    pieces, cursor = [], start
    for left, right in spans:
        if left < start or right > end:
            continue
        pieces.append(escape(text[cursor:left]))
        pieces.append(Markup("<mark>") + escape(text[left:right]) + Markup("</mark>"))
        cursor = right
    pieces.append(escape(text[cursor:end]))
    before, after = Markup(ELLIPSIS) if start else Markup(""), Markup(ELLIPSIS) if end < len(text) else Markup("")
    return Markup("").join([before, *pieces, after])


def marked_ends(passage: Markup, text: str, *, whole: bool) -> Markup:
    """A passage that another engine cut from `text`, with « … » where it does not reach the text's
    start, or its end (`whole`: `text` is the field's whole text, else only its start)."""
    shown, full = flat(passage.striptags()), flat(text)
    before = Markup("") if full.startswith(shown) else Markup(ELLIPSIS)
    after = Markup("") if whole and full.endswith(shown) else Markup(ELLIPSIS)
    return Markup("").join([before, passage, after])
