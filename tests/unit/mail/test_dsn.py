"""Delivery status notifications (RFC 3464, RFC 3461, RFC 6522, RFC 6533): structure read
back with ``courriel.mail.parse_message`` and, independently, with the stdlib ``email``."""

from __future__ import annotations

import email
import email.message
import email.policy
import itertools
from collections.abc import Sequence

import pytest

from courriel.mail import iter_parts, parse_message
from courriel.mail.compose import RandomBytes
from courriel.mail.dsn import (
    SUBJECT_DELAYED,
    SUBJECT_DELIVERED,
    SUBJECT_FAILED,
    RecipientStatus,
    build_dsn,
    is_bounce_loop_risk,
    parse_dsn,
)

NOW = 1_700_000_200
ARRIVED = 1_700_000_000
ORIGINAL = (
    b"From: Alice <alice@example.org>\r\n"
    b"To: bob@example.net\r\n"
    b"Subject: Lunch?\r\n"
    b"Message-ID: <lunch-1@example.org>\r\n"
    b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"Shall we meet at noon?\r\n"
)
BOUNCED = RecipientStatus(
    final_recipient="bob@example.net",
    original_recipient="rfc822;bob@example.net",
    action="failed",
    status="5.1.1",
    remote_mta="mx.example.net",
    diagnostic_code="smtp; 550 5.1.1 <bob@example.net>: Recipient address rejected: "
    "User unknown in virtual mailbox table",
    last_attempt=ARRIVED + 60,
)
DELAYED = RecipientStatus(
    final_recipient="carol@example.com",
    action="delayed",
    status="4.4.1",
    remote_mta="mx.example.com",
    diagnostic_code="421 4.4.1 Connection timed out",
    last_attempt=ARRIVED + 3600,
    will_retry_until=ARRIVED + 5 * 86400,
)
DELIVERED = RecipientStatus(final_recipient="dave@example.org", action="delivered", status="2.0.0")


def counting_random() -> RandomBytes:
    counter = itertools.count(1)

    def random_bytes(size: int) -> bytes:
        return bytes([next(counter) % 256]) * size

    return random_bytes


def dsn(
    recipients: Sequence[RecipientStatus] = (BOUNCED,),
    *,
    original: bytes = ORIGINAL,
    ret: str | None = None,
    envid: str | None = "QQ314159",
    **overrides: object,
) -> bytes:
    arguments: dict[str, object] = {
        "reporting_mta": "mx.example.org",
        "original": original,
        "original_envelope_id": envid,
        "ret": ret,
        "recipients": recipients,
        "sender_address": "alice@example.org",
        "postmaster_address": "postmaster@example.org",
        "now": NOW,
        "message_id_domain": "mx.example.org",
        "arrival_date": ARRIVED,
        "random_bytes": counting_random(),
    }
    arguments.update(overrides)
    return build_dsn(**arguments)  # type: ignore[arg-type]


def stdlib(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def parts_of(raw: bytes) -> list[email.message.EmailMessage]:
    return list(stdlib(raw).iter_parts())  # type: ignore[arg-type]


def header_block(raw: bytes) -> dict[str, str]:
    head = raw.split(b"\r\n\r\n", 1)[0]
    message = email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.default)
    return {name: str(value) for name, value in message.items()}


# --- structure -----------------------------------------------------------------------------


def test_three_parts_seen_by_parse_message() -> None:
    raw = dsn()
    parsed = parse_message(raw)
    root = parsed.root
    assert root.content_type == "multipart/report"
    assert root.param("report-type") == "delivery-status"
    assert [child.content_type for child in root.children] == [
        "text/plain",
        "message/delivery-status",
        "message/rfc822",
    ]
    returned = root.children[2]
    assert returned.envelope is not None
    assert returned.envelope.subject == "Lunch?"
    assert returned.envelope.message_id == "<lunch-1@example.org>"
    assert parsed.envelope.subject == SUBJECT_FAILED
    assert parsed.envelope.in_reply_to is None


def test_stdlib_sees_a_valid_multipart_report() -> None:
    raw = dsn()
    message = stdlib(raw)
    assert message.defects == []
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    assert message.is_multipart()
    human, status, returned = parts_of(raw)
    for part in (human, status, returned):
        assert part.defects == []
    assert human.get_content_type() == "text/plain"
    assert status.get_content_type() == "message/delivery-status"
    assert returned.get_content_type() == "message/rfc822"
    # The stdlib splits message/delivery-status into its field groups (RFC 3464 §2.1).
    groups = status.get_payload()
    assert isinstance(groups, list)
    per_message, per_recipient = groups
    assert isinstance(per_message, email.message.Message)
    assert isinstance(per_recipient, email.message.Message)
    assert per_message["Reporting-MTA"] == "dns; mx.example.org"
    assert per_recipient["Final-Recipient"] == "rfc822; bob@example.net"
    assert per_recipient["Action"] == "failed"
    assert per_recipient["Status"] == "5.1.1"
    inner = returned.get_content()
    assert inner["Subject"] == "Lunch?"
    assert inner.get_content() == "Shall we meet at noon?\r\n"


def test_top_level_headers() -> None:
    fields = header_block(dsn())
    assert fields["From"] == "Mail Delivery System <postmaster@example.org>"
    assert fields["To"] == "alice@example.org"
    assert fields["Subject"] == "Undelivered Mail Returned to Sender"
    assert fields["Date"] == "Tue, 14 Nov 2023 22:16:40 +0000"
    assert fields["Message-ID"] == "<aeaqcaibaeaqcaibaeaqcaibae@mx.example.org>"
    assert fields["References"] == "<lunch-1@example.org>"
    assert fields["Auto-Submitted"] == "auto-replied"
    assert fields["MIME-Version"] == "1.0"
    assert (
        b"Content-Type: multipart/report; report-type=delivery-status;\r\n"
        b' boundary="=_dsn_020202020202020202020202"\r\n\r\n'
    ) in dsn()


def test_delivery_status_fields() -> None:
    groups = parse_dsn(dsn())
    assert groups == [
        {
            "original-envelope-id": "QQ314159",
            "reporting-mta": "dns; mx.example.org",
            "arrival-date": "Tue, 14 Nov 2023 22:13:20 +0000",
        },
        {
            "original-recipient": "rfc822; bob@example.net",
            "final-recipient": "rfc822; bob@example.net",
            "action": "failed",
            "status": "5.1.1",
            "remote-mta": "dns; mx.example.net",
            "diagnostic-code": "smtp; 550 5.1.1 <bob@example.net>: Recipient address "
            "rejected: User unknown in virtual mailbox table",
            "last-attempt-date": "Tue, 14 Nov 2023 22:14:20 +0000",
        },
    ]


def test_delivery_status_text_is_exact() -> None:
    raw = dsn([DELAYED], envid=None)
    parsed = parse_message(raw)
    status = parsed.root.children[1]
    assert raw[status.start : status.end] == (
        b"Content-Type: message/delivery-status\r\n"
        b"Content-Description: Delivery report\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n"
        b"\r\n"
        b"Reporting-MTA: dns; mx.example.org\r\n"
        b"Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
        b"\r\n"
        b"Final-Recipient: rfc822; carol@example.com\r\n"
        b"Action: delayed\r\n"
        b"Status: 4.4.1\r\n"
        b"Remote-MTA: dns; mx.example.com\r\n"
        b"Diagnostic-Code: smtp; 421 4.4.1 Connection timed out\r\n"
        b"Last-Attempt-Date: Tue, 14 Nov 2023 23:13:20 +0000\r\n"
        b"Will-Retry-Until: Sun, 19 Nov 2023 22:13:20 +0000\r\n"
    )


def test_several_recipients_one_group_each() -> None:
    groups = parse_dsn(dsn([BOUNCED, DELAYED, DELIVERED]))
    assert [group.get("final-recipient") for group in groups[1:]] == [
        "rfc822; bob@example.net",
        "rfc822; carol@example.com",
        "rfc822; dave@example.org",
    ]
    assert [group["action"] for group in groups[1:]] == ["failed", "delayed", "delivered"]
    # RFC 3464 §2.3.9: Will-Retry-Until only for delayed recipients.
    assert [("will-retry-until" in group) for group in groups[1:]] == [False, True, False]
    assert "original-recipient" not in groups[2]


def test_crlf_7bit_and_short_lines() -> None:
    for raw in (
        dsn([BOUNCED, DELAYED, DELIVERED]),
        dsn(original=ORIGINAL.replace(b"\r\n", b"\n")),
        dsn(ret="HDRS", original=ORIGINAL.replace(b"\r\n", b"\r")),
    ):
        assert raw.isascii()
        assert b"\n" not in raw.replace(b"\r\n", b"")
        assert b"\r" not in raw.replace(b"\r\n", b"")
        assert all(len(line) <= 78 for line in raw.split(b"\r\n"))


# --- RET -----------------------------------------------------------------------------------


def returned_part(raw: bytes) -> tuple[str, bytes]:
    parsed = parse_message(raw)
    third = parsed.root.children[2]
    return third.content_type, raw[third.body_start : third.end]


def test_ret_full_returns_the_whole_message() -> None:
    content_type, body = returned_part(dsn(ret="FULL"))
    assert content_type == "message/rfc822"
    assert body == ORIGINAL


def test_ret_hdrs_returns_the_header_only() -> None:
    raw = dsn(ret="HDRS")
    content_type, body = returned_part(raw)
    assert content_type == "text/rfc822-headers"
    assert body == ORIGINAL.split(b"\r\n\r\n")[0] + b"\r\n"
    assert b"Shall we meet" not in raw
    assert "header of the original message is attached" in parts_of(raw)[0].get_content()
    assert parts_of(raw)[2].get_content_type() == "text/rfc822-headers"


def test_no_ret_returns_small_messages_whole_and_large_ones_as_header() -> None:
    assert returned_part(dsn(ret=None))[0] == "message/rfc822"
    large = ORIGINAL + b"x" * 200 + b"\r\n"
    assert returned_part(dsn(ret=None, original=large, max_full_size=100))[0] == (
        "text/rfc822-headers"
    )


def test_ret_full_of_a_large_message_returns_the_header() -> None:
    content_type, body = returned_part(dsn(ret="FULL", max_full_size=len(ORIGINAL) - 1))
    assert content_type == "text/rfc822-headers"
    assert b"Shall we meet" not in body


def test_delay_and_success_reports_return_the_header_only() -> None:
    assert returned_part(dsn([DELAYED], ret="FULL"))[0] == "text/rfc822-headers"
    assert returned_part(dsn([DELIVERED], ret="FULL"))[0] == "text/rfc822-headers"


def test_8bit_original_is_labelled_8bit() -> None:
    original = "Subject: Café\r\n\r\nDéjà vu\r\n".encode()
    raw = dsn(original=original, ret="FULL")
    third = parse_message(raw).root.children[2]
    assert third.encoding == "8bit"
    assert raw[third.body_start : third.end] == original
    head, _, _ = raw.partition(
        b"\r\n--=_dsn_020202020202020202020202\r\nContent-Type: message/rfc822"
    )
    assert head.isascii()  # everything before the returned content is 7-bit
    headers_only = dsn(original=original, ret="HDRS")
    third = parse_message(headers_only).root.children[2]
    assert third.encoding == "8bit"
    assert third.charset == "utf-8"


def test_boundary_avoids_the_content() -> None:
    original = ORIGINAL + b"--=_dsn_020202020202020202020202\r\n"
    raw = dsn(original=original, ret="FULL")
    assert stdlib(raw).get_boundary() == "=_dsn_020202020202020202020202_1"
    assert returned_part(raw)[1] == original
    assert len(parse_message(raw).root.children) == 3


# --- human-readable part -------------------------------------------------------------------


def human_text(raw: bytes) -> str:
    text = parts_of(raw)[0].get_content()
    assert isinstance(text, str)
    return text.replace("\r\n", "\n")


def test_failed_text() -> None:
    raw = dsn()
    text = human_text(raw)
    assert text.startswith("This is the mail system at mx.example.org.\n")
    assert "could not be delivered to the following recipient." in text
    assert "<bob@example.net>" in text
    assert "The server mx.example.net answered: 550 5.1.1" in text
    assert "User unknown in virtual mailbox table" in " ".join(text.split())
    assert "The original message is attached." in text
    assert "keep trying" not in text
    assert all(len(line) <= 76 for line in text.splitlines())


def test_delayed_text_and_subject() -> None:
    raw = dsn([DELAYED])
    assert header_block(raw)["Subject"] == SUBJECT_DELAYED
    text = human_text(raw)
    assert "has not been delivered yet" in text
    assert "will keep trying" in text
    assert "Retrying until Sun, 19 Nov 2023 22:13:20 +0000." in text
    assert "could not be delivered" not in text
    assert "The header of the original message is attached." in text


def test_mixed_report_names_each_outcome() -> None:
    raw = dsn([BOUNCED, DELAYED, DELIVERED])
    assert header_block(raw)["Subject"] == SUBJECT_FAILED
    text = human_text(raw)
    assert text.index("could not be delivered") < text.index("not been delivered yet")
    assert text.index("not been delivered yet") < text.index("was delivered to")


def test_success_subject_and_reason_lines() -> None:
    raw = dsn([DELIVERED])
    assert header_block(raw)["Subject"] == SUBJECT_DELIVERED
    assert "Your message was delivered to the following recipient." in human_text(raw)
    failure_without_answer = RecipientStatus(
        final_recipient="eve@example.org", action="failed", status="5.2.2"
    )
    assert "Reason: mailbox problem (status 5.2.2)." in human_text(dsn([failure_without_answer]))


# --- SMTPUTF8 ------------------------------------------------------------------------------


def test_utf8_recipients() -> None:
    recipients = [
        RecipientStatus(
            final_recipient="jörg@bücher.example",
            original_recipient="utf-8;jörg@bücher.example",
            action="failed",
            status="5.1.1",
        ),
        RecipientStatus(final_recipient="info@bücher.example", action="failed", status="5.1.1"),
        RecipientStatus(final_recipient="a+b=c@x.example", action="failed", status="5.1.1"),
    ]
    raw = dsn(recipients)
    assert raw.isascii()
    groups = parse_dsn(raw)
    # RFC 6533 §3: utf-8 type, utf-8-addr-xtext form in a 7-bit delivery-status.
    assert groups[1]["final-recipient"] == "utf-8; j\\x{F6}rg@b\\x{FC}cher.example"
    assert groups[1]["original-recipient"] == "utf-8; j\\x{F6}rg@b\\x{FC}cher.example"
    # An ASCII local part keeps the rfc822 type, its domain in A-labels.
    assert groups[2]["final-recipient"] == "rfc822; info@xn--bcher-kva.example"
    assert groups[3]["final-recipient"] == "rfc822; a+b=c@x.example"
    # People read the addresses as written.
    human = parts_of(raw)[0]
    assert human.get_content_charset() == "utf-8"
    assert human["Content-Transfer-Encoding"] == "quoted-printable"
    assert "<jörg@bücher.example>" in human_text(raw)


def test_utf8_sender_is_written_as_utf8() -> None:
    raw = dsn(sender_address="zoë@example.org")
    assert header_block(raw)["To"] == "zoë@example.org"


def test_original_recipient_forms() -> None:
    def original_recipient(value: str) -> str:
        status = RecipientStatus(
            final_recipient="x@example.org",
            original_recipient=value,
            action="failed",
            status="5.0.0",
        )
        return parse_dsn(dsn([status]))[1]["original-recipient"]

    assert original_recipient("bare@example.org") == "rfc822; bare@example.org"
    assert original_recipient("RFC822; y@example.org") == "rfc822; y@example.org"
    assert original_recipient("rfc822;zoë@example.org") == "utf-8; zo\\x{EB}@example.org"
    assert original_recipient("utf-8;zo\\x{EB}@example.org") == "utf-8; zo\\x{EB}@example.org"
    assert original_recipient("x400;c=us;a=x") == "x400; c=us;a=x"


def test_diagnostics_are_one_printable_line() -> None:
    status = RecipientStatus(
        final_recipient="x@example.org",
        action="failed",
        status="5.7.1",
        diagnostic_code="550-5.7.1 Rejected\r\n550 5.7.1 naïve policy",
    )
    assert parse_dsn(dsn([status]))[1]["diagnostic-code"] == (
        "smtp; 550-5.7.1 Rejected 550 5.7.1 na?ve policy"
    )


# --- validation ----------------------------------------------------------------------------


def test_never_to_the_null_sender() -> None:
    with pytest.raises(ValueError, match="null reverse-path"):
        dsn(sender_address="")


def test_at_least_one_recipient() -> None:
    with pytest.raises(ValueError, match="at least one"):
        dsn([])


def test_ret_values() -> None:
    with pytest.raises(ValueError, match="RET"):
        dsn(ret="SOME")


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("failed", "2.0.0"),
        ("delayed", "5.1.1"),
        ("delivered", "5.0.0"),
        ("relayed", "4.0.0"),
        ("bounced", "5.0.0"),
        ("failed", "5.1"),
        ("failed", "6.1.1"),
        ("failed", "5.1.1234"),
    ],
)
def test_recipient_status_is_checked(action: str, status: str) -> None:
    with pytest.raises(ValueError, match=r"status|action"):
        RecipientStatus(
            final_recipient="x@example.org",
            action=action,  # type: ignore[arg-type]
            status=status,
        )


def test_failure_after_retries_may_carry_a_4xx_status() -> None:
    # RFC 3463 4.4.7: delivery time expired, reported as a failure.
    expired = RecipientStatus(final_recipient="x@example.org", action="failed", status="4.4.7")
    assert parse_dsn(dsn([expired]))[1]["status"] == "4.4.7"


# --- loops ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "risky"),
    [
        (b"Auto-Submitted: auto-replied\r\n", True),
        (b"Auto-Submitted: auto-generated; owner-email=x@y\r\n", True),
        (b"auto-submitted: AUTO-NOTIFIED\r\n", True),
        (b"Auto-Submitted: no\r\n", False),
        (b"Auto-Submitted: No (a person wrote this)\r\n", False),
        (
            b"Content-Type: multipart/report; report-type=disposition-notification;\r\n"
            b' boundary="b"\r\n',
            True,
        ),
        (b"Content-Type: multipart/mixed; boundary=b\r\n", False),
        (b"", False),
    ],
)
def test_bounce_loop_risk(header: bytes, risky: bool) -> None:
    raw = b"From: a@example.org\r\n" + header + b"Subject: x\r\n\r\nbody\r\n"
    assert is_bounce_loop_risk(raw) is risky


def test_a_dsn_is_a_loop_risk_and_its_body_does_not_count() -> None:
    assert is_bounce_loop_risk(dsn())
    assert not is_bounce_loop_risk(b"Subject: x\r\n\r\nAuto-Submitted: auto-replied\r\n")


# --- parse_dsn on other reports ------------------------------------------------------------


def test_parse_dsn_without_a_status_part() -> None:
    assert parse_dsn(ORIGINAL) == []


def test_parse_dsn_reads_foreign_reports() -> None:
    raw = (
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=XX\n"
        b"\n"
        b"--XX\n"
        b"Content-Type: text/plain\n"
        b"\n"
        b"failed\n"
        b"--XX\n"
        b"Content-Type: message/delivery-status\n"
        b"Content-Transfer-Encoding: base64\n"
        b"\n"
        b"UmVwb3J0aW5nLU1UQTogZG5zOyBteC5leGFtcGxlLmNvbQoKRmluYWwtUmVjaXBpZW50OiByZmM4\n"
        b"MjI7IGJvYkBleGFtcGxlLmNvbQpBY3Rpb246IGZhaWxlZApTdGF0dXM6IDUuMC4wCiAgICAKCg==\n"
        b"--XX--\n"
    )
    assert parse_dsn(raw) == [
        {"reporting-mta": "dns; mx.example.com"},
        {"final-recipient": "rfc822; bob@example.com", "action": "failed", "status": "5.0.0"},
    ]


def test_folded_fields_are_unfolded() -> None:
    groups = parse_dsn(dsn())
    assert "\n" not in groups[1]["diagnostic-code"]
    assert "\r\n Recipient" in dsn().decode() or "\r\n rejected" in dsn().decode()


def test_parts_iterate_in_order() -> None:
    types = [part.content_type for part in iter_parts(parse_message(dsn()).root)]
    assert types == [
        "multipart/report",
        "text/plain",
        "message/delivery-status",
        "message/rfc822",
        "text/plain",
    ]
