"""Which mailbox names LIST and LSUB return, with which attributes (pure).

Owns: reference + pattern with the ``*`` and ``%`` wildcards (RFC 9051 §6.3.9), INBOX in
any case (RFC 9051 §5.1), the name attributes ``\\HasChildren``/``\\HasNoChildren``
(RFC 3348, RFC 9051 §7.3.1), ``\\NonExistent`` (RFC 5258 §3.4; ``\\Noselect`` for IMAP4rev1
clients that did not use LIST-EXTENDED), ``\\Subscribed`` (RFC 5258 §3.2), the special-use
attributes (RFC 6154 §2), LIST-EXTENDED selection options SUBSCRIBED, SPECIAL-USE and
RECURSIVEMATCH with CHILDINFO (RFC 5258 §3.1, §4, RFC 6154 §5.3), and LSUB (RFC 3501
§6.3.9).

A name is returned when it matches; a parent that is not itself in the selection (a missing
parent of ``a/b``, an unsubscribed parent of a subscribed child) is returned only when none of
its descendants in the selection match, so ``%`` shows where the hierarchy continues
(RFC 9051 §6.3.9) and ``*`` does not repeat it.

Must not: read storage (the caller passes mailboxes and subscriptions).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from courriel.mailstore.names import INBOX, parent_names
from courriel.storage.records import MailboxRecord


@dataclass(frozen=True, slots=True)
class ListedName:
    """One LIST/LSUB answer; ``mailbox`` is None when the name does not exist."""

    name: str
    attributes: tuple[str, ...]
    mailbox: MailboxRecord | None = None
    child_info: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ListRequest:
    reference: str
    patterns: tuple[str, ...]
    selection: tuple[str, ...] = ()
    returns: tuple[str, ...] = ()
    extended: bool = False
    """LIST-EXTENDED syntax or IMAP4rev2: say ``\\NonExistent`` rather than ``\\Noselect``."""


def canonical_pattern(reference: str, pattern: str, separator: str) -> str:
    """Reference and pattern joined (RFC 9051 §6.3.9), INBOX upper-cased."""
    joined = reference + pattern
    head = joined[:5]
    if head.upper() == INBOX and (len(joined) == 5 or joined[5] in (separator, "*", "%")):
        joined = INBOX + joined[5:]
    return joined


def pattern_regex(pattern: str, separator: str) -> re.Pattern[str]:
    """``*`` matches anything, ``%`` anything but the separator (RFC 9051 §6.3.9)."""
    parts: list[str] = []
    for character in pattern:
        if character == "*":
            parts.append(".*")
        elif character == "%":
            parts.append(f"[^{re.escape(separator)}]*")
        else:
            parts.append(re.escape(character))
    return re.compile("".join(parts), re.DOTALL)


def _sort_key(name: str) -> tuple[bool, str]:
    return (name != INBOX, name)


def list_names(
    request: ListRequest,
    mailboxes: Sequence[MailboxRecord],
    subscriptions: Sequence[str],
    separator: str,
) -> list[ListedName]:
    """The LIST answer, INBOX first, then by name."""
    existing = {mailbox.name: mailbox for mailbox in mailboxes}
    subscribed = set(subscriptions)
    with_children = {parent for name in existing for parent in parent_names(name, separator)}
    select_subscribed = "SUBSCRIBED" in request.selection
    recursive = "RECURSIVEMATCH" in request.selection
    show_subscribed = select_subscribed or "SUBSCRIBED" in request.returns
    base = set(subscribed) if select_subscribed else set(existing)
    if "SPECIAL-USE" in request.selection:  # RFC 6154 §5.3
        base = {name for name in base if name in existing and existing[name].special_use}
    regexes = [
        pattern_regex(canonical_pattern(request.reference, pattern, separator), separator)
        for pattern in request.patterns
    ]

    def matches(name: str) -> bool:
        return any(regex.fullmatch(name) for regex in regexes)

    def descendants(name: str) -> list[str]:
        prefix = name + separator
        return [other for other in base if other.startswith(prefix)]

    subscribed_parents = {parent for name in subscribed for parent in parent_names(name, separator)}
    candidates = set(base)
    candidates.update(parent for name in base for parent in parent_names(name, separator))
    listed: list[ListedName] = []
    for name in sorted(candidates, key=_sort_key):
        if not matches(name):
            continue
        if name not in base:
            below = descendants(name)
            if not below or any(matches(other) for other in below):
                continue
            if select_subscribed and not recursive:
                continue  # RFC 5258 §3.1: only RECURSIVEMATCH brings in such parents
        mailbox = existing.get(name)
        attributes: list[str] = []
        if mailbox is None:
            attributes.append("\\NonExistent" if request.extended else "\\Noselect")
        if name in with_children:
            attributes.append("\\HasChildren")
        elif mailbox is not None:
            attributes.append("\\HasNoChildren")
        if mailbox is not None and mailbox.special_use:
            attributes.append(mailbox.special_use)
        if show_subscribed and name in subscribed:
            attributes.append("\\Subscribed")
        child_info: tuple[str, ...] = ()
        if recursive and select_subscribed and name in subscribed_parents:
            child_info = ("SUBSCRIBED",)  # RFC 5258 §4
        listed.append(ListedName(name, tuple(attributes), mailbox, child_info))
    return listed


def lsub_names(
    reference: str,
    pattern: str,
    mailboxes: Sequence[MailboxRecord],
    subscriptions: Sequence[str],
    separator: str,
) -> list[ListedName]:
    """The LSUB answer (RFC 3501 §6.3.9): subscribed names; ``\\Noselect`` for a name that
    does not exist, and for an unsubscribed parent that ``%`` stops at."""
    existing = {mailbox.name: mailbox for mailbox in mailboxes}
    subscribed = set(subscriptions)
    regex = pattern_regex(canonical_pattern(reference, pattern, separator), separator)
    candidates = set(subscribed)
    candidates.update(parent for name in subscribed for parent in parent_names(name, separator))
    listed: list[ListedName] = []
    for name in sorted(candidates, key=_sort_key):
        if not regex.fullmatch(name):
            continue
        if name not in subscribed:
            prefix = name + separator
            below = [other for other in subscribed if other.startswith(prefix)]
            if any(regex.fullmatch(other) for other in below):
                continue
            listed.append(ListedName(name, ("\\Noselect",)))
            continue
        mailbox = existing.get(name)
        listed.append(ListedName(name, () if mailbox else ("\\Noselect",), mailbox))
    return listed
