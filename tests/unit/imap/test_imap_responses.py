"""Response serialisation, byte-exact against the RFCs' examples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courriel.imap.protocol import codes
from courriel.imap.protocol.commands import Select
from courriel.imap.protocol.errors import ParseError
from courriel.imap.protocol.framing import FramingError
from courriel.imap.protocol.lexer import Reader
from courriel.imap.protocol.parse_common import ParseContext
from courriel.imap.protocol.parser import parse_command
from courriel.imap.protocol.responses import (
    CapabilityData,
    Continuation,
    EnabledData,
    ESearchData,
    ExistsData,
    ExpungeData,
    FetchData,
    FlagsData,
    IdData,
    ListData,
    NamespaceData,
    QuotaData,
    QuotaRootData,
    RecentData,
    Response,
    SearchData,
    SortData,
    StatusData,
    Tagged,
    ThreadData,
    ThreadNode,
    Untagged,
    VanishedData,
    bad,
    bye,
    framing_error_response,
    no,
    ok,
    parse_error_response,
    serialize,
)
from courriel.imap.protocol.wire import AString, Atom, Literal, MailboxName, astring, render, string

SEEN = Atom("\\Seen")


def chain(*numbers: int, children: tuple[ThreadNode, ...] = ()) -> ThreadNode:
    """A thread of single replies ending in ``children``."""
    node = ThreadNode(numbers[-1], children)
    for number in reversed(numbers[:-1]):
        node = ThreadNode(number, (node,))
    return node


EXAMPLES: list[tuple[Response, bytes]] = [
    # RFC 9051 §7.1 and §8
    (ok("a001", "LOGIN completed"), b"a001 OK LOGIN completed"),
    (ok("a002", "SELECT completed", codes.READ_WRITE), b"a002 OK [READ-WRITE] SELECT completed"),
    (no("A223", "COPY failed: disk is full"), b"A223 NO COPY failed: disk is full"),
    (bad("A224", "Unknown command"), b"A224 BAD Unknown command"),
    (Untagged("OK", "IMAP4rev2 Service Ready"), b"* OK IMAP4rev2 Service Ready"),
    (
        Untagged("OK", "UIDs valid", codes.uid_validity_code(3857529045)),
        b"* OK [UIDVALIDITY 3857529045] UIDs valid",
    ),
    (
        Untagged("OK", "Predicted next UID", codes.uid_next_code(4392)),
        b"* OK [UIDNEXT 4392] Predicted next UID",
    ),
    (
        Untagged("OK", "Limited", codes.permanent_flags_code(("\\Deleted", "\\Seen", "\\*"))),
        b"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited",
    ),
    (
        Untagged("OK", "Message 17 is the first unseen message", codes.unseen_code(17)),
        b"* OK [UNSEEN 17] Message 17 is the first unseen message",
    ),  # RFC 3501 §7.1
    (
        Untagged("PREAUTH", "IMAP4rev2 server logged in as Smith"),
        b"* PREAUTH IMAP4rev2 server logged in as Smith",
    ),
    (bye("Autologout; idle for too long"), b"* BYE Autologout; idle for too long"),
    (
        Untagged("NO", "Disk is 98% full, please delete unnecessary data", codes.ALERT),
        b"* NO [ALERT] Disk is 98% full, please delete unnecessary data",
    ),
    (
        Tagged("A1", "NO", "Unsupported charset", codes.bad_charset_code(("UTF-8",))),
        b"A1 NO [BADCHARSET (UTF-8)] Unsupported charset",
    ),
    (
        ok("abcd", "CAPABILITY completed", codes.capability_code(("IMAP4rev2", "STARTTLS"))),
        b"abcd OK [CAPABILITY IMAP4rev2 STARTTLS] CAPABILITY completed",
    ),
    (Continuation("Ready for additional command text"), b"+ Ready for additional command text"),
    (Continuation.challenge(b""), b"+ "),
    (Continuation.challenge(b"\x00\x01"), b"+ AAE="),
    # RFC 5530 §3
    (
        no("a", "Unable to open mailbox", codes.NONEXISTENT),
        b"a NO [NONEXISTENT] Unable to open mailbox",
    ),
    (no("a", "Mailbox exists", codes.ALREADYEXISTS), b"a NO [ALREADYEXISTS] Mailbox exists"),
    (
        no("a", "Invalid credentials", codes.AUTHENTICATIONFAILED),
        b"a NO [AUTHENTICATIONFAILED] Invalid credentials",
    ),
    (no("a", "Over quota", codes.OVERQUOTA), b"a NO [OVERQUOTA] Over quota"),
    # RFC 4315 §3
    (
        ok("A003", "APPEND completed", codes.append_uid_code(38505, [3955])),
        b"A003 OK [APPENDUID 38505 3955] APPEND completed",
    ),
    (
        ok("A004", "Done", codes.copy_uid_code(38505, [304, 319, 320], [3956, 3957, 3958])),
        b"A004 OK [COPYUID 38505 304,319:320 3956:3958] Done",
    ),
    # RFC 7162 §3
    (
        Untagged("OK", "Highest", codes.highest_modseq_code(715194045007)),
        b"* OK [HIGHESTMODSEQ 715194045007] Highest",
    ),
    (
        Untagged("OK", "Sorry, this mailbox format doesn't support modsequences", codes.NOMODSEQ),
        b"* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences",
    ),
    (
        ok("d105", "Conditional STORE failed", codes.modified_code([7, 9])),
        b"d105 OK [MODIFIED 7,9] Conditional STORE failed",
    ),
    (
        Untagged("OK", "Previous mailbox is now closed", codes.CLOSED),
        b"* OK [CLOSED] Previous mailbox is now closed",
    ),
    (
        VanishedData((41, 43, 44, 45, 116), earlier=True),
        b"* VANISHED (EARLIER) 41,43:45,116",
    ),
    (VanishedData((405, 407, 410, 425)), b"* VANISHED 405,407,410,425"),
    (
        FetchData(1, (("UID", 4), ("MODSEQ", (65402,)), ("FLAGS", (SEEN,)))),
        b"* 1 FETCH (UID 4 MODSEQ (65402) FLAGS (\\Seen))",
    ),
    (
        SearchData((2, 5, 6, 7, 11, 12, 18, 19, 20, 23), modseq=917162500),
        b"* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)",
    ),
    # RFC 9051 §7
    (
        CapabilityData(("IMAP4rev2", "STARTTLS", "AUTH=GSSAPI", "XPIG-LATIN")),
        b"* CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI XPIG-LATIN",
    ),
    (
        FlagsData(("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")),
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
    ),
    (ExistsData(23), b"* 23 EXISTS"),
    (RecentData(5), b"* 5 RECENT"),  # RFC 3501 §7.3.2
    (ExpungeData(44), b"* 44 EXPUNGE"),
    (ListData((), "/", "INBOX"), b'* LIST () "/" INBOX'),  # RFC 9051 §8
    (ListData(("\\Noselect",), "/", "~/Mail/foo"), b'* LIST (\\Noselect) "/" ~/Mail/foo'),
    (ListData(("\\Noselect",), "/", ""), b'* LIST (\\Noselect) "/" ""'),
    (ListData((), ".", "#news.comp.mail.misc"), b'* LIST () "." #news.comp.mail.misc'),
    (ListData(("\\Noselect",), None, ""), b'* LIST (\\Noselect) NIL ""'),
    # RFC 5258 §5 (the RFC quotes "Foo"; an atom is the same astring)
    (
        ListData((), "/", "Foo", child_info=("SUBSCRIBED",)),
        b'* LIST () "/" Foo ("CHILDINFO" ("SUBSCRIBED"))',
    ),
    # RFC 9051 §6.3.9 OLDNAME
    (
        ListData((), "/", "NewName", old_name="OldName"),
        b'* LIST () "/" NewName ("OLDNAME" ("OldName"))',
    ),
    (ListData((), ".", "#news.comp.mail.mime", lsub=True), b'* LSUB () "." #news.comp.mail.mime'),
    (
        StatusData("blurdybloop", (("MESSAGES", 231), ("UIDNEXT", 44292))),
        b"* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)",
    ),
    (
        StatusData("INBOX", (("MAILBOXID", "F2212ea87-6097-4256-9d51-71338625"),)),
        b"* STATUS INBOX (MAILBOXID (F2212ea87-6097-4256-9d51-71338625))",
    ),  # RFC 8474 §4.2
    (
        StatusData("INBOX", (("APPENDLIMIT", None), ("SIZE", 12))),
        b"* STATUS INBOX (APPENDLIMIT NIL SIZE 12)",
    ),  # RFC 7889 §3.2, RFC 8438 §2
    (
        FetchData(23, (("FLAGS", (SEEN,)), ("RFC822.SIZE", 44827))),
        b"* 23 FETCH (FLAGS (\\Seen) RFC822.SIZE 44827)",
    ),
    (SearchData((2, 3, 6)), b"* SEARCH 2 3 6"),
    (SearchData(()), b"* SEARCH"),
    # RFC 4731 §3.1
    (ESearchData("A282", min=2, count=3), b'* ESEARCH (TAG "A282") MIN 2 COUNT 3'),
    (ESearchData("A283", all=(2, 10, 11)), b'* ESEARCH (TAG "A283") ALL 2,10:11'),
    (ESearchData("A285", uid=True, min=7, max=3800), b'* ESEARCH (TAG "A285") UID MIN 7 MAX 3800'),
    (ESearchData("A286", count=15), b'* ESEARCH (TAG "A286") COUNT 15'),
    (ESearchData("A287", all=(), count=0), b'* ESEARCH (TAG "A287") COUNT 0'),
    (ESearchData(None, count=0), b"* ESEARCH COUNT 0"),
    (ESearchData("a", all=(1, 2), modseq=12), b'* ESEARCH (TAG "a") ALL 1:2 MODSEQ 12'),
    # RFC 5256 §4
    (SortData((2, 84, 882)), b"* SORT 2 84 882"),
    (SortData(()), b"* SORT"),
    (
        ThreadData(
            (
                ThreadNode(2),
                chain(3, 6, children=(chain(4, 23), chain(44, 7, 96))),
            )
        ),
        b"* THREAD (2)(3 6 (4 23)(44 7 96))",
    ),
    (ThreadData((ThreadNode(None, (ThreadNode(3), ThreadNode(5))),)), b"* THREAD ((3)(5))"),
    (
        ThreadData(
            (
                ThreadNode(166),
                ThreadNode(174, (ThreadNode(175), ThreadNode(176))),
                chain(194, 195),
                ThreadNode(196, (ThreadNode(197), ThreadNode(198))),
            )
        ),
        b"* THREAD (166)(174 (175)(176))(194 195)(196 (197)(198))",
    ),
    (ThreadData(()), b"* THREAD"),
    # RFC 9051 §6.3.10 / RFC 2342 §5
    (NamespaceData((("", "/"),), None, None), b'* NAMESPACE (("" "/")) NIL NIL'),
    (
        NamespaceData(
            (("", "/"),),
            (("~", "/"),),
            (("#shared/", "/"), ("#public/", "/"), ("#ftp/", "/"), ("#news.", ".")),
        ),
        b'* NAMESPACE (("" "/")) (("~" "/")) '
        b'(("#shared/" "/")("#public/" "/")("#ftp/" "/")("#news." "."))',
    ),
    # RFC 5161 §3.2
    (EnabledData(("X-GOOD-IDEA",)), b"* ENABLED X-GOOD-IDEA"),
    (EnabledData(()), b"* ENABLED"),
    # RFC 2971 §3.2
    (
        IdData((("name", "Cyrus"), ("version", "1.5"), ("os", "sunos"), ("os-version", "5.5"))),
        b'* ID ("name" "Cyrus" "version" "1.5" "os" "sunos" "os-version" "5.5")',
    ),
    (IdData(None), b"* ID NIL"),
    (IdData((("x", None),)), b'* ID ("x" NIL)'),
    # RFC 9208 §5
    (QuotaData("", (("STORAGE", 10, 512),)), b'* QUOTA "" (STORAGE 10 512)'),
    (QuotaRootData("INBOX", ("",)), b'* QUOTAROOT INBOX ""'),
    (QuotaRootData("comp.mail.mime", ()), b"* QUOTAROOT comp.mail.mime"),
]


@pytest.mark.parametrize(
    ("response", "expected"), EXAMPLES, ids=[expected[:50].decode() for _, expected in EXAMPLES]
)
def test_serialize_matches_the_rfc(response: Response, expected: bytes) -> None:
    assert serialize(response) == expected + b"\r\n"


def test_mailbox_names_are_encoded_per_client() -> None:
    # RFC 3501 §5.1.3 (IMAP4rev1) and RFC 9051 §5.1 / RFC 6855 §3 (UTF-8 clients)
    name = "~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e"
    data = ListData((), "/", name)
    assert serialize(data) == b'* LIST () "/" ~peter/mail/&U,BTFw-/&ZeVnLIqe-\r\n'
    assert serialize(data, utf8=True) == b'* LIST () "/" "' + name.encode() + b'"\r\n'
    status = StatusData("Entw\u00fcrfe", (("MESSAGES", 1),))
    assert serialize(status) == b"* STATUS Entw&APw-rfe (MESSAGES 1)\r\n"
    assert serialize(status, utf8=True) == b'* STATUS "Entw\xc3\xbcrfe" (MESSAGES 1)\r\n'
    assert serialize(ListData((), "/", "a b", old_name="\u00e9")) == (
        b'* LIST () "/" "a b" ("OLDNAME" ("&AOk-"))\r\n'
    )
    assert serialize(ListData((), "/", "NIL")) == b'* LIST () "/" "NIL"\r\n'
    assert serialize(ListData((), "/", "50%")) == b'* LIST () "/" "50%"\r\n'


def test_status_text_has_no_line_breaks_and_is_ascii_for_rev1() -> None:
    assert serialize(ok("a", "one\r\ntwo")) == b"a OK one two\r\n"
    assert serialize(no("a", "caf\u00e9")) == b"a NO caf?\r\n"
    assert serialize(no("a", "caf\u00e9"), utf8=True) == b"a NO caf\xc3\xa9\r\n"
    assert serialize(ok("a", "", codes.CLOSED)) == b"a OK [CLOSED]\r\n"


@pytest.mark.parametrize(
    ("value", "rev1", "utf8"),
    [
        ("plain", b'"plain"', b'"plain"'),
        ('say "hi" \\o/', b'"say \\"hi\\" \\\\o/"', b'"say \\"hi\\" \\\\o/"'),
        ("caf\u00e9", b"{5}\r\ncaf\xc3\xa9", b'"caf\xc3\xa9"'),
        (b"\xe9t\xe9", b"{3}\r\n\xe9t\xe9", b"{3}\r\n\xe9t\xe9"),  # not UTF-8
        ("two\r\nlines", b"{10}\r\ntwo\r\nlines", b"{10}\r\ntwo\r\nlines"),
        ("", b'""', b'""'),
        (None, b"NIL", b"NIL"),
        (42, b"42", b"42"),
        ((1, "a", None, (SEEN,)), b'(1 "a" NIL (\\Seen))', b'(1 "a" NIL (\\Seen))'),
        (Literal(b"a\x00b", binary=True), b"~{3}\r\na\x00b", b"~{3}\r\na\x00b"),
        (Literal(b"x"), b"{1}\r\nx", b"{1}\r\nx"),
        (AString("INBOX"), b"INBOX", b"INBOX"),
        (AString("nil"), b'"nil"', b'"nil"'),
        (MailboxName("\u263a"), b"&Jjo-", b'"\xe2\x98\xba"'),
        ("x" * 1025, b"{1025}\r\n" + b"x" * 1025, b"{1025}\r\n" + b"x" * 1025),
    ],
)
def test_string_quoting_rules(value: object, rev1: bytes, utf8: bytes) -> None:
    # RFC 9051 §4.3: literals for CR/LF and (without UTF-8) 8-bit text.
    assert render(value, utf8=False) == rev1  # type: ignore[arg-type]
    assert render(value, utf8=True) == utf8  # type: ignore[arg-type]


def test_astring_and_string_helpers() -> None:
    assert astring("Sent]") == b"Sent]"  # resp-specials are ASTRING-CHARs
    assert astring("a(b") == b'"a(b"'
    assert string(b"x") == b'"x"'


def test_error_responses() -> None:
    assert parse_error_response(ParseError("a1", "LOGIN: Missing argument")) == Tagged(
        "a1", "BAD", "LOGIN: Missing argument"
    )
    assert parse_error_response(ParseError(None, "Missing or invalid tag")) == Untagged(
        "BAD", "Missing or invalid tag"
    )
    charset = ParseError("a2", "x", codes.BADCHARSET, status="NO")
    assert serialize(parse_error_response(charset)) == b"a2 NO [BADCHARSET] x\r\n"
    too_big = FramingError("a3", "NO", "Literal too large", codes.TOOBIG)
    assert serialize(framing_error_response(too_big)) == b"a3 NO [TOOBIG] Literal too large\r\n"
    long_line = FramingError(None, "BAD", "Command line too long")
    assert serialize(framing_error_response(long_line)) == b"* BAD Command line too long\r\n"


def test_every_simple_code_renders_its_name() -> None:
    for name, code in codes.SIMPLE_CODES.items():
        assert str(code) == f"[{name}]"
    assert "UNKNOWN-CTE" in codes.SIMPLE_CODES
    assert str(codes.mailbox_id_code("F2212ea87")) == "[MAILBOXID (F2212ea87)]"


@given(st.binary(max_size=60).filter(lambda data: b"\x00" not in data), st.booleans())
def test_the_lexer_reads_back_what_the_server_writes(data: bytes, utf8: bool) -> None:
    assert Reader(string(data, utf8=utf8)).string() == data
    if data:
        assert Reader(astring(data, utf8=utf8)).astring() == data


@given(st.text(min_size=1, max_size=20).filter(lambda text: "\x00" not in text))
def test_mailbox_names_round_trip_through_the_parser(name: str) -> None:
    if any(0xD800 <= ord(char) <= 0xDFFF for char in name) or name.upper() == "INBOX":
        return
    for utf8 in (False, True):
        wire = render(MailboxName(name), utf8=utf8)
        command = parse_command(b"t SELECT " + wire, ParseContext(utf8=utf8))
        assert command == Select("t", name)
