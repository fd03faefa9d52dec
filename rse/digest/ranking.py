"""The ranking of a digest's new items, and its cut.

Ranking score of a new item (higher first, newer first on ties)::

    2 × likes + 3 × comments + 3 × "same question" presses
    + 8 if it is a new version of a document the person follows
    + 4 for an announcement
    + up to 6 for recency (6 when just published, 0 at the start of the window)

The items shown are grouped by community, at most 10 per community and 30 in all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import Row

from rse.feeds.models import Kind
from rse.urls import external_url

from .entries import CommunitySection, Entry

if TYPE_CHECKING:
    from .window import Change


PER_COMMUNITY = 10
IN_ALL = 30
FRESHNESS = 6           # points for an item changed just now, down to 0 at the start of the window
FOLLOWED_VERSION = 8    # points for a new version of a document the person follows


def points(*, likes: int = 0, comments: int = 0, same_questions: int = 0, kind: str, followed_version: bool = False,
           freshness: float = 0.0) -> float:
    """The documented ranking score (see the module docstring)."""
    value = 2 * likes + 3 * comments + 3 * same_questions
    if followed_version:
        value += FOLLOWED_VERSION
    if kind == Kind.ANNOUNCEMENT:
        value += 4
    return value + FRESHNESS * min(max(freshness, 0.0), 1.0)


def score(entry: Entry, *, followed_version: bool, freshness: float) -> float:
    """An entry's ranking score."""
    return points(likes=entry.likes, comments=entry.comments, same_questions=entry.same_questions, kind=entry.kind,
                  followed_version=followed_version, freshness=freshness)


def group(ranked: list[tuple[float, Change]], communities: dict[int, Row],
          build: Callable[[float, Change], Entry]) -> list[CommunitySection]:
    """Ranked changes grouped by community (best community first), 10 per community and 30 in all,
    each shown one built into an entry; what is left out is counted for the "et N de plus" link."""
    sections: dict[int, CommunitySection] = {}
    shown = 0
    for value, change in ranked:
        section = sections.get(change.community_id)
        if section is None:
            section = sections[change.community_id] = CommunitySection(
                communities[change.community_id], [], 0,
                external_url("communities.show", community_id=change.community_id))
        if shown < IN_ALL and len(section.entries) < PER_COMMUNITY:
            section.entries.append(build(value, change))
            shown += 1
        else:
            section.more += 1
    return list(sections.values())
