"""Delivery status notifications: the reports a mail server sends about a message it queued.

Owns: building a DSN (RFC 3464) as an RFC 6522 multipart/report with three parts — a short
English explanation, the machine-readable message/delivery-status, and the original message
or its header (RFC 3461 §4.3 RET) — and reading the delivery-status part of one back
(:func:`parse_dsn`). Also the test for messages that are themselves automatic reports, which
must not start a loop of reports (:func:`is_bounce_loop_risk`).

Rules the caller enforces, because only the queue knows the envelope:

* Never send a DSN to the null reverse-path ``<>`` (RFC 3464 §2, RFC 5321 §4.5.5): a DSN
  about a DSN is how loops start. :func:`build_dsn` refuses an empty ``sender_address``.
* Send the DSN itself with the null reverse-path ``MAIL FROM:<>`` (RFC 3461 §6.2, RFC 5321
  §4.5.5), so that a failure to deliver it is never reported.
* Send DSNs only for the outcomes the sender asked for with NOTIFY (RFC 3461 §4.1), or by
  the RFC 3461 §5.2.1 default (failures, and delays at the MTA's discretion).

The output is CRLF throughout and 7-bit, except the third part when the original has 8-bit
content: that part then says ``Content-Transfer-Encoding: 8bit`` and the DSN must be sent
with ``BODY=8BITMIME`` (RFC 6152). Addresses with a non-ASCII local part (RFC 6531) appear
as RFC 6533 ``utf-8`` addresses in their 7-bit xtext form.

Must not: decide whether or when to send a DSN (the queue does), read the clock (``now`` is
a parameter) or draw randomness other than through ``random_bytes``.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal, get_args

from courriel.mail.address import domain_to_ascii
from courriel.mail.charset import header_bytes_to_str
from courriel.mail.compose import (
    RandomBytes,
    encode_header_value,
    format_address,
    format_date,
    header_end,
    header_lines,
    make_message_id,
    mime_boundary,
    quoted_printable,
)
from courriel.mail.encoded_words import decode_header_value
from courriel.mail.headers import find_header_end, split_header_fields
from courriel.mail.message import parse_message
from courriel.mail.params import parse_content_type, strip_comments
from courriel.mail.part import iter_parts
from courriel.mail.transfer import decode_transfer_encoding

#: RFC 3464 §2.3.3 action-value.
Action = Literal["failed", "delayed", "delivered", "relayed", "expanded"]
#: RFC 3461 §4.3 RET parameter.
ReturnContent = Literal["FULL", "HDRS"]

ACTIONS: tuple[Action, ...] = get_args(Action)
#: Above this size the original is returned as its header only, whatever RET says
#: (RFC 3461 §4.3 lets the MTA return the header when the message is large).
DEFAULT_MAX_FULL_SIZE = 100 * 1024

SUBJECT_FAILED = "Undelivered Mail Returned to Sender"
SUBJECT_DELAYED = "Delayed Mail (still being retried)"
SUBJECT_DELIVERED = "Successful Mail Delivery Report"
FROM_NAME = "Mail Delivery System"

# RFC 3463 §2: status-code = class "." subject "." detail, each subject/detail 1-3 digits.
_STATUS = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})")
# RFC 3463 §2 subject sub-codes, in words, for the human-readable part.
_STATUS_SUBJECTS = {
    "0": "other or undefined problem",
    "1": "addressing problem",
    "2": "mailbox problem",
    "3": "mail system problem",
    "4": "network or routing problem",
    "5": "mail delivery protocol problem",
    "6": "message content or media problem",
    "7": "security or policy problem",
}
# RFC 3464 §2.3.6 diagnostic-type / §2.3.5 mta-name-type, before the ";".
_TYPED_VALUE = re.compile(r"[A-Za-z][A-Za-z0-9-]*[ \t]*;")
_ADDRESS_TYPE = re.compile(r"([A-Za-z][A-Za-z0-9-]*)[ \t]*;[ \t]*(.*)", re.S)
# RFC 6533 §3 QCHAR: printable ASCII except "\", "+" and "=" (and so no blank).
_QCHAR = frozenset(chr(code) for code in range(0x21, 0x7F)) - {"\\", "+", "="}
_NOT_PRINTABLE = re.compile(r"[^\x20-\x7e]+")
_LINE_ENDINGS = re.compile(rb"\r\n|\r|\n")
_GROUP_SEPARATOR = re.compile(rb"\n(?:[ \t]*\r?\n)+")
_MSG_ID = re.compile(r"<[!-;=?-~]{1,900}@[!-;=?-~]{1,250}>")  # RFC 5322 §3.6.4, ASCII
_TEXT_WIDTH = 72


@dataclass(frozen=True, slots=True, kw_only=True)
class RecipientStatus:
    """What happened to one recipient: the per-recipient fields of RFC 3464 §2.3.

    ``final_recipient`` is the address as given in RCPT TO (RFC 3464 §2.3.2);
    ``original_recipient`` the ORCPT value decoded from xtext, ``"rfc822;addr"`` or a bare
    address, only when the client gave ORCPT (RFC 3461 §4.2, RFC 3464 §2.3.1);
    ``status`` an RFC 3463 code such as ``"5.1.1"``; ``remote_mta`` the host that answered
    (RFC 3464 §2.3.5); ``diagnostic_code`` its answer, ``"smtp; 550 5.1.1 user unknown"``
    (``smtp;`` is added when no type is given, RFC 3464 §2.3.6); ``last_attempt`` and
    ``will_retry_until`` timestamps (§2.3.7, §2.3.9; the latter only for ``delayed``).
    """

    final_recipient: str
    original_recipient: str | None = None
    action: Action
    status: str
    remote_mta: str | None = None
    diagnostic_code: str | None = None
    last_attempt: float | None = None
    will_retry_until: float | None = None

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:  # RFC 3464 §2.3.3
            raise ValueError(f"unknown DSN action: {self.action!r}")
        match = _STATUS.fullmatch(self.status)
        if match is None:  # RFC 3463 §2
            raise ValueError(f"not an RFC 3463 status code: {self.status!r}")
        # RFC 3464 §2.3.4: the status class must agree with the action: 2 for success,
        # 4 for a delay; a failure is 5, or 4 when the queue gave up retrying (4.4.7).
        wanted = {"failed": "45", "delayed": "4"}.get(self.action, "2")
        if match.group(1) not in wanted:
            raise ValueError(f"status {self.status} does not fit action {self.action}")
        if not self.final_recipient or any(char in self.final_recipient for char in "\r\n"):
            raise ValueError(f"bad final recipient: {self.final_recipient!r}")


def build_dsn(
    *,
    reporting_mta: str,
    original: bytes,
    original_envelope_id: str | None,
    ret: ReturnContent | None,
    recipients: Sequence[RecipientStatus],
    sender_address: str,
    postmaster_address: str,
    now: float,
    message_id_domain: str,
    arrival_date: float | None,
    random_bytes: RandomBytes = os.urandom,
    max_full_size: int = DEFAULT_MAX_FULL_SIZE,
    tz_offset_minutes: int = 0,
) -> bytes:
    """A complete DSN message (RFC 3464 in an RFC 6522 multipart/report), CRLF bytes.

    ``reporting_mta`` is this server's host name; ``original`` the message reported on;
    ``original_envelope_id`` the ENVID decoded from xtext, or None (RFC 3461 §4.4);
    ``ret`` the RET parameter (RFC 3461 §4.3); ``sender_address`` the original MAIL FROM
    address the DSN goes to (never empty: see the module docstring); ``postmaster_address``
    the From address; ``now`` the DSN's date; ``arrival_date`` when the original was
    received (RFC 3464 §2.2.5). ``random_bytes`` draws the Message-ID and the boundary.

    The third part is the whole original (message/rfc822) when RET=FULL, or when RET was
    not given, for a failure report of a message of at most ``max_full_size`` octets;
    otherwise its header (text/rfc822-headers, RFC 6522 §4). Delay and success reports
    carry the header only: RET governs failure reports (RFC 3461 §4.3).
    """
    if not sender_address:
        # RFC 3464 §2 / RFC 5321 §4.5.5: nothing is ever reported to the null sender.
        raise ValueError("a DSN is never sent to the null reverse-path")
    if not recipients:
        # RFC 3464 §2.1: delivery-status-content has at least one per-recipient group.
        raise ValueError("a DSN reports on at least one recipient")
    if ret not in (None, *get_args(ReturnContent)):
        raise ValueError(f"RET must be FULL or HDRS: {ret!r}")

    any_failed = any(recipient.action == "failed" for recipient in recipients)
    # RFC 3461 §4.3: RET chooses what a failure report returns (the MTA's choice when it is
    # absent); a message too large to return whole, or any other report, gets its header.
    return_full = any_failed and ret != "HDRS" and len(original) <= max_full_size

    message_id = make_message_id(message_id_domain, random_bytes)
    returned = _crlf(original if return_full else original[: header_end(original)])
    boundary = mime_boundary(returned, random_bytes, prefix="=_dsn_")

    explanation = _explanation(
        reporting_mta, recipients, return_full, arrival_date, tz_offset_minutes
    )
    status_part = _delivery_status(
        reporting_mta, original_envelope_id, arrival_date, recipients, tz_offset_minutes
    )
    headers = header_lines(
        [
            # RFC 3464 §2: the DSN comes from the reporting MTA's postmaster ...
            ("From", format_address(FROM_NAME, postmaster_address)),
            # ... and goes to the envelope return address of the original.
            ("To", format_address(None, sender_address)),
            ("Subject", encode_header_value(_subject(recipients), field_name="Subject")),
            ("Date", format_date(now, tz_offset_minutes)),  # RFC 5322 §3.6.1
            ("Message-ID", message_id),  # RFC 5322 §3.6.4
            *_references(original),
            # RFC 3834 §5: an automatic response; answering machines must not reply.
            ("Auto-Submitted", "auto-replied"),
            ("MIME-Version", "1.0"),  # RFC 2045 §4
            # RFC 6522 §3: multipart/report with the required report-type parameter.
            (
                "Content-Type",
                f'multipart/report; report-type=delivery-status; boundary="{boundary}"',
            ),
        ]
    )
    delimiter = b"--" + boundary.encode("ascii")
    # RFC 6522 §3 / RFC 3464 §2: human part, delivery-status part, returned content.
    # RFC 2045 §6.2 / RFC 2046 §5.2.1: 8-bit content is labelled 8bit (needs 8BITMIME).
    eight_bit = not returned.isascii()
    third_encoding = "8bit" if eight_bit else "7bit"
    if return_full:
        third_type = "message/rfc822"  # RFC 2046 §5.2.1
        third_description = "Undelivered Message"
    else:
        # RFC 6522 §4; 8-bit header text is RFC 6532 UTF-8, not the us-ascii default.
        third_type = "text/rfc822-headers; charset=utf-8" if eight_bit else "text/rfc822-headers"
        third_description = "Message Headers"
    third = header_lines(
        [
            ("Content-Type", third_type),
            ("Content-Description", third_description),
            ("Content-Transfer-Encoding", third_encoding),
        ]
    )
    return b"".join(
        [
            headers,
            b"\r\n",
            # RFC 2046 §5.1.1 preamble, for readers without MIME.
            b"This is a MIME-encapsulated message with a delivery status report.\r\n",
            b"\r\n",
            delimiter,
            b"\r\n",
            explanation,
            b"\r\n",
            delimiter,
            b"\r\n",
            status_part,
            b"\r\n",
            delimiter,
            b"\r\n",
            third,
            b"\r\n",
            returned,
            b"\r\n",
            delimiter,
            b"--\r\n",
        ]
    )


def is_bounce_loop_risk(raw: bytes) -> bool:
    """True when ``raw`` is itself an automatic message: a report or an auto-reply.

    That is ``Auto-Submitted`` with any value but ``no`` (RFC 3834 §5.1, §2), or a
    multipart/report content type (RFC 6522 §3: DSNs, MDNs, feedback reports). Such
    messages normally come from the null sender, which already gets no DSN (RFC 3464 §2);
    the ones that do not are broken responders whose report to a report would bounce back
    and forth. The caller decides what to skip: at least delay and success reports, and
    failure reports by local policy (RFC 3834 §2 asks responders not to answer them).
    """
    for field in split_header_fields(raw, 0, header_end(raw)):
        if field.lname == "auto-submitted":
            keyword = strip_comments(header_bytes_to_str(field.unfolded)).split(";")[0]
            # RFC 3834 §5.1: "no" is the only value saying a person sent it.
            if keyword.strip().lower() != "no":
                return True
        elif field.lname == "content-type":
            parsed = parse_content_type(header_bytes_to_str(field.unfolded))
            if parsed is not None and parsed[:2] == ("multipart", "report"):
                return True
    return False


def parse_dsn(raw: bytes) -> list[dict[str, str]]:
    """The field groups of the first delivery-status part of ``raw`` (RFC 3464 §2.1).

    Item 0 holds the per-message fields (``reporting-mta``, ``arrival-date``...), each
    later item one recipient's fields (``final-recipient``, ``action``, ``status``...).
    Keys are lower-case field names, values unfolded text, as written (``"rfc822;
    bob@example.net"``): a minimal reader for tests and the webmail. An empty list when
    there is no message/delivery-status or message/global-delivery-status part.
    """
    parsed = parse_message(raw)
    for part in iter_parts(parsed.root):
        if part.type == "message" and part.subtype in (
            "delivery-status",
            "global-delivery-status",  # RFC 6533 §6.2
        ):
            body = decode_transfer_encoding(raw[part.body_start : part.end], part.encoding)
            return _field_groups(body)
    return []


# --- the three parts -----------------------------------------------------------------------


def _subject(recipients: Sequence[RecipientStatus]) -> str:
    actions = {recipient.action for recipient in recipients}
    if "failed" in actions:
        return SUBJECT_FAILED
    if "delayed" in actions:
        return SUBJECT_DELAYED
    return SUBJECT_DELIVERED


def _references(original: bytes) -> list[tuple[str, str]]:
    """A References field naming the original, so that mail readers thread the report."""
    for field in split_header_fields(original, 0, header_end(original)):
        if field.lname == "message-id":
            value = header_bytes_to_str(field.unfolded).strip()
            if _MSG_ID.fullmatch(value):  # RFC 5322 §3.6.4 msg-id, nothing else
                return [("References", value)]
            return []
    return []


# RFC 3464 §2.3.3: what each action means, told to the sender.
_INTRODUCTIONS: dict[Action, str] = {
    "failed": (
        "Your message could not be delivered to the following {recipients}. The mail "
        "system has given up; it will not try again."
    ),
    "delayed": (
        "Your message has not been delivered yet to the following {recipients}. The mail "
        "system will keep trying, so you do not need to send it again; you will be told if "
        "it finally fails."
    ),
    "delivered": "Your message was delivered to the following {recipients}.",
    # "relayed": passed to a system that does not support DSNs.
    "relayed": (
        "Your message was passed on to the mail system of the following {recipients}, "
        "which does not send delivery reports; you will get no further notice."
    ),
    # "expanded": delivered, then forwarded to several further addresses.
    "expanded": (
        "Your message was delivered to the following {recipients}, which sent it on to "
        "further recipients (a mailing list or an alias)."
    ),
}


def _explanation(
    reporting_mta: str,
    recipients: Sequence[RecipientStatus],
    return_full: bool,
    arrival_date: float | None,
    tz_offset_minutes: int,
) -> bytes:
    """Part 1: the explanation for people (RFC 3464 §2, RFC 6522 §3), as a MIME entity."""
    lines = [f"This is the mail system at {_printable(reporting_mta)}.", ""]
    if arrival_date is not None:
        lines += [
            f"Your message was received on {format_date(arrival_date, tz_offset_minutes)}.",
            "",
        ]
    for action in ACTIONS:
        group = [recipient for recipient in recipients if recipient.action == action]
        if not group:
            continue
        noun = "recipient" if len(group) == 1 else "recipients"
        lines += textwrap.wrap(_INTRODUCTIONS[action].format(recipients=noun), _TEXT_WIDTH)
        lines.append("")
        for recipient in group:
            lines += _recipient_lines(recipient, tz_offset_minutes)
            lines.append("")
    if return_full:
        lines.append("The original message is attached.")
    else:
        lines.append("The header of the original message is attached.")
    text = "\r\n".join(lines) + "\r\n"
    if text.isascii():
        # RFC 2046 §4.1.2: us-ascii, which needs no transfer encoding (RFC 2045 §6.2).
        charset, encoding, body = "us-ascii", "7bit", text.encode("ascii")
    else:
        # Unicode addresses: UTF-8, quoted-printable so that the part stays 7-bit
        # (RFC 2045 §6.7).
        charset, encoding, body = "utf-8", "quoted-printable", quoted_printable(text)
    head = header_lines(
        [
            ("Content-Type", f"text/plain; charset={charset}"),
            ("Content-Description", "Notification"),
            ("Content-Transfer-Encoding", encoding),
        ]
    )
    return head + b"\r\n" + body


def _recipient_lines(recipient: RecipientStatus, tz_offset_minutes: int) -> list[str]:
    indent = " " * 6
    lines = [f"  <{_displayable(recipient.final_recipient)}>"]
    if recipient.original_recipient:
        _, address = _split_typed_address(recipient.original_recipient)
        if address != recipient.final_recipient:
            lines.append(f"{indent}(originally addressed to <{_displayable(address)}>)")
    if recipient.diagnostic_code:
        answer = _diagnostic_text(recipient.diagnostic_code)
        server = (
            f"The server {_printable(recipient.remote_mta)}"
            if recipient.remote_mta
            else "The server"
        )
        # Addresses and hyphenated names stay whole, whatever their length.
        lines += textwrap.wrap(
            f"{server} answered: {answer}",
            _TEXT_WIDTH,
            initial_indent=indent,
            subsequent_indent=indent + "  ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    else:
        subject = _STATUS_SUBJECTS.get(recipient.status.split(".")[1], "problem")
        if recipient.action in ("failed", "delayed"):
            lines.append(f"{indent}Reason: {subject} (status {recipient.status}).")
    if recipient.action == "delayed" and recipient.will_retry_until is not None:
        until = format_date(recipient.will_retry_until, tz_offset_minutes)
        lines.append(f"{indent}Retrying until {until}.")
    return lines


def _delivery_status(
    reporting_mta: str,
    original_envelope_id: str | None,
    arrival_date: float | None,
    recipients: Sequence[RecipientStatus],
    tz_offset_minutes: int,
) -> bytes:
    """Part 2: message/delivery-status (RFC 3464 §2.1-§2.3) as a MIME entity."""
    date = partial(format_date, tz_offset_minutes=tz_offset_minutes)
    # RFC 3464 §2.2 per-message-fields, in the order of the grammar.
    message_fields: list[tuple[str, str]] = []
    if original_envelope_id:
        # §2.2.1: only when the ENVID was given; printable ASCII (RFC 3461 §4.4).
        message_fields.append(("Original-Envelope-Id", _printable(original_envelope_id)))
    # §2.2.2: Reporting-MTA: dns; this host.
    message_fields.append(("Reporting-MTA", _typed_mta(reporting_mta)))
    if arrival_date is not None:
        message_fields.append(("Arrival-Date", date(arrival_date)))  # §2.2.5
    groups = [header_lines(message_fields)]
    for recipient in recipients:
        # RFC 3464 §2.3 per-recipient-fields, in the order of the grammar.
        fields: list[tuple[str, str]] = []
        if recipient.original_recipient:
            # §2.3.1: only when ORCPT was given.
            original = _original_recipient(recipient.original_recipient)
            fields.append(("Original-Recipient", original))
        fields.append(("Final-Recipient", _typed_address(recipient.final_recipient)))  # §2.3.2
        fields.append(("Action", recipient.action))  # §2.3.3
        fields.append(("Status", recipient.status))  # §2.3.4
        if recipient.remote_mta:
            fields.append(("Remote-MTA", _typed_mta(recipient.remote_mta)))  # §2.3.5
        if recipient.diagnostic_code:
            # §2.3.6: what the remote MTA answered.
            fields.append(("Diagnostic-Code", _typed_diagnostic(recipient.diagnostic_code)))
        if recipient.last_attempt is not None:
            fields.append(("Last-Attempt-Date", date(recipient.last_attempt)))  # §2.3.7
        if recipient.action == "delayed" and recipient.will_retry_until is not None:
            # §2.3.9: only for delayed, the time the MTA will stop trying.
            fields.append(("Will-Retry-Until", date(recipient.will_retry_until)))
        groups.append(header_lines(fields))
    head = header_lines(
        [
            ("Content-Type", "message/delivery-status"),  # RFC 3464 §2.1
            ("Content-Description", "Delivery report"),
            # RFC 3464 §2.1: 7bit is sufficient and MUST be used.
            ("Content-Transfer-Encoding", "7bit"),
        ]
    )
    # RFC 3464 §2.1: groups separated by an empty line (delivery-status-content).
    return head + b"\r\n" + b"\r\n".join(groups)


# --- field values --------------------------------------------------------------------------


def _printable(text: str) -> str:
    """Printable ASCII on one line: anything else becomes "?" (the part must be 7-bit)."""
    return _NOT_PRINTABLE.sub(
        lambda match: "?" if match.group().isprintable() else " ", text
    ).strip()


def _displayable(text: str) -> str:
    """Text for the human part: Unicode kept, controls and line breaks made blanks."""
    return "".join(char if char.isprintable() else " " for char in text).strip()


def _typed_mta(name: str) -> str:
    """RFC 3464 §2.2.2 / §2.3.5 ``mta-name-type ; mta-name``: ``dns; host``."""
    if _TYPED_VALUE.match(name):
        return _printable(name)
    return f"dns; {_printable(domain_to_ascii(name.strip()))}"


def _typed_diagnostic(code: str) -> str:
    """RFC 3464 §2.3.6 ``diagnostic-type ; *text``; an untyped answer is an SMTP one."""
    # Multi-line SMTP replies arrive with line breaks: one line of printable ASCII.
    text = _printable(" ".join(code.split()))
    return text if _TYPED_VALUE.match(text) else f"smtp; {text}"


def _diagnostic_text(code: str) -> str:
    text = _displayable(" ".join(code.split()))
    if _TYPED_VALUE.match(text):
        text = text.split(";", 1)[1].strip()
    return text


def _split_typed_address(value: str) -> tuple[str | None, str]:
    """``("rfc822", "a@b")`` for ``"rfc822;a@b"``, ``(None, value)`` for a bare address."""
    match = _ADDRESS_TYPE.fullmatch(value.strip())
    if match is not None and "@" not in match.group(1):
        return match.group(1).lower(), match.group(2).strip()
    return None, value.strip()


def _typed_address(address: str) -> str:
    """RFC 3464 §2.3.2 ``address-type ; generic-address`` for an SMTP address.

    ASCII addresses are ``rfc822``; a non-ASCII domain after an ASCII local part is written
    with A-labels and stays ``rfc822``; a non-ASCII local part needs the ``utf-8`` type, in
    its 7-bit utf-8-addr-xtext form (RFC 6533 §3).
    """
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if at and local.isascii() and not domain.isascii():
        address = f"{local}@{domain_to_ascii(domain)}"
    if address.isascii() and address.isprintable():
        return f"rfc822; {address}"
    return f"utf-8; {_utf8_addr_xtext(address)}"


def _original_recipient(value: str) -> str:
    """RFC 3464 §2.3.1 Original-Recipient from the decoded ORCPT (RFC 3461 §4.2)."""
    address_type, address = _split_typed_address(value)
    if address_type is None or (address_type == "rfc822" and not address.isascii()):
        return _typed_address(address)
    if address_type == "utf-8" and not address.isascii():
        return f"utf-8; {_utf8_addr_xtext(address)}"
    # Any other registered type, or utf-8 already in xtext form: kept, 7-bit only.
    return f"{address_type}; {_printable(address)}"


def _utf8_addr_xtext(address: str) -> str:
    r"""RFC 6533 §3 utf-8-addr-xtext: QCHAR as is, anything else ``\x{HEX}``.

    HEXPOINT is upper-case hex without leading zeros, at least two digits.
    """
    return "".join(char if char in _QCHAR else f"\\x{{{ord(char):02X}}}" for char in address)


# --- MIME helpers --------------------------------------------------------------------------


def _crlf(data: bytes) -> bytes:
    """Every line ending as CRLF (RFC 5322 §2.1, RFC 2046 §4.1.1 canonical form)."""
    return _LINE_ENDINGS.sub(b"\r\n", data)


def _field_groups(body: bytes) -> list[dict[str, str]]:
    groups: list[dict[str, str]] = []
    for chunk in _GROUP_SEPARATOR.split(b"\n" + body.strip(b"\r\n") + b"\n"):
        block = chunk.strip(b"\r\n") + b"\r\n"
        if block == b"\r\n":
            continue
        end, _ = find_header_end(block)
        fields: dict[str, str] = {}
        for field in split_header_fields(block, 0, end):
            fields.setdefault(field.lname, decode_header_value(field.value))
        if fields:
            groups.append(fields)
    return groups
