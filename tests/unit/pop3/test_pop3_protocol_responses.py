"""POP3 responses: +OK/-ERR with RESP-CODES (RFC 2449 §8, RFC 3206), listings, CAPA by state."""

from __future__ import annotations

from typing import Literal

import pytest

from courriel.pop3 import (
    EXPIRE_NEVER,
    MAX_RESPONSE_LINE,
    CapabilitySettings,
    RespCode,
    capa_reply,
    capability_lines,
    dot_unstuff,
    err,
    is_valid_unique_id,
    listing_reply,
    octets_status,
    ok,
    scan_listing,
    scan_listings,
    stat_reply,
    unique_id_listing,
    unique_id_listings,
)
from courriel.pop3.state import Maildrop, MaildropMessage
from courriel.storage.records import MessageContent


class TestStatusLines:
    def test_ok(self) -> None:
        assert ok() == b"+OK\r\n"
        assert ok("maildrop has 2 messages") == b"+OK maildrop has 2 messages\r\n"

    def test_err(self) -> None:
        assert err("no such message") == b"-ERR no such message\r\n"

    @pytest.mark.parametrize(
        ("code", "line"),
        [
            (RespCode.AUTH, b"-ERR [AUTH] authentication failed\r\n"),
            (RespCode.SYS_TEMP, b"-ERR [SYS/TEMP] authentication failed\r\n"),
            (RespCode.SYS_PERM, b"-ERR [SYS/PERM] authentication failed\r\n"),
            (RespCode.IN_USE, b"-ERR [IN-USE] authentication failed\r\n"),
            (RespCode.LOGIN_DELAY, b"-ERR [LOGIN-DELAY] authentication failed\r\n"),
            (RespCode.UTF8, b"-ERR [UTF8] authentication failed\r\n"),
        ],
    )
    def test_err_with_response_code(self, code: RespCode, line: bytes) -> None:
        assert err("authentication failed", code) == line

    def test_err_with_a_code_alone(self) -> None:
        assert err("", RespCode.IN_USE) == b"-ERR [IN-USE]\r\n"

    def test_utf8_text(self) -> None:
        assert ok("déjà") == "+OK déjà\r\n".encode()

    @pytest.mark.parametrize("text", ["a\r\n-ERR forged", "a\nb", "a\rb", "a\0b"])
    def test_no_line_breaks_in_text(self, text: str) -> None:
        with pytest.raises(ValueError, match="CR, LF or NUL"):
            ok(text)
        with pytest.raises(ValueError, match="CR, LF or NUL"):
            err(text)

    def test_at_most_512_octets(self) -> None:
        longest = "x" * (MAX_RESPONSE_LINE - len(b"+OK \r\n"))
        assert len(ok(longest)) == MAX_RESPONSE_LINE
        with pytest.raises(ValueError, match="512"):
            ok(longest + "x")


class TestListings:
    def test_stat(self) -> None:
        assert stat_reply(2, 320) == b"+OK 2 320\r\n"  # RFC 1939 §5 example
        assert stat_reply(0, 0) == b"+OK 0 0\r\n"

    def test_scan_listing(self) -> None:
        assert scan_listing(2, 200) == "2 200"
        assert ok(scan_listing(2, 200)) == b"+OK 2 200\r\n"

    def test_unique_id_listing(self) -> None:
        assert unique_id_listing(2, "QhdPYR:00WBw1Ph7x7") == "2 QhdPYR:00WBw1Ph7x7"

    @pytest.mark.parametrize("value", ["a", "x" * 70, "!~", "1700000000.42"])
    def test_valid_unique_ids(self, value: str) -> None:
        assert is_valid_unique_id(value)

    @pytest.mark.parametrize("value", ["", "x" * 71, "a b", "a\tb", "é", "a\x7f"])
    def test_invalid_unique_ids(self, value: str) -> None:
        assert not is_valid_unique_id(value)
        with pytest.raises(ValueError, match="RFC 1939"):
            unique_id_listing(1, value)

    def test_octets_status(self) -> None:
        assert octets_status(120) == ok("120 octets")  # RFC 1939 §5 RETR example
        assert octets_status(0) == b"+OK 0 octets\r\n"

    def test_scan_listings_are_the_scan_listing_lines(self) -> None:
        sizes = [120, 200, 1, 33]
        assert scan_listings(sizes) == b"".join(
            scan_listing(number, size).encode() + b"\r\n" for number, size in enumerate(sizes, 1)
        )
        assert scan_listings(sizes, {2, 4}) == b"1 120\r\n3 1\r\n"  # the deleted left out
        assert scan_listings([]) == b""

    def test_unique_id_listings_are_the_unique_id_listing_lines(self) -> None:
        ids = ["1700000000.1", "1700000000.2", "1700000000.9"]
        assert unique_id_listings(ids) == b"1 1700000000.1\r\n2 1700000000.2\r\n3 1700000000.9\r\n"
        assert unique_id_listings(ids, {1}) == b"2 1700000000.2\r\n3 1700000000.9\r\n"

    def test_the_maildrop_unique_ids_are_valid_at_their_largest(self) -> None:
        # unique_id_listings does not check ids: the maildrop's must be valid by their form.
        largest = 2**63 - 1  # UIDVALIDITY and UIDs are 32-bit in IMAP; SQLite integers 64
        content = MessageContent(largest, 10, 10, "0" * 64, True)
        maildrop = Maildrop(1, 1, largest, [MaildropMessage(content, 10)])
        [unique_id] = maildrop.unique_ids()
        assert unique_id == maildrop.unique_id(maildrop.messages[0])
        assert is_valid_unique_id(unique_id)

    def test_listing_reply(self) -> None:
        reply = listing_reply("2 messages (320 octets)", scan_listings([120, 200]))
        assert reply == b"+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n"
        _, _, body = reply.partition(b"\r\n")
        assert dot_unstuff(body) == b"1 120\r\n2 200\r\n"
        assert listing_reply("0 messages (0 octets)", b"") == b"+OK 0 messages (0 octets)\r\n.\r\n"


DEFAULTS = CapabilitySettings()


def lines(
    settings: CapabilitySettings = DEFAULTS,
    *,
    authenticated: bool = False,
    tls_active: bool = False,
    plaintext_login_allowed: bool = False,
) -> list[str]:
    return capability_lines(
        settings,
        authenticated=authenticated,
        tls_active=tls_active,
        plaintext_login_allowed=plaintext_login_allowed,
    )


class TestCapabilities:
    """RFC 2449 §5 and §6, RFC 2595 §4, RFC 3206 §6, RFC 6856 §2."""

    def test_before_tls(self) -> None:
        assert lines() == [
            "TOP",
            "UIDL",
            "SASL SCRAM-SHA-256",
            "RESP-CODES",
            "AUTH-RESP-CODE",
            "PIPELINING",
            "EXPIRE NEVER",
            "UTF8 USER",
            "STLS",
        ]

    def test_after_tls(self) -> None:
        assert lines(tls_active=True, plaintext_login_allowed=True) == [
            "TOP",
            "UIDL",
            "USER",
            "SASL SCRAM-SHA-256 PLAIN LOGIN",
            "RESP-CODES",
            "AUTH-RESP-CODE",
            "PIPELINING",
            "EXPIRE NEVER",
            "UTF8 USER",
        ]

    def test_cleartext_allowed_without_tls(self) -> None:
        found = lines(plaintext_login_allowed=True)
        assert "USER" in found
        assert "SASL SCRAM-SHA-256 PLAIN LOGIN" in found
        assert "STLS" in found

    def test_after_login(self) -> None:
        assert lines(authenticated=True, tls_active=True, plaintext_login_allowed=True) == [
            "TOP",
            "UIDL",
            "RESP-CODES",
            "AUTH-RESP-CODE",
            "PIPELINING",
            "EXPIRE NEVER",
            "UTF8 USER",
        ]

    def test_no_stls_on_implicit_tls_or_without_certificate(self) -> None:
        assert "STLS" not in lines(tls_active=True)
        assert "STLS" not in lines(CapabilitySettings(starttls_available=False))
        assert "STLS" not in lines(authenticated=True)

    def test_no_sasl_line_without_mechanisms(self) -> None:
        settings = CapabilitySettings(sasl_mechanisms=("PLAIN",))
        assert not any(line.startswith("SASL") for line in lines(settings))
        assert "SASL PLAIN" in lines(settings, plaintext_login_allowed=True)

    @pytest.mark.parametrize(
        ("expire", "varies", "before", "after"),
        [
            (EXPIRE_NEVER, False, "EXPIRE NEVER", "EXPIRE NEVER"),
            (0, False, "EXPIRE 0", "EXPIRE 0"),
            (30, False, "EXPIRE 30", "EXPIRE 30"),
            (30, True, "EXPIRE 30 USER", "EXPIRE 30"),
        ],
    )
    def test_expire(
        self, expire: int | Literal["NEVER"], varies: bool, before: str, after: str
    ) -> None:
        settings = CapabilitySettings(expire=expire, expire_varies_by_user=varies)
        assert before in lines(settings)
        assert after in lines(settings, authenticated=True)

    def test_expire_not_announced(self) -> None:
        settings = CapabilitySettings(expire=None)
        assert not any(line.startswith("EXPIRE") for line in lines(settings))

    def test_login_delay(self) -> None:
        assert not any(line.startswith("LOGIN-DELAY") for line in lines())
        settings = CapabilitySettings(login_delay=900, login_delay_varies_by_user=True)
        assert "LOGIN-DELAY 900 USER" in lines(settings)
        assert "LOGIN-DELAY 900" in lines(settings, authenticated=True)

    def test_utf8_and_implementation(self) -> None:
        assert "UTF8" in lines(CapabilitySettings(utf8_user=False))
        assert not any(line.startswith("UTF8") for line in lines(CapabilitySettings(utf8=False)))
        found = lines(CapabilitySettings(implementation="courriel"))
        assert found[-1] == "IMPLEMENTATION courriel"

    def test_invalid_settings(self) -> None:
        with pytest.raises(ValueError, match=r"RFC 2449 §6\.7"):
            CapabilitySettings(expire=-1)
        with pytest.raises(ValueError, match=r"RFC 2449 §6\.5"):
            CapabilitySettings(login_delay=-5)
        with pytest.raises(ValueError, match=r"RFC 2449 §6\.9"):
            CapabilitySettings(implementation="two\nlines")

    def test_capa_reply(self) -> None:
        reply = capa_reply(
            DEFAULTS, authenticated=False, tls_active=True, plaintext_login_allowed=True
        )
        assert reply.startswith(b"+OK Capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\n")
        assert reply.endswith(b"\r\nUTF8 USER\r\n.\r\n")
