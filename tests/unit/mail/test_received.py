"""Trace fields: Received (RFC 5321 §4.4, RFC 3848, RFC 6531 §3.7.3, RFC 8314 §7) and
Return-Path, checked as exact text and read back by the stdlib ``email`` package."""

from __future__ import annotations

import email
import email.policy
import email.utils

import pytest

from courriel.mail import parse_date, unfold
from courriel.mail.received import (
    WITH_PROTOCOLS,
    received_header,
    received_protocol,
    return_path_header,
)

NOW = 1_700_000_000  # Tue, 14 Nov 2023 22:13:20 UTC
DATE = "Tue, 14 Nov 2023 22:13:20 +0000"
TLS13 = ("TLSv1.3", "TLS_AES_256_GCM_SHA384")


def received(**overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "from_helo": "mail.example.net",
        "from_ip": "192.0.2.1",
        "from_rdns": "mail.example.net",
        "by_host": "mx.example.org",
        "protocol": "ESMTP",
        "tls": None,
        "queue_id": "4AB2C9",
        "for_recipient": None,
        "now": NOW,
    }
    arguments.update(overrides)
    return received_header(**arguments)  # type: ignore[arg-type]


def unfolded(field: bytes) -> str:
    assert field.endswith(b"\r\n")
    return unfold(field[:-2]).decode("utf-8")


def test_plain_esmtp_one_recipient() -> None:
    field = received(for_recipient="bob@example.org")
    assert field == (
        b"Received: from mail.example.net (mail.example.net [192.0.2.1])\r\n"
        b" by mx.example.org with ESMTP id 4AB2C9 for <bob@example.org>;\r\n"
        b" " + DATE.encode() + b"\r\n"
    )


def test_tls_records_version_and_cipher() -> None:
    field = received(protocol="ESMTPS", tls=TLS13, for_recipient="bob@example.org")
    assert unfolded(field) == (
        "Received: from mail.example.net (mail.example.net [192.0.2.1])"
        " by mx.example.org with ESMTPS (TLSv1.3 TLS_AES_256_GCM_SHA384) id 4AB2C9"
        " for <bob@example.org> tls TLS_AES_256_GCM_SHA384; " + DATE
    )


def test_authenticated_submission_several_recipients() -> None:
    field = received(
        from_helo="[192.0.2.7]",
        from_ip="192.0.2.7",
        from_rdns=None,
        by_host="submit.example.org",
        protocol="ESMTPSA",
        tls=TLS13,
    )
    assert unfolded(field) == (
        "Received: from [192.0.2.7] ([192.0.2.7]) by submit.example.org"
        " with ESMTPSA (TLSv1.3 TLS_AES_256_GCM_SHA384) id 4AB2C9"
        " tls TLS_AES_256_GCM_SHA384; " + DATE
    )
    assert b" for " not in field


def test_tls12_openssl_cipher_names_map_to_registered_names() -> None:
    field = received(protocol="ESMTPS", tls=("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"))
    text = unfolded(field)
    assert "(TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384)" in text
    assert " tls TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384;" in text


def test_unknown_cipher_names_get_no_tls_clause() -> None:
    text = unfolded(received(protocol="ESMTPS", tls=("TLSv1.2", "AES256-SHA")))
    assert "(TLSv1.2 AES256-SHA)" in text
    assert " tls " not in text


def test_ipv6_peer_without_reverse_name() -> None:
    text = unfolded(received(from_helo="client.example", from_ip="2001:DB8::1", from_rdns=None))
    assert text.startswith("Received: from client.example ([IPv6:2001:db8::1]) by ")


def test_ipv4_mapped_peer_is_shown_as_ipv4() -> None:
    text = unfolded(received(from_ip="::ffff:192.0.2.9", from_rdns=None))
    assert "(mail.example.net [192.0.2.9])" not in text
    assert "from mail.example.net ([192.0.2.9])" in text


def test_utf8_session_and_recipient() -> None:
    field = received(protocol="UTF8SMTPS", tls=TLS13, for_recipient="jörg@bücher.example")
    assert "for <jörg@bücher.example>" in unfolded(field)  # RFC 6531 §3.7.3


def test_hostile_helo_is_cleaned() -> None:
    field = received(from_helo="evil\r\nBcc: victim@example.org (x) [y]", from_rdns=None)
    assert all(line.startswith(b" ") for line in field[:-2].split(b"\r\n")[1:])
    text = unfolded(field)
    assert text.startswith("Received: from evil__Bcc__victim_example.org__x___y_ ([192.0.2.1])")
    message = email.message_from_bytes(field + b"\r\n", policy=email.policy.default)
    assert message.keys() == ["Received"]


def test_empty_helo_and_idn_names() -> None:
    text = unfolded(received(from_helo="", from_rdns="bücher.example."))
    assert text.startswith("Received: from unknown (xn--bcher-kva.example [192.0.2.1])")


def test_lines_fold_within_78_columns() -> None:
    field = received(
        from_helo="a-rather-long-client-name.subdomain.example.net",
        from_rdns="a-rather-long-reverse-name.subdomain.example.net",
        protocol="ESMTPSA",
        tls=("TLSv1.2", "ECDHE-ECDSA-CHACHA20-POLY1305"),
        for_recipient="someone.with.a.long.name@subdomain.example.org",
    )
    lines = field[:-2].split(b"\r\n")
    assert len(lines) >= 3
    assert all(len(line) <= 78 for line in lines)
    assert all(line.startswith(b" ") for line in lines[1:])


def test_stdlib_reads_the_field_and_its_date() -> None:
    field = received(protocol="ESMTPS", tls=TLS13, for_recipient="bob@example.org")
    message = email.message_from_bytes(field + b"\r\nbody\r\n", policy=email.policy.default)
    value = str(message["Received"])
    assert value.startswith("from mail.example.net (mail.example.net [192.0.2.1]) by ")
    date_text = value.rsplit(";", 1)[1].strip()
    assert email.utils.parsedate_to_datetime(date_text).timestamp() == NOW
    assert parse_date(date_text) == NOW


def test_time_zone_offset() -> None:
    assert unfolded(received(tz_offset_minutes=60)).endswith("; Tue, 14 Nov 2023 23:13:20 +0100")


@pytest.mark.parametrize(
    ("protocol", "tls"),
    [("ESMTP", TLS13), ("ESMTPS", None), ("ESMTPSA", None), ("ESMTPA", TLS13)],
)
def test_protocol_must_match_tls(protocol: str, tls: tuple[str, str] | None) -> None:
    with pytest.raises(ValueError, match="TLS"):
        received(protocol=protocol, tls=tls)


@pytest.mark.parametrize("protocol", ["esmtp", "HTTP", "ESMTPX", ""])
def test_unregistered_protocols_are_refused(protocol: str) -> None:
    with pytest.raises(ValueError, match="protocol"):
        received(protocol=protocol)


@pytest.mark.parametrize("queue_id", ["", "a b", "id;x", "a\r\nb"])
def test_queue_id_must_be_an_atom(queue_id: str) -> None:
    with pytest.raises(ValueError, match="queue id"):
        received(queue_id=queue_id)


@pytest.mark.parametrize("by_host", ["", "mx example", "mx\r\n.example"])
def test_own_host_name_is_checked(by_host: str) -> None:
    with pytest.raises(ValueError, match="host"):
        received(by_host=by_host)


@pytest.mark.parametrize("recipient", ["a\r\nb@x", "<a@b>", "a b@x"])
def test_recipient_is_checked(recipient: str) -> None:
    with pytest.raises(ValueError, match="mailbox"):
        received(for_recipient=recipient)


def test_bad_ip_is_refused() -> None:
    with pytest.raises(ValueError, match="IP"):
        received(from_ip="not-an-ip")


@pytest.mark.parametrize(
    ("tls", "authenticated", "utf8", "lmtp", "expected"),
    [
        (False, False, False, False, "ESMTP"),
        (True, False, False, False, "ESMTPS"),
        (False, True, False, False, "ESMTPA"),
        (True, True, False, False, "ESMTPSA"),
        (True, True, True, False, "UTF8SMTPSA"),
        (False, False, True, False, "UTF8SMTP"),
        (False, False, False, True, "LMTP"),
        (True, True, True, True, "UTF8LMTPSA"),
    ],
)
def test_received_protocol(
    tls: bool, authenticated: bool, utf8: bool, lmtp: bool, expected: str
) -> None:
    name = received_protocol(tls=tls, authenticated=authenticated, utf8=utf8, lmtp=lmtp)
    assert name == expected
    assert name in WITH_PROTOCOLS


def test_return_path() -> None:
    assert return_path_header("alice@example.org") == b"Return-Path: <alice@example.org>\r\n"
    assert return_path_header("") == b"Return-Path: <>\r\n"
    message = email.message_from_bytes(
        return_path_header("alice@example.org") + b"\r\n", policy=email.policy.default
    )
    assert message["Return-Path"] == "<alice@example.org>"


@pytest.mark.parametrize("sender", ["a\r\nBcc: b@x", "<a@b>", "a b@x"])
def test_return_path_refuses_bad_senders(sender: str) -> None:
    with pytest.raises(ValueError, match="mailbox"):
        return_path_header(sender)
