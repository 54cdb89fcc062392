"""FETCH rendering: ENVELOPE, BODYSTRUCTURE, sections and BINARY (RFC 9051 §7.5.2,
RFC 3516), from stored ParsedMessage values of the mail corpus."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from courriel.imap.protocol.commands import Fetch
from courriel.imap.protocol.errors import UnknownTransferEncoding
from courriel.imap.protocol.fetch import (
    FetchedMessage,
    binary_bytes,
    binary_size,
    body_structure_value,
    date_time_value,
    envelope_value,
    render_attribute,
    render_fetch,
    section_bytes,
)
from courriel.imap.protocol.fetchitems import (
    BinarySection,
    BodySection,
    FetchAttribute,
    FetchItem,
    Section,
    needs_content,
    response_name,
    sets_seen,
)
from courriel.imap.protocol.parser import parse_command
from courriel.imap.protocol.responses import FetchData, serialize
from courriel.imap.protocol.wire import Literal, render
from courriel.mail import ParsedMessage, parse_message

CORPUS = Path(__file__).parents[1] / "mail" / "corpus"


def corpus(name: str) -> tuple[bytes, ParsedMessage]:
    raw = (CORPUS / name).read_bytes()
    return raw, parse_message(raw)


def body_after(raw: bytes, marker: bytes, end_marker: bytes) -> bytes:
    """Independent slicing for expected sizes: the text after ``marker`` up to
    ``end_marker``."""
    start = raw.index(marker) + len(marker)
    return raw[start : raw.index(end_marker, start)]


# -- RFC 9051 §8 sample session ------------------------------------------------------------

SAMPLE_HEADER = (
    b"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
    b"From: Terry Gray <gray@cac.washington.edu>\r\n"
    b"Subject: IMAP4rev2 WG mtg summary and minutes\r\n"
    b"To: imap@cac.washington.edu\r\n"
    b"cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
    b"Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
    b"\r\n"
)
# 3028 octets in 92 lines, as the sample's BODY says.
SAMPLE_BODY = (b"x" * 31 + b"\r\n") * 91 + b"y" * 23 + b"\r\n"
SAMPLE = SAMPLE_HEADER + SAMPLE_BODY
SAMPLE_ENVELOPE = (
    b'("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev2 WG mtg summary and minutes" '
    b'(("Terry Gray" NIL "gray" "cac.washington.edu")) '
    b'(("Terry Gray" NIL "gray" "cac.washington.edu")) '
    b'(("Terry Gray" NIL "gray" "cac.washington.edu")) '
    b'((NIL NIL "imap" "cac.washington.edu")) '
    b'((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL '
    b'"<B27397-0100000@cac.washington.edu>")'
)
JULY_17 = datetime(1996, 7, 17, 2, 44, 25, tzinfo=timezone(-timedelta(hours=7)))


def sample_message() -> FetchedMessage:
    return FetchedMessage(
        uid=12, flags=("\\Seen",), internal_date=JULY_17, parsed=parse_message(SAMPLE)
    )


def test_rfc9051_sample_fetch_full() -> None:
    command = parse_command(b"a003 fetch 12 full")
    assert isinstance(command, Fetch)
    items = render_fetch(command.attributes, sample_message())
    assert serialize(FetchData(12, items)) == (
        b'* 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" '
        b"RFC822.SIZE 3370 ENVELOPE " + SAMPLE_ENVELOPE + b' BODY ("TEXT" "PLAIN" '
        b'("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))\r\n'
    )


def test_rfc9051_sample_fetch_body_header() -> None:
    command = parse_command(b"a004 fetch 12 body[header]")
    assert isinstance(command, Fetch)
    assert needs_content(command.attributes[0])
    assert sets_seen(command.attributes[0])
    items = render_fetch(command.attributes, sample_message(), SAMPLE)
    assert serialize(FetchData(12, items)) == (
        b"* 12 FETCH (BODY[HEADER] {342}\r\n" + SAMPLE_HEADER + b")\r\n"
    )


# -- ENVELOPE ----------------------------------------------------------------------------------

ENVELOPES = {
    "simple_text.eml": (
        b'("Tue, 2 Jan 2024 10:00:00 +0100" "Lunch on Friday?" '
        b'(("Alice Example" NIL "alice" "example.com")) '
        b'(("Alice Example" NIL "alice" "example.com")) '
        b'(("Alice Example" NIL "alice" "example.com")) '
        b'(("Bob" NIL "bob" "example.org")) NIL NIL NIL "<lunch-1@example.com>")'
    ),
    # Group syntax (RFC 9051 §7.5.2): start (NIL NIL "name" NIL), end (NIL NIL NIL NIL);
    # an obsolete source route goes in adl.
    "groups.eml": (
        b'("Wed, 10 Jan 2024 16:45:00 -0800" "Group addresses" '
        b'(("Rupert" NIL "rupert" "example.com")) '
        b'(("Rupert" NIL "rupert" "example.com")) '
        b'(("Rupert" NIL "rupert" "example.com")) '
        b'((NIL NIL "Team" NIL)(NIL NIL "sybil" "example.org")("Trent T." NIL "trent" '
        b'"example.org")(NIL NIL NIL NIL)(NIL NIL "victor" "example.org")) '
        b'((NIL NIL "Undisclosed recipients" NIL)(NIL NIL NIL NIL)) '
        b'((NIL "@relay1.example,@relay2.example" "walter" "example.org")) '
        b'NIL "<groups-9@example.com>")'
    ),
    # Reply-To present, Sender defaults to From, In-Reply-To kept.
    "alternative.eml": (
        b'("Wed, 3 Jan 2024 08:30:00 -0500" "Re: [team] Fwd: Quarterly numbers" '
        b'(("Carol Q. Public" NIL "carol" "example.net")) '
        b'(("Carol Q. Public" NIL "carol" "example.net")) '
        b'((NIL NIL "lists" "example.net")) '
        b'((NIL NIL "dave" "example.org")("Eve, E." NIL "eve" "example.org")) '
        b'(("Frank" NIL "frank" "example.org")) NIL "<q-1@example.org>" "<alt-2@example.net>")'
    ),
    # Encoded words are sent as they are: the client decodes them.
    "encoded_words.eml": (
        b'("Mon, 8 Jan 2024 07:00:00 +0900" "=?iso-2022-jp?B?GyRCJDMkcyRLJEEkTxsoQg==?= '
        b'=?utf-8?q?_and_caf=C3=A9?= =?windows-1252?Q?=93quoted=94?=" '
        b'(("=?iso-8859-1?q?Andr=E9?= Dupont" NIL "andre" "example.fr")) '
        b'(("=?iso-8859-1?q?Andr=E9?= Dupont" NIL "andre" "example.fr")) '
        b'(("=?iso-8859-1?q?Andr=E9?= Dupont" NIL "andre" "example.fr")) '
        b'(("=?utf-8?B?Sm9zw6k=?=" NIL "jose" "example.es")'
        b'("=?koi8-r?b?8NLJ18XU?=" NIL "privet" "example.ru")) '
        b'(("=?utf-8?q?M=C3=BCller?=" NIL "mueller" "example.de")) NIL NIL "<ew-7@example.fr>")'
    ),
}


@pytest.mark.parametrize("name", sorted(ENVELOPES))
def test_envelope(name: str) -> None:
    _, parsed = corpus(name)
    assert render(envelope_value(parsed.envelope)) == ENVELOPES[name]


def test_envelope_of_a_message_without_headers() -> None:
    parsed = parse_message(b"\r\nbody only\r\n")
    assert render(envelope_value(parsed.envelope)) == b"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"


def test_envelope_empty_fields_are_empty_strings() -> None:
    # RFC 9051 §7.5.2: present but empty Subject/Message-ID are "", absent ones NIL; empty
    # address lists are NIL; an empty display name is NIL.
    parsed = parse_message(b'Subject:\r\nMessage-ID:\r\nTo:\r\nFrom: "" <a@b>\r\n\r\nx')
    assert render(envelope_value(parsed.envelope)) == (
        b'(NIL "" ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL "")'
    )


def test_envelope_strings_with_8bit_go_in_literals_for_rev1() -> None:
    parsed = parse_message("Subject: Café\r\n\r\nx".encode())
    value = envelope_value(parsed.envelope)
    assert render(value).startswith(b"(NIL {5}\r\nCaf\xc3\xa9 NIL")
    assert render(value, utf8=True).startswith(b'(NIL "Caf\xc3\xa9" NIL')


# -- BODYSTRUCTURE -----------------------------------------------------------------------------


def test_bodystructure_simple_text() -> None:
    raw, parsed = corpus("simple_text.eml")
    body = raw[raw.index(b"\r\n\r\n") + 4 :]
    assert (len(body), body.count(b"\r\n")) == (109, 8)
    assert render(body_structure_value(parsed.root)) == (
        b'("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 109 8 NIL NIL NIL NIL)'
    )
    assert render(body_structure_value(parsed.root, extensible=False)) == (
        b'("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 109 8)'
    )


def test_bodystructure_message_rfc822_inside_multipart() -> None:
    raw, parsed = corpus("rfc822_attached.eml")
    first = body_after(raw, b"charset=utf-8\r\n\r\n", b"\r\n--fwd-outer")
    inner = body_after(raw, b'filename="original.eml"\r\n\r\n', b"\r\n--fwd-outer--")
    inner_plain = body_after(
        raw, b"--fwd-inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", b"\r\n--"
    )
    inner_html = body_after(raw, b"text/html; charset=utf-8\r\n\r\n", b"\r\n--")
    assert (len(first), len(inner), len(inner_plain), len(inner_html)) == (22, 420, 17, 30)
    assert inner.endswith(b"\r\n")
    assert inner.count(b"\r\n") == 17  # body-fld-lines of the message/rfc822 part
    envelope = (
        b'("Fri, 5 Jan 2024 17:00:00 +0000" "Original message" '
        b'(("Mallory" NIL "mallory" "example.net")) (("Mallory" NIL "mallory" "example.net")) '
        b'(("Mallory" NIL "mallory" "example.net")) (("Ken" NIL "ken" "example.com")) '
        b'NIL NIL NIL "<orig-1@example.net>")'
    )
    assert render(body_structure_value(parsed.root)) == (
        b'(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 22 1 NIL NIL NIL NIL)'
        b'("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 420 ' + envelope + b" "
        b'(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 17 1 NIL NIL NIL NIL)'
        b'("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 30 1 NIL NIL NIL NIL) '
        b'"ALTERNATIVE" ("BOUNDARY" "fwd-inner") NIL NIL NIL) 17 '
        b'NIL ("ATTACHMENT" ("FILENAME" "original.eml")) NIL NIL) '
        b'"MIXED" ("BOUNDARY" "fwd-outer") NIL NIL NIL)'
    )
    # BODY: no extension data at any level (RFC 3501 §7.4.2).
    assert render(body_structure_value(parsed.root, extensible=False)) == (
        b'(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 22 1)'
        b'("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 420 ' + envelope + b" "
        b'(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 17 1)'
        b'("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 30 1) "ALTERNATIVE") 17) "MIXED")'
    )


def test_bodystructure_extension_data() -> None:
    # md5, disposition with parameters, two languages, a (folded) location (RFC 9051 §7.5.2).
    raw, parsed = corpus("mixed_attachment.eml")
    pdf = body_after(raw, b" report.pdf\r\n\r\n", b"\r\n--==mixed==--")
    text = body_after(raw, b"8bit\r\n\r\n", b"\r\n--==mixed==")
    assert (len(text), len(pdf)) == (34, 1074)
    assert render(body_structure_value(parsed.root)) == (
        b'(("TEXT" "PLAIN" ("CHARSET" "iso-8859-1") NIL NIL "8BIT" 34 1 NIL NIL NIL NIL)'
        b'("APPLICATION" "PDF" ("NAME" "report.pdf") "<report@example.com>" "Quarterly report" '
        b'"BASE64" 1074 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("ATTACHMENT" ("FILENAME" "report.pdf" '
        b'"SIZE" "784")) ("en" "fr") "http://example.com/report.pdf") '
        b'"MIXED" ("BOUNDARY" "==mixed==") NIL NIL NIL)'
    )


def test_bodystructure_nested_multiparts() -> None:
    _, parsed = corpus("nested_3_levels.eml")
    assert render(body_structure_value(parsed.root)) == (
        b'((("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 14 1 NIL NIL NIL NIL)'
        b'(("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 57 1 NIL NIL NIL NIL)'
        b'("IMAGE" "PNG" NIL "<logo@example.com>" NIL "BASE64" 64 NIL ("INLINE" NIL) NIL NIL) '
        b'"RELATED" ("BOUNDARY" "inner" "TYPE" "text/html") NIL NIL NIL) '
        b'"ALTERNATIVE" ("BOUNDARY" "middle") NIL NIL NIL)'
        b'("TEXT" "CSV" ("NAME" "data.csv" "CHARSET" "us-ascii") NIL NIL "7BIT" 8 2 NIL '
        b'("ATTACHMENT" ("FILENAME" "data.csv")) NIL NIL) '
        b'"MIXED" ("BOUNDARY" "outer") NIL NIL NIL)'
    )


def test_bodystructure_digest_parts_default_to_message_rfc822() -> None:
    # RFC 2046 §5.1.5: in multipart/digest a part without Content-Type is message/rfc822.
    _, parsed = corpus("digest.eml")
    rendered = render(body_structure_value(parsed.root, extensible=False))
    assert rendered == (
        b'(("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 103 ("Sat, 6 Jan 2024 10:00:00 +0000" '
        b'"First post" (("Nina" NIL "nina" "example.com")) (("Nina" NIL "nina" "example.com")) '
        b'(("Nina" NIL "nina" "example.com")) NIL NIL NIL NIL NIL) '
        b'("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 11 1) 5)'
        b'("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 148 ("Sat, 6 Jan 2024 11:00:00 +0000" '
        b'"Second post" (("Oscar" NIL "oscar" "example.com")) (("Oscar" NIL "oscar" '
        b'"example.com")) (("Oscar" NIL "oscar" "example.com")) NIL NIL NIL NIL NIL) '
        b'("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 12 1) 6)'
        b'("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 40 1) "DIGEST")'
    )


def test_bodystructure_text_without_charset_gets_the_default() -> None:
    # RFC 2046 §4.1.2: a text part without charset is US-ASCII; RFC 9051 §7.5.2 computes
    # BODYSTRUCTURE "defaulting various fields as necessary". Other types get nothing, and
    # an RFC 2231 charset* counts as a charset.
    cases = {
        b"text/plain": b'("CHARSET" "us-ascii")',
        b"text/html; name=a.html": b'("NAME" "a.html" "CHARSET" "us-ascii")',
        b"text/plain; charset*=utf-8''utf-8": b'("CHARSET*" "utf-8\'\'utf-8")',
        b"text/plain; CharSet=utf-8": b'("CHARSET" "utf-8")',
        b"application/json": b"NIL",
    }
    for content_type, params in cases.items():
        raw = b"Content-Type: " + content_type + b"\r\n\r\nx"
        rendered = render(body_structure_value(parse_message(raw).root, extensible=False))
        assert rendered.split(b" ", 2)[2].startswith(params + b" "), rendered


MESSAGE_GLOBAL = (
    b"Content-Type: multipart/mixed; boundary=g\r\n\r\n--g\r\n"
    b"Content-Type: message/global\r\n\r\n"
    b"From: J\xc3\xb6rg <j\xc3\xb6rg@example.de>\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\n"
    b"\r\nHallo!\r\n--g--\r\n"
)


def test_bodystructure_message_global_for_rev2_and_rev1() -> None:
    # RFC 9051 §9 media-message includes GLOBAL; RFC 3501 §9 does not, so for IMAP4rev1 a
    # MESSAGE/GLOBAL part is a basic body (RFC 9755 §6).
    parsed = parse_message(MESSAGE_GLOBAL)
    rev2 = render(body_structure_value(parsed.root, extensible=False), utf8=True)
    assert rev2.startswith(
        b'(("MESSAGE" "GLOBAL" NIL NIL NIL "7BIT" 58 (NIL "Gr\xc3\xbc\xc3\x9fe" '
    )
    assert rev2.endswith(b'("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 6 1) 4) "MIXED")')
    rev1 = render(body_structure_value(parsed.root, extensible=False, message_global=False))
    assert rev1 == b'(("MESSAGE" "GLOBAL" NIL NIL NIL "7BIT" 58) "MIXED")'
    rev1_extended = render(body_structure_value(parsed.root, message_global=False))
    assert rev1_extended.startswith(b'(("MESSAGE" "GLOBAL" NIL NIL NIL "7BIT" 58 NIL NIL NIL NIL)')


@pytest.mark.parametrize("name", sorted(path.name for path in CORPUS.glob("*.eml")))
def test_every_corpus_message_renders_balanced(name: str) -> None:
    raw, parsed = corpus(name)
    for value in (envelope_value(parsed.envelope), body_structure_value(parsed.root)):
        rendered = render(value)
        assert rendered.startswith(b"(")
        assert rendered.endswith(b")")
    items = render_fetch(
        parse_fetch_attributes(b"(BODYSTRUCTURE BODY[] BINARY.SIZE[1])"), message_of(parsed), raw
    )
    assert serialize(FetchData(1, items)).endswith(b")\r\n")


def parse_fetch_attributes(attributes: bytes) -> tuple[FetchAttribute, ...]:
    command = parse_command(b"t FETCH 1 " + attributes)
    assert isinstance(command, Fetch)
    return command.attributes


def message_of(parsed: ParsedMessage) -> FetchedMessage:
    return FetchedMessage(uid=7, flags=(), internal_date=0.0, parsed=parsed)


# -- sections (RFC 9051 §6.4.5) ------------------------------------------------------------------

INNER_HEADER = (
    b"From: Mallory <mallory@example.net>\r\n"
    b"To: Ken <ken@example.com>\r\n"
    b"Subject: Original message\r\n"
    b"Date: Fri, 5 Jan 2024 17:00:00 +0000\r\n"
    b"Message-ID: <orig-1@example.net>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="fwd-inner"\r\n'
    b"\r\n"
)

SECTIONS: list[tuple[bytes, bytes | None]] = [
    (b"BODY[1]", b"See the message below."),
    (b"BODY[1.MIME]", b"Content-Type: text/plain; charset=utf-8\r\n\r\n"),
    (b"BODY[2.HEADER]", INNER_HEADER),
    (b"BODY[2.1]", b"Inner plain text."),
    (b"BODY[2.2]", b"<p>Inner <b>HTML</b> text.</p>"),
    (b"BODY[2.1.MIME]", b"Content-Type: text/plain; charset=utf-8\r\n\r\n"),
    (
        b"BODY[2.MIME]",
        b'Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename="original.eml"'
        b"\r\n\r\n",
    ),
    (
        b"BODY[HEADER.FIELDS (From To)]",
        b"From: Ken <ken@example.com>\r\nTo: Leo <leo@example.org>\r\n\r\n",
    ),
    (
        b"BODY[HEADER.FIELDS (to FROM X-Absent)]",
        b"From: Ken <ken@example.com>\r\nTo: Leo <leo@example.org>\r\n\r\n",
    ),
    (
        b"BODY[HEADER.FIELDS.NOT (From To Subject Date Message-ID MIME-Version)]",
        b'Content-Type: multipart/mixed; boundary="fwd-outer"\r\n\r\n',
    ),
    (b"BODY[2.HEADER.FIELDS (subject)]", b"Subject: Original message\r\n\r\n"),
    (b"BODY[HEADER.FIELDS (X-Absent)]", b"\r\n"),
    (b"BODY[1]<4.3>", b"the"),
    (b"BODY.PEEK[1]<0.3>", b"See"),
    (b"BODY[1]<100.5>", b""),
    (b"BODY[3]", None),
    (b"BODY[1.HEADER]", None),
    (b"BODY[2.3]", None),
    (b"BODY[1.1]", None),
]


@pytest.mark.parametrize(
    ("spec", "expected"), SECTIONS, ids=[spec.decode() for spec, _ in SECTIONS]
)
def test_section_extraction(spec: bytes, expected: bytes | None) -> None:
    raw, parsed = corpus("rfc822_attached.eml")
    [attribute] = parse_fetch_attributes(spec)
    assert isinstance(attribute, BodySection)
    _, value = render_attribute(attribute, message_of(parsed), raw)
    if expected is None:
        assert value is None
    elif expected == b"":
        assert value == b""
    else:
        assert value == Literal(expected)


def test_whole_message_sections() -> None:
    raw, parsed = corpus("rfc822_attached.eml")
    header_end = raw.index(b"\r\n\r\n") + 4
    assert section_bytes(raw, parsed, Section()) == raw
    assert section_bytes(raw, parsed, Section((), "HEADER")) == raw[:header_end]
    assert section_bytes(raw, parsed, Section((), "TEXT")) == raw[header_end:]
    assert section_bytes(raw, parsed, Section((2,), "TEXT")) == body_after(
        raw, INNER_HEADER, b"\r\n--fwd-outer--"
    )
    items = dict(
        render_fetch(
            parse_fetch_attributes(b"(RFC822 RFC822.HEADER RFC822.TEXT)"), message_of(parsed), raw
        )
    )
    assert items == {
        "RFC822": Literal(raw),
        "RFC822.HEADER": Literal(raw[:header_end]),
        "RFC822.TEXT": Literal(raw[header_end:]),
    }


def test_part_one_of_a_single_part_message() -> None:
    raw, parsed = corpus("simple_text.eml")
    body = raw[raw.index(b"\r\n\r\n") + 4 :]
    assert section_bytes(raw, parsed, Section((1,))) == body
    assert section_bytes(raw, parsed, Section((2,))) is None


def test_header_fields_blank_line_only_when_there_is_one_or_a_body() -> None:
    # RFC 9051 §7.5.2: the blank line is always included "except in the case of a message
    # that has no body and no blank line".
    fields = Section((), "HEADER.FIELDS", ("Subject",))
    fields_not = Section((), "HEADER.FIELDS.NOT", ("Subject",))
    cases = {
        b"Subject: a\r\nTo: b@c\r\n": (b"Subject: a\r\n", b"To: b@c\r\n"),
        b"Subject: a\r\nTo: b@c\r\n\r\n": (b"Subject: a\r\n\r\n", b"To: b@c\r\n\r\n"),
        b"Subject: a\r\nTo: b@c\r\nno colon, a body\r\n": (
            b"Subject: a\r\n\r\n",
            b"To: b@c\r\n\r\n",
        ),
    }
    for raw, expected in cases.items():
        parsed = parse_message(raw)
        assert (section_bytes(raw, parsed, fields), section_bytes(raw, parsed, fields_not)) == (
            expected
        ), raw
    # An encapsulated message that is only a header, its last line break taken by the
    # boundary (RFC 2046 §5.1.1): the fields as they are, nothing added.
    raw = (
        b"Content-Type: multipart/mixed; boundary=h\r\n\r\n--h\r\n"
        b"Content-Type: message/rfc822\r\n\r\nFrom: a@b\r\nSubject: s\r\n--h--\r\n"
    )
    parsed = parse_message(raw)
    assert section_bytes(raw, parsed, Section((1,), "HEADER.FIELDS", ("subject",))) == (
        b"Subject: s"
    )
    assert section_bytes(raw, parsed, Section((1,), "HEADER.FIELDS.NOT", ("from", "subject"))) == (
        b""
    )


def test_fetch_response_with_sections_is_byte_exact() -> None:
    raw, parsed = corpus("rfc822_attached.eml")
    attributes = parse_fetch_attributes(
        b"(UID BODY.PEEK[1]<4.3> BODY[2.HEADER.FIELDS (subject)] BODY[9])"
    )
    assert [response_name(attribute) for attribute in attributes] == [
        "UID",
        "BODY[1]<4>",
        "BODY[2.HEADER.FIELDS (subject)]",
        "BODY[9]",
    ]
    items = render_fetch(attributes, message_of(parsed), raw)
    assert serialize(FetchData(3, items)) == (
        b"* 3 FETCH (UID 7 BODY[1]<4> {3}\r\nthe BODY[2.HEADER.FIELDS (subject)] {29}\r\n"
        b"Subject: Original message\r\n\r\n BODY[9] NIL)\r\n"
    )


# -- BINARY (RFC 3516) -------------------------------------------------------------------------


def test_binary_undoes_quoted_printable() -> None:
    raw, parsed = corpus("alternative.eml")
    decoded = (
        b"The numbers are in: revenue is up 12 %\xe2\x80\x94 see the table.\r\n"
        b"Caf\xc3\xa9 meeting at 10.\r\n"
    )
    assert binary_bytes(raw, parsed, (1,)) == decoded
    assert binary_size(raw, parsed, (1,)) == len(decoded)
    [attribute] = parse_fetch_attributes(b"BINARY.PEEK[1]<0.3>")
    assert render_attribute(attribute, message_of(parsed), raw) == ("BINARY[1]<0>", Literal(b"The"))


def test_binary_undoes_base64_and_uses_literal8_for_nul() -> None:
    raw, parsed = corpus("mixed_attachment.eml")
    encoded = body_after(raw, b" report.pdf\r\n\r\n", b"\r\n--==mixed==--")
    decoded = base64.b64decode(encoded.replace(b"\r\n", b""))
    assert decoded.startswith(b"%PDF-1.4\n\x00\x01")
    assert binary_bytes(raw, parsed, (2,)) == decoded
    items = render_fetch(
        parse_fetch_attributes(b"(BINARY[2] BINARY.SIZE[2] BINARY.SIZE[1])"),
        message_of(parsed),
        raw,
    )
    assert items == (
        ("BINARY[2]", Literal(decoded, binary=True)),
        ("BINARY.SIZE[2]", len(decoded)),
        ("BINARY.SIZE[1]", 34),
    )
    assert serialize(FetchData(1, items[:1])).startswith(
        b"* 1 FETCH (BINARY[2] ~{%d}\r\n%%PDF" % len(decoded)
    )


def test_binary_of_the_whole_message_and_missing_parts() -> None:
    raw, parsed = corpus("simple_text.eml")
    assert binary_bytes(raw, parsed, ()) == raw
    assert binary_bytes(raw, parsed, (3,)) is None
    assert binary_size(raw, parsed, (3,)) is None
    [attribute] = parse_fetch_attributes(b"BINARY[3]")
    assert render_attribute(attribute, message_of(parsed), raw) == ("BINARY[3]", None)


def test_unknown_transfer_encoding() -> None:
    # RFC 3516 §4.3: NO [UNKNOWN-CTE].
    raw = (
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n"
    )
    parsed = parse_message(raw)
    with pytest.raises(UnknownTransferEncoding) as caught:
        binary_bytes(raw, parsed, (1,))
    assert str(caught.value.code) == "[UNKNOWN-CTE]"
    assert caught.value.encoding == "x-uuencode"
    # BODY[] is not affected.
    assert section_bytes(raw, parsed, Section((1,))) == b"begin 644 x\r\n"


# -- the other items --------------------------------------------------------------------------


def test_other_items() -> None:
    raw, parsed = corpus("simple_text.eml")
    message = FetchedMessage(
        uid=7,
        flags=(),
        internal_date=0.0,
        parsed=parsed,
        modseq=12121231000,
        email_id="M6d99ac3275bb4e",
        thread_id=None,
        save_date=datetime(2024, 1, 2, 9, 0, 5, tzinfo=UTC),
    )
    attributes = parse_fetch_attributes(
        b"(UID MODSEQ EMAILID THREADID SAVEDATE PREVIEW (LAZY) RFC822.SIZE INTERNALDATE FLAGS)"
    )
    items = render_fetch(attributes, message)
    assert serialize(FetchData(5, items)) == (
        b"* 5 FETCH (UID 7 MODSEQ (12121231000) EMAILID (M6d99ac3275bb4e) THREADID NIL "
        b'SAVEDATE "02-Jan-2024 09:00:05 +0000" PREVIEW "Hi Bob, Are you free for lunch on '
        b'Friday?" RFC822.SIZE ' + str(len(raw)).encode() + b" INTERNALDATE "
        b'"01-Jan-1970 00:00:00 +0000" FLAGS ())\r\n'
    )


def test_items_needing_content_say_so() -> None:
    attributes = parse_fetch_attributes(
        b"(FLAGS BODY[] BODY.PEEK[TEXT] BINARY.SIZE[1] RFC822.HEADER ENVELOPE)"
    )
    assert [needs_content(attribute) for attribute in attributes] == [
        False,
        True,
        True,
        True,
        True,
        False,
    ]
    assert [sets_seen(attribute) for attribute in attributes] == [
        False,
        True,
        False,
        False,
        False,
        False,
    ]
    assert sets_seen(FetchItem.RFC822)
    assert sets_seen(FetchItem.RFC822_TEXT)
    assert sets_seen(BinarySection((1,)))
    assert not sets_seen(BinarySection((1,), peek=True))
    _, parsed = corpus("simple_text.eml")
    with pytest.raises(ValueError, match="needs the message content"):
        render_attribute(FetchItem.RFC822, message_of(parsed))


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (JULY_17, "17-Jul-1996 02:44:25 -0700"),
        (
            datetime(2002, 8, 1, 22, tzinfo=timezone(timedelta(hours=2))),
            "01-Aug-2002 22:00:00 +0200",
        ),
        (datetime(2024, 3, 9, 5, 6, 7), "09-Mar-2024 05:06:07 +0000"),
        (
            datetime(2024, 3, 9, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            "09-Mar-2024 00:00:00 +0530",
        ),
        (86400.5, "02-Jan-1970 00:00:00 +0000"),
    ],
)
def test_date_time_format(moment: datetime | float, text: str) -> None:
    # RFC 9051 §9 date-time
    assert date_time_value(moment) == text
