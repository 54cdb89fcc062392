"""Parsers of the not-authenticated commands (RFC 9051 §6.2): STARTTLS, AUTHENTICATE
(with the SASL-IR initial response, RFC 4959 §3) and LOGIN; and of the client's lines
during an AUTHENTICATE exchange (RFC 9051 §6.2.2).

Must not: run SASL (``courriel.sasl`` does) or check credentials.
"""

from __future__ import annotations

import binascii
import re

from courriel.imap.protocol.commands import Authenticate, Login, StartTls
from courriel.imap.protocol.lexer import Reader, SyntaxProblem
from courriel.imap.protocol.parse_common import ParseContext, no_arguments

# RFC 9051 §9: base64 = *(4base64-char) [base64-terminal]
_BASE64 = re.compile(rb"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")

parse_starttls = no_arguments(StartTls)  # RFC 9051 §6.2.1


def decode_base64(data: bytes) -> bytes:
    """Strict base64 as the IMAP grammar defines it; ``ValueError`` otherwise."""
    if not _BASE64.fullmatch(data):
        raise ValueError("invalid base64")
    return binascii.a2b_base64(data)


def parse_authenticate(tag: str, reader: Reader, _context: ParseContext) -> Authenticate:
    """``AUTHENTICATE SP auth-type [SP initial-resp]``, initial-resp = base64 / "="
    (RFC 9051 §6.2.2, RFC 4959 §7)."""
    reader.space()
    mechanism = reader.keyword("a SASL mechanism")
    initial: bytes | None = None
    if reader.try_space():
        raw = reader.data[reader.pos :]
        reader.pos = len(reader.data)
        if raw == b"=":  # RFC 4959 §3: "=" is an empty initial response
            initial = b""
        else:
            try:
                initial = decode_base64(raw)
            except ValueError:
                raise SyntaxProblem("Invalid base64 initial response") from None
            if not initial:
                raise SyntaxProblem("Invalid base64 initial response")
    reader.end()
    return Authenticate(tag, mechanism, initial)


def parse_login(tag: str, reader: Reader, _context: ParseContext) -> Login:
    """``LOGIN SP userid SP password`` (RFC 9051 §6.2.3), both astrings, UTF-8."""
    reader.space()
    username = reader.text("a user name")
    reader.space()
    password = reader.text("a password")
    reader.end()
    return Login(tag, username, password)


def parse_sasl_response(line: bytes) -> bytes | None:
    """A client line during AUTHENTICATE: the decoded response, or None when the client
    cancels with ``*`` (RFC 9051 §6.2.2). Raises ``ValueError`` for bad base64."""
    if line == b"*":
        return None
    return decode_base64(line)
