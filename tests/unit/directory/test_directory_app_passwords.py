"""App passwords: format, entropy, digest normalisation, protocol lists."""

from __future__ import annotations

import hashlib
import re

import pytest

from courriel.directory.app_passwords import (
    APP_PASSWORD_BITS,
    PROTOCOLS,
    app_password_digest,
    looks_like_app_password,
    new_app_password,
    parse_protocols,
)


def test_format_is_five_groups_of_four_letters() -> None:
    password = new_app_password()
    assert re.fullmatch("[a-z]{4}( [a-z]{4}){4}", password)
    assert looks_like_app_password(password)


def test_passwords_differ() -> None:
    assert len({new_app_password() for _ in range(50)}) == 50


def test_entropy() -> None:
    assert 94 <= APP_PASSWORD_BITS < 94.1


@pytest.mark.parametrize(
    "typed",
    [
        "abcd efgh ijkl mnop qrst",
        "abcdefghijklmnopqrst",
        "ABCD EFGH IJKL MNOP QRST",
        " abcd  efgh ijklmnop qrst ",
    ],
)
def test_digest_ignores_spaces_and_case(typed: str) -> None:
    expected = hashlib.sha256(b"abcdefghijklmnopqrst").hexdigest()
    assert app_password_digest(typed) == expected


def test_digest_tells_passwords_apart() -> None:
    assert app_password_digest("abcd efgh ijkl mnop qrst") != app_password_digest(
        "abcd efgh ijkl mnop qrsu"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("abcd efgh ijkl mnop qrst", True),
        ("abcdefghijklmnopqrst", True),
        ("ABCD EFGH IJKL MNOP QRST", True),
        ("abcd efgh ijkl mnop qrs", False),
        ("abcd efgh ijkl mnop qrstu", False),
        ("abcd efgh ijkl mnop qrs1", False),
        ("abcd-efgh-ijkl-mnop-qrst", False),
        ("abcd efgh ijkl mnop qrsé", False),
        ("", False),
    ],
)
def test_looks_like_app_password(text: str, expected: bool) -> None:
    assert looks_like_app_password(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("imap", ("imap",)),
        ("smtp,imap", ("imap", "smtp")),
        (" IMAP , Pop3 ,smtp ", ("imap", "pop3", "smtp")),
        ("imap,imap", ("imap",)),
        ("imap,,smtp,", ("imap", "smtp")),
        ("activesync,dav,smtp,pop3,imap", PROTOCOLS),
    ],
)
def test_parse_protocols(text: str, expected: tuple[str, ...]) -> None:
    assert parse_protocols(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no protocol given; choose among: imap, pop3, smtp, dav, activesync"),
        (" , ", "no protocol given; choose among: imap, pop3, smtp, dav, activesync"),
        ("imap,ftp", "unknown protocol 'ftp'; choose among: imap, pop3, smtp, dav, activesync"),
        (
            "pop,imap4,imap",
            "unknown protocols 'imap4', 'pop'; choose among: imap, pop3, smtp, dav, activesync",
        ),
    ],
)
def test_parse_protocols_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_protocols(text)
