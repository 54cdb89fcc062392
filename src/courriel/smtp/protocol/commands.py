"""SMTP command lines: one line of bytes in, one typed command out.

Owns: RFC 5321 §4.1.1 command syntax (HELO, EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, VRFY,
EXPN, HELP), RFC 3030 BDAT, RFC 3207 STARTTLS and RFC 4954 AUTH; the line limits of RFC 5321
§4.5.3.1.4 and of the extensions; the ``VERBS`` table that maps each verb to its parser.
Every syntax error raises ``SmtpSyntaxError`` carrying the exact reply (RFC 5321 §4.2.2-4,
RFC 3463 enhanced codes).

Line endings: RFC 5321 §2.3.8 allows only CRLF. A line ending in a bare LF is still parsed,
and the command says so (``bare_lf``), so the session can refuse it with
``BARE_LF_IN_COMMAND`` or log it; a CR or LF anywhere else in the line is refused here.

Leniencies, each because real clients need it and nothing depends on the strict form:
spaces after ``FROM:`` / ``TO:`` (RFC 5321 §3.3 forbids them, many clients send them),
several spaces between parameters, and trailing spaces at the end of the line.

Must not: know the session state (the session's dispatch table says which states allow a
command), decide policy, or raise anything but ``SmtpSyntaxError`` on client input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from courriel.smtp.protocol.addresses import (
    Address,
    Path,
    RelayHazard,
    parse_ehlo_domain,
    scan_path,
)
from courriel.smtp.protocol.errors import (
    AddressSyntaxError,
    NonAsciiAddressError,
    SmtpSyntaxError,
)
from courriel.smtp.protocol.parameters import (
    MailParameters,
    RcptParameters,
    parse_mail_parameters,
    parse_rcpt_parameters,
)
from courriel.smtp.protocol.replies import (
    BAD_RECIPIENT_SYNTAX,
    BAD_SENDER_SYNTAX,
    BARE_LF_IN_COMMAND,
    LINE_TOO_LONG,
    NON_ASCII_RECIPIENT,
    NON_ASCII_SENDER,
    NOT_IMPLEMENTED,
    SYNTAX_ERROR,
    UNRECOGNISED_COMMAND,
    Reply,
)

__all__ = [
    "ALL_EXTENSIONS",
    "MAX_AUTH_LINE",
    "MAX_COMMAND_LINE",
    "MAX_ENVELOPE_LINE",
    "MAX_LINE",
    "VERBS",
    "Auth",
    "Bdat",
    "Command",
    "CommandParser",
    "Data",
    "Ehlo",
    "Expn",
    "Helo",
    "Help",
    "LineContext",
    "MailFrom",
    "Noop",
    "Quit",
    "RcptTo",
    "Rset",
    "StartTls",
    "Vrfy",
    "parse_command",
]

MAX_COMMAND_LINE = 512  # RFC 5321 §4.5.3.1.4, CRLF included
# MAIL and RCPT grow with every parameter an extension adds (RFC 1870 §3 +26, RFC 6531 §3.1
# +10, RFC 4954 §3 +500 for AUTH=, RFC 3461 §4 ENVID up to 100 and ORCPT up to 500): 2048
# holds all of them together.
MAX_ENVELOPE_LINE = 2048
MAX_AUTH_LINE = 12288  # RFC 4954 §4: "12288 octets is considered to be sufficient"
# The longest line any command may have: what the session passes to its line reader.
MAX_LINE = MAX_AUTH_LINE

# Every EHLO keyword whose parameters this grammar understands (see ``parameters``).
ALL_EXTENSIONS = frozenset(
    {"SIZE", "8BITMIME", "BINARYMIME", "SMTPUTF8", "DSN", "AUTH", "REQUIRETLS"}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Command:
    bare_lf: bool = False  # the line ended with LF alone (RFC 5321 §2.3.8)


@dataclass(frozen=True, slots=True)
class Helo(_Command):
    """HELO domain (RFC 5321 §4.1.1.1)."""

    domain: str


@dataclass(frozen=True, slots=True)
class Ehlo(_Command):
    """EHLO domain-or-address-literal (RFC 5321 §4.1.1.1)."""

    domain: str


@dataclass(frozen=True, slots=True)
class MailFrom(_Command):
    """MAIL FROM:<reverse-path> [parameters] (RFC 5321 §4.1.1.2); None is the null sender."""

    reverse_path: Address | None
    parameters: MailParameters = field(default_factory=MailParameters)
    source_route: tuple[str, ...] = ()  # dropped, kept for logs (RFC 5321 Appendix C)


@dataclass(frozen=True, slots=True)
class RcptTo(_Command):
    """RCPT TO:<forward-path> [parameters] (RFC 5321 §4.1.1.3).

    ``<postmaster>`` without a domain (RFC 5321 §4.1.1.3, which every server MUST accept)
    gives ``Address("postmaster", "")``: ``is_bare_postmaster`` is true and the session
    routes it to its own postmaster.
    """

    forward_path: Address
    parameters: RcptParameters = field(default_factory=RcptParameters)
    source_route: tuple[str, ...] = ()  # dropped (RFC 5321 §4.1.1.3, Appendix C)

    @property
    def is_bare_postmaster(self) -> bool:
        return not self.forward_path.domain

    @property
    def relay_hazards(self) -> frozenset[RelayHazard]:
        """Address shapes a relay decision must not be fooled by (see ``addresses``)."""
        return Path(self.forward_path, self.source_route).relay_hazards


@dataclass(frozen=True, slots=True)
class Data(_Command):
    """DATA (RFC 5321 §4.1.1.4)."""


@dataclass(frozen=True, slots=True)
class Bdat(_Command):
    """BDAT chunk-size [LAST] (RFC 3030 §2)."""

    size: int
    last: bool = False


@dataclass(frozen=True, slots=True)
class Rset(_Command):
    """RSET (RFC 5321 §4.1.1.5)."""


@dataclass(frozen=True, slots=True)
class Noop(_Command):
    """NOOP [string] (RFC 5321 §4.1.1.9); the argument is ignored."""


@dataclass(frozen=True, slots=True)
class Quit(_Command):
    """QUIT (RFC 5321 §4.1.1.10)."""


@dataclass(frozen=True, slots=True)
class Vrfy(_Command):
    """VRFY string [SMTPUTF8] (RFC 5321 §4.1.1.6, RFC 6531 §3.1 item 6)."""

    argument: str
    smtputf8: bool = False


@dataclass(frozen=True, slots=True)
class Expn(_Command):
    """EXPN string [SMTPUTF8] (RFC 5321 §4.1.1.7, RFC 6531 §3.1 item 6)."""

    argument: str
    smtputf8: bool = False


@dataclass(frozen=True, slots=True)
class Help(_Command):
    """HELP [string] (RFC 5321 §4.1.1.8)."""

    argument: str | None = None


@dataclass(frozen=True, slots=True)
class StartTls(_Command):
    """STARTTLS (RFC 3207 §4)."""


@dataclass(frozen=True, slots=True)
class Auth(_Command):
    """AUTH mechanism [initial-response] (RFC 4954 §4).

    ``mechanism`` is upper-cased; ``initial_response`` is the base64 text as sent (``"="``
    is an empty response), decoded by ``courriel.sasl.framing.decode_initial_response``.
    """

    mechanism: str
    initial_response: str | None = None


Command: TypeAlias = (
    Helo
    | Ehlo
    | MailFrom
    | RcptTo
    | Data
    | Bdat
    | Rset
    | Noop
    | Quit
    | Vrfy
    | Expn
    | Help
    | StartTls
    | Auth
)


@dataclass(frozen=True, slots=True)
class LineContext:
    """What a command parser needs to know besides its argument.

    ``extensions``: the EHLO keywords offered to this client (``frozenset()`` after HELO);
    a MAIL/RCPT parameter of an extension not offered gets ``555 5.5.4``.
    ``smtputf8_allowed``: the current transaction's MAIL carried SMTPUTF8, so RCPT may use
    a UTF-8 address (RFC 6531 §3.4); MAIL itself is decided by its own SMTPUTF8 parameter.
    """

    smtputf8_allowed: bool = False
    extensions: frozenset[str] = ALL_EXTENSIONS
    bare_lf: bool = False


CommandParser: TypeAlias = Callable[[str | None, LineContext], Command]


def _syntax(text: str) -> SmtpSyntaxError:
    return SmtpSyntaxError(SYNTAX_ERROR.with_text(text))


def _no_argument(verb: str, argument: str | None) -> None:
    if argument is not None:
        raise _syntax(f"{verb} takes no arguments")


def _parse_helo(argument: str | None, context: LineContext) -> Helo:
    if argument is None:
        raise _syntax("HELO requires a domain")  # RFC 5321 §4.1.1.1
    return Helo(_ehlo_domain(argument), bare_lf=context.bare_lf)


def _parse_ehlo(argument: str | None, context: LineContext) -> Ehlo:
    if argument is None:
        raise _syntax("EHLO requires a domain or address literal")  # RFC 5321 §4.1.1.1
    return Ehlo(_ehlo_domain(argument), bare_lf=context.bare_lf)


def _ehlo_domain(argument: str) -> str:
    try:
        return parse_ehlo_domain(argument.strip(" "))
    except AddressSyntaxError as error:
        raise _syntax(f"Invalid domain: {error.reason}") from None


def _envelope_argument(argument: str | None, prefix: str, usage: str) -> str:
    """The text after ``FROM:`` / ``TO:`` (case-insensitive, RFC 5321 §2.4)."""
    if argument is None or argument[: len(prefix)].upper() != prefix:
        raise _syntax(f"Syntax: {usage}")
    return argument[len(prefix) :].lstrip(" ")


def _parameters(text: str, usage: str) -> list[str]:
    """The SP-separated esmtp-params after a path (RFC 5321 §4.1.2)."""
    if not text:
        return []
    if not text.startswith(" "):
        raise _syntax(f"Syntax: {usage}")
    return [parameter for parameter in text.split(" ") if parameter]


def _parse_mail(argument: str | None, context: LineContext) -> MailFrom:
    usage = "MAIL FROM:<address> [parameters]"
    text = _envelope_argument(argument, "FROM:", usage)
    try:
        path, end = scan_path(text, smtputf8=True, null_allowed=True)
    except AddressSyntaxError as error:
        raise SmtpSyntaxError(BAD_SENDER_SYNTAX.with_text(_capital(error.reason))) from None
    parameters = parse_mail_parameters(
        _parameters(text[end:], usage), extensions=context.extensions
    )
    if path.mailbox is not None and path.mailbox.needs_smtputf8 and not parameters.smtputf8:
        raise SmtpSyntaxError(NON_ASCII_SENDER)  # RFC 6531 §3.4, §3.5
    return MailFrom(path.mailbox, parameters, path.source_route, bare_lf=context.bare_lf)


def _parse_rcpt(argument: str | None, context: LineContext) -> RcptTo:
    usage = "RCPT TO:<address> [parameters]"
    text = _envelope_argument(argument, "TO:", usage)
    # RFC 5321 §4.1.1.3: "<Postmaster>" without a domain, case-insensitive.
    if text[:12].lower() == "<postmaster>":
        path, end = Path(Address(text[1:11], "")), 12
    else:
        try:
            path, end = scan_path(text, smtputf8=context.smtputf8_allowed, null_allowed=False)
        except NonAsciiAddressError:
            raise SmtpSyntaxError(NON_ASCII_RECIPIENT) from None  # RFC 6531 §3.5
        except AddressSyntaxError as error:
            raise SmtpSyntaxError(BAD_RECIPIENT_SYNTAX.with_text(_capital(error.reason))) from None
    parameters = parse_rcpt_parameters(
        _parameters(text[end:], usage), extensions=context.extensions
    )
    assert path.mailbox is not None  # null_allowed=False
    return RcptTo(path.mailbox, parameters, path.source_route, bare_lf=context.bare_lf)


def _capital(reason: str) -> str:
    return reason[:1].upper() + reason[1:]


def _parse_data(argument: str | None, context: LineContext) -> Data:
    _no_argument("DATA", argument)  # RFC 5321 §4.1.1.4: "DATA" CRLF
    return Data(bare_lf=context.bare_lf)


def _parse_bdat(argument: str | None, context: LineContext) -> Bdat:
    # RFC 3030 §2: "BDAT" SP chunk-size [ SP end-marker ]; chunk-size = 1*DIGIT; "LAST"
    words = argument.split(" ") if argument is not None else []
    if not 1 <= len(words) <= 2 or not words[0].isdigit() or not words[0].isascii():
        raise _syntax("Syntax: BDAT size [LAST]")
    if len(words[0]) > 20:
        raise _syntax("BDAT chunk size too large")
    last = False
    if len(words) == 2:
        if words[1].upper() != "LAST":
            raise _syntax("Syntax: BDAT size [LAST]")
        last = True
    return Bdat(int(words[0]), last, bare_lf=context.bare_lf)


def _parse_rset(argument: str | None, context: LineContext) -> Rset:
    _no_argument("RSET", argument)  # RFC 5321 §4.1.1.5: "RSET" CRLF
    return Rset(bare_lf=context.bare_lf)


def _parse_noop(argument: str | None, context: LineContext) -> Noop:
    del argument  # RFC 5321 §4.1.1.9: "NOOP" [ SP String ]; the string is ignored
    return Noop(bare_lf=context.bare_lf)


def _parse_quit(argument: str | None, context: LineContext) -> Quit:
    _no_argument("QUIT", argument)  # RFC 5321 §4.1.1.10: "QUIT" CRLF
    return Quit(bare_lf=context.bare_lf)


def _verify_argument(verb: str, argument: str | None) -> tuple[str, bool]:
    if argument is None or not argument.strip(" "):
        raise _syntax(f"{verb} requires an argument")  # RFC 5321 §4.1.1.6-7: SP String
    text = argument.strip(" ")
    head, space, last = text.rpartition(" ")
    if space and last.upper() == "SMTPUTF8" and head.strip(" "):  # RFC 6531 §3.1 item 6
        return head.strip(" "), True
    return text, False


def _parse_vrfy(argument: str | None, context: LineContext) -> Vrfy:
    text, smtputf8 = _verify_argument("VRFY", argument)
    return Vrfy(text, smtputf8, bare_lf=context.bare_lf)


def _parse_expn(argument: str | None, context: LineContext) -> Expn:
    text, smtputf8 = _verify_argument("EXPN", argument)
    return Expn(text, smtputf8, bare_lf=context.bare_lf)


def _parse_help(argument: str | None, context: LineContext) -> Help:
    return Help(argument.strip(" ") if argument else None, bare_lf=context.bare_lf)


def _parse_starttls(argument: str | None, context: LineContext) -> StartTls:
    _no_argument("STARTTLS", argument)  # RFC 3207 §4: no parameters, else 501
    return StartTls(bare_lf=context.bare_lf)


def _parse_auth(argument: str | None, context: LineContext) -> Auth:
    # RFC 4954 §4: "AUTH" SP sasl-mech [SP initial-response]; RFC 4422 §3.1: a mechanism
    # name is 1 to 20 of A-Z 0-9 - _ (clients sending lower case are tolerated).
    words = [word for word in argument.split(" ") if word] if argument is not None else []
    if not 1 <= len(words) <= 2:
        raise _syntax("Syntax: AUTH mechanism [initial-response]")
    mechanism = words[0].upper()
    if not 1 <= len(mechanism) <= 20 or not all(
        char.isascii() and (char.isalnum() or char in "-_") for char in mechanism
    ):
        raise _syntax("Invalid SASL mechanism name")
    return Auth(mechanism, words[1] if len(words) == 2 else None, bare_lf=context.bare_lf)


# The whole command set, read top to bottom. The session's own table says which states
# accept each command type.
VERBS: Mapping[str, CommandParser] = {
    "HELO": _parse_helo,  # RFC 5321 §4.1.1.1
    "EHLO": _parse_ehlo,  # RFC 5321 §4.1.1.1
    "MAIL": _parse_mail,  # RFC 5321 §4.1.1.2
    "RCPT": _parse_rcpt,  # RFC 5321 §4.1.1.3
    "DATA": _parse_data,  # RFC 5321 §4.1.1.4
    "BDAT": _parse_bdat,  # RFC 3030 §2
    "RSET": _parse_rset,  # RFC 5321 §4.1.1.5
    "VRFY": _parse_vrfy,  # RFC 5321 §4.1.1.6
    "EXPN": _parse_expn,  # RFC 5321 §4.1.1.7
    "HELP": _parse_help,  # RFC 5321 §4.1.1.8
    "NOOP": _parse_noop,  # RFC 5321 §4.1.1.9
    "QUIT": _parse_quit,  # RFC 5321 §4.1.1.10
    "STARTTLS": _parse_starttls,  # RFC 3207 §4
    "AUTH": _parse_auth,  # RFC 4954 §4
}

# Verbs with a longer line limit than RFC 5321 §4.5.3.1.4's 512 octets.
_LINE_LIMITS: Mapping[str, int] = {
    "MAIL": MAX_ENVELOPE_LINE,
    "RCPT": MAX_ENVELOPE_LINE,
    "AUTH": MAX_AUTH_LINE,
}

# Recognised but not implemented: 502, not 500 (RFC 5321 §4.2.4). SEND, SOML, SAML and
# TURN are obsolete (RFC 5321 Appendix F); ETRN (RFC 1985) and ATRN (RFC 2645) are not
# offered.
_NOT_IMPLEMENTED_VERBS = frozenset({"SEND", "SOML", "SAML", "TURN", "ETRN", "ATRN"})
# An HTTP client pointed at the SMTP port (cross-protocol attacks): answer and hang up.
_HTTP_VERBS = frozenset({"GET", "POST", "PUT", "HEAD", "CONNECT", "OPTIONS", "DELETE"})


def parse_command(
    line: bytes,
    *,
    smtputf8_allowed: bool = False,
    extensions: frozenset[str] = ALL_EXTENSIONS,
) -> Command:
    """Parse one command line (with CRLF, bare LF, or no terminator at all).

    Raises ``SmtpSyntaxError`` with the reply to send: ``500 5.5.2`` for an unknown verb,
    a line too long or a CR/LF/NUL inside the line; ``502 5.5.1`` for a known but
    unimplemented verb; ``501`` for bad arguments (``5.5.4``, or ``5.1.7`` / ``5.1.3`` for a
    bad sender / recipient address); ``555 5.5.4`` for a MAIL/RCPT parameter not offered;
    ``550``/``553 5.6.7`` for a UTF-8 address without SMTPUTF8. See ``LineContext`` for
    ``smtputf8_allowed`` and ``extensions``.
    """
    bare_lf = False
    if line.endswith(b"\r\n"):
        body = line[:-2]
    elif line.endswith(b"\n"):
        body = line[:-1]
        bare_lf = True  # RFC 5321 §2.3.8
    else:
        body = line
    if len(body) + 2 > MAX_LINE:
        raise SmtpSyntaxError(LINE_TOO_LONG)  # RFC 5321 §4.5.3.1.10
    if b"\r" in body or b"\n" in body or b"\0" in body:
        raise SmtpSyntaxError(BARE_LF_IN_COMMAND)  # RFC 5321 §2.3.8
    try:
        text = body.decode("utf-8").rstrip(" ")
    except UnicodeDecodeError:
        raise SmtpSyntaxError(
            UNRECOGNISED_COMMAND.with_text("Command is not valid UTF-8")
        ) from None
    verb, _, rest = text.partition(" ")
    # RFC 5321 §2.4: verbs are case-insensitive. ASCII first: "maıl".upper() is "MAIL".
    verb = verb.upper() if verb.isascii() else ""
    parser = VERBS.get(verb)
    if parser is None:
        raise _unknown_verb(verb)
    if len(body) + 2 > _LINE_LIMITS.get(verb, MAX_COMMAND_LINE):
        raise SmtpSyntaxError(LINE_TOO_LONG)  # RFC 5321 §4.5.3.1.4
    context = LineContext(smtputf8_allowed, extensions, bare_lf)
    return parser(rest.lstrip(" ") or None, context)


def _unknown_verb(verb: str) -> SmtpSyntaxError:
    if verb in _NOT_IMPLEMENTED_VERBS:
        return SmtpSyntaxError(NOT_IMPLEMENTED)  # RFC 5321 §4.2.4
    if verb in _HTTP_VERBS:
        reply: Reply = UNRECOGNISED_COMMAND.with_text("This is an SMTP server, closing")
        return SmtpSyntaxError(reply, close_connection=True)
    return SmtpSyntaxError(UNRECOGNISED_COMMAND)  # RFC 5321 §4.2.4
