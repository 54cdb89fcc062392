"""Command parsing, table-driven from the RFCs' own examples, and the BAD cases."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courriel.imap.protocol import codes
from courriel.imap.protocol.commands import (
    Append,
    AppendMessage,
    Authenticate,
    Capability,
    Check,
    Close,
    Command,
    Compress,
    Copy,
    Create,
    Delete,
    Enable,
    Expunge,
    Fetch,
    GetQuota,
    GetQuotaRoot,
    Id,
    Idle,
    List,
    Login,
    Logout,
    Lsub,
    Move,
    Namespace,
    Noop,
    QresyncParameters,
    Rename,
    Search,
    Select,
    SetQuota,
    Sort,
    SortCriterion,
    StartTls,
    Status,
    Store,
    StoreAction,
    Subscribe,
    Thread,
    Unselect,
    Unsubscribe,
)
from courriel.imap.protocol.errors import ParseError
from courriel.imap.protocol.fetchitems import (
    FETCH_MACROS,
    BinarySection,
    BinarySize,
    BodySection,
    FetchItem,
    Partial,
    Preview,
    Section,
)
from courriel.imap.protocol.framing import CommandFrame, CommandFramer
from courriel.imap.protocol.parse_common import ParseContext
from courriel.imap.protocol.parse_nonauth import parse_sasl_response
from courriel.imap.protocol.parser import COMMANDS, UID_COMMANDS, is_idle_done, parse_command
from courriel.imap.protocol.searchkeys import (
    AllKey,
    AndKey,
    DateKey,
    FlagKey,
    HeaderKey,
    NotKey,
    TextKey,
)
from courriel.imap.protocol.sequenceset import SequenceSet

S = SequenceSet.parse
JULY_17 = datetime(1996, 7, 17, 2, 44, 25, tzinfo=timezone(-timedelta(hours=7)))
SMITH = AndKey(
    (
        FlagKey("\\Flagged"),
        DateKey("internal", "since", date(1994, 2, 1)),
        NotKey(HeaderKey("From", "Smith")),
    )
)

GOOD: list[tuple[bytes, Command]] = [
    # RFC 9051 §6.1
    (b"abcd CAPABILITY", Capability("abcd")),
    (b"a002 NOOP", Noop("a002")),
    (b"A023 LOGOUT", Logout("A023")),
    # RFC 9051 §6.2
    (b"a002 STARTTLS", StartTls("a002")),
    (b"A001 AUTHENTICATE GSSAPI", Authenticate("A001", "GSSAPI")),
    # RFC 4959 §3 (SASL-IR)
    (
        b"a01 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=",
        Authenticate("a01", "PLAIN", b"test\0test\0test"),
    ),
    (b"a02 AUTHENTICATE EXTERNAL =", Authenticate("a02", "EXTERNAL", b"")),
    (b"a001 LOGIN SMITH SESAME", Login("a001", "SMITH", "SESAME")),
    (b'a001 login mrc "se\\"cr\\\\et"', Login("a001", "mrc", 'se"cr\\et')),
    (b"a001 LOGIN {5+}\r\nj\xc3\xbcrg {3+}\r\npw!", Login("a001", "j\u00fcrg", "pw!")),
    # RFC 5161 §3.1
    (b"t2 ENABLE CONDSTORE X-GOOD-IDEA", Enable("t2", ("CONDSTORE", "X-GOOD-IDEA"))),
    # RFC 9051 §6.3.2, §6.3.3; RFC 9051 §8 "a002 select inbox"
    (b"A142 SELECT INBOX", Select("A142", "INBOX")),
    (b"a002 select inbox", Select("a002", "INBOX")),
    (b"A932 EXAMINE blurdybloop", Select("A932", "blurdybloop", read_only=True)),
    # RFC 7162 §3.1.8, §3.2.5
    (b"a SELECT INBOX (CONDSTORE)", Select("a", "INBOX", condstore=True)),
    (
        b"A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))",
        Select(
            "A02",
            "INBOX",
            qresync=QresyncParameters(67890007, 20050715194045000, S("41,43:211,214:541")),
        ),
    ),
    (
        b"A03 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000 "
        b"15000,22500,27000)))",
        Select(
            "A03",
            "INBOX",
            qresync=QresyncParameters(
                67890007,
                90060115194045000,
                S("1:29997"),
                S("5000,7500,9000"),
                S("15000,22500,27000"),
            ),
        ),
    ),
    (
        b"B02 SELECT INBOX (QRESYNC (67890007 90060115194045000))",
        Select("B02", "INBOX", qresync=QresyncParameters(67890007, 90060115194045000)),
    ),
    # RFC 9051 §6.3.4; RFC 6154 §5.2
    (b"A003 CREATE owatagusiam/", Create("A003", "owatagusiam/")),
    (b'C CREATE "Everything" (USE (\\All))', Create("C", "Everything", ("\\All",))),
    (b"C CREATE x (USE (\\sent \\X-Fun))", Create("C", "x", ("\\Sent", "\\X-Fun"))),
    (b"A683 DELETE blurdybloop", Delete("A683", "blurdybloop")),
    (b"A683 RENAME blurdybloop sarasoop", Rename("A683", "blurdybloop", "sarasoop")),
    (b"A002 SUBSCRIBE #news.comp.mail.mime", Subscribe("A002", "#news.comp.mail.mime")),
    (b"A002 UNSUBSCRIBE #news.comp.mail.mime", Unsubscribe("A002", "#news.comp.mail.mime")),
    # RFC 9051 §6.3.9
    (b'A101 LIST "" ""', List("A101", "", ("",))),
    (b'A102 LIST #news.comp.mail.misc ""', List("A102", "#news.comp.mail.misc", ("",))),
    (b"A202 LIST ~/Mail/ %", List("A202", "~/Mail/", ("%",))),
    # RFC 5258 §5
    (b'A02 LIST (SUBSCRIBED) "" "*"', List("A02", "", ("*",), ("SUBSCRIBED",), extended=True)),
    (
        b'A03 LIST () "" "%" RETURN (CHILDREN)',
        List("A03", "", ("%",), (), ("CHILDREN",), extended=True),
    ),
    (
        b'A06 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"',
        List("A06", "", ("%",), ("SUBSCRIBED", "RECURSIVEMATCH"), extended=True),
    ),
    (
        b'BBB LIST "" ("INBOX" "Drafts" "Sent/%")',
        List("BBB", "", ("INBOX", "Drafts", "Sent/%"), extended=True),
    ),
    # RFC 6154 §5.3
    (b't3 LIST (SPECIAL-USE) "" "*"', List("t3", "", ("*",), ("SPECIAL-USE",), extended=True)),
    # RFC 5819 §2
    (
        b'A01 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))',
        List("A01", "", ("%",), status_items=("MESSAGES", "UNSEEN"), extended=True),
    ),
    (b'A002 LSUB "#news." "comp.mail.*"', Lsub("A002", "#news.", "comp.mail.*")),
    (b"A001 NAMESPACE", Namespace("A001")),  # RFC 2342 §5
    # RFC 9051 §6.3.11; SIZE RFC 8438, APPENDLIMIT RFC 7889, HIGHESTMODSEQ RFC 7162
    (
        b"A042 STATUS blurdybloop (UIDNEXT MESSAGES)",
        Status("A042", "blurdybloop", ("UIDNEXT", "MESSAGES")),
    ),
    (
        b"a STATUS INBOX (size appendlimit HIGHESTMODSEQ deleted recent)",
        Status("a", "INBOX", ("SIZE", "APPENDLIMIT", "HIGHESTMODSEQ", "DELETED", "RECENT")),
    ),
    # RFC 9051 §6.3.12
    (
        b'A003 APPEND saved-messages (\\Seen) "17-Jul-1996 02:44:25 -0700" {5}\r\nHello',
        Append("A003", "saved-messages", (AppendMessage(b"Hello", ("\\Seen",), JULY_17),)),
    ),
    # RFC 3502 §6.3.11 MULTIAPPEND, with a space-padded day
    (
        b'A003 APPEND saved-messages (\\Seen) {3}\r\none (\\Seen \\Draft) " 1-Aug-2002 22:00:00 '
        b'+0200" {3+}\r\ntwo {5}\r\nthree',
        Append(
            "A003",
            "saved-messages",
            (
                AppendMessage(b"one", ("\\Seen",)),
                AppendMessage(
                    b"two",
                    ("\\Seen", "\\Draft"),
                    datetime(2002, 8, 1, 22, tzinfo=timezone(timedelta(hours=2))),
                ),
                AppendMessage(b"three"),
            ),
        ),
    ),
    # RFC 3516 §4.4 literal8; RFC 6855 §4 UTF8
    (
        b"A003 APPEND Drafts ~{3}\r\na\0b",
        Append("A003", "Drafts", (AppendMessage(b"a\0b", binary=True),)),
    ),
    (
        b"A003 APPEND Drafts (\\Seen) UTF8 (~{2+}\r\nhi)",
        Append("A003", "Drafts", (AppendMessage(b"hi", ("\\Seen",), binary=True, utf8=True),)),
    ),
    (b"a IDLE", Idle("a")),  # RFC 2177 §3
    # RFC 9208 §4
    (b"G GETQUOTAROOT INBOX", GetQuotaRoot("G", "INBOX")),
    (b'G GETQUOTA ""', GetQuota("G", "")),
    (b'S SETQUOTA "" (STORAGE 512)', SetQuota("S", "", (("STORAGE", 512),))),
    # RFC 2971 §3.1
    (
        b'a023 ID ("name" "sodr" "version" "19.34" "vendor" "Pink Floyd Music Limited")',
        Id(
            "a023", (("name", "sodr"), ("version", "19.34"), ("vendor", "Pink Floyd Music Limited"))
        ),
    ),
    (b"a ID NIL", Id("a", None)),
    (b'a ID ("os" NIL)', Id("a", (("os", None),))),
    (b"a COMPRESS DEFLATE", Compress("a", "DEFLATE")),  # RFC 4978 §3
    # RFC 9051 §6.4
    (b"FXXZ CHECK", Check("FXXZ")),
    (b"A341 CLOSE", Close("A341")),
    (b"A342 UNSELECT", Unselect("A342")),  # RFC 3691
    (b"A202 EXPUNGE", Expunge("A202")),
    (b"A003 UID EXPUNGE 3000:3002", Expunge("A003", S("3000:3002"))),  # RFC 4315 §2.1
    # RFC 9051 §6.4.4 (RFC 4731 §3.1)
    (
        b'A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"',
        Search("A282", SMITH, returns=("MIN", "COUNT")),
    ),
    (
        b'A283 SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"',
        Search("A283", SMITH, returns=("ALL",)),
    ),
    (
        b'A284 SEARCH TEXT "string not in mailbox"',
        Search("A284", TextKey("text", "string not in mailbox")),
    ),
    (
        b"A285 SEARCH CHARSET UTF-8 TEXT {12+}\r\n\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xa7",
        Search("A285", TextKey("text", "\u65e5\u672c\u8a9e\u3067"), charset="UTF-8"),
    ),
    (b"A286 UID SEARCH ALL", Search("A286", AllKey(), uid=True)),
    # RFC 5182 §2.1 SAVE
    (
        b'A282 SEARCH RETURN (SAVE) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"',
        Search("A282", SMITH, returns=("SAVE",)),
    ),
    # RFC 5256 §3
    (
        b"A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994",
        Sort(
            "A282",
            (SortCriterion("SUBJECT"),),
            "UTF-8",
            DateKey("internal", "since", date(1994, 2, 1)),
        ),
    ),
    (
        b"A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL",
        Sort(
            "A283",
            (SortCriterion("SUBJECT"), SortCriterion("DATE", reverse=True)),
            "UTF-8",
            AllKey(),
        ),
    ),
    (
        b"A1 UID SORT (DISPLAYFROM REVERSE DISPLAYTO) US-ASCII ALL",
        Sort(
            "A1",
            (SortCriterion("DISPLAYFROM"), SortCriterion("DISPLAYTO", True)),
            "US-ASCII",
            AllKey(),
            uid=True,
        ),
    ),
    (
        b"A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000",
        Thread("A283", "ORDEREDSUBJECT", "UTF-8", DateKey("internal", "since", date(2000, 3, 5))),
    ),
    (
        b'A284 THREAD REFERENCES US-ASCII TEXT "gewp"',
        Thread("A284", "REFERENCES", "US-ASCII", TextKey("text", "gewp")),
    ),
    # RFC 9051 §6.4.5; RFC 9051 §8 "a003 fetch 12 full"
    (b"a003 fetch 12 full", Fetch("a003", S("12"), FETCH_MACROS["FULL"])),
    (b"a FETCH 1:* ALL", Fetch("a", S("1:*"), FETCH_MACROS["ALL"])),
    (b"a FETCH 1 fast", Fetch("a", S("1"), FETCH_MACROS["FAST"])),
    (b"a004 fetch 12 body[header]", Fetch("a004", S("12"), (BodySection(Section((), "HEADER")),))),
    (
        b"A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])",
        Fetch(
            "A654",
            S("2:4"),
            (FetchItem.FLAGS, BodySection(Section((), "HEADER.FIELDS", ("DATE", "FROM")))),
        ),
    ),
    (
        b"A999 UID FETCH 4827313:4828442 FLAGS",
        Fetch("A999", S("4827313:4828442"), (FetchItem.FLAGS,), uid=True),
    ),
    (
        b'a FETCH 3 (BODY.PEEK[1.2.HEADER.FIELDS.NOT (Received "X Y")]<0.2048> '
        b"BODY[1.2.MIME] BODY[2.TEXT] BODY[3])",
        Fetch(
            "a",
            S("3"),
            (
                BodySection(
                    Section((1, 2), "HEADER.FIELDS.NOT", ("Received", "X Y")),
                    Partial(0, 2048),
                    peek=True,
                ),
                BodySection(Section((1, 2), "MIME")),
                BodySection(Section((2,), "TEXT")),
                BodySection(Section((3,))),
            ),
        ),
    ),
    (
        b"a FETCH 1 (RFC822 RFC822.HEADER RFC822.TEXT RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY "
        b"INTERNALDATE UID)",
        Fetch(
            "a",
            S("1"),
            (
                FetchItem.RFC822,
                FetchItem.RFC822_HEADER,
                FetchItem.RFC822_TEXT,
                FetchItem.RFC822_SIZE,
                FetchItem.ENVELOPE,
                FetchItem.BODYSTRUCTURE,
                FetchItem.BODY,
                FetchItem.INTERNALDATE,
                FetchItem.UID,
            ),
        ),
    ),
    # RFC 3516 §4.2
    (
        b"a FETCH 1 (BINARY.PEEK[1]<100.200> BINARY[] BINARY.SIZE[1.2])",
        Fetch(
            "a",
            S("1"),
            (
                BinarySection((1,), Partial(100, 200), peek=True),
                BinarySection(),
                BinarySize((1, 2)),
            ),
        ),
    ),
    # RFC 8970 §3.1, RFC 8474 §5, RFC 8514 §4, RFC 7162 §3.1.4.1
    (
        b"a FETCH 1 (PREVIEW (LAZY) PREVIEW EMAILID THREADID SAVEDATE MODSEQ)",
        Fetch(
            "a",
            S("1"),
            (
                Preview(lazy=True),
                Preview(),
                FetchItem.EMAILID,
                FetchItem.THREADID,
                FetchItem.SAVEDATE,
                FetchItem.MODSEQ,
            ),
        ),
    ),
    # RFC 5182 §2.1 "$"
    (
        b"A283 FETCH $ (UID INTERNALDATE FLAGS RFC822.SIZE)",
        Fetch(
            "A283",
            S("$"),
            (FetchItem.UID, FetchItem.INTERNALDATE, FetchItem.FLAGS, FetchItem.RFC822_SIZE),
        ),
    ),
    # RFC 7162 §3.1.4.1, §3.2.6
    (
        b"s100 FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)",
        Fetch("s100", S("1:*"), (FetchItem.FLAGS,), changed_since=12345),
    ),
    (
        b"s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)",
        Fetch(
            "s100", S("300:500"), (FetchItem.FLAGS,), uid=True, changed_since=12345, vanished=True
        ),
    ),
    # RFC 9051 §6.4.6; RFC 9051 §8 "a005 store 12 +flags \deleted"
    (
        b"A003 STORE 2:4 +FLAGS (\\Deleted)",
        Store("A003", S("2:4"), StoreAction.ADD, ("\\Deleted",)),
    ),
    (b"a005 store 12 +flags \\deleted", Store("a005", S("12"), StoreAction.ADD, ("\\Deleted",))),
    (
        b"a STORE 1 -FLAGS.SILENT (\\Seen $Junk)",
        Store("a", S("1"), StoreAction.REMOVE, ("\\Seen", "$Junk"), silent=True),
    ),
    (b"a STORE 1 FLAGS ()", Store("a", S("1"), StoreAction.REPLACE, ())),
    # RFC 7162 §3.1.3
    (
        b"d105 UID STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)",
        Store("d105", S("7,5,9"), StoreAction.ADD, ("\\Deleted",), True, True, 320162338),
    ),
    (b"A003 COPY 2:4 MEETING", Copy("A003", S("2:4"), "MEETING")),
    (b"A004 UID COPY 1:* Trash", Copy("A004", S("1:*"), "Trash", uid=True)),
    (b"a MOVE 1 foo", Move("a", S("1"), "foo")),  # RFC 6851 §3.1
    (b"a UID MOVE 42:69 foo", Move("a", S("42:69"), "foo", uid=True)),
]


@pytest.mark.parametrize(
    ("line", "expected"), GOOD, ids=[line[:40].decode("latin-1") for line, _ in GOOD]
)
def test_command_parses(line: bytes, expected: Command) -> None:
    assert parse_command(line) == expected


BAD: list[tuple[bytes, str | None, str]] = [
    (b"", None, "Empty command line"),
    (b"*", None, "Missing or invalid tag"),
    (b"+ NOOP", None, "Missing or invalid tag"),
    (b"a", "a", "Missing argument"),
    (b"a  NOOP", "a", "Missing or invalid command name"),
    (b"a FROB", "a", "Unknown command"),
    (b"a UID NOOP", "a", "Unknown UID command"),
    (b"a NOOP x", "a", "NOOP: Unexpected extra arguments"),
    (b"a LOGIN", "a", "LOGIN: Missing argument"),
    (b"a LOGIN x", "a", "LOGIN: Missing argument"),
    (b"a LOGIN x y z", "a", "LOGIN: Unexpected extra arguments"),
    (b'a LOGIN "x y', "a", "LOGIN: Expected a quoted string"),
    (b'a LOGIN "\\q" y', "a", "LOGIN: Expected a quoted string"),
    (b'a LOGIN "\xff" y', "a", "LOGIN: Invalid UTF-8 in quoted string"),
    (b"a LOGIN {5}\r\nabc", "a", "LOGIN: Truncated literal"),
    (b"a LOGIN {3}\r\na\0b y", "a", "LOGIN: NUL octet in a literal (use literal8)"),
    (b"a LOGIN ~{1}\r\na y", "a", "LOGIN: literal8 is only allowed for APPEND data"),
    (b"a AUTHENTICATE PLAIN !!!", "a", "AUTHENTICATE: Invalid base64 initial response"),
    (b"a SELECT", "a", "SELECT: Missing argument"),
    (b"a SELECT INBOX (FOO)", "a", "SELECT: Unknown SELECT parameter FOO"),
    (b"a SELECT INBOX (QRESYNC (1 0))", "a", "SELECT: Expected a non-zero mod-sequence value"),
    (b"a SELECT INBOX (QRESYNC (1 5 1:*))", "a", 'SELECT: "*" and "$" are not allowed here'),
    (b"a CREATE x (FOO)", "a", "CREATE: Unknown CREATE parameter FOO"),
    (b'a LIST (RECURSIVEMATCH) "" "*"', "a", "LIST: RECURSIVEMATCH needs another selection option"),
    (b'a LIST (BOGUS) "" "*"', "a", "LIST: Unknown LIST selection option BOGUS"),
    (b'a LIST "" "*" RETURN (BOGUS)', "a", "LIST: Unknown LIST return option BOGUS"),
    (b"a STATUS INBOX ()", "a", "STATUS: Empty list"),
    (b"a STATUS INBOX (MESSAGES FOO)", "a", "STATUS: Unknown status item FOO"),
    (b"a APPEND INBOX", "a", "APPEND: Missing message literal"),
    (b"a APPEND INBOX (\\Seen)", "a", "APPEND: Missing argument"),
    (b'a APPEND INBOX "31-Feb-2020 00:00:00 +0000" {1}\r\nx', "a", "APPEND: Invalid date-time"),
    (b"a APPEND INBOX hello", "a", "APPEND: Expected a literal with the message"),
    (b"a ENABLE", "a", "ENABLE: Missing argument"),
    (b"a ID (" + b'"k" "v" ' * 31 + b")", "a", "ID: Too many ID fields"),
    (b"a FETCH", "a", "FETCH: Missing argument"),
    (b"a FETCH 0 FLAGS", "a", "FETCH: Invalid sequence set"),
    (b"a FETCH 1:x FLAGS", "a", "FETCH: Invalid sequence set"),
    (b"a FETCH 1 (FLAGS", "a", "FETCH: Missing argument"),
    (b"a FETCH 1 (FROB)", "a", "FETCH: Unknown fetch attribute FROB"),
    (b"a FETCH 1 BODY[MIME]", "a", "FETCH: MIME needs a part number"),
    (b"a FETCH 1 BODY[1.]", "a", "FETCH: Invalid section"),
    (b"a FETCH 1 BODY[0]", "a", 'FETCH: Expected "]"'),
    (b"a FETCH 1 BODY[]<0.0>", "a", "FETCH: Partial length must not be zero"),
    (b"a FETCH 1 BODY.PEEK", "a", 'FETCH: Expected "["'),
    (b"a FETCH 1 FLAGS (VANISHED)", "a", "FETCH: Unknown FETCH modifier VANISHED"),
    (b"a UID FETCH 1 FLAGS (VANISHED)", "a", "UID FETCH: VANISHED requires CHANGEDSINCE"),
    (b"a STORE 1 FLAGS", "a", "STORE: Missing argument"),
    (b"a STORE 1 +FLAGZ (\\Seen)", "a", "STORE: Unknown STORE item FLAGZ"),
    (b"a SEARCH", "a", "SEARCH: Missing argument"),
    (b"a SEARCH FROB", "a", "SEARCH: Unknown search key FROB"),
    (b"a SEARCH SINCE 1-Foo-2000", "a", "SEARCH: Invalid date"),
    (b"a SEARCH RETURN (FOO) ALL", "a", "SEARCH: Unknown RETURN option FOO"),
    (b"a SEARCH " + b"NOT " * 40 + b"ALL", "a", "SEARCH: Search keys nested too deeply"),
    (b"a SEARCH EMAILID x!y", "a", "SEARCH: Invalid object id"),
    (b"a SORT (FOO) UTF-8 ALL", "a", "SORT: Unknown sort key FOO"),
    (b"a SORT (DATE)", "a", "SORT: Missing argument"),
    (b"a THREAD FOO UTF-8 ALL", "a", "THREAD: Unknown thread algorithm FOO"),
    (b"a UID EXPUNGE", "a", "UID EXPUNGE: Missing argument"),
    (b"a COPY 1", "a", "COPY: Missing argument"),
]


@pytest.mark.parametrize(
    ("line", "tag", "text"), BAD, ids=[line[:40].decode("latin-1") for line, _, _ in BAD]
)
def test_bad_command(line: bytes, tag: str | None, text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_command(line)
    assert (caught.value.tag, caught.value.text, caught.value.status) == (tag, text, "BAD")


def test_unknown_charset_is_a_no_with_badcharset() -> None:
    # RFC 9051 §6.4.4: NO [BADCHARSET (...)] for an unsupported CHARSET.
    with pytest.raises(ParseError) as caught:
        parse_command(b"A1 SEARCH CHARSET X-BOGUS TEXT x")
    assert caught.value.status == "NO"
    assert caught.value.code == codes.bad_charset_code(("US-ASCII", "UTF-8"))
    assert str(caught.value.code) == "[BADCHARSET (US-ASCII UTF-8)]"


def test_other_known_charsets_decode_search_strings() -> None:
    command = parse_command(b"A1 SEARCH CHARSET ISO-8859-1 SUBJECT {4}\r\ncaf\xe9")
    assert command == Search("A1", HeaderKey("Subject", "caf\u00e9"), charset="ISO-8859-1")


def test_mailbox_names_follow_the_client_encoding() -> None:
    # RFC 3501 §5.1.3 for IMAP4rev1 clients; RFC 9051 §5.1 / RFC 6855 §3 for UTF-8 ones.
    rev1 = parse_command(b"a SELECT ~peter/mail/&U,BTFw-/&ZeVnLIqe-")
    assert rev1 == Select("a", "~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e")
    utf8 = ParseContext(utf8=True)
    assert parse_command(b'a SELECT "&U,BTFw-"', utf8) == Select("a", "&U,BTFw-")
    assert parse_command('a SELECT "台北"'.encode(), utf8) == Select("a", "台北")
    # 8-bit from an IMAP4rev1 client can only be UTF-8.
    assert parse_command('a SELECT "台北"'.encode()) == Select("a", "台北")
    with pytest.raises(ParseError) as caught:
        parse_command(b"a SELECT &U,BTFw")
    assert (caught.value.status, caught.value.text) == (
        "NO",
        "SELECT: Mailbox name is not valid modified UTF-7",
    )


def test_inbox_is_case_insensitive() -> None:
    # RFC 9051 §5.1
    assert parse_command(b"a SELECT iNbOx") == Select("a", "INBOX")
    assert parse_command(b"a COPY 1 inbox") == Copy("a", S("1"), "INBOX")
    assert parse_command(b"a SELECT inbox/Sub") == Select("a", "inbox/Sub")


def test_internal_date_zero_offset_is_utc() -> None:
    command = parse_command(b'a APPEND x "01-Jan-2024 00:00:00 +0000" {1}\r\nx')
    assert isinstance(command, Append)
    assert command.messages[0].internal_date == datetime(2024, 1, 1, tzinfo=UTC)


def test_idle_done_and_sasl_lines() -> None:
    # RFC 2177 §3: "DONE" ends IDLE; RFC 9051 §6.2.2: "*" cancels AUTHENTICATE.
    assert is_idle_done(b"DONE")
    assert is_idle_done(b"done")
    assert not is_idle_done(b"a NOOP")
    assert parse_sasl_response(b"*") is None
    assert parse_sasl_response(b"dGVzdA==") == b"test"
    assert parse_sasl_response(b"") == b""
    with pytest.raises(ValueError, match="base64"):
        parse_sasl_response(b"dGVzdA")


def test_command_tables_are_explicit() -> None:
    assert set(UID_COMMANDS) == {
        "COPY",
        "MOVE",
        "FETCH",
        "SEARCH",
        "STORE",
        "EXPUNGE",
        "SORT",
        "THREAD",
    }
    assert set(UID_COMMANDS) <= set(COMMANDS)
    assert len(COMMANDS) == 36


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_parser_only_raises_parse_errors(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse_command(data)


WORDS = [
    b"a",
    b"UID",
    b"FETCH",
    b"SEARCH",
    b"STORE",
    b"(",
    b")",
    b"[",
    b"]",
    b"1:*",
    b"$",
    b"{3}\r\nabc",
    b'"x"',
    b"BODY[1.2]<0.1>",
    b"NOT",
    b"OR",
    b"FLAGS",
    b"+FLAGS",
    b"LIST",
    b"RETURN",
    b"(MIN)",
    b"SELECT",
    b"APPEND",
    b"~{1}\r\n\0",
    b"NIL",
    b"*",
    b"%",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=12))
def test_parser_survives_near_miss_commands(words: list[bytes]) -> None:
    tags: list[str | None] = []
    try:
        parse_command(b"t " + b" ".join(words))
    except ParseError as error:
        tags.append(error.tag)
    assert tags in ([], ["t"])


def test_rfc9051_sample_session_client_side() -> None:
    # RFC 9051 §8, through the framer as a session would do it.
    framer = CommandFramer()
    framer.feed(
        b"a001 login mrc secret\r\na002 select inbox\r\na003 fetch 12 full\r\n"
        b"a004 fetch 12 body[header]\r\na005 store 12 +flags \\deleted\r\na006 logout\r\n"
    )
    commands: list[Command] = []
    while isinstance(frame := framer.next_event(), CommandFrame):
        commands.append(parse_command(frame))
    assert commands == [
        Login("a001", "mrc", "secret"),
        Select("a002", "INBOX"),
        Fetch("a003", S("12"), FETCH_MACROS["FULL"]),
        Fetch("a004", S("12"), (BodySection(Section((), "HEADER")),)),
        Store("a005", S("12"), StoreAction.ADD, ("\\Deleted",)),
        Logout("a006"),
    ]
