"""Domain events. Listeners live in the package that reacts, so lower packages never import higher ones."""

from blinker import Namespace

_signals = Namespace()

membership_added = _signals.signal("membership-added", doc="""
Someone joined a community. Sender: the Community. Arguments: `user`, `role`, `actor` (None for the system).
""")

membership_removed = _signals.signal("membership-removed", doc="""
Someone left or was removed from a community. Sender: the Community. Arguments: `user`, `actor`.
""")

invitation_accepted = _signals.signal("invitation-accepted", doc="""
An invitation was accepted. Sender: the Invitation. Arguments: `user` (new or existing account).
""")

document_version_added = _signals.signal("document-version-added", doc="""
A document got a new version (version 1 at upload). Sender: the Document. Arguments: `version`
(the DocumentVersion), `actor` (the User).
""")

document_changed = _signals.signal("document-changed", doc="""
A document's details changed, or it went to or came back from the trash. Sender: the Document.
Arguments: `actor` (the User).
""")

demo_loaded = _signals.signal("demo-loaded", doc="""
`flask rse demo` created its people and communities; higher packages add their demo content.
Sender: the app. Arguments: `people` ({email: User}), `communities` ({name: Community}).
""")

item_viewed = _signals.signal("item-viewed", doc="""
Someone opened a publication or a document page. Sender: the Publication or Document. Arguments: `user`.
""")

controlled_document_event = _signals.signal("controlled-document-event", doc="""
A step of a controlled document's circuit: `event` is "to_check" or "to_approve" (the version awaits
the people in `user_ids`), "returned" (sent back to its writers), "in_force" (the version came
into force; `user_ids` is its circuit), "reading" (`user_ids` must read it), "reading_reminder", or
"review_due" (its review date is within a month: `user_ids` are its writers; `actor` is None).
Sender: the Document. Arguments: `event`, `actor`, `version` (the number), `user_ids`.
""")

plan_action_event = _signals.signal("plan-action-event", doc="""
Something happened to an action of a plan: "created", "assigned" (`user_ids` were made its owner
or co-owners), "done", "abandoned", "reminder_week" or "reminder_due" (`user_ids` are its owners;
`actor` is None), "late" (its due date passed while open; `actor` is None).
Sender: the Action. Arguments: `event`, `actor`, `user_ids`.
""")
