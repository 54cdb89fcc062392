"""Typed server responses and their wire form (RFC 9051 §7).

Owns: tagged status responses (OK/NO/BAD with a response code, §7.1), untagged status
responses (OK/NO/BAD/PREAUTH/BYE), continuation requests (§7.5), and every kind of
untagged data courriel sends: CAPABILITY, ENABLED (RFC 5161), FLAGS, EXISTS, RECENT
(IMAP4rev1), EXPUNGE, VANISHED (RFC 7162 §3.2.10), LIST/LSUB with attributes and extended
data (CHILDINFO RFC 5258 §4, OLDNAME RFC 9051 §6.3.9), STATUS, FETCH, SEARCH, ESEARCH
(RFC 4731), SORT and THREAD (RFC 5256), NAMESPACE (RFC 2342), ID (RFC 2971), QUOTA and
QUOTAROOT (RFC 9208). :func:`serialize` writes any of them; ``utf8`` says whether the
client takes UTF-8 (IMAP4rev2 or UTF8=ACCEPT): mailbox names and strings then go out as
UTF-8, otherwise as modified UTF-7 and literals (``wire``).

Must not: decide what to answer (the session does) or do I/O.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TypeAlias

from courriel.imap.protocol.codes import ResponseCode
from courriel.imap.protocol.errors import ParseError
from courriel.imap.protocol.framing import FramingError
from courriel.imap.protocol.sequenceset import compress
from courriel.imap.protocol.utf7 import encode_mailbox_name
from courriel.imap.protocol.wire import Value, astring, mailbox, string, write_value

_LINE_BREAKS = re.compile(r"[\r\n]+")

# -- status responses and continuations (RFC 9051 §7.1, §7.5) -------------------------------


@dataclass(frozen=True, slots=True)
class Tagged:
    """``tag OK|NO|BAD [code] text`` (RFC 9051 §7.1)."""

    tag: str
    status: Literal["OK", "NO", "BAD"]
    text: str
    code: ResponseCode | None = None


@dataclass(frozen=True, slots=True)
class Untagged:
    """``* OK|NO|BAD|PREAUTH|BYE [code] text`` (RFC 9051 §7.1)."""

    status: Literal["OK", "NO", "BAD", "PREAUTH", "BYE"]
    text: str
    code: ResponseCode | None = None


@dataclass(frozen=True, slots=True)
class Continuation:
    """``+ text`` (RFC 9051 §7.5); SASL challenges are base64 text (:meth:`challenge`)."""

    text: str = ""

    @classmethod
    def challenge(cls, data: bytes) -> Continuation:
        """A SASL challenge (RFC 9051 §6.2.2): the base64 of ``data``."""
        return cls(base64.b64encode(data).decode("ascii"))


# -- untagged data (RFC 9051 §7.2-§7.4) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CapabilityData:
    capabilities: tuple[str, ...]  # RFC 9051 §7.2.2


@dataclass(frozen=True, slots=True)
class EnabledData:
    capabilities: tuple[str, ...]  # RFC 5161 §3.2


@dataclass(frozen=True, slots=True)
class FlagsData:
    flags: tuple[str, ...]  # RFC 9051 §7.3.5


@dataclass(frozen=True, slots=True)
class ExistsData:
    count: int  # RFC 9051 §7.4.1


@dataclass(frozen=True, slots=True)
class RecentData:
    count: int  # RFC 3501 §7.3.2 (IMAP4rev1 only)


@dataclass(frozen=True, slots=True)
class ExpungeData:
    number: int  # RFC 9051 §7.5.1


@dataclass(frozen=True, slots=True)
class VanishedData:
    """``* VANISHED [(EARLIER)] uids`` (RFC 7162 §3.2.10)."""

    uids: tuple[int, ...]
    earlier: bool = False


@dataclass(frozen=True, slots=True)
class ListData:
    """``* LIST (attributes) "/" name [extended]`` (RFC 9051 §7.3.1); LSUB when ``lsub``
    (RFC 3501 §7.2.3). ``child_info`` gives ``("CHILDINFO" ("SUBSCRIBED"))`` (RFC 5258
    §4), ``old_name`` gives ``("OLDNAME" ("old"))`` (RFC 9051 §6.3.9)."""

    attributes: tuple[str, ...]
    delimiter: str | None
    mailbox: str
    child_info: tuple[str, ...] = ()
    old_name: str | None = None
    lsub: bool = False


@dataclass(frozen=True, slots=True)
class StatusData:
    """``* STATUS name (MESSAGES 231 UIDNEXT 44292)`` (RFC 9051 §7.3.2); MAILBOXID values
    are rendered in parentheses (RFC 8474 §4.2), None as NIL (APPENDLIMIT without a
    limit, RFC 7889 §3.2)."""

    mailbox: str
    items: tuple[tuple[str, int | str | None], ...]


@dataclass(frozen=True, slots=True)
class FetchData:
    """``* n FETCH (name value ...)`` (RFC 9051 §7.5.2); values come from ``fetch``."""

    number: int
    items: tuple[tuple[str, Value], ...]


@dataclass(frozen=True, slots=True)
class RenderedFetches:
    """FETCH responses already in wire form, CRLFs included (``server/fetch_forms.py``
    writes them from the forms stored at ingest)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class SearchData:
    """``* SEARCH 2 3 6`` with the optional ``(MODSEQ n)`` (RFC 3501 §7.2.5, RFC 7162
    §3.1.5)."""

    numbers: tuple[int, ...]
    modseq: int | None = None


@dataclass(frozen=True, slots=True)
class ESearchData:
    """``* ESEARCH (TAG "a") UID MIN 2 MAX 7 ALL 2:7 COUNT 3 MODSEQ n`` (RFC 4731 §3.1,
    RFC 9051 §7.3.4). None leaves a result out; so does an empty ``all`` (RFC 4731 §3.1:
    no ALL, MIN or MAX when nothing matched)."""

    tag: str | None
    uid: bool = False
    min: int | None = None
    max: int | None = None
    all: tuple[int, ...] | None = None
    count: int | None = None
    modseq: int | None = None


@dataclass(frozen=True, slots=True)
class SortData:
    """``* SORT 2 3 6`` (RFC 5256 §4), ``(MODSEQ n)`` with CONDSTORE (RFC 7162 §3.1.5)."""

    numbers: tuple[int, ...]
    modseq: int | None = None


@dataclass(frozen=True, slots=True)
class ThreadNode:
    """A message in a thread and its replies; ``number`` None is a dummy parent that
    holds siblings whose parent is missing (RFC 5256 §4)."""

    number: int | None
    children: tuple[ThreadNode, ...] = ()


@dataclass(frozen=True, slots=True)
class ThreadData:
    """``* THREAD (2)(3 6 (4 23)(44 7 96))`` (RFC 5256 §4)."""

    threads: tuple[ThreadNode, ...]


Namespaces: TypeAlias = tuple[tuple[str, str | None], ...] | None


@dataclass(frozen=True, slots=True)
class NamespaceData:
    """``* NAMESPACE (("" "/")) NIL NIL``: each is ((prefix, delimiter), ...) or None
    (RFC 9051 §7.3.3, RFC 2342 §5)."""

    personal: Namespaces
    other_users: Namespaces
    shared: Namespaces


@dataclass(frozen=True, slots=True)
class IdData:
    """``* ID ("name" "courriel")`` or ``* ID NIL`` (RFC 2971 §3.2)."""

    parameters: tuple[tuple[str, str | None], ...] | None


@dataclass(frozen=True, slots=True)
class QuotaData:
    """``* QUOTA root (STORAGE 10 512)``: (resource, usage, limit) (RFC 9208 §5.1)."""

    root: str
    resources: tuple[tuple[str, int, int], ...]


@dataclass(frozen=True, slots=True)
class QuotaRootData:
    """``* QUOTAROOT INBOX ""`` (RFC 9208 §5.2)."""

    mailbox: str
    roots: tuple[str, ...]


Response: TypeAlias = (
    Tagged
    | Untagged
    | Continuation
    | CapabilityData
    | EnabledData
    | FlagsData
    | ExistsData
    | RecentData
    | ExpungeData
    | VanishedData
    | ListData
    | StatusData
    | FetchData
    | RenderedFetches
    | SearchData
    | ESearchData
    | SortData
    | ThreadData
    | NamespaceData
    | IdData
    | QuotaData
    | QuotaRootData
)

# -- builders --------------------------------------------------------------------------------


def ok(tag: str, text: str, code: ResponseCode | None = None) -> Tagged:
    return Tagged(tag, "OK", text, code)


def no(tag: str, text: str, code: ResponseCode | None = None) -> Tagged:
    return Tagged(tag, "NO", text, code)


def bad(tag: str, text: str, code: ResponseCode | None = None) -> Tagged:
    return Tagged(tag, "BAD", text, code)


def bye(text: str, code: ResponseCode | None = None) -> Untagged:
    return Untagged("BYE", text, code)


def parse_error_response(error: ParseError) -> Tagged | Untagged:
    """The reply to a command the parser rejected: tagged, or untagged BAD without a tag
    (RFC 9051 §7.1.3)."""
    if error.tag is None:
        return Untagged("BAD", error.text, error.code)
    return Tagged(error.tag, error.status, error.text, error.code)


def framing_error_response(error: FramingError) -> Tagged | Untagged:
    """The reply to a command the framer rejected (line too long, literal too big)."""
    if error.tag is None:
        return Untagged("BAD", error.text, error.code)
    return Tagged(error.tag, error.status, error.text, error.code)


# -- serialisation ---------------------------------------------------------------------------


def _text(text: str, utf8: bool) -> bytes:
    """resp-text ``text``: no CR/LF (RFC 9051 §9 TEXT-CHAR); 8-bit only for UTF-8 clients."""
    clean = _LINE_BREAKS.sub(" ", text)
    if utf8:
        return clean.encode("utf-8")
    return clean.encode("ascii", "replace")


def _status(prefix: bytes, status: str, text: str, code: ResponseCode | None, utf8: bool) -> bytes:
    out = prefix + b" " + status.encode("ascii")
    if code is not None:
        out += b" " + str(code).encode("utf-8" if utf8 else "ascii", "replace")
    if text:  # callers give text: IMAP4rev1 requires it (RFC 3501 §9 resp-text)
        out += b" " + _text(text, utf8)
    return out + b"\r\n"


def _numbers(numbers: Iterable[int]) -> bytes:
    return b"".join(b" " + str(number).encode("ascii") for number in numbers)


def _modseq(modseq: int | None) -> bytes:
    return b"" if modseq is None else f" (MODSEQ {modseq})".encode("ascii")


def _namespaces(namespaces: Namespaces, utf8: bool) -> bytes:
    """``"(" 1*("(" string SP (DQUOTE QUOTED-CHAR DQUOTE / nil) ")") ")" / nil``
    (RFC 9051 §9 ``Namespace``)."""
    if namespaces is None:
        return b"NIL"
    items: list[bytes] = []
    for prefix, delimiter in namespaces:
        separator = b"NIL" if delimiter is None else string(delimiter)
        items.append(b"(" + mailbox_string(prefix, utf8) + b" " + separator + b")")
    return b"(" + b"".join(items) + b")"


def mailbox_string(name: str, utf8: bool) -> bytes:
    """A mailbox name or prefix as a ``string`` (never an atom), encoded for the client."""
    return string(name if utf8 else encode_mailbox_name(name), utf8=utf8)


def _thread(node: ThreadNode) -> bytes:
    """The inside of one thread-list: the chain of single replies, then nested lists."""
    parts: list[bytes] = []
    while True:
        if node.number is not None:
            parts.append(str(node.number).encode("ascii"))
        if len(node.children) == 1:
            node = node.children[0]
            continue
        if node.children:
            parts.append(b"".join(b"(" + _thread(child) + b")" for child in node.children))
        return b" ".join(parts)


def _list(data: ListData, utf8: bool) -> bytes:
    name = b"LSUB" if data.lsub else b"LIST"
    attributes = " ".join(data.attributes).encode("ascii")
    delimiter = b"NIL" if data.delimiter is None else string(data.delimiter)
    out = b"* %s (%s) %s %s" % (name, attributes, delimiter, mailbox(data.mailbox, utf8=utf8))
    extended: list[bytes] = []
    if data.child_info:  # RFC 5258 §4
        items = b" ".join(string(item) for item in data.child_info)
        extended.append(b'"CHILDINFO" (' + items + b")")
    if data.old_name is not None:  # RFC 9051 §6.3.9
        extended.append(b'"OLDNAME" (' + mailbox_string(data.old_name, utf8) + b")")
    if extended:
        out += b" (" + b" ".join(extended) + b")"
    return out + b"\r\n"


def _esearch(data: ESearchData) -> bytes:
    out = b"* ESEARCH"
    if data.tag is not None:  # RFC 4731 §3.1 search-correlator
        out += b" (TAG " + string(data.tag) + b")"
    if data.uid:
        out += b" UID"
    if data.min is not None:
        out += b" MIN %d" % data.min
    if data.max is not None:
        out += b" MAX %d" % data.max
    if data.all:
        out += b" ALL " + compress(data.all).encode("ascii")
    if data.count is not None:
        out += b" COUNT %d" % data.count
    if data.modseq is not None:  # RFC 7162 §3.1.5
        out += b" MODSEQ %d" % data.modseq
    return out + b"\r\n"


def _status_data(data: StatusData, utf8: bool) -> bytes:
    items: list[bytes] = []
    for name, value in data.items:
        if value is None:
            rendered = "NIL"
        elif name == "MAILBOXID":
            rendered = f"({value})"
        else:
            rendered = str(value)
        items.append(f"{name} {rendered}".encode("ascii"))
    return b"* STATUS %s (%s)\r\n" % (mailbox(data.mailbox, utf8=utf8), b" ".join(items))


def _fetch(data: FetchData, utf8: bool) -> bytes:
    out = [b"* %d FETCH (" % data.number]
    for index, (name, value) in enumerate(data.items):
        if index:
            out.append(b" ")
        out.append(name.encode("ascii") + b" ")
        write_value(out, value, utf8)
    out.append(b")\r\n")
    return b"".join(out)


def _id(data: IdData) -> bytes:
    if data.parameters is None:
        return b"* ID NIL\r\n"
    items: list[Value] = []
    for name, value in data.parameters:
        items.extend((name, value))
    out: list[bytes] = [b"* ID "]
    write_value(out, tuple(items), False)
    return b"".join(out) + b"\r\n"


def serialize(response: Response, *, utf8: bool = False) -> bytes:
    """The bytes of ``response`` including the final CRLF (RFC 9051 §7)."""
    match response:
        case Tagged():
            tag = response.tag.encode("ascii")
            return _status(tag, response.status, response.text, response.code, utf8)
        case Untagged():
            return _status(b"*", response.status, response.text, response.code, utf8)
        case Continuation():
            return b"+ " + _text(response.text, utf8) + b"\r\n"
        case CapabilityData():
            return b"* CAPABILITY " + " ".join(response.capabilities).encode("ascii") + b"\r\n"
        case EnabledData():
            return b"* ENABLED" + "".join(f" {c}" for c in response.capabilities).encode() + b"\r\n"
        case FlagsData():
            return b"* FLAGS (" + " ".join(response.flags).encode("utf-8") + b")\r\n"
        case ExistsData():
            return b"* %d EXISTS\r\n" % response.count
        case RecentData():
            return b"* %d RECENT\r\n" % response.count
        case ExpungeData():
            return b"* %d EXPUNGE\r\n" % response.number
        case VanishedData():
            earlier = b" (EARLIER)" if response.earlier else b""
            return b"* VANISHED%s %s\r\n" % (earlier, compress(response.uids).encode("ascii"))
        case ListData():
            return _list(response, utf8)
        case StatusData():
            return _status_data(response, utf8)
        case FetchData():
            return _fetch(response, utf8)
        case RenderedFetches():
            return response.data
        case SearchData():
            return b"* SEARCH" + _numbers(response.numbers) + _modseq(response.modseq) + b"\r\n"
        case ESearchData():
            return _esearch(response)
        case SortData():
            return b"* SORT" + _numbers(response.numbers) + _modseq(response.modseq) + b"\r\n"
        case ThreadData():
            threads = b"".join(b"(" + _thread(node) + b")" for node in response.threads)
            return b"* THREAD" + (b" " + threads if threads else b"") + b"\r\n"
        case NamespaceData():
            parts = (
                _namespaces(response.personal, utf8),
                _namespaces(response.other_users, utf8),
                _namespaces(response.shared, utf8),
            )
            return b"* NAMESPACE " + b" ".join(parts) + b"\r\n"
        case IdData():
            return _id(response)
        case QuotaData():
            resources = " ".join(
                f"{name} {usage} {limit}" for name, usage, limit in response.resources
            )
            root = astring(response.root, utf8=utf8)
            return b"* QUOTA %s (%s)\r\n" % (root, resources.encode("ascii"))
        case QuotaRootData():
            roots = b"".join(b" " + astring(root, utf8=utf8) for root in response.roots)
            return b"* QUOTAROOT " + mailbox(response.mailbox, utf8=utf8) + roots + b"\r\n"
