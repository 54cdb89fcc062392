"""What to send for one mail transaction, given what the server offered. Pure.

Owns, for the outbound client:

- sending only the ESMTP parameters the server advertised in its EHLO reply (RFC 5321
  §4.1.1.11: a parameter needs its extension): SIZE (RFC 1870), BODY (RFC 6152, RFC 3030),
  SMTPUTF8 (RFC 6531), RET/ENVID/NOTIFY/ORCPT (RFC 3461);
- refusing, before anything is sent, a message the server cannot take as it is
  (``SmtpNotPossible``): UTF-8 addresses or headers without SMTPUTF8 (RFC 6531 §3.5,
  ``5.6.7``), 8-bit content without 8BITMIME or binary content without BINARYMIME
  (RFC 6152 §3, RFC 3030 §3: ``5.6.3``; courriel does not downgrade), a message larger than
  the server's SIZE (RFC 1870 §6, ``5.3.4``);
- the MAIL and RCPT command lines, checked so that an address can never carry a CR, LF or
  ``>`` into the command stream;
- DATA's dot-stuffing (RFC 5321 §4.5.2) with line endings made CRLF first (RFC 5321 §2.3.8:
  a bare LF followed by a dot is the SMTP smuggling shape, never passed on), and BDAT
  chunks (RFC 3030 §2) for BINARYMIME.

Also reads the NOTIFY and ORCPT values the queue stores (their wire form, as the server got
them) through the protocol grammar, for the client and for DSNs.

Must not: do I/O, or decide what a refusal means for the queue.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from courriel.mail.compose import header_end
from courriel.smtp.client.errors import SmtpNotPossible
from courriel.smtp.protocol.addresses import parse_path
from courriel.smtp.protocol.errors import SmtpSyntaxError
from courriel.smtp.protocol.parameters import (
    BodyType,
    DsnNotify,
    DsnReturn,
    MailParameters,
    OriginalRecipient,
    RcptParameters,
    parse_rcpt_parameters,
)

__all__ = [
    "BDAT_CHUNK_SIZE",
    "Recipient",
    "TransactionPlan",
    "address_is_valid",
    "bdat_chunks",
    "dot_stuff",
    "parse_notify",
    "parse_original_recipient",
    "plan_transaction",
]

BDAT_CHUNK_SIZE = 1024 * 1024
"""Octets per BDAT command: large enough that the per-chunk reply costs nothing."""

_LINE_ENDINGS = re.compile(rb"\r\n|\r|\n")
_DSN_ONLY = frozenset({"DSN"})


@dataclass(frozen=True, slots=True)
class Recipient:
    """One RCPT: the address (``local@domain``, no brackets) and its RFC 3461 parameters in
    the form the queue stores them: ``notify`` ``"NEVER"`` or ``"DELAY,FAILURE"``,
    ``orcpt`` ``"rfc822;user+2Bx@example.org"`` (type ``;`` xtext, as on the wire)."""

    address: str
    notify: str | None = None
    orcpt: str | None = None


@dataclass(frozen=True, slots=True)
class TransactionPlan:
    """The bytes of one transaction: command lines, and the message as it goes on the wire
    (dot-stuffed and terminated for DATA, unchanged for BDAT)."""

    mail: bytes
    rcpts: tuple[bytes, ...]
    chunked: bool
    payload: bytes


def parse_notify(value: str | None) -> frozenset[DsnNotify] | None:
    """The NOTIFY set from its stored text; None when absent or unreadable (RFC 3461 §4.1:
    an absent NOTIFY means the default, failures and maybe delays)."""
    if not value:
        return None
    try:
        return parse_rcpt_parameters([f"NOTIFY={value}"], extensions=_DSN_ONLY).notify
    except SmtpSyntaxError:
        return None


def parse_original_recipient(value: str | None) -> OriginalRecipient | None:
    """The ORCPT from its stored text: wire form (``rfc822;a+2Bb@x``) or, leniently, already
    decoded (``rfc822;a+b@x``); None when absent or unusable (RFC 3461 §4.2)."""
    if not value:
        return None
    try:
        return parse_rcpt_parameters([f"ORCPT={value}"], extensions=_DSN_ONLY).orcpt
    except SmtpSyntaxError:
        address_type, semicolon, address = value.partition(";")
        if not semicolon or not address or any(char in value for char in "\r\n\x00"):
            return None
        return OriginalRecipient(address_type.strip(), address.strip())


def address_is_valid(address: str, *, sender: bool = False) -> bool:
    """Whether ``address`` can be written as one RFC 5321 §4.1.2 path (``""`` is the null
    reverse-path, valid only for a sender)."""
    try:
        parse_path(f"<{address}>", smtputf8=True, null_allowed=sender)
    except SmtpSyntaxError:
        return False
    return True


def _path(address: str, *, sender: bool) -> str:
    """``<address>`` after checking it is one RFC 5321 §4.1.2 path and nothing more."""
    if not address_is_valid(address, sender=sender):
        status = "5.1.7" if sender else "5.1.3"  # RFC 3463 §3.2 X.1.7 / X.1.3
        role = "sender" if sender else "recipient"
        raise SmtpNotPossible(f"invalid {role} address {address!r}", status=status)
    return f"<{address}>"


def _size_limit(extensions: Mapping[str, str]) -> int | None:
    """The server's SIZE (RFC 1870 §4); None for no limit (absent, empty or 0)."""
    value = extensions.get("SIZE", "").strip()
    if value.isdigit() and value.isascii() and int(value) > 0:
        return int(value)
    return None


def _data_safe(data: bytes) -> bool:
    """Whether binary-labelled content can travel in DATA unchanged: CRLF lines only, no
    NUL (RFC 5321 §2.3.8, §4.5.2)."""
    crlf = data.count(b"\r\n")
    return data.count(b"\r") == crlf and data.count(b"\n") == crlf and b"\x00" not in data


def plan_transaction(
    extensions: Mapping[str, str],
    sender: str,
    recipients: Sequence[Recipient],
    data: bytes,
    *,
    body: str = "7BIT",
    smtputf8: bool = False,
    envid: str | None = None,
    ret: str | None = None,
) -> TransactionPlan:
    """Plan one transaction for a server whose EHLO keywords are ``extensions`` (upper-case
    keyword → parameters; empty after HELO). ``sender`` ``""`` is the null reverse-path.
    Raises ``SmtpNotPossible`` when the message cannot go to this server unchanged."""
    if not recipients:
        raise ValueError("a transaction needs at least one recipient")
    body_type = BodyType(body.upper())
    eight_bit = not data.isascii()
    chunked = False

    # RFC 6531 §3.5: UTF-8 in the envelope or the header needs SMTPUTF8 at this server.
    needs_utf8 = (
        not sender.isascii()
        or any(not recipient.address.isascii() for recipient in recipients)
        or not data[: header_end(data)].isascii()
    )
    send_utf8 = (smtputf8 or needs_utf8) and "SMTPUTF8" in extensions
    if needs_utf8 and not send_utf8:
        raise SmtpNotPossible(
            "the message needs SMTPUTF8, which the server does not offer", status="5.6.7"
        )

    declared: BodyType | None = None
    if body_type is BodyType.BINARY_MIME:
        if "BINARYMIME" in extensions and "CHUNKING" in extensions:  # RFC 3030 §3
            declared, chunked = BodyType.BINARY_MIME, True
        elif _data_safe(data):
            body_type = BodyType.EIGHT_BIT_MIME if eight_bit else BodyType.SEVEN_BIT
        else:
            raise SmtpNotPossible(
                "binary content needs BINARYMIME and CHUNKING, which the server does not offer",
                status="5.6.3",
            )
    if not chunked and (eight_bit or body_type is BodyType.EIGHT_BIT_MIME):
        if "8BITMIME" in extensions:  # RFC 6152 §2
            declared = BodyType.EIGHT_BIT_MIME
        elif eight_bit:
            # RFC 6152 §3: 8-bit data only to a server that offered 8BITMIME.
            raise SmtpNotPossible(
                "8-bit content needs 8BITMIME, which the server does not offer", status="5.6.3"
            )

    size: int | None = None
    if "SIZE" in extensions:  # RFC 1870 §3
        size = len(data)
        limit = _size_limit(extensions)
        if limit is not None and size > limit:
            raise SmtpNotPossible(  # RFC 1870 §6
                f"the message ({size} octets) is larger than the server accepts ({limit})",
                status="5.3.4",
            )

    dsn = "DSN" in extensions  # RFC 3461 §4: DSN parameters only when offered
    mail_parameters = MailParameters(
        size=size,
        body=declared,
        smtputf8=send_utf8,
        ret=DsnReturn(ret.upper()) if dsn and ret else None,
        envid=envid if dsn and envid else None,
    )
    mail = " ".join((f"MAIL FROM:{_path(sender, sender=True)}", *mail_parameters.to_parameters()))
    rcpts = []
    for recipient in recipients:
        parameters: tuple[str, ...] = ()
        if dsn:
            parameters = RcptParameters(
                parse_notify(recipient.notify), parse_original_recipient(recipient.orcpt)
            ).to_parameters()
        rcpt = " ".join((f"RCPT TO:{_path(recipient.address, sender=False)}", *parameters))
        rcpts.append(rcpt.encode("utf-8") + b"\r\n")
    return TransactionPlan(
        mail=mail.encode("utf-8") + b"\r\n",
        rcpts=tuple(rcpts),
        chunked=chunked,
        payload=data if chunked else dot_stuff(data),
    )


def dot_stuff(data: bytes) -> bytes:
    """DATA's wire form of a message: CRLF line endings, a dot doubled at the start of every
    line (RFC 5321 §4.5.2), and the ``.<CRLF>`` terminator (§4.1.1.4).

    Whole-buffer ``bytes`` operations, no per-line Python. A bare CR or LF becomes CRLF
    (RFC 5321 §2.3.8), so no receiver can see an end of data other than ours.
    """
    crlf = data.count(b"\r\n")
    if data.count(b"\r") != crlf or data.count(b"\n") != crlf:
        data = _LINE_ENDINGS.sub(b"\r\n", data)
    if data and not data.endswith(b"\r\n"):
        data += b"\r\n"
    stuffed = data.replace(b"\r\n.", b"\r\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    return stuffed + b".\r\n"


def bdat_chunks(data: bytes, chunk_size: int = BDAT_CHUNK_SIZE) -> Iterator[tuple[bytes, bool]]:
    """``(BDAT command line followed by its chunk, is_last)`` covering ``data``; the last
    command says LAST (RFC 3030 §2). Empty data is one ``BDAT 0 LAST``."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    view = memoryview(data)
    total = len(data)
    start = 0
    while True:
        end = min(start + chunk_size, total)
        last = end == total
        command = f"BDAT {end - start}{' LAST' if last else ''}\r\n".encode("ascii")
        yield command + bytes(view[start:end]), last
        if last:
            return
        start = end
