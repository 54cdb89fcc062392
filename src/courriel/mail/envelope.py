"""The IMAP ENVELOPE of a message (RFC 9051 §7.5.2), computed once at ingest.

Owns: the ten ENVELOPE members in order — date, subject, from, sender, reply-to, to, cc,
bcc, in-reply-to, message-id — from a message's first occurrence of each header field.
String members are the raw header values, unfolded but not RFC 2047 decoded, as IMAP
sends them; address members are parsed :class:`~courriel.mail.address.Address` tuples.
Per RFC 9051 §7.5.2, an absent or empty Sender or Reply-To takes the value of From.

Must not: decode encoded words (the IMAP client does), or render the IMAP wire form (the
IMAP server's fetch rendering does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from courriel.mail.address import Address, parse_address_list
from courriel.mail.charset import header_bytes_to_str
from courriel.mail.headers import unfold

Addresses = tuple[Address, ...]


class Envelope(NamedTuple):
    """ENVELOPE members (RFC 9051 §7.5.2). None stands for NIL; ``()`` for an empty list."""

    date: str | None
    subject: str | None
    from_: Addresses
    sender: Addresses
    reply_to: Addresses
    to: Addresses
    cc: Addresses
    bcc: Addresses
    in_reply_to: str | None
    message_id: str | None


EMPTY_ENVELOPE = Envelope(None, None, (), (), (), (), (), (), None, None)


def _text(fields: Mapping[bytes, bytes], name: bytes) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    return header_bytes_to_str(unfold(value))


def _addresses(fields: Mapping[bytes, bytes], name: bytes) -> Addresses:
    value = fields.get(name)
    if value is None:
        return ()
    return parse_address_list(header_bytes_to_str(unfold(value)))


def build_envelope(fields: Mapping[bytes, bytes]) -> Envelope:
    """The envelope from header fields keyed by lower-case name (first occurrence each)."""
    from_ = _addresses(fields, b"from")
    sender = _addresses(fields, b"sender") or from_
    reply_to = _addresses(fields, b"reply-to") or from_
    return Envelope(
        date=_text(fields, b"date"),
        subject=_text(fields, b"subject"),
        from_=from_,
        sender=sender,
        reply_to=reply_to,
        to=_addresses(fields, b"to"),
        cc=_addresses(fields, b"cc"),
        bcc=_addresses(fields, b"bcc"),
        in_reply_to=_text(fields, b"in-reply-to"),
        message_id=_text(fields, b"message-id"),
    )
