"""POP3 (RFC 1939) without I/O: the command grammar, replies, multi-line framing and CAPA.

The modules, each pure (bytes in, values or bytes out):

- ``protocol``: ``parse_command`` and the ``COMMANDS`` table (verb → parser and valid
  states) for RFC 1939, CAPA (RFC 2449), STLS (RFC 2595), AUTH (RFC 5034), UTF8 (RFC 6856).
- ``responses``: ``ok``, ``err`` with ``RespCode`` (RFC 2449 §8, RFC 3206), STAT, LIST and
  UIDL lines, unique-id rules.
- ``multiline``: byte-stuffing and the terminating line (RFC 1939 §3), whole or streaming;
  ``top_lines`` (RFC 1939 §7); ``wire_size`` for LIST and STAT.
- ``capabilities``: the CAPA reply by session state (RFC 2449 §5, §6).
- ``errors``: ``Pop3Error`` and ``Pop3SyntaxError``, which carry their -ERR line.

The session (``courriel.pop3.session``) reads lines with ``READ_LIMIT``, parses them, checks
``COMMANDS[verb].states`` against its state, and calls the mailstore and the directory. Why
POP3 at all when IMAP exists: clients set to download mail and "leave a copy on the server"
(``EXPIRE NEVER``) are still common, and they only speak POP3.

The server stands on them: ``session`` (the loop), ``handlers`` (one function per command),
``state`` (state values, the maildrop, its locks) and ``server`` (``pop3_server`` for the
runtime). They are not imported here, and the grammar modules above must not do I/O, import
asyncio, or touch storage.
"""

from courriel.pop3.capabilities import (
    EXPIRE_NEVER,
    CapabilitySettings,
    capa_reply,
    capability_lines,
)
from courriel.pop3.errors import Pop3Error, Pop3SyntaxError
from courriel.pop3.multiline import (
    TERMINATOR,
    DotStuffer,
    dot_stuff,
    dot_stuff_chunks,
    dot_unstuff,
    listing_reply,
    multiline_reply,
    normalize_line_endings,
    sent_unchanged,
    top_lines,
    wire_size,
)
from courriel.pop3.protocol import (
    COMMANDS,
    MAX_AUTH_COMMAND_LINE,
    MAX_COMMAND_LINE,
    READ_LIMIT,
    ApopCommand,
    AuthCommand,
    CapaCommand,
    CommandSpec,
    DeleCommand,
    ListCommand,
    NoopCommand,
    PassCommand,
    Pop3Command,
    Pop3State,
    QuitCommand,
    RetrCommand,
    RsetCommand,
    StatCommand,
    StlsCommand,
    TopCommand,
    UidlCommand,
    UserCommand,
    Utf8Command,
    parse_command,
)
from courriel.pop3.responses import (
    MAX_RESPONSE_LINE,
    RespCode,
    err,
    is_valid_unique_id,
    octets_status,
    ok,
    scan_listing,
    scan_listings,
    stat_reply,
    unique_id_listing,
    unique_id_listings,
)

__all__ = [
    "COMMANDS",
    "EXPIRE_NEVER",
    "MAX_AUTH_COMMAND_LINE",
    "MAX_COMMAND_LINE",
    "MAX_RESPONSE_LINE",
    "READ_LIMIT",
    "TERMINATOR",
    "ApopCommand",
    "AuthCommand",
    "CapaCommand",
    "CapabilitySettings",
    "CommandSpec",
    "DeleCommand",
    "DotStuffer",
    "ListCommand",
    "NoopCommand",
    "PassCommand",
    "Pop3Command",
    "Pop3Error",
    "Pop3State",
    "Pop3SyntaxError",
    "QuitCommand",
    "RespCode",
    "RetrCommand",
    "RsetCommand",
    "StatCommand",
    "StlsCommand",
    "TopCommand",
    "UidlCommand",
    "UserCommand",
    "Utf8Command",
    "capa_reply",
    "capability_lines",
    "dot_stuff",
    "dot_stuff_chunks",
    "dot_unstuff",
    "err",
    "is_valid_unique_id",
    "listing_reply",
    "multiline_reply",
    "normalize_line_endings",
    "octets_status",
    "ok",
    "parse_command",
    "scan_listing",
    "scan_listings",
    "sent_unchanged",
    "stat_reply",
    "top_lines",
    "unique_id_listing",
    "unique_id_listings",
    "wire_size",
]
