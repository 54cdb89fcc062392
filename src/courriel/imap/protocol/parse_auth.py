"""Parsers of the authenticated-state commands (RFC 9051 §6.3): ENABLE, SELECT/EXAMINE,
CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB, NAMESPACE, STATUS, APPEND,
IDLE, and the QUOTA commands (RFC 9208).

Must not: check that a mailbox exists or that an extension was enabled (the session).
"""

from __future__ import annotations

from courriel.imap.protocol.commands import (
    Append,
    AppendMessage,
    Create,
    Delete,
    Enable,
    GetQuota,
    GetQuotaRoot,
    Idle,
    List,
    Lsub,
    Namespace,
    QresyncParameters,
    Rename,
    Select,
    SetQuota,
    Status,
    Subscribe,
    Unsubscribe,
)
from courriel.imap.protocol.lexer import Reader, SyntaxProblem
from courriel.imap.protocol.parse_common import (
    ParseContext,
    no_arguments,
    read_mailbox,
    read_pattern,
    read_reference,
)
from courriel.imap.protocol.sequenceset import SequenceSet

#: STATUS items (RFC 9051 §6.3.11; RECENT RFC 3501 §6.3.10; HIGHESTMODSEQ RFC 7162
#: §3.1.6; SIZE RFC 8438 §2; APPENDLIMIT RFC 7889 §3.2; MAILBOXID RFC 8474 §4.2).
STATUS_ITEMS = frozenset(
    {
        "MESSAGES",
        "UIDNEXT",
        "UIDVALIDITY",
        "UNSEEN",
        "DELETED",
        "SIZE",
        "RECENT",
        "HIGHESTMODSEQ",
        "APPENDLIMIT",
        "MAILBOXID",
    }
)
#: LIST selection options (RFC 5258 §3.1; SPECIAL-USE RFC 6154 §5.3).
LIST_SELECTION_OPTIONS = frozenset({"SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"})
#: LIST return options (RFC 5258 §3.2; SPECIAL-USE RFC 6154 §5.3; STATUS RFC 5819 §2).
LIST_RETURN_OPTIONS = frozenset({"SUBSCRIBED", "CHILDREN", "SPECIAL-USE", "STATUS"})
#: Special-use attributes in their canonical spelling (RFC 6154 §2, RFC 9051 §7.3.1).
SPECIAL_USES = {
    name.lower(): name
    for name in ("\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash")
}


def parse_enable(tag: str, reader: Reader, _context: ParseContext) -> Enable:
    """``ENABLE 1*(SP capability)`` (RFC 5161 §4)."""
    names: list[str] = []
    while reader.try_space():
        names.append(reader.keyword("a capability name"))
    if not names:
        raise SyntaxProblem("Missing argument")
    reader.end()
    return Enable(tag, tuple(names))


def _qresync(reader: Reader) -> QresyncParameters:
    """``"(" uidvalidity SP mod-sequence-value [SP known-uids] [SP seq-match-data] ")"``
    (RFC 7162 §7)."""
    reader.expect(b"(", '"("')
    uid_validity = reader.nz_number("a UIDVALIDITY")
    reader.space()
    modseq = reader.mod_sequence()
    known_uids: SequenceSet | None = None
    known_sequences: SequenceSet | None = None
    known_sequence_uids: SequenceSet | None = None
    if reader.try_space() and reader.peek() != b"(":
        known_uids = _no_star(reader.sequence_set())  # RFC 7162 §7: "*" is not allowed
        reader.try_space()
    if reader.take(b"("):
        known_sequences = _no_star(reader.sequence_set())
        reader.space()
        known_sequence_uids = _no_star(reader.sequence_set())
        reader.expect(b")", '")"')
    reader.expect(b")", '")"')
    return QresyncParameters(uid_validity, modseq, known_uids, known_sequences, known_sequence_uids)


def _no_star(sequence_set: SequenceSet) -> SequenceSet:
    if sequence_set.has_star or sequence_set.saved:
        raise SyntaxProblem('"*" and "$" are not allowed here')
    return sequence_set


def _parse_select(tag: str, reader: Reader, context: ParseContext, read_only: bool) -> Select:
    """``SELECT/EXAMINE SP mailbox [select-params]`` (RFC 9051 §6.3.2, RFC 4466 §2.1)."""
    reader.space()
    mailbox = read_mailbox(reader, context)
    condstore = False
    qresync: QresyncParameters | None = None
    if reader.try_space():
        reader.expect(b"(", '"("')
        while True:
            name = reader.keyword("a SELECT parameter")
            if name == "CONDSTORE":  # RFC 7162 §3.1.8
                condstore = True
            elif name == "QRESYNC":  # RFC 7162 §3.2.5
                reader.space()
                qresync = _qresync(reader)
            else:
                raise SyntaxProblem(f"Unknown SELECT parameter {name}")
            if reader.take(b")"):
                break
            reader.space()
    reader.end()
    return Select(tag, mailbox, read_only, condstore, qresync)


def parse_select(tag: str, reader: Reader, context: ParseContext) -> Select:
    return _parse_select(tag, reader, context, read_only=False)


def parse_examine(tag: str, reader: Reader, context: ParseContext) -> Select:
    return _parse_select(tag, reader, context, read_only=True)


def parse_create(tag: str, reader: Reader, context: ParseContext) -> Create:
    """``CREATE SP mailbox [SP "(" create-param ... ")"]``, with USE (RFC 6154 §6)."""
    reader.space()
    mailbox = read_mailbox(reader, context)
    uses: list[str] = []
    if reader.try_space():
        reader.expect(b"(", '"("')
        while True:
            name = reader.keyword("a CREATE parameter")
            if name != "USE":
                raise SyntaxProblem(f"Unknown CREATE parameter {name}")
            reader.space()
            for flag in reader.paren_list(reader.flag, empty=True):
                if not flag.startswith("\\"):
                    raise SyntaxProblem("A special-use attribute starts with a backslash")
                uses.append(SPECIAL_USES.get(flag.lower(), flag))
            if reader.take(b")"):
                break
            reader.space()
    reader.end()
    return Create(tag, mailbox, tuple(uses))


def _one_mailbox(reader: Reader, context: ParseContext) -> str:
    reader.space()
    mailbox = read_mailbox(reader, context)
    reader.end()
    return mailbox


def parse_delete(tag: str, reader: Reader, context: ParseContext) -> Delete:
    return Delete(tag, _one_mailbox(reader, context))  # RFC 9051 §6.3.5


def parse_subscribe(tag: str, reader: Reader, context: ParseContext) -> Subscribe:
    return Subscribe(tag, _one_mailbox(reader, context))  # RFC 9051 §6.3.7


def parse_unsubscribe(tag: str, reader: Reader, context: ParseContext) -> Unsubscribe:
    return Unsubscribe(tag, _one_mailbox(reader, context))  # RFC 9051 §6.3.8


def parse_get_quota_root(tag: str, reader: Reader, context: ParseContext) -> GetQuotaRoot:
    return GetQuotaRoot(tag, _one_mailbox(reader, context))  # RFC 9208 §4.3


def parse_rename(tag: str, reader: Reader, context: ParseContext) -> Rename:
    """``RENAME SP mailbox SP mailbox`` (RFC 9051 §6.3.6)."""
    reader.space()
    old = read_mailbox(reader, context)
    reader.space()
    new = read_mailbox(reader, context)
    reader.end()
    return Rename(tag, old, new)


def _status_items(reader: Reader) -> tuple[str, ...]:
    items = reader.paren_list(lambda: reader.keyword("a status item"))
    for item in items:
        if item not in STATUS_ITEMS:
            raise SyntaxProblem(f"Unknown status item {item}")
    return tuple(items)


def parse_list(tag: str, reader: Reader, context: ParseContext) -> List:
    """``LIST [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]``
    (RFC 9051 §6.3.9, RFC 5258 §3)."""
    reader.space()
    selection: list[str] = []
    extended = False
    if reader.peek() == b"(":
        extended = True
        selection = reader.paren_list(lambda: reader.keyword("a selection option"), empty=True)
        for option in selection:
            if option not in LIST_SELECTION_OPTIONS:
                raise SyntaxProblem(f"Unknown LIST selection option {option}")
        # RFC 5258 §3.1: RECURSIVEMATCH needs another selection option (not only REMOTE).
        if "RECURSIVEMATCH" in selection and not set(selection) - {"RECURSIVEMATCH", "REMOTE"}:
            raise SyntaxProblem("RECURSIVEMATCH needs another selection option")
        reader.space()
    reference = read_reference(reader, context)
    reader.space()
    if reader.peek() == b"(":  # RFC 5258 §3: several patterns
        extended = True
        patterns = tuple(reader.paren_list(lambda: read_pattern(reader, context)))
    else:
        patterns = (read_pattern(reader, context),)
    returns: list[str] = []
    status_items: tuple[str, ...] | None = None
    if reader.try_space():
        extended = True
        reader.expect(b"RETURN", "RETURN")
        reader.space()

        def return_option() -> str:
            option = reader.keyword("a return option")
            if option not in LIST_RETURN_OPTIONS:
                raise SyntaxProblem(f"Unknown LIST return option {option}")
            if option == "STATUS":  # RFC 5819 §2
                nonlocal status_items
                reader.space()
                status_items = _status_items(reader)
            return option

        returns = reader.paren_list(return_option, empty=True)
    reader.end()
    return List(
        tag,
        reference,
        patterns,
        tuple(selection),
        tuple(option for option in returns if option != "STATUS"),
        status_items,
        extended,
    )


def parse_lsub(tag: str, reader: Reader, context: ParseContext) -> Lsub:
    """``LSUB SP mailbox SP list-mailbox`` (RFC 3501 §6.3.9)."""
    reader.space()
    reference = read_reference(reader, context)
    reader.space()
    pattern = read_pattern(reader, context)
    reader.end()
    return Lsub(tag, reference, pattern)


parse_namespace = no_arguments(Namespace)  # RFC 9051 §6.3.10
parse_idle = no_arguments(Idle)  # RFC 9051 §6.3.13


def parse_status(tag: str, reader: Reader, context: ParseContext) -> Status:
    """``STATUS SP mailbox SP "(" status-att *(SP status-att) ")"`` (RFC 9051 §6.3.11)."""
    reader.space()
    mailbox = read_mailbox(reader, context)
    reader.space()
    items = _status_items(reader)
    reader.end()
    return Status(tag, mailbox, items)


def _append_message(reader: Reader) -> AppendMessage:
    """``append-opts SP append-data`` (RFC 9051 §9, RFC 3502 §6.3.11, RFC 6855 §4)."""
    flags: tuple[str, ...] = ()
    internal_date = None
    if reader.peek() == b"(":
        flags = reader.flag_list()
        reader.space()
    if reader.peek() == b'"':
        internal_date = reader.date_time()
        reader.space()
    if reader.take(b"UTF8 ("):  # RFC 6855 §4: "UTF8" SP "(" literal8 ")"
        data, binary = reader.literal(allow_binary=True)
        reader.expect(b")", '")"')
        return AppendMessage(data, flags, internal_date, binary, utf8=True)
    if reader.peek() not in (b"{", b"~"):
        raise SyntaxProblem("Expected a literal with the message")
    data, binary = reader.literal(allow_binary=True)  # RFC 3516 §4.4: literal8 allowed
    return AppendMessage(data, flags, internal_date, binary)


def parse_append(tag: str, reader: Reader, context: ParseContext) -> Append:
    """``APPEND SP mailbox 1*append-message`` (RFC 9051 §6.3.12, MULTIAPPEND RFC 3502)."""
    reader.space()
    mailbox = read_mailbox(reader, context)
    messages: list[AppendMessage] = []
    while reader.try_space():
        messages.append(_append_message(reader))
    if not messages:
        raise SyntaxProblem("Missing message literal")
    reader.end()
    return Append(tag, mailbox, tuple(messages))


def parse_get_quota(tag: str, reader: Reader, _context: ParseContext) -> GetQuota:
    """``GETQUOTA SP quota-root-name`` (RFC 9208 §4.2)."""
    reader.space()
    root = reader.text("a quota root")
    reader.end()
    return GetQuota(tag, root)


def parse_set_quota(tag: str, reader: Reader, _context: ParseContext) -> SetQuota:
    """``SETQUOTA SP quota-root-name SP "(" [resource SP limit *(...)] ")"``
    (RFC 9208 §4.1)."""
    reader.space()
    root = reader.text("a quota root")
    reader.space()

    def resource() -> tuple[str, int]:
        name = reader.keyword("a resource name")
        reader.space()
        return name, reader.number64("a resource limit")

    limits = tuple(reader.paren_list(resource, empty=True))
    reader.end()
    return SetQuota(tag, root, limits)
