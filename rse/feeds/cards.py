"""Stream cards drawn once and reused (rse/fragments.py).

A card's key names the column values of its activity, its publication or document, its author,
its space and its suggestion, the run it stands for, the reader's own state on it (liked or not),
and the name of the space a suggestion went to as the reader may know it. An edit, a new like or
comment, a rename: each makes a new key. Only cards the reader may read reach this module (the
stream's permission filters chose them). The CSRF token of a card's "J'aime" form and the page it
comes back to are put in when the card is shown.

Cards about items of other kinds (an action of a plan) are drawn each time: they read their plan
and owner through relationships that a key of columns would not see.
"""

from __future__ import annotations

from markupsafe import Markup

from rse.fragments import Fragments, row_state


class Cards:
    """The cards of one page of a stream. In templates: `cards.show(item, pinned)`, and when it
    gives nothing, `cards.keep(item, drawn, pinned)` with the card drawn with `cards.form` and
    `cards.next`."""

    form = Fragments.form
    next = Fragments.next

    def __init__(self, items: list, *, destinations: dict, show_community: bool, action_form) -> None:
        parts = {(id(item), pinned): self._parts(item, pinned, destinations, show_community)
                 for item, pinned in items if item.subject is None}
        self._fragments = Fragments("card", parts, action_form)

    @staticmethod
    def _parts(item, pinned: bool, destinations: dict, show_community: bool) -> tuple:
        activity = item.activity
        destination = destinations.get(activity.community_id) if activity.community_id else None
        return (pinned, show_community, item.liked, item.same_question,
                destination.name if destination is not None else None,
                row_state(activity), row_state(item.actor), row_state(item.community), row_state(item.publication),
                row_state(item.document), row_state(item.suggestion), repr(item.run))

    def show(self, item, pinned: bool = False) -> Markup | None:
        return self._fragments.show((id(item), pinned))

    def keep(self, item, drawn: str, pinned: bool = False) -> Markup:
        return self._fragments.keep((id(item), pinned), drawn)
