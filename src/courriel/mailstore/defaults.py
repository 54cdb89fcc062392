"""The mailboxes every new account gets, with their special-use attributes (RFC 6154 §2).

The names are the ones mail apps look for when a server does not announce SPECIAL-USE, so
older clients find them too.
"""

TRASH = "\\Trash"
JUNK = "\\Junk"

DEFAULT_MAILBOXES: tuple[tuple[str, str | None], ...] = (
    ("INBOX", None),
    ("Sent", "\\Sent"),
    ("Drafts", "\\Drafts"),
    ("Trash", TRASH),
    ("Junk", JUNK),
    ("Archive", "\\Archive"),
)

SPECIAL_USES = frozenset(
    {"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"}
)
"""Every attribute of RFC 6154 §2."""
