"""ESMTP MAIL/RCPT parameters (RFC 1870, 3030, 3461, 4954, 6152, 6531, 6533, 8689) and xtext
(RFC 3461 §4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courriel.smtp.protocol.addresses import Address
from courriel.smtp.protocol.commands import ALL_EXTENSIONS
from courriel.smtp.protocol.errors import SmtpSyntaxError
from courriel.smtp.protocol.parameters import (
    AuthParameter,
    BodyType,
    DsnNotify,
    DsnReturn,
    MailParameters,
    OriginalRecipient,
    RcptParameters,
    decode_xtext,
    encode_xtext,
    parse_mail_parameters,
    parse_rcpt_parameters,
)

MAIL_GOOD: list[tuple[list[str], MailParameters]] = [
    ([], MailParameters()),
    (["SIZE=0"], MailParameters(size=0)),
    (["size=12345678901234567890"], MailParameters(size=12345678901234567890)),  # RFC 1870 §3
    (["BODY=7BIT"], MailParameters(body=BodyType.SEVEN_BIT)),
    (["BODY=8bitmime"], MailParameters(body=BodyType.EIGHT_BIT_MIME)),
    (["BODY=BINARYMIME"], MailParameters(body=BodyType.BINARY_MIME)),
    (["SMTPUTF8"], MailParameters(smtputf8=True)),
    (["RET=FULL"], MailParameters(ret=DsnReturn.FULL)),
    (["ret=hdrs"], MailParameters(ret=DsnReturn.HEADERS)),
    (["ENVID=QQ314159"], MailParameters(envid="QQ314159")),
    (["ENVID=a+2Bb+3Dc"], MailParameters(envid="a+b=c")),
    (["ENVID=caf+C3+A9"], MailParameters(envid="café")),
    (["AUTH=<>"], MailParameters(auth=AuthParameter(None))),
    (
        ["AUTH=e+3Dmc2@example.com"],
        MailParameters(auth=AuthParameter(Address("e=mc2", "example.com"))),
    ),
    (["REQUIRETLS"], MailParameters(requiretls=True)),
    (
        ["SIZE=10", "BODY=8BITMIME", "SMTPUTF8", "RET=HDRS", "ENVID=x", "AUTH=<>", "REQUIRETLS"],
        MailParameters(
            10, BodyType.EIGHT_BIT_MIME, True, DsnReturn.HEADERS, "x", AuthParameter(None), True
        ),
    ),
]


@pytest.mark.parametrize(
    ("parameters", "expected"), MAIL_GOOD, ids=[" ".join(p) or "none" for p, _ in MAIL_GOOD]
)
def test_mail_parameters(parameters: list[str], expected: MailParameters) -> None:
    assert parse_mail_parameters(parameters, extensions=ALL_EXTENSIONS) == expected


MAIL_BAD: list[tuple[list[str], int, str]] = [
    (["FOO"], 555, "Parameter FOO not supported"),  # RFC 5321 §4.1.1.11
    (["FOO=bar"], 555, "Parameter FOO not supported"),
    (["NOTIFY=NEVER"], 555, "Parameter NOTIFY not supported"),  # a RCPT parameter
    (["-X"], 501, "Invalid parameter '-X'"),
    (["SI_ZE=1"], 501, "Invalid parameter 'SI_ZE=1'"),
    (["SIZE"], 501, "SIZE requires a value"),
    (["SIZE="], 501, "Invalid value for SIZE"),
    (["SIZE=12a"], 501, "SIZE must be a number"),
    (["SIZE=-1"], 501, "SIZE must be a number"),
    (["SIZE=123456789012345678901"], 501, "SIZE must be a number"),  # 21 digits
    (["SIZE=١٢"], 501, "SIZE must be a number"),  # Arabic-Indic digits are not DIGIT
    (["SIZE=1", "size=2"], 501, "Duplicate parameter SIZE"),
    (["BODY=9BIT"], 501, "BODY must be 7BIT, 8BITMIME or BINARYMIME"),
    (["BODY"], 501, "BODY requires a value"),
    (["SMTPUTF8=yes"], 501, "SMTPUTF8 takes no value"),  # RFC 6531 §3.4
    (["REQUIRETLS=1"], 501, "REQUIRETLS takes no value"),
    (["RET=ALL"], 501, "RET must be FULL or HDRS"),
    (["ENVID=" + "x" * 101], 501, "ENVID is longer than 100 characters"),  # RFC 3461 §4.4
    (["ENVID=a+2"], 501, "Invalid xtext value"),
    (["ENVID=a+ZZ"], 501, "Invalid xtext value"),
    (["ENVID=+FF"], 501, "Invalid xtext value: not UTF-8"),
    (["AUTH=not-a-mailbox"], 501, "Invalid AUTH= mailbox: expected @domain after the local part"),
    (
        ["AUTH=j+C3+B6e@example.org"],
        501,
        "Invalid AUTH= mailbox: a non-ASCII address requires SMTPUTF8",
    ),
    (["SIZE=1=2"], 501, "Invalid value for SIZE"),
]


@pytest.mark.parametrize(
    ("parameters", "code", "text"), MAIL_BAD, ids=[" ".join(p)[:30] for p, _, _ in MAIL_BAD]
)
def test_mail_parameter_errors(parameters: list[str], code: int, text: str) -> None:
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_mail_parameters(parameters, extensions=ALL_EXTENSIONS)
    assert raised.value.reply.code == code
    assert raised.value.reply.enhanced == "5.5.4"
    assert raised.value.reply.text == text


def test_auth_utf8_mailbox_with_smtputf8() -> None:
    parameters = parse_mail_parameters(
        ["SMTPUTF8", "AUTH=j+C3+B6e@example.org"], extensions=ALL_EXTENSIONS
    )
    assert parameters.auth == AuthParameter(Address("jöe", "example.org"))


@pytest.mark.parametrize(
    ("parameter", "extensions"),
    [
        ("SIZE=1", {"8BITMIME"}),
        ("BODY=8BITMIME", {"SIZE"}),
        ("BODY=BINARYMIME", {"8BITMIME"}),  # RFC 3030 §3: BINARYMIME must be offered
        ("SMTPUTF8", {"8BITMIME"}),
        ("RET=FULL", {"SIZE"}),
        ("ENVID=x", {"SIZE"}),
        ("AUTH=<>", {"SIZE"}),
        ("REQUIRETLS", {"SIZE"}),  # RFC 8689: only offered over TLS
    ],
)
def test_parameters_need_their_extension(parameter: str, extensions: set[str]) -> None:
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_mail_parameters([parameter], extensions=frozenset(extensions))
    assert (raised.value.reply.code, raised.value.reply.enhanced) == (555, "5.5.4")


RCPT_GOOD: list[tuple[list[str], RcptParameters]] = [
    ([], RcptParameters()),
    (["NOTIFY=NEVER"], RcptParameters(notify=frozenset({DsnNotify.NEVER}))),
    (["notify=success"], RcptParameters(notify=frozenset({DsnNotify.SUCCESS}))),
    (
        ["NOTIFY=SUCCESS,FAILURE,DELAY"],
        RcptParameters(notify=frozenset({DsnNotify.SUCCESS, DsnNotify.FAILURE, DsnNotify.DELAY})),
    ),
    (["NOTIFY=FAILURE,FAILURE"], RcptParameters(notify=frozenset({DsnNotify.FAILURE}))),
    (
        ["ORCPT=rfc822;bob@example.org"],
        RcptParameters(orcpt=OriginalRecipient("rfc822", "bob@example.org")),
    ),
    (
        ["ORCPT=RFC822;b+2Bob@example.org"],
        RcptParameters(orcpt=OriginalRecipient("RFC822", "b+ob@example.org")),
    ),
    # RFC 6533 §3: utf-8 address type with \x{HEX} escapes, or raw UTF-8 (unitext)
    (
        ["ORCPT=utf-8;j\\x{F6}e@example.org"],
        RcptParameters(orcpt=OriginalRecipient("utf-8", "jöe@example.org")),
    ),
    (
        ["ORCPT=utf-8;jöe@example.org"],
        RcptParameters(orcpt=OriginalRecipient("utf-8", "jöe@example.org")),
    ),
]


@pytest.mark.parametrize(
    ("parameters", "expected"), RCPT_GOOD, ids=[" ".join(p) or "none" for p, _ in RCPT_GOOD]
)
def test_rcpt_parameters(parameters: list[str], expected: RcptParameters) -> None:
    assert parse_rcpt_parameters(parameters, extensions=ALL_EXTENSIONS) == expected


RCPT_BAD: list[tuple[list[str], int, str]] = [
    (["SIZE=1"], 555, "Parameter SIZE not supported"),
    (["NOTIFY"], 501, "NOTIFY requires a value"),
    (["NOTIFY=SOMETIMES"], 501, "NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY"),
    (["NOTIFY=SUCCESS,"], 501, "NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY"),
    (["NOTIFY=NEVER,DELAY"], 501, "NOTIFY=NEVER cannot be combined with other values"),
    (["NOTIFY=NEVER", "NOTIFY=DELAY"], 501, "Duplicate parameter NOTIFY"),
    (["ORCPT=bob@example.org"], 501, "ORCPT must be addr-type;address"),
    (["ORCPT=rfc822;"], 501, "ORCPT must be addr-type;address"),
    (["ORCPT=;bob@example.org"], 501, "ORCPT must be addr-type;address"),
    (["ORCPT=rfc822;" + "a" * 500], 501, "ORCPT is longer than 500 characters"),  # RFC 3461 §4.2
    (["ORCPT=rfc822;a+4"], 501, "Invalid xtext value"),
    (["ORCPT=utf-8;a\\x{110000}"], 501, "Invalid ORCPT utf-8 address"),
    (["ORCPT=utf-8;a\\b"], 501, "Invalid ORCPT utf-8 address"),
]


@pytest.mark.parametrize(
    ("parameters", "code", "text"), RCPT_BAD, ids=[" ".join(p)[:30] for p, _, _ in RCPT_BAD]
)
def test_rcpt_parameter_errors(parameters: list[str], code: int, text: str) -> None:
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_rcpt_parameters(parameters, extensions=ALL_EXTENSIONS)
    assert (raised.value.reply.code, raised.value.reply.enhanced, raised.value.reply.text) == (
        code,
        "5.5.4",
        text,
    )


def test_dsn_needs_the_extension() -> None:
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_rcpt_parameters(["NOTIFY=NEVER"], extensions=frozenset({"SIZE"}))
    assert raised.value.reply.code == 555


# --- xtext (RFC 3461 §4)


@pytest.mark.parametrize(
    ("decoded", "encoded"),
    [
        ("", ""),
        ("plain", "plain"),
        ("a+b", "a+2Bb"),
        ("a=b", "a+3Db"),
        ("a b", "a+20b"),
        ("café", "caf+C3+A9"),
        ("<>", "<>"),
        ("\r\n", "+0D+0A"),
    ],
)
def test_xtext(decoded: str, encoded: str) -> None:
    assert encode_xtext(decoded) == encoded
    assert decode_xtext(encoded) == decoded


def test_xtext_lower_case_hex_is_tolerated() -> None:
    assert decode_xtext("a+2bb") == "a+b"


@given(st.text())
def test_xtext_round_trip(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates have no UTF-8 form
        return
    assert decode_xtext(encode_xtext(text)) == text


def test_to_parameters_round_trip() -> None:
    mail = MailParameters(
        10,
        BodyType.BINARY_MIME,
        True,
        DsnReturn.FULL,
        "id 1",
        AuthParameter(Address("a+b", "example.org")),
        True,
    )
    assert mail.to_parameters() == (
        "SIZE=10",
        "BODY=BINARYMIME",
        "SMTPUTF8",
        "RET=FULL",
        "ENVID=id+201",
        "AUTH=a+2Bb@example.org",
        "REQUIRETLS",
    )
    assert parse_mail_parameters(mail.to_parameters(), extensions=ALL_EXTENSIONS) == mail
    rcpt = RcptParameters(
        frozenset({DsnNotify.DELAY, DsnNotify.SUCCESS}),
        OriginalRecipient("rfc822", "b=b@example.org"),
    )
    assert rcpt.to_parameters() == ("NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;b+3Db@example.org")
    assert parse_rcpt_parameters(rcpt.to_parameters(), extensions=ALL_EXTENSIONS) == rcpt
    assert MailParameters(auth=AuthParameter(None)).to_parameters() == ("AUTH=<>",)
