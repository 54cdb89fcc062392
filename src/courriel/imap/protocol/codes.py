"""IMAP response codes: the bracketed ``[CODE data]`` of a status response.

Owns: :class:`ResponseCode`, the table of data-less codes with the RFC that defines each,
and builders for the codes that carry data (RFC 9051 §7.1; RFC 4315 UIDPLUS; RFC 5530
error codes; RFC 7162 CONDSTORE/QRESYNC; RFC 6154, RFC 4978, RFC 5182, RFC 8474).

Must not: know when a code is used (the session and the error table decide), or build
whole responses (``responses``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from courriel.imap.protocol.sequenceset import compress


@dataclass(frozen=True, slots=True)
class ResponseCode:
    """``[name]`` or ``[name data]``; ``data`` is already in wire form (ASCII text)."""

    name: str
    data: str | None = None

    def __str__(self) -> str:
        return f"[{self.name}]" if self.data is None else f"[{self.name} {self.data}]"


def _code(name: str) -> ResponseCode:
    return ResponseCode(name)


# Data-less codes, each with the RFC that defines it.
ALERT = _code("ALERT")  # RFC 9051 §7.1
PARSE = _code("PARSE")  # RFC 9051 §7.1
READ_ONLY = _code("READ-ONLY")  # RFC 9051 §7.1
READ_WRITE = _code("READ-WRITE")  # RFC 9051 §7.1
TRYCREATE = _code("TRYCREATE")  # RFC 9051 §7.1
UIDNOTSTICKY = _code("UIDNOTSTICKY")  # RFC 4315 §3
NOMODSEQ = _code("NOMODSEQ")  # RFC 7162 §3.1.2.2
CLOSED = _code("CLOSED")  # RFC 7162 §3.2.11
NOTSAVED = _code("NOTSAVED")  # RFC 5182 §2.5
USEATTR = _code("USEATTR")  # RFC 6154 §3
COMPRESSIONACTIVE = _code("COMPRESSIONACTIVE")  # RFC 4978 §4
UNAVAILABLE = _code("UNAVAILABLE")  # RFC 5530 §3
AUTHENTICATIONFAILED = _code("AUTHENTICATIONFAILED")  # RFC 5530 §3
AUTHORIZATIONFAILED = _code("AUTHORIZATIONFAILED")  # RFC 5530 §3
EXPIRED = _code("EXPIRED")  # RFC 5530 §3
PRIVACYREQUIRED = _code("PRIVACYREQUIRED")  # RFC 5530 §3
CONTACTADMIN = _code("CONTACTADMIN")  # RFC 5530 §3
NOPERM = _code("NOPERM")  # RFC 5530 §3
INUSE = _code("INUSE")  # RFC 5530 §3
EXPUNGEISSUED = _code("EXPUNGEISSUED")  # RFC 5530 §3
CORRUPTION = _code("CORRUPTION")  # RFC 5530 §3
SERVERBUG = _code("SERVERBUG")  # RFC 5530 §3
CLIENTBUG = _code("CLIENTBUG")  # RFC 5530 §3
CANNOT = _code("CANNOT")  # RFC 5530 §3
LIMIT = _code("LIMIT")  # RFC 5530 §3
OVERQUOTA = _code("OVERQUOTA")  # RFC 5530 §3, RFC 9208 §4.3
ALREADYEXISTS = _code("ALREADYEXISTS")  # RFC 5530 §3
NONEXISTENT = _code("NONEXISTENT")  # RFC 5530 §3
TOOBIG = _code("TOOBIG")  # RFC 4469 §4.2, RFC 7888 §4, RFC 7889 §4
UNKNOWN_CTE = _code("UNKNOWN-CTE")  # RFC 3516 §4.3
HASCHILDREN = _code("HASCHILDREN")  # RFC 9051 §7.1
#: BADCHARSET without the optional list of supported charsets.
BADCHARSET = _code("BADCHARSET")  # RFC 9051 §7.1

#: Every data-less code by name (the session's error table picks from here).
SIMPLE_CODES: dict[str, ResponseCode] = {
    code.name: code
    for code in (
        ALERT,
        PARSE,
        READ_ONLY,
        READ_WRITE,
        TRYCREATE,
        UIDNOTSTICKY,
        NOMODSEQ,
        CLOSED,
        NOTSAVED,
        USEATTR,
        COMPRESSIONACTIVE,
        UNAVAILABLE,
        AUTHENTICATIONFAILED,
        AUTHORIZATIONFAILED,
        EXPIRED,
        PRIVACYREQUIRED,
        CONTACTADMIN,
        NOPERM,
        INUSE,
        EXPUNGEISSUED,
        CORRUPTION,
        SERVERBUG,
        CLIENTBUG,
        CANNOT,
        LIMIT,
        OVERQUOTA,
        ALREADYEXISTS,
        NONEXISTENT,
        TOOBIG,
        UNKNOWN_CTE,
        HASCHILDREN,
        BADCHARSET,
    )
}


def capability_code(capabilities: Iterable[str]) -> ResponseCode:
    """``[CAPABILITY IMAP4rev2 ...]`` (RFC 9051 §7.1)."""
    return ResponseCode("CAPABILITY", " ".join(capabilities))


def permanent_flags_code(flags: Iterable[str]) -> ResponseCode:
    """``[PERMANENTFLAGS (\\Deleted \\Seen \\*)]`` (RFC 9051 §7.1); include ``\\*`` when
    clients may create keywords."""
    return ResponseCode("PERMANENTFLAGS", "(" + " ".join(flags) + ")")


def bad_charset_code(charsets: Iterable[str] = ()) -> ResponseCode:
    """``[BADCHARSET (UTF-8 US-ASCII)]`` (RFC 9051 §7.1); charset names are atoms."""
    names = list(charsets)
    return ResponseCode("BADCHARSET", "(" + " ".join(names) + ")") if names else BADCHARSET


def uid_next_code(uid_next: int) -> ResponseCode:
    """``[UIDNEXT n]`` (RFC 9051 §7.1)."""
    return ResponseCode("UIDNEXT", str(uid_next))


def uid_validity_code(uid_validity: int) -> ResponseCode:
    """``[UIDVALIDITY n]`` (RFC 9051 §7.1)."""
    return ResponseCode("UIDVALIDITY", str(uid_validity))


def unseen_code(first_unseen: int) -> ResponseCode:
    """``[UNSEEN n]``, the first unseen message number, for IMAP4rev1 (RFC 3501 §7.1)."""
    return ResponseCode("UNSEEN", str(first_unseen))


def highest_modseq_code(modseq: int) -> ResponseCode:
    """``[HIGHESTMODSEQ n]`` (RFC 7162 §3.1.2.1)."""
    return ResponseCode("HIGHESTMODSEQ", str(modseq))


def modified_code(numbers: Iterable[int]) -> ResponseCode:
    """``[MODIFIED 7,9]``: messages a conditional STORE left alone (RFC 7162 §3.1.3)."""
    return ResponseCode("MODIFIED", compress(numbers))


def append_uid_code(uid_validity: int, uids: Iterable[int]) -> ResponseCode:
    """``[APPENDUID 38505 3955]``; several UIDs for MULTIAPPEND (RFC 4315 §3, RFC 3502)."""
    return ResponseCode("APPENDUID", f"{uid_validity} {compress(uids)}")


def copy_uid_code(
    uid_validity: int, source_uids: Iterable[int], destination_uids: Iterable[int]
) -> ResponseCode:
    """``[COPYUID 38505 304,319:320 3956:3958]`` (RFC 4315 §3): the n-th source UID was
    copied to the n-th destination UID, so both keep the caller's order."""
    source = compress(source_uids, ordered=False)
    destination = compress(destination_uids, ordered=False)
    return ResponseCode("COPYUID", f"{uid_validity} {source} {destination}")


def mailbox_id_code(mailbox_id: str) -> ResponseCode:
    """``[MAILBOXID (F2212ea87-6097-4256-9d51-71338625)]`` after CREATE (RFC 8474 §4.1)."""
    return ResponseCode("MAILBOXID", f"({mailbox_id})")
