"""ESMTP parameters of MAIL and RCPT, and the xtext encoding they use.

Owns: the esmtp-param grammar (RFC 5321 §4.1.2: keyword ["=" value]), and the parameters
courriel understands, each gated by the EHLO keyword that introduces it:

=============  ==============  ==================================================
parameter      EHLO keyword    RFC
=============  ==============  ==================================================
SIZE=n         SIZE            RFC 1870 §3, §6
BODY=...       8BITMIME        RFC 6152 §2 (7BIT, 8BITMIME); BINARYMIME: RFC 3030 §3
SMTPUTF8       SMTPUTF8        RFC 6531 §3.4
RET=, ENVID=   DSN             RFC 3461 §4.3, §4.4
NOTIFY=, ORCPT DSN             RFC 3461 §4.1, §4.2 (utf-8 ORCPT: RFC 6533 §3)
AUTH=          AUTH            RFC 4954 §5
REQUIRETLS     REQUIRETLS      RFC 8689 §4
=============  ==============  ==================================================

A parameter the server did not offer, or does not know, gets ``555 5.5.4`` (RFC 5321
§4.1.1.11); a known parameter with a bad value, a missing or unexpected value, or a
parameter given twice gets ``501 5.5.4``. ``xtext`` (RFC 3461 §4) is decoded here.

Must not: judge the values (the session compares SIZE with its limit and answers
``552 5.3.4``, decides whether AUTH= is trusted, checks REQUIRETLS against the session).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from courriel.smtp.protocol.addresses import Address, parse_mailbox
from courriel.smtp.protocol.errors import AddressSyntaxError, SmtpSyntaxError
from courriel.smtp.protocol.replies import SYNTAX_ERROR, UNRECOGNISED_PARAMETER

__all__ = [
    "MAIL_PARAMETER_EXTENSIONS",
    "RCPT_PARAMETER_EXTENSIONS",
    "AuthParameter",
    "BodyType",
    "DsnNotify",
    "DsnReturn",
    "MailParameters",
    "OriginalRecipient",
    "RcptParameters",
    "decode_xtext",
    "encode_xtext",
    "parse_mail_parameters",
    "parse_rcpt_parameters",
]

# The EHLO keyword that must have been offered for each parameter keyword.
MAIL_PARAMETER_EXTENSIONS = {
    "SIZE": "SIZE",  # RFC 1870 §3
    "BODY": "8BITMIME",  # RFC 6152 §2; BODY=BINARYMIME also needs BINARYMIME (RFC 3030 §3)
    "SMTPUTF8": "SMTPUTF8",  # RFC 6531 §3.1
    "RET": "DSN",  # RFC 3461 §4.3
    "ENVID": "DSN",  # RFC 3461 §4.4
    "AUTH": "AUTH",  # RFC 4954 §5
    "REQUIRETLS": "REQUIRETLS",  # RFC 8689 §4
}
RCPT_PARAMETER_EXTENSIONS = {
    "NOTIFY": "DSN",  # RFC 3461 §4.1
    "ORCPT": "DSN",  # RFC 3461 §4.2
}

_MAX_ENVID = 100  # RFC 3461 §4.4
_MAX_ORCPT = 500  # RFC 3461 §4.2
_MAX_SIZE_DIGITS = 20  # RFC 1870 §3: size-value ::= 1*20DIGIT

# RFC 5321 §4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-");
# esmtp-value = 1*(%d33-60 / %d62-126), extended with UTF8-non-ascii (RFC 6531 §3.3).
_KEYWORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*\Z")
_VALUE = re.compile(r"[\x21-\x3c\x3e-\x7e\u0080-\U0010ffff]+\Z")
# RFC 3461 §4: xchar = %d33-42 / %d44-60 / %d62-126; hexchar = "+" 2HEXDIG (upper case in
# the RFC; lower case tolerated).
_XTEXT = re.compile(r"(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-Fa-f]{2})*\Z")
_HEXCHAR = re.compile(r"\+([0-9A-Fa-f]{2})")
# RFC 6533 §3: utf-8-addr-unitext = 1*(QUCHAR / EmbeddedUnicodeChar), QUCHAR = %x21-2a /
# %x2c-3c / %x3e-5b / %x5d-7e / UTF8-non-ascii; EmbeddedUnicodeChar = "\x{" HEXPOINT "}".
_UTF8_ADDR = re.compile(
    r"(?:[\x21-\x2a\x2c-\x3c\x3e-\x5b\x5d-\x7e\u0080-\U0010ffff]|\\x\{[0-9A-Fa-f]{2,6}\})+\Z"
)
_EMBEDDED_UNICODE = re.compile(r"\\x\{([0-9A-Fa-f]{2,6})\}")
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+\Z")  # RFC 3461 §4.2 addr-type


class BodyType(enum.Enum):
    """BODY= values (RFC 6152 §2, RFC 3030 §3)."""

    SEVEN_BIT = "7BIT"
    EIGHT_BIT_MIME = "8BITMIME"
    BINARY_MIME = "BINARYMIME"


class DsnReturn(enum.Enum):
    """RET= values (RFC 3461 §4.3): return the full message or only its headers."""

    FULL = "FULL"
    HEADERS = "HDRS"


class DsnNotify(enum.Enum):
    """NOTIFY= values (RFC 3461 §4.1)."""

    NEVER = "NEVER"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    DELAY = "DELAY"


@dataclass(frozen=True, slots=True)
class AuthParameter:
    """AUTH= on MAIL (RFC 4954 §5): the original submitter, or None for ``AUTH=<>``."""

    mailbox: Address | None


@dataclass(frozen=True, slots=True)
class OriginalRecipient:
    """ORCPT= (RFC 3461 §4.2): the address type (``rfc822``, ``utf-8``) and the decoded
    address."""

    address_type: str
    address: str

    def to_parameter(self) -> str:
        """The ``ORCPT=type;xtext`` parameter, for relaying the value onwards."""
        return f"ORCPT={self.address_type};{encode_xtext(self.address)}"


@dataclass(frozen=True, slots=True)
class MailParameters:
    """The parameters of one MAIL command; absent ones are None / False."""

    size: int | None = None
    body: BodyType | None = None
    smtputf8: bool = False
    ret: DsnReturn | None = None
    envid: str | None = None
    auth: AuthParameter | None = None
    requiretls: bool = False

    def to_parameters(self) -> tuple[str, ...]:
        """The wire form, for the outbound client (``("SIZE=1000", "BODY=8BITMIME")``)."""
        parts: list[str] = []
        if self.size is not None:
            parts.append(f"SIZE={self.size}")
        if self.body is not None:
            parts.append(f"BODY={self.body.value}")
        if self.smtputf8:
            parts.append("SMTPUTF8")
        if self.ret is not None:
            parts.append(f"RET={self.ret.value}")
        if self.envid is not None:
            parts.append(f"ENVID={encode_xtext(self.envid)}")
        if self.auth is not None:
            mailbox = self.auth.mailbox
            parts.append(f"AUTH={encode_xtext(mailbox.text) if mailbox is not None else '<>'}")
        if self.requiretls:
            parts.append("REQUIRETLS")
        return tuple(parts)


@dataclass(frozen=True, slots=True)
class RcptParameters:
    """The parameters of one RCPT command; ``notify`` None means "not given"."""

    notify: frozenset[DsnNotify] | None = None
    orcpt: OriginalRecipient | None = None

    def to_parameters(self) -> tuple[str, ...]:
        """The wire form, for the outbound client."""
        parts: list[str] = []
        if self.notify is not None:
            order = [value for value in DsnNotify if value in self.notify]
            parts.append("NOTIFY=" + ",".join(value.value for value in order))
        if self.orcpt is not None:
            parts.append(self.orcpt.to_parameter())
        return tuple(parts)


def _syntax(text: str) -> SmtpSyntaxError:
    return SmtpSyntaxError(SYNTAX_ERROR.with_text(text))


def _unrecognised(keyword: str) -> SmtpSyntaxError:
    return SmtpSyntaxError(UNRECOGNISED_PARAMETER.with_text(f"Parameter {keyword} not supported"))


def decode_xtext(text: str) -> str:
    """Decode RFC 3461 §4 xtext (``+2B`` is ``+``); the octets must be UTF-8."""
    if not _XTEXT.match(text):
        raise _syntax("Invalid xtext value")
    if "+" not in text:
        return text
    raw = _HEXCHAR.sub(lambda match: chr(int(match.group(1), 16)), text)
    try:
        return raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise _syntax("Invalid xtext value: not UTF-8") from None


def encode_xtext(text: str) -> str:
    """Encode as RFC 3461 §4 xtext: ``+``, ``=``, controls, space and non-ASCII as ``+XX``."""
    return "".join(
        chr(octet) if 0x21 <= octet <= 0x7E and octet not in (0x2B, 0x3D) else f"+{octet:02X}"
        for octet in text.encode("utf-8")
    )


def _decode_utf8_address(text: str) -> str:
    """RFC 6533 §3: utf-8-addr-xtext / utf-8-addr-unitext, ``\\x{HEX}`` escapes decoded."""
    if not _UTF8_ADDR.match(text):
        raise _syntax("Invalid ORCPT utf-8 address")
    try:
        return _EMBEDDED_UNICODE.sub(lambda match: chr(int(match.group(1), 16)), text)
    except ValueError:  # a code point above U+10FFFF
        raise _syntax("Invalid ORCPT utf-8 address") from None


def _split(parameters: Sequence[str]) -> list[tuple[str, str | None]]:
    """Keyword (upper case) and value of each parameter, with duplicates refused."""
    seen: set[str] = set()
    result: list[tuple[str, str | None]] = []
    for parameter in parameters:
        keyword, equals, value = parameter.partition("=")
        if not _KEYWORD.match(keyword):
            raise _syntax(f"Invalid parameter {parameter!r}")
        if equals and not _VALUE.match(value):
            raise _syntax(f"Invalid value for {keyword.upper()}")
        keyword = keyword.upper()  # RFC 5321 §2.4: keywords are case-insensitive
        if keyword in seen:
            raise _syntax(f"Duplicate parameter {keyword}")
        seen.add(keyword)
        result.append((keyword, value if equals else None))
    return result


def _no_value(keyword: str, value: str | None) -> None:
    if value is not None:
        raise _syntax(f"{keyword} takes no value")


def _required(keyword: str, value: str | None) -> str:
    if value is None:
        raise _syntax(f"{keyword} requires a value")
    return value


def _offered(keyword: str, table: dict[str, str], extensions: frozenset[str]) -> None:
    extension = table.get(keyword)
    if extension is None or extension not in extensions:
        raise _unrecognised(keyword)  # RFC 5321 §4.1.1.11


def parse_mail_parameters(
    parameters: Sequence[str], *, extensions: frozenset[str]
) -> MailParameters:
    """Parse the parameters after ``MAIL FROM:<...>``; ``extensions`` are the EHLO keywords
    offered to this client (empty after HELO, RFC 5321 §4.1.1.1)."""
    size: int | None = None
    body: BodyType | None = None
    smtputf8 = False
    ret: DsnReturn | None = None
    envid: str | None = None
    auth_text: str | None = None
    requiretls = False
    for keyword, value in _split(parameters):
        _offered(keyword, MAIL_PARAMETER_EXTENSIONS, extensions)
        if keyword == "SIZE":
            digits = _required(keyword, value)
            if not digits.isdigit() or not digits.isascii() or len(digits) > _MAX_SIZE_DIGITS:
                raise _syntax("SIZE must be a number")  # RFC 1870 §3
            size = int(digits)
        elif keyword == "BODY":
            body = _body(_required(keyword, value), extensions)
        elif keyword == "SMTPUTF8":
            _no_value(keyword, value)  # RFC 6531 §3.4: "MUST not accept a value"
            smtputf8 = True
        elif keyword == "RET":
            try:
                ret = DsnReturn(_required(keyword, value).upper())
            except ValueError:
                raise _syntax("RET must be FULL or HDRS") from None
        elif keyword == "ENVID":
            encoded = _required(keyword, value)
            if len(encoded) > _MAX_ENVID:
                raise _syntax("ENVID is longer than 100 characters")
            envid = decode_xtext(encoded)
        elif keyword == "AUTH":
            auth_text = decode_xtext(_required(keyword, value))
        else:  # "REQUIRETLS", the last keyword of the table
            _no_value(keyword, value)  # RFC 8689 §4: no value
            requiretls = True
    auth: AuthParameter | None = None
    if auth_text is not None:
        auth = _auth(auth_text, smtputf8=smtputf8)
    return MailParameters(size, body, smtputf8, ret, envid, auth, requiretls)


def _body(value: str, extensions: frozenset[str]) -> BodyType:
    try:
        body = BodyType(value.upper())
    except ValueError:
        raise _syntax("BODY must be 7BIT, 8BITMIME or BINARYMIME") from None
    if body is BodyType.BINARY_MIME and "BINARYMIME" not in extensions:
        raise _unrecognised("BODY=BINARYMIME")  # RFC 3030 §3: only when offered
    return body


def _auth(text: str, *, smtputf8: bool) -> AuthParameter:
    """RFC 4954 §5: AUTH=<> or AUTH=<mailbox in xtext>."""
    if text == "<>":
        return AuthParameter(None)
    try:
        return AuthParameter(parse_mailbox(text, smtputf8=smtputf8))
    except AddressSyntaxError as error:
        raise _syntax(f"Invalid AUTH= mailbox: {error.reason}") from None


def parse_rcpt_parameters(
    parameters: Sequence[str], *, extensions: frozenset[str]
) -> RcptParameters:
    """Parse the parameters after ``RCPT TO:<...>``."""
    notify: frozenset[DsnNotify] | None = None
    orcpt: OriginalRecipient | None = None
    for keyword, value in _split(parameters):
        _offered(keyword, RCPT_PARAMETER_EXTENSIONS, extensions)
        if keyword == "NOTIFY":
            notify = _notify(_required(keyword, value))
        else:  # "ORCPT"
            orcpt = _orcpt(_required(keyword, value))
    return RcptParameters(notify, orcpt)


def _notify(value: str) -> frozenset[DsnNotify]:
    """RFC 3461 §4.1: "NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" )."""
    try:
        values = frozenset(DsnNotify(item) for item in value.upper().split(","))
    except ValueError:
        raise _syntax("NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY") from None
    if DsnNotify.NEVER in values and len(values) > 1:
        raise _syntax("NOTIFY=NEVER cannot be combined with other values")
    return values


def _orcpt(value: str) -> OriginalRecipient:
    """RFC 3461 §4.2: addr-type ";" xtext, at most 500 characters."""
    if len(value) > _MAX_ORCPT:
        raise _syntax("ORCPT is longer than 500 characters")
    address_type, semicolon, encoded = value.partition(";")
    if not semicolon or not _ATOM.match(address_type) or not encoded:
        raise _syntax("ORCPT must be addr-type;address")
    if address_type.lower() == "utf-8":
        return OriginalRecipient(address_type, _decode_utf8_address(encoded))  # RFC 6533 §3
    return OriginalRecipient(address_type, decode_xtext(encoded))
