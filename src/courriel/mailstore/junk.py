"""What a user's copy or move tells the spam filter (a later issue trains on it).

Moving a message into Junk says "this is spam"; moving it out of Junk says "this is not
spam", unless it goes to Trash (throwing spam away says nothing new about it). Copies count
as moves. Mailboxes are told apart by their special-use attribute (RFC 6154 §2), never by
name: users rename them. Pure: no storage, no I/O; ``MailStore`` asks and records.
"""

from __future__ import annotations

from courriel.mailstore.defaults import JUNK, TRASH
from courriel.storage.records import HAM, SPAM


def feedback_verdict(source_use: str | None, destination_use: str | None) -> str | None:
    """``"spam"``, ``"ham"`` or None (nothing to report) for a copy or move from a mailbox
    with special use ``source_use`` to one with ``destination_use``."""
    if destination_use == JUNK and source_use != JUNK:
        return SPAM
    if source_use == JUNK and destination_use not in (JUNK, TRASH):
        return HAM
    return None
