"""TOTP (RFC 6238) and recovery codes: test vectors, window, replay, enrolment, one-time use."""

from __future__ import annotations

import base64
import math
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from courriel.directory import totp

# RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode("ascii")
RFC_VECTORS = [
    (59, 0x0000000000000001, "94287082"),
    (1111111109, 0x00000000023523EC, "07081804"),
    (1111111111, 0x00000000023523ED, "14050471"),
    (1234567890, 0x000000000273EF07, "89005924"),
    (2000000000, 0x0000000003F940AA, "69279037"),
    (20000000000, 0x0000000027BC86AA, "65353130"),
]

NOW = 1_700_000_000.0


class TestRfc6238Vectors:
    @pytest.mark.parametrize(("now", "step", "code"), RFC_VECTORS)
    def test_eight_digits(self, now: int, step: int, code: str) -> None:
        assert totp.time_step(now) == step
        assert totp.code_at(RFC_SECRET, now=now, digits=8) == code

    @pytest.mark.parametrize(("now", "step", "code"), RFC_VECTORS)
    def test_six_digits_are_the_last_six(self, now: int, step: int, code: str) -> None:
        # RFC 4226 §5.3: the value is taken modulo 10^digits.
        assert totp.code_at(RFC_SECRET, now=now) == code[-6:]
        assert totp.verify(RFC_SECRET, code[-6:], now=now, last_used_step=0) == step

    @pytest.mark.parametrize(("now", "step", "code"), RFC_VECTORS)
    def test_verify_eight_digits(self, now: int, step: int, code: str) -> None:
        assert totp.verify(RFC_SECRET, code, now=now, last_used_step=0, digits=8) == step

    def test_rfc_4226_appendix_d(self) -> None:
        expected = "755224 287082 359152 969429 338314 254676 287922 162583 399871 520489"
        key = b"12345678901234567890"
        assert [totp.hotp(key, counter) for counter in range(10)] == expected.split()

    @given(st.integers(min_value=0, max_value=2**34))
    def test_agrees_with_pyotp(self, now: int) -> None:
        assert totp.code_at(RFC_SECRET, now=now) == pyotp.TOTP(RFC_SECRET).at(now)


class TestVerify:
    secret = RFC_SECRET

    def code(self, now: float) -> str:
        return totp.code_at(self.secret, now=now)

    def test_current_step(self) -> None:
        assert totp.verify(self.secret, self.code(NOW), now=NOW, last_used_step=0) == (
            totp.time_step(NOW)
        )

    @pytest.mark.parametrize("offset", [-1, 1])
    def test_one_step_either_side(self, offset: int) -> None:
        code = self.code(NOW + offset * totp.PERIOD)
        step = totp.time_step(NOW) + offset
        assert totp.verify(self.secret, code, now=NOW, last_used_step=0) == step

    @pytest.mark.parametrize("offset", [-3, -2, 2, 3])
    def test_outside_the_window(self, offset: int) -> None:
        code = self.code(NOW + offset * totp.PERIOD)
        assert totp.verify(self.secret, code, now=NOW, last_used_step=0) is None

    def test_replay_of_the_same_code_is_refused(self) -> None:
        code = self.code(NOW)
        step = totp.verify(self.secret, code, now=NOW, last_used_step=0)
        assert step is not None
        assert totp.verify(self.secret, code, now=NOW, last_used_step=step) is None
        assert totp.verify(self.secret, code, now=NOW + 10, last_used_step=step) is None

    def test_an_older_code_after_a_newer_one_is_refused(self) -> None:
        newer = totp.verify(self.secret, self.code(NOW), now=NOW, last_used_step=0)
        assert newer is not None
        older = self.code(NOW - totp.PERIOD)
        assert totp.verify(self.secret, older, now=NOW, last_used_step=newer) is None

    def test_the_next_code_after_one_is_used(self) -> None:
        used = totp.time_step(NOW)
        later = NOW + totp.PERIOD
        assert totp.verify(self.secret, self.code(later), now=later, last_used_step=used) == (
            used + 1
        )

    @pytest.mark.parametrize("typed", ["{} {}", " {}{} ", "{}-{}", "{}\t{}"])
    def test_spaces_and_dashes_are_ignored(self, typed: str) -> None:
        code = self.code(NOW)
        entry = typed.format(code[:3], code[3:])
        assert totp.verify(self.secret, entry, now=NOW, last_used_step=0) is not None

    @pytest.mark.parametrize(
        "code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "12345x", "+12345"]
    )
    def test_malformed_codes(self, code: str) -> None:
        assert totp.verify(self.secret, code, now=NOW, last_used_step=0) is None

    def test_wrong_code(self) -> None:
        code = self.code(NOW)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        assert totp.verify(self.secret, wrong, now=NOW, last_used_step=0) is None

    def test_secret_may_be_typed_loosely(self) -> None:
        loose = " ".join(re.findall("....", self.secret.lower()))
        assert totp.verify(loose, self.code(NOW), now=NOW, last_used_step=0) is not None

    def test_invalid_secret(self) -> None:
        with pytest.raises(ValueError, match="base32"):
            totp.verify("not base32!", "123456", now=NOW, last_used_step=0)


class TestSecretsAndEnrolment:
    def test_new_secret_is_160_bits_of_base32(self) -> None:
        secret = totp.new_secret()
        assert re.fullmatch("[A-Z2-7]{32}", secret)
        assert len(base64.b32decode(secret)) == 20
        assert totp.new_secret() != secret

    def test_provisioning_uri(self) -> None:
        secret = totp.new_secret()
        uri = totp.provisioning_uri(secret, "alice@example.com", "Courriel mail.example.com")
        parts = urlsplit(uri)
        assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
        assert unquote(parts.path) == "/Courriel mail.example.com:alice@example.com"
        assert parse_qs(parts.query) == {
            "secret": [secret],
            "issuer": ["Courriel mail.example.com"],
        }
        assert " " not in uri

    def test_provisioning_uri_is_what_pyotp_reads(self) -> None:
        secret = totp.new_secret()
        uri = totp.provisioning_uri(secret, "alice@example.com", "Example & Co")
        parsed = pyotp.parse_uri(uri)
        assert isinstance(parsed, pyotp.TOTP)
        assert parsed.secret == secret
        assert parsed.issuer == "Example & Co"
        assert parsed.name == "alice@example.com"
        assert parsed.at(NOW) == totp.code_at(secret, now=NOW)

    def test_provisioning_uri_refuses_colons(self) -> None:
        with pytest.raises(ValueError, match="':'"):
            totp.provisioning_uri(totp.new_secret(), "alice@example.com", "a:b")

    def test_terminal_qr_in_colour(self) -> None:
        text = totp.terminal_qr("otpauth://totp/X:a@b.c?secret=ABCDEFGH&issuer=X")
        lines = text.splitlines()
        assert text.endswith("\n")
        assert all(line.startswith("\x1b[38;5;231;48;5;16m") for line in lines)
        assert all(line.endswith("\x1b[0m") for line in lines)
        plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in lines]
        assert len({len(line) for line in plain}) == 1
        assert set("".join(plain)) <= {" ", "█", "▀", "▄"}
        # Compact: two modules per line, so about half as many lines as columns.
        assert len(plain) == math.ceil(len(plain[0]) / 2)

    def test_terminal_qr_without_colour(self) -> None:
        text = totp.terminal_qr("otpauth://totp/X:a@b.c?secret=ABCDEFGH", colours=False)
        assert "\x1b" not in text
        assert set(text) <= {" ", "█", "▀", "▄", "\n"}


class TestRecoveryCodes:
    def test_format(self) -> None:
        codes = totp.new_recovery_codes()
        assert len(codes) == 10
        assert len(set(codes)) == 10
        for code in codes:
            assert re.fullmatch(r"[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){2}", code)
            assert totp.looks_like_recovery_code(code)

    def test_length_comes_from_the_entropy(self) -> None:
        alphabet = totp.RECOVERY_CODE_ALPHABET
        assert len(set(alphabet)) == len(alphabet) == 32
        assert not set(alphabet) & set("ilou")
        bits = totp.RECOVERY_CODE_LENGTH * math.log2(len(alphabet))
        assert bits >= 60
        assert bits - math.log2(len(alphabet)) < 60  # not one character longer than needed
        assert totp.RECOVERY_CODE_LENGTH == 12

    def test_count(self) -> None:
        assert len(totp.new_recovery_codes(3)) == 3
        with pytest.raises(ValueError, match="at least 1"):
            totp.new_recovery_codes(0)

    @pytest.mark.parametrize(
        "typed",
        [
            "k7q2-m9xa-4hcz",
            "K7Q2-M9XA-4HCZ",
            "k7q2m9xa4hcz",
            " k7q2 m9xa 4hcz ",
            "k7q2-m9xa-4hcz\n",
        ],
    )
    def test_digest_ignores_case_dashes_and_spaces(self, typed: str) -> None:
        assert totp.recovery_code_digest(typed) == totp.recovery_code_digest("k7q2-m9xa-4hcz")

    def test_digest_reads_misread_letters_as_crockford_does(self) -> None:
        assert totp.recovery_code_digest("1o0l-i111-0000") == totp.recovery_code_digest(
            "1001-1111-0000"
        )

    def test_digest_is_sha256_hex(self) -> None:
        digest = totp.recovery_code_digest("k7q2-m9xa-4hcz")
        assert re.fullmatch("[0-9a-f]{64}", digest)
        assert digest != totp.recovery_code_digest("k7q2-m9xa-4hcy")

    def test_match_is_one_time_when_the_caller_removes_the_digest(self) -> None:
        codes = totp.new_recovery_codes()
        stored = {totp.recovery_code_digest(code) for code in codes}
        used = totp.match_recovery_code(codes[3].upper(), stored)
        assert used == totp.recovery_code_digest(codes[3])
        stored.discard(used)
        assert totp.match_recovery_code(codes[3], stored) is None
        assert totp.match_recovery_code(codes[4], stored) is not None
        assert len(stored) == 9

    def test_no_match(self) -> None:
        stored = [totp.recovery_code_digest(code) for code in totp.new_recovery_codes()]
        assert totp.match_recovery_code("0000-0000-0000", stored) is None
        assert totp.match_recovery_code("anything", []) is None

    @pytest.mark.parametrize(
        "text", ["123456", "k7q2-m9xa", "k7q2-m9xa-4hcz-0000", "uuuu-uuuu-uuuu"]
    )
    def test_does_not_look_like_a_recovery_code(self, text: str) -> None:
        assert not totp.looks_like_recovery_code(text)
