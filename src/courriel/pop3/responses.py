"""POP3 single-line responses: ``+OK`` and ``-ERR`` with RESP-CODES, and the listings.

Covers the status indicators (RFC 1939 §3), the response grammar and length limit (RFC 2449
§3, §4), the extended response codes (RFC 2449 §8, RFC 3206, RFC 6856) and the lines of the
STAT, LIST and UIDL replies (RFC 1939 §5, §7), with the rules for unique-ids (RFC 1939 §7).

Must not: choose reply texts for the session (it passes them), or know about storage.
"""

from __future__ import annotations

import re
from collections.abc import Container, Sequence
from enum import StrEnum

__all__ = [
    "MAX_RESPONSE_LINE",
    "RespCode",
    "err",
    "is_valid_unique_id",
    "octets_status",
    "ok",
    "scan_listing",
    "scan_listings",
    "stat_reply",
    "unique_id_listing",
    "unique_id_listings",
]

CRLF = b"\r\n"

# RFC 2449 §4: the first line of a response, greeting included, is at most 512 octets with
# its CRLF.
MAX_RESPONSE_LINE = 512


class RespCode(StrEnum):
    """Extended response codes, sent in brackets after ``-ERR`` (RFC 2449 §8).

    Clients only parse them from servers that announce RESP-CODES (RFC 2449 §6.4) and, for
    AUTH, AUTH-RESP-CODE (RFC 3206 §6); the CAPA builder announces both.
    """

    # RFC 3206 §5: the credentials are wrong; asking the user again may help.
    AUTH = "AUTH"
    # RFC 3206 §4: the failure is the server's, and temporary; try again later.
    SYS_TEMP = "SYS/TEMP"
    # RFC 3206 §4: the failure is the server's, and lasting (account disabled...).
    SYS_PERM = "SYS/PERM"
    # RFC 2449 §8.1: the maildrop is locked by another session.
    IN_USE = "IN-USE"
    # RFC 2449 §8.1: the user logged in more recently than LOGIN-DELAY allows.
    LOGIN_DELAY = "LOGIN-DELAY"
    # RFC 6856: refused because UTF-8 is needed and the client did not enable it.
    UTF8 = "UTF8"


def _status_line(status: bytes, text: str) -> bytes:
    if "\r" in text or "\n" in text or "\0" in text:
        # A CR or LF in a reply text would let it forge a second response line.
        raise ValueError("a POP3 response text cannot contain CR, LF or NUL")
    line = status + b" " + text.encode("utf-8") + CRLF if text else status + CRLF
    if len(line) > MAX_RESPONSE_LINE:  # RFC 2449 §4
        raise ValueError(f"a POP3 response line is at most {MAX_RESPONSE_LINE} octets")
    return line


def ok(text: str = "") -> bytes:
    """``+OK text`` with its CRLF (RFC 1939 §3)."""
    return _status_line(b"+OK", text)


def err(text: str, code: RespCode | None = None) -> bytes:
    """``-ERR [CODE] text`` with its CRLF (RFC 1939 §3, RFC 2449 §8)."""
    if code is not None:
        text = f"[{code}] {text}" if text else f"[{code}]"
    return _status_line(b"-ERR", text)


def octets_status(size: int) -> bytes:
    """``+OK size octets``: the first line of RETR's reply (RFC 1939 §5), built without
    ``ok``'s checks (an integer cannot break the line), once per message sent."""
    return b"+OK %d octets\r\n" % size


def stat_reply(count: int, size: int) -> bytes:
    """``+OK count size``: the drop listing (RFC 1939 §5 STAT). Nothing may follow it."""
    return ok(f"{count} {size}")


def scan_listing(message_number: int, size: int) -> str:
    """``number size``: one scan listing of LIST (RFC 1939 §5), a reply's text or a line.

    ``size`` is the message's size on the wire: CRLF line endings, before byte-stuffing
    (see ``multiline.wire_size``).
    """
    return f"{message_number} {size}"


_UNIQUE_ID = re.compile("[\x21-\x7e]{1,70}")


def is_valid_unique_id(value: str) -> bool:
    """RFC 1939 §7: a unique-id is 1 to 70 characters in 0x21–0x7E."""
    return _UNIQUE_ID.fullmatch(value) is not None


def unique_id_listing(message_number: int, unique_id: str) -> str:
    """``number unique-id``: one line of UIDL (RFC 1939 §7), a reply's text or a line.

    Raises ``ValueError`` for an id outside RFC 1939 §7's rules: that is a server bug.
    """
    if not is_valid_unique_id(unique_id):
        raise ValueError("a POP3 unique-id is 1 to 70 characters in 0x21-0x7E (RFC 1939 §7)")
    return f"{message_number} {unique_id}"


# The listings of every message, for LIST and UIDL without an argument: one line per
# message of the maildrop (10,000 lines for a large one), so each is built by a single
# string formatting, "%d %d\r\n" repeated, over the numbers and values interleaved: half
# the time of an f-string per line joined. Lines start with a digit: no byte-stuffing.


def _listing_lines(line: str, values: Sequence[object], skip: Container[int]) -> bytes:
    """``line`` (one ``%d`` for the message number, one for the value) for every message
    numbered from 1 whose value is in ``values``, the numbers in ``skip`` left out."""
    numbers: Sequence[int] = range(1, len(values) + 1)
    if skip:
        numbers = [number for number in numbers if number not in skip]
        values = [values[number - 1] for number in numbers]
    interleaved: list[object] = [0] * (2 * len(numbers))
    interleaved[0::2] = numbers
    interleaved[1::2] = values
    return (line * len(numbers) % tuple(interleaved)).encode()


def scan_listings(sizes: Sequence[int], skip: Container[int] = ()) -> bytes:
    """The scan listings of LIST (RFC 1939 §5), ``number size`` and CRLF each, for the
    messages numbered from 1 whose sizes are ``sizes``, leaving out the numbers in
    ``skip`` (the messages marked as deleted)."""
    return _listing_lines("%d %d\r\n", sizes, skip)


def unique_id_listings(unique_ids: Sequence[str], skip: Container[int] = ()) -> bytes:
    """The lines of UIDL (RFC 1939 §7), ``number unique-id`` and CRLF each, as
    ``scan_listings`` does for sizes. The ids are the caller's to make valid (the
    maildrop's are digits and one dot, see ``Maildrop.unique_id``): checking each one,
    as ``unique_id_listing`` does, would cost more than the whole listing."""
    return _listing_lines("%d %s\r\n", unique_ids, skip)
