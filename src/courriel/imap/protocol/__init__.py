"""The pure IMAP grammar: bytes to typed commands, typed responses to bytes. No I/O.

IMAP4rev2 (RFC 9051) and IMAP4rev1 (RFC 3501) with the extensions courriel serves. The
session (``courriel.imap.server``) feeds received bytes to a :class:`CommandFramer`, parses
each :class:`CommandFrame` with :func:`parse_command`, dispatches the typed command, and
writes responses built here with :func:`serialize`. Module map::

    framing        bytes -> whole commands with literals; limits     (RFC 9051 §4.3, 7888, 3516)
    lexer          tokens of one command: atoms, strings, literals  (RFC 9051 §9)
    sequenceset    1:*, $, UID/sequence arithmetic, compression     (RFC 9051 §9, RFC 5182)
    commands       one dataclass per command                        (RFC 9051 §6)
    searchkeys     parsed SEARCH keys                                (RFC 9051 §6.4.4)
    fetchitems     parsed FETCH attributes, sections, macros         (RFC 9051 §6.4.5)
    parser         parse_command, the COMMANDS / UID_COMMANDS tables
    parse_*        one parser module per command group (any, nonauth, auth, selected),
                   plus the SEARCH and FETCH sub-grammars
    search         SEARCH keys -> courriel.storage.query, session-level markers
    codes          response codes                                    (RFC 9051 §7.1, RFC 5530)
    responses      typed responses and serialize()                   (RFC 9051 §7)
    wire           atom / quoted / literal choice, mailbox names     (RFC 9051 §4, RFC 6855)
    utf7           modified UTF-7                                    (RFC 3501 §5.1.3)
    fetch          ENVELOPE, BODYSTRUCTURE, sections, BINARY         (RFC 9051 §7.5.2, 3516)
    errors         ParseError, UnknownTransferEncoding

Must not: touch sockets, storage, configuration or clocks; keep mutable global state.
"""

from courriel.imap.protocol.commands import Command
from courriel.imap.protocol.errors import ParseError, ProtocolError, UnknownTransferEncoding
from courriel.imap.protocol.fetch import FetchedMessage, render_attribute, render_fetch
from courriel.imap.protocol.fetchitems import needs_content, response_name, sets_seen
from courriel.imap.protocol.framing import (
    CommandFrame,
    CommandFramer,
    FramerEvent,
    FramingError,
    FramingLimits,
    NeedContinuation,
    NeedMore,
)
from courriel.imap.protocol.parse_common import ParseContext
from courriel.imap.protocol.parse_nonauth import parse_sasl_response
from courriel.imap.protocol.parser import COMMANDS, UID_COMMANDS, is_idle_done, parse_command
from courriel.imap.protocol.responses import (
    Response,
    framing_error_response,
    parse_error_response,
    serialize,
)
from courriel.imap.protocol.search import resolve, to_criteria
from courriel.imap.protocol.sequenceset import SequenceSet, compress

__all__ = [
    "COMMANDS",
    "UID_COMMANDS",
    "Command",
    "CommandFrame",
    "CommandFramer",
    "FetchedMessage",
    "FramerEvent",
    "FramingError",
    "FramingLimits",
    "NeedContinuation",
    "NeedMore",
    "ParseContext",
    "ParseError",
    "ProtocolError",
    "Response",
    "SequenceSet",
    "UnknownTransferEncoding",
    "compress",
    "framing_error_response",
    "is_idle_done",
    "needs_content",
    "parse_command",
    "parse_error_response",
    "parse_sasl_response",
    "render_attribute",
    "render_fetch",
    "resolve",
    "response_name",
    "serialize",
    "sets_seen",
    "to_criteria",
]
