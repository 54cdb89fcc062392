"""The EHLO reply (RFC 5321 §4.1.1.1 and the extension RFCs) and the parameters it enables."""

from __future__ import annotations

import pytest

from courriel.smtp.protocol.commands import MailFrom, parse_command
from courriel.smtp.protocol.errors import SmtpSyntaxError
from courriel.smtp.protocol.extensions import (
    Capabilities,
    ehlo_keywords,
    ehlo_reply,
    offered_extensions,
    parse_ehlo_reply,
)
from courriel.smtp.protocol.replies import Reply, ReplyParser


def test_before_starttls() -> None:
    capabilities = Capabilities(max_message_size=35882577, starttls_available=True)
    assert ehlo_reply("mx.example.org", capabilities, greeting="at your service").to_bytes() == (
        b"250-mx.example.org at your service\r\n"
        b"250-PIPELINING\r\n"
        b"250-SIZE 35882577\r\n"
        b"250-STARTTLS\r\n"
        b"250-ENHANCEDSTATUSCODES\r\n"
        b"250-8BITMIME\r\n"
        b"250-SMTPUTF8\r\n"
        b"250 CHUNKING\r\n"
    )


def test_after_starttls_on_submission() -> None:
    capabilities = Capabilities(
        max_message_size=1000,
        starttls_available=True,
        tls_active=True,
        auth_mechanisms=("SCRAM-SHA-256", "PLAIN", "LOGIN"),
        dsn=True,
        binary_mime=True,
        requiretls=True,
    )
    assert ehlo_keywords(capabilities) == (
        "PIPELINING",
        "SIZE 1000",
        "AUTH SCRAM-SHA-256 PLAIN LOGIN",  # RFC 4954 §3
        "ENHANCEDSTATUSCODES",
        "8BITMIME",
        "DSN",
        "SMTPUTF8",
        "CHUNKING",
        "BINARYMIME",
        "REQUIRETLS",  # RFC 8689: only over TLS
    )  # no STARTTLS once TLS is active (RFC 3207 §4.2)


def test_minimal() -> None:
    capabilities = Capabilities(
        pipelining=False,
        eight_bit_mime=False,
        smtputf8=False,
        chunking=False,
        enhanced_status_codes=False,
    )
    assert ehlo_reply("mx.example.org", capabilities) == Reply(
        250, None, ("mx.example.org", "SIZE")
    )


def test_requiretls_is_not_offered_without_tls() -> None:
    capabilities = Capabilities(requiretls=True, tls_active=False)
    assert "REQUIRETLS" not in ehlo_keywords(capabilities)
    assert "REQUIRETLS" not in offered_extensions(capabilities)


def test_hostname_is_an_a_label() -> None:
    reply = ehlo_reply("mx.bücher.example", Capabilities())
    assert reply.lines[0] == "mx.xn--bcher-kva.example"  # RFC 6531 §3.7.1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"binary_mime": True, "chunking": False}, "BINARYMIME requires CHUNKING"),
        ({"smtputf8": True, "eight_bit_mime": False}, "SMTPUTF8 requires 8BITMIME"),
        ({"max_message_size": -1}, "must not be negative"),
    ],
)
def test_inconsistent_capabilities(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Capabilities(**arguments)  # type: ignore[arg-type]


def test_offered_extensions_gate_the_parameters() -> None:
    plain = Capabilities(dsn=False)
    with_dsn = Capabilities(dsn=True)
    line = b"MAIL FROM:<a@b.example> RET=HDRS\r\n"
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_command(line, extensions=offered_extensions(plain))
    assert raised.value.reply.code == 555
    assert isinstance(parse_command(line, extensions=offered_extensions(with_dsn)), MailFrom)
    assert offered_extensions(Capabilities(auth_mechanisms=("PLAIN",))) >= {
        "AUTH",
        "SIZE",
        "8BITMIME",
    }
    assert "AUTH" not in offered_extensions(Capabilities())


def test_client_reads_the_ehlo_reply_back() -> None:
    capabilities = Capabilities(
        max_message_size=1000, starttls_available=True, auth_mechanisms=("PLAIN",)
    )
    wire = ehlo_reply("mx.example.org", capabilities).to_bytes()
    [reply] = ReplyParser().feed(wire)
    assert parse_ehlo_reply(reply) == {
        "PIPELINING": "",
        "SIZE": "1000",
        "STARTTLS": "",
        "AUTH": "PLAIN",
        "ENHANCEDSTATUSCODES": "",
        "8BITMIME": "",
        "SMTPUTF8": "",
        "CHUNKING": "",
    }
    assert parse_ehlo_reply(Reply(250, None, ("mx", "auth  login plain ", "x-custom"))) == {
        "AUTH": "login plain",
        "X-CUSTOM": "",
    }
