"""``parse_command``: a framed command in, a typed command out — and the command tables.

Owns the two explicit tables that show the whole grammar at a glance: :data:`COMMANDS`
(command name → parser) and :data:`UID_COMMANDS` (the commands with a UID form, RFC 9051
§6.4.9, RFC 4315 §2.1 UID EXPUNGE, RFC 5256 UID SORT/THREAD, RFC 6851 UID MOVE), the
entry point that reads ``tag SP command`` (RFC 9051 §9 ``command``) and turns syntax
problems into :class:`~courriel.imap.protocol.errors.ParseError` with the tag, and the
IDLE terminator (RFC 2177 §3).

Which states allow which command is the session's dispatch table, not this one.

Must not: do I/O, look at session state other than :class:`ParseContext`, or raise
anything but ``ParseError``.
"""

from __future__ import annotations

import re

from courriel.imap.protocol.commands import Command
from courriel.imap.protocol.errors import ParseError
from courriel.imap.protocol.framing import CommandFrame
from courriel.imap.protocol.lexer import Reader, SyntaxProblem
from courriel.imap.protocol.parse_any import (
    parse_capability,
    parse_compress,
    parse_id,
    parse_logout,
    parse_noop,
)
from courriel.imap.protocol.parse_auth import (
    parse_append,
    parse_create,
    parse_delete,
    parse_enable,
    parse_examine,
    parse_get_quota,
    parse_get_quota_root,
    parse_idle,
    parse_list,
    parse_lsub,
    parse_namespace,
    parse_rename,
    parse_select,
    parse_set_quota,
    parse_status,
    parse_subscribe,
    parse_unsubscribe,
)
from courriel.imap.protocol.parse_common import DEFAULT_CONTEXT, CommandParser, ParseContext
from courriel.imap.protocol.parse_nonauth import parse_authenticate, parse_login, parse_starttls
from courriel.imap.protocol.parse_selected import (
    parse_check,
    parse_close,
    parse_copy,
    parse_expunge,
    parse_fetch,
    parse_move,
    parse_search,
    parse_sort,
    parse_store,
    parse_thread,
    parse_uid_copy,
    parse_uid_expunge,
    parse_uid_fetch,
    parse_uid_move,
    parse_uid_search,
    parse_uid_sort,
    parse_uid_store,
    parse_uid_thread,
    parse_unselect,
)

#: Every command by name (RFC 9051 §6 and the extensions named beside each).
COMMANDS: dict[str, CommandParser] = {
    # any state, RFC 9051 §6.1
    "CAPABILITY": parse_capability,
    "NOOP": parse_noop,
    "LOGOUT": parse_logout,
    "ID": parse_id,  # RFC 2971
    "COMPRESS": parse_compress,  # RFC 4978
    # not authenticated, RFC 9051 §6.2
    "STARTTLS": parse_starttls,
    "AUTHENTICATE": parse_authenticate,  # + SASL-IR, RFC 4959
    "LOGIN": parse_login,
    # authenticated, RFC 9051 §6.3
    "ENABLE": parse_enable,  # RFC 5161
    "SELECT": parse_select,
    "EXAMINE": parse_examine,
    "CREATE": parse_create,
    "DELETE": parse_delete,
    "RENAME": parse_rename,
    "SUBSCRIBE": parse_subscribe,
    "UNSUBSCRIBE": parse_unsubscribe,
    "LIST": parse_list,  # + LIST-EXTENDED RFC 5258, LIST-STATUS RFC 5819
    "LSUB": parse_lsub,  # IMAP4rev1, RFC 3501 §6.3.9
    "NAMESPACE": parse_namespace,  # RFC 2342
    "STATUS": parse_status,
    "APPEND": parse_append,  # + MULTIAPPEND RFC 3502, BINARY RFC 3516, UTF8 RFC 6855
    "IDLE": parse_idle,  # RFC 2177
    "GETQUOTA": parse_get_quota,  # RFC 9208
    "GETQUOTAROOT": parse_get_quota_root,  # RFC 9208
    "SETQUOTA": parse_set_quota,  # RFC 9208
    # selected, RFC 9051 §6.4
    "CHECK": parse_check,  # IMAP4rev1, RFC 3501 §6.4.1
    "CLOSE": parse_close,
    "UNSELECT": parse_unselect,  # RFC 3691
    "EXPUNGE": parse_expunge,
    "SEARCH": parse_search,  # + ESEARCH RFC 4731, SEARCHRES RFC 5182
    "SORT": parse_sort,  # RFC 5256
    "THREAD": parse_thread,  # RFC 5256
    "FETCH": parse_fetch,
    "STORE": parse_store,
    "COPY": parse_copy,
    "MOVE": parse_move,  # RFC 6851
}

#: The commands that have a UID form, ``UID <name> ...`` (RFC 9051 §6.4.9).
UID_COMMANDS: dict[str, CommandParser] = {
    "COPY": parse_uid_copy,
    "MOVE": parse_uid_move,  # RFC 6851 §3.2
    "FETCH": parse_uid_fetch,
    "SEARCH": parse_uid_search,
    "STORE": parse_uid_store,
    "EXPUNGE": parse_uid_expunge,  # RFC 4315 §2.1
    "SORT": parse_uid_sort,  # RFC 5256 §3
    "THREAD": parse_uid_thread,  # RFC 5256 §3
}

# RFC 9051 §9: tag = 1*<any ASTRING-CHAR except "+">
_TAG = re.compile(rb"[^\x00-\x20\x7f-\xff(){%*\"\\+]+")
_COMMAND_NAME = re.compile(rb"[A-Za-z0-9]+")


def parse_command(frame: CommandFrame | bytes, context: ParseContext = DEFAULT_CONTEXT) -> Command:
    """Parse one framed command (no final line ending); raises :class:`ParseError`."""
    data = frame.data if isinstance(frame, CommandFrame) else frame
    tag_match = _TAG.match(data)
    if tag_match is None or data[tag_match.end() : tag_match.end() + 1] not in (b" ", b""):
        raise ParseError(None, "Missing or invalid tag" if data else "Empty command line")
    tag = tag_match.group().decode("ascii")
    reader = Reader(data, tag_match.end())
    name = ""
    try:
        reader.space()
        name_match = _COMMAND_NAME.match(data, reader.pos)
        if name_match is None:
            raise ParseError(tag, "Missing or invalid command name")
        name = name_match.group().upper().decode("ascii")
        reader.pos = name_match.end()
        if name == "UID":  # RFC 9051 §6.4.9
            reader.space()
            sub_match = _COMMAND_NAME.match(data, reader.pos)
            sub_name = sub_match.group().upper().decode("ascii") if sub_match else ""
            found = UID_COMMANDS.get(sub_name)
            if sub_match is None or found is None:
                raise ParseError(tag, "Unknown UID command")
            reader.pos = sub_match.end()
            name = f"UID {sub_name}"
        else:
            found = COMMANDS.get(name)
            if found is None:
                raise ParseError(tag, "Unknown command")
        return found(tag, reader, context)
    except SyntaxProblem as problem:
        where = f"{name}: " if name else ""
        raise ParseError(tag, where + problem.text, problem.code, status=problem.status) from None


def is_idle_done(line: CommandFrame | bytes) -> bool:
    """True for the ``DONE`` line that ends IDLE (RFC 2177 §3, RFC 9051 §6.3.13)."""
    data = line.data if isinstance(line, CommandFrame) else line
    return data.upper() == b"DONE"
