"""Composing header fields: RFC 5322 dates and Message-IDs, RFC 2047 words, folding, and the
RFC 6409 §8 submission fix-ups. The parsers of ``courriel.mail`` and the stdlib ``email``
package read the results back as independent checks."""

from __future__ import annotations

import base64
import email
import email.header
import email.policy
import email.utils
import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courriel.mail import (
    decode_encoded_words,
    parse_address_list,
    parse_date,
    parse_message,
    unfold,
)
from courriel.mail.compose import (
    RandomBytes,
    add_missing_headers,
    encode_header_value,
    fold_value,
    format_address,
    format_date,
    has_header,
    header_end,
    header_lines,
    make_message_id,
)

NOW = 1_700_000_000  # Tue, 14 Nov 2023 22:13:20 UTC
_WORD = re.compile(r"=\?utf-8\?([bq])\?([^?]*)\?=")


def counting_random(start: int = 0) -> RandomBytes:
    """A deterministic random source: each call returns n copies of the next byte."""
    counter = itertools.count(start)

    def random_bytes(size: int) -> bytes:
        return bytes([next(counter) % 256]) * size

    return random_bytes


def field_lines(raw: bytes) -> list[bytes]:
    assert raw.endswith(b"\r\n")
    return raw[:-2].split(b"\r\n")


def decoded(value: str) -> str:
    """What a reader shows for a composed unstructured value: unfolded, words decoded."""
    return decode_encoded_words(unfold(value.encode("utf-8")).decode("utf-8"))


def word_payloads(value: str) -> list[bytes]:
    out = []
    for encoding, payload in _WORD.findall(value):
        if encoding == "b":
            out.append(base64.b64decode(payload))
        else:
            out.append(
                re.sub(
                    rb"=([0-9A-F]{2})",
                    lambda m: bytes([int(m.group(1), 16)]),
                    payload.replace("_", " ").encode("ascii"),
                )
            )
    return out


# --- format_date ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timestamp", "offset", "expected"),
    [
        (0, 0, "Thu, 1 Jan 1970 00:00:00 +0000"),
        (NOW, 0, "Tue, 14 Nov 2023 22:13:20 +0000"),
        (NOW + 0.999, 0, "Tue, 14 Nov 2023 22:13:20 +0000"),  # fractions are dropped
        (NOW, 120, "Wed, 15 Nov 2023 00:13:20 +0200"),
        (NOW, -330, "Tue, 14 Nov 2023 16:43:20 -0530"),
        (NOW, -1, "Tue, 14 Nov 2023 22:12:20 -0001"),
        (1_709_164_800, 0, "Thu, 29 Feb 2024 00:00:00 +0000"),  # leap day
        (1_704_067_199, 0, "Sun, 31 Dec 2023 23:59:59 +0000"),
    ],
)
def test_format_date(timestamp: float, offset: int, expected: str) -> None:
    assert format_date(timestamp, offset) == expected


def test_format_date_agrees_with_the_stdlib() -> None:
    for timestamp in (0, NOW, 951_782_400, 2_147_483_647, 4_102_444_800):
        ours = format_date(timestamp)
        theirs = email.utils.formatdate(timestamp, usegmt=True)  # "... GMT", zero-padded day
        assert email.utils.parsedate_to_datetime(ours) == email.utils.parsedate_to_datetime(theirs)
        assert ours[:3] == theirs[:3]


@pytest.mark.parametrize("offset", [24 * 60, -24 * 60, 100_000])
def test_format_date_rejects_impossible_zones(offset: int) -> None:
    with pytest.raises(ValueError, match="zone"):
        format_date(NOW, offset)


@settings(max_examples=300)
@given(
    st.integers(min_value=0, max_value=253_402_000_000),
    st.integers(min_value=-1439, max_value=1439),
)
def test_format_date_parses_back(timestamp: int, offset: int) -> None:
    text = format_date(timestamp, offset)
    assert re.fullmatch(
        r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} "
        r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4}",
        text,
    )
    assert parse_date(text) == timestamp


# --- make_message_id -----------------------------------------------------------------------


def test_message_id_is_random_part_at_domain() -> None:
    assert make_message_id("mx.example.org", lambda n: b"\x00" * n) == (
        "<aaaaaaaaaaaaaaaaaaaaaaaaaa@mx.example.org>"
    )


def test_message_ids_differ() -> None:
    ids = {make_message_id("example.org") for _ in range(100)}
    assert len(ids) == 100
    for value in ids:
        assert re.fullmatch(r"<[a-z2-7]{26}@example\.org>", value)


def test_message_id_domain_in_a_labels() -> None:
    assert make_message_id("bücher.example.", lambda n: b"\xff" * n).endswith(
        "@xn--bcher-kva.example>"
    )


@pytest.mark.parametrize("domain", ["", "a b", "x@y", "<x>", "a\r\nb"])
def test_message_id_rejects_bad_domains(domain: str) -> None:
    with pytest.raises(ValueError, match="domain"):
        make_message_id(domain)


def test_message_id_parses_as_a_message_id() -> None:
    message_id = make_message_id("example.org")
    raw = header_lines([("Message-ID", message_id)]) + b"\r\nbody\r\n"
    assert parse_message(raw).envelope.message_id == message_id
    assert email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"] == message_id


# --- encode_header_value -------------------------------------------------------------------


def test_ascii_text_is_left_alone() -> None:
    assert encode_header_value("Hello world", field_name="Subject") == "Hello world"
    assert encode_header_value("  tabs\tand  spaces  ") == "tabs\tand  spaces"


def test_non_ascii_words_are_encoded_and_the_rest_kept() -> None:
    value = encode_header_value("Café au lait", field_name="Subject")
    assert value == "=?utf-8?b?Q2Fmw6k=?= au lait"
    assert decoded(value) == "Café au lait"


def test_adjacent_non_ascii_words_share_encoded_words() -> None:
    value = encode_header_value("prix: 5 € ou 6 € net", field_name="Subject")
    assert decoded(value) == "prix: 5 € ou 6 € net"
    assert value.startswith("prix: 5 =?utf-8?")


def test_ascii_that_looks_like_an_encoded_word_is_encoded() -> None:
    value = encode_header_value("see =?utf-8?q?x?= here")
    assert "=?utf-8?q?x?=" not in value
    assert decoded(value) == "see =?utf-8?q?x?= here"


def test_controls_are_encoded() -> None:
    value = encode_header_value("bell\x07 here")
    assert "\x07" not in value
    assert decoded(value) == "bell\x07 here"


@pytest.mark.parametrize("text", ["a\r\nBcc: x@y", "a\nb", "a\rb"])
def test_line_breaks_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        encode_header_value(text)


def test_text_that_is_not_unicode_is_refused() -> None:
    with pytest.raises(ValueError, match="surrogates"):
        encode_header_value("lone \ud800 surrogate")


SUBJECTS = [
    "Re: " + "très long sujet avec des accents é à ü " * 5,
    "日本語のテキストがここにあります。" * 4,
    "a" * 300,
    "e\u0301" * 80,  # e + combining acute: never cut between them
    "👩\u200d👩\u200d👧 family " * 8,
    "Quarterly report: " + "numbers and more numbers " * 10,
]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_long_subjects_fold_within_limits(subject: str) -> None:
    value = encode_header_value(subject, field_name="Subject")
    raw = header_lines([("Subject", value)])
    lines = field_lines(raw)
    assert len(lines) > 1
    for line in lines:
        # RFC 5322 §2.1.1: 78 columns; RFC 2047 §2: 76 for lines with encoded words.
        assert len(line) <= (76 if b"=?" in line else 78), line
        assert line.isascii()
    for line in lines[1:]:
        assert line[:1] == b" "
    for word in _WORD.finditer(value):
        assert len(word.group()) <= 75  # RFC 2047 §2
    assert decoded(value) == subject.strip()
    # Each word is whole UTF-8 on its own: no multi-byte character is split.
    for payload in word_payloads(value):
        text = payload.decode("utf-8")
        assert not text or text[0] not in "\u0301\u200d"
    # And the stdlib reads it back the same.
    message = email.message_from_bytes(raw + b"\r\n", policy=email.policy.default)
    assert message["Subject"] == subject.strip()


def test_combining_marks_stay_with_their_base() -> None:
    value = encode_header_value("e\u0301" * 80, field_name="Subject")
    for payload in word_payloads(value):
        assert payload.decode("utf-8") == "e\u0301" * (len(payload) // 3)


def test_first_line_accounts_for_a_long_field_name() -> None:
    name = "X-Very-Long-Field-Name-For-Testing"
    value = encode_header_value("Zürich " * 20, field_name=name)
    for line in field_lines(header_lines([(name, value)])):
        assert len(line) <= 76


@settings(max_examples=300)
@given(
    st.text(
        alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]),
        max_size=300,
    )
)
def test_any_text_round_trips_within_limits(text: str) -> None:
    value = encode_header_value(text, field_name="Subject")
    assert decoded(value) == text.strip(" \t")
    raw = header_lines([("Subject", value)])
    assert raw.isascii()
    for line in field_lines(raw):
        assert len(line) <= 78
        assert line.strip(b" \t")  # RFC 5322 §3.2.2: no line of blanks only


# --- format_address ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "address", "expected"),
    [
        (None, "bob@example.net", "bob@example.net"),
        ("", "bob@example.net", "bob@example.net"),
        ("Bob Smith", "bob@example.net", "Bob Smith <bob@example.net>"),
        ("Mail Delivery System", "postmaster@x.org", "Mail Delivery System <postmaster@x.org>"),
        ("Smith, Bob", "bob@x", '"Smith, Bob" <bob@x>'),
        ('J. R. "Bob" Dobbs', "bob@x", '"J. R. \\"Bob\\" Dobbs" <bob@x>'),
        ("a\\b", "ab@x", '"a\\\\b" <ab@x>'),
        ("Jörg", "jorg@bücher.example", "=?utf-8?b?SsO2cmc=?= <jorg@xn--bcher-kva.example>"),
        (None, "jörg@bücher.example", "jörg@bücher.example"),  # RFC 6531: stays UTF-8
        (None, '"john doe"@x.org', '"john doe"@x.org'),
    ],
)
def test_format_address(name: str | None, address: str, expected: str) -> None:
    assert format_address(name, address) == expected


@pytest.mark.parametrize(
    "name",
    [
        "Bob Smith",
        "Smith, Bob",
        'J. R. "Bob" Dobbs',
        "Jörg Müller",
        "Fran\u00e7ois \u00c9l\u00e9onore de la Tour d'Auvergne-Lauraguais",
        "山田太郎",
        "=?utf-8?q?not_a_word?=",
    ],
)
def test_display_names_read_back(name: str) -> None:
    text = format_address(name, "someone@example.org")
    (parsed,) = parse_address_list(text)
    assert parsed.local == "someone"
    assert parsed.domain == "example.org"
    assert parsed.name is not None
    assert decode_encoded_words(parsed.name) == name
    raw = header_lines([("From", text)]) + b"\r\n"
    message = email.message_from_bytes(raw, policy=email.policy.default)
    (address,) = message["From"].addresses
    assert address.display_name == name
    assert address.addr_spec == "someone@example.org"


@pytest.mark.parametrize("address", ["", "a\r\nb@x", "<a@b>"])
def test_format_address_rejects_bad_addresses(address: str) -> None:
    with pytest.raises(ValueError, match=r"addr-spec|line break"):
        format_address("Name", address)


def test_long_address_lists_fold() -> None:
    value = ", ".join(
        format_address("Jörg Müller Ünterbrechung", f"user{i}@example.org") for i in range(6)
    )
    raw = header_lines([("To", value)])
    lines = field_lines(raw)
    assert len(lines) > 3
    assert all(len(line) <= 76 for line in lines)
    message = email.message_from_bytes(raw + b"\r\n", policy=email.policy.default)
    addresses = message["To"].addresses
    assert [a.addr_spec for a in addresses] == [f"user{i}@example.org" for i in range(6)]
    assert {a.display_name for a in addresses} == {"Jörg Müller Ünterbrechung"}


# --- header_lines, fold_value --------------------------------------------------------------


def test_header_lines_are_crlf_fields() -> None:
    assert header_lines([("From", "a@b"), ("X-Empty", ""), ("Subject", "hi")]) == (
        b"From: a@b\r\nX-Empty:\r\nSubject: hi\r\n"
    )


def test_header_lines_fold_at_blanks() -> None:
    value = " ".join(f"word{i}" for i in range(40))
    raw = header_lines([("X-Words", value)])
    lines = field_lines(raw)
    assert all(len(line) <= 78 for line in lines)
    assert unfold(raw.split(b":", 1)[1]).decode() == value


def test_header_lines_keep_a_folded_value() -> None:
    folded = encode_header_value("ü " * 40, field_name="Subject")
    assert "\r\n" in folded
    assert header_lines([("Subject", folded)]) == f"Subject: {folded}\r\n".encode()


@pytest.mark.parametrize(
    "value",
    ["a\r\nBcc: evil@example", "a\nb", "a\rb", "a\r\n", "a\r\n \r\n b"],
)
def test_header_lines_refuse_injection(value: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        header_lines([("Subject", value)])


@pytest.mark.parametrize("name", ["", "Bad Name", "Bad:Name", "Bäd", "X\r\n"])
def test_header_lines_refuse_bad_names(name: str) -> None:
    with pytest.raises(ValueError, match="field name"):
        header_lines([(name, "x")])


def test_header_lines_refuse_lines_over_998_octets() -> None:
    with pytest.raises(ValueError, match="998"):
        header_lines([("X-Long", "x" * 1000)])


def test_header_lines_write_utf8_values() -> None:
    assert header_lines([("To", "jörg@bücher.example")]) == "To: jörg@bücher.example\r\n".encode()


def test_fold_value_prefers_part_boundaries() -> None:
    parts = ["from mail.example.net (mail.example.net [192.0.2.1])", "by mx.example.org"]
    assert fold_value("Received", parts) == (
        "from mail.example.net (mail.example.net [192.0.2.1])\r\n by mx.example.org"
    )


def test_fold_value_cuts_an_overlong_part_at_its_blanks() -> None:
    long_part = "from " + " ".join(["label"] * 30)
    folded = fold_value("Received", [long_part, "by x"])
    assert all(len(line) <= 78 for line in ("Received: " + folded).split("\r\n"))
    assert unfold(folded.encode()).decode() == long_part + " by x"


# --- has_header, header_end ----------------------------------------------------------------

MESSAGE = (
    b"From: alice@example.org\r\n"
    b"To: bob@example.net\r\n"
    b"Subject: hi\r\n"
    b"\r\n"
    b"Message-ID: <not-a-header@body>\r\n"
)


def test_header_end_is_before_the_empty_line() -> None:
    end = header_end(MESSAGE)
    assert MESSAGE[:end].endswith(b"Subject: hi\r\n")
    assert MESSAGE[end : end + 2] == b"\r\n"


def test_has_header_looks_at_the_header_only() -> None:
    assert has_header(MESSAGE, "subject")
    assert has_header(MESSAGE, "FROM")
    assert not has_header(MESSAGE, "Message-ID")
    assert not has_header(MESSAGE, "Date")


# --- add_missing_headers -------------------------------------------------------------------

COMPLETE = (
    b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
    b"Message-ID: <x@example.org>\r\n"
    b"From: alice@example.org\r\n"
    b"\r\n"
    b"body \r\n"
)


@pytest.mark.parametrize(
    "raw",
    [
        COMPLETE,
        COMPLETE.replace(b"\r\n", b"\n"),
        b"message-id:<x@y>\r\ndate:   whatever, not parsed\r\n\r\n",
        b"DATE: x\nMESSAGE-ID: y\n",
    ],
)
def test_a_message_with_both_is_unchanged(raw: bytes) -> None:
    assert add_missing_headers(raw, domain="example.org", now=NOW) == raw


def test_missing_date_is_prepended() -> None:
    raw = COMPLETE.split(b"\r\n", 1)[1]
    result = add_missing_headers(raw, domain="example.org", now=NOW)
    assert result == b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n" + raw


def test_missing_message_id_is_prepended() -> None:
    raw = COMPLETE.replace(b"Message-ID: <x@example.org>\r\n", b"")
    result = add_missing_headers(
        raw, domain="mail.example.org", now=NOW, message_id_random=lambda n: b"\x00" * n
    )
    assert result == (b"Message-ID: <aaaaaaaaaaaaaaaaaaaaaaaaaa@mail.example.org>\r\n" + raw)


def test_both_missing_are_prepended_and_parse() -> None:
    raw = b"From: alice@example.org\r\nSubject: hi\r\n\r\nbody\r\n"
    result = add_missing_headers(
        raw,
        domain="example.org",
        now=NOW,
        message_id_random=counting_random(),
        tz_offset_minutes=60,
    )
    assert result.endswith(raw)
    parsed = parse_message(result)
    assert parsed.envelope.date == "Tue, 14 Nov 2023 23:13:20 +0100"
    assert parsed.envelope.message_id is not None
    assert parsed.envelope.message_id.endswith("@example.org>")
    assert parsed.envelope.subject == "hi"


def test_bare_lf_messages_get_bare_lf_lines() -> None:
    raw = b"From: alice@example.org\nSubject: hi\n\nbody\n"
    result = add_missing_headers(raw, domain="example.org", now=NOW)
    assert result.endswith(raw)
    assert b"\r" not in result


def test_a_message_without_header_keeps_its_body_as_body() -> None:
    raw = b"just some text\r\n"
    result = add_missing_headers(raw, domain="example.org", now=NOW)
    assert result.endswith(b"\r\n\r\n" + raw)
    message = email.message_from_bytes(result, policy=email.policy.default)
    assert message.get_content().strip() == "just some text"
