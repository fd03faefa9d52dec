"""What names a publication wherever a title is expected (lists, notifications, emails, the digest):
its title, or for an untitled post the first words of its text."""

from __future__ import annotations

from flask_babel import gettext as _

from . import markdown

WORDS = 8
CHARS = 60
# Only the start of a long text is rendered: eight words never need more, and the digest names
# untitled posts in hundreds of emails.
SOURCE_PREFIX = 1_000
_TRAILING = " ,;:.!?—–-«(\"'’"


def first_words(text: str | None, *, words: int = WORDS, chars: int = CHARS) -> str:
    """The first `words` words of a Markdown text as plain text, at most `chars` characters, cut
    between two words and ended with « … » when something was left out ("" for an empty text)."""
    source = (text or "")[:SOURCE_PREFIX]
    plain = markdown.plain_excerpt(source, len(source) * 2 + 1)  # the whole of it: cut below
    tokens = plain.split()
    if not tokens:
        return ""
    kept: list[str] = []
    for token in tokens[:words]:
        if len(" ".join([*kept, token])) > chars - 1:  # room for the ellipsis
            break
        kept.append(token)
    if not kept:  # one word longer than the limit: cut inside it
        return tokens[0][: chars - 1] + "…"
    shown = " ".join(kept)
    if len(kept) == len(tokens) and len(text or "") <= SOURCE_PREFIX:
        return shown
    return shown.rstrip(_TRAILING) + "…"


def publication_title(title: str | None, body: str | None, *, text_shown: bool = True,
                      community: str = "") -> str:
    """A publication's title; for an untitled post, the first words of its text. Where its text may
    not be shown (an email without excerpts, a sensitive space), the space it was posted in."""
    if title:
        return title
    if text_shown:
        return first_words(body) or _("Message sans texte")
    return _("Message dans l'espace %(community)s", community=community) if community else _("Message")
