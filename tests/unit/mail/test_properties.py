"""Property tests: any bytes parse without raising, offsets stay in bounds, the stored form
round-trips, and every section the tree names has an in-bounds byte range."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courriel.mail import (
    ParsedMessage,
    Part,
    decode,
    decode_header_block,
    encode,
    extract_text,
    parse_message,
    part_range,
    split_header_fields,
)

from .support import ALL_FILES, check_offsets, corpus

_FRAGMENTS = [
    b'Content-Type: multipart/mixed; boundary="b"\r\n',
    b"Content-Type: multipart/alternative; boundary=b2\r\n",
    b'Content-Type: multipart/digest; boundary="b"\n',
    b"Content-Type: message/rfc822\r\n",
    b"Content-Type: text/html; charset=utf-8\r\n",
    b"Content-Type: text/plain; charset*=utf-8''%C3%A9; name*0=a; name*1*=%FF\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
    b'Content-Disposition: attachment; filename="x"\r\n',
    b"Subject: =?utf-8?B?w6k=?= =?bogus?Q?=FF?=\r\n",
    b'From: A <a@b>, (c) "d" <@r:e@f>; g:;\r\n',
    b"Date: Tue, 2 Jan 2024 10:00:00 +0100\r\n",
    b"References: <a@b> <c@d>\r\n",
    b" continued\r\n",
    b"--b\r\n",
    b"--b--\r\n",
    b"--b2\n",
    b"--b2--\n",
    b"\r\n",
    b"\n",
    b"text line =C3=A9=\r\n",
    b"SGVsbG8gd29ybGQ=\r\n",
    b"<p>html &amp; <script>x</script></p>\r\n",
    b"> quoted\r\n",
    b"no colon line\r\n",
    b"\x00\xff\xfe junk\r\n",
]

_messages = st.lists(st.sampled_from(_FRAGMENTS), max_size=40).map(b"".join)


def _paths(part: Part, prefix: tuple[int, ...], at_message: bool) -> list[tuple[int, ...]]:
    """Every section path the tree names (RFC 9051 §6.4.5), with some that it does not."""
    paths = [prefix]
    container = part.message if (not at_message and part.message is not None) else part
    if container.children:
        for index, child in enumerate(container.children, start=1):
            paths.extend(_paths(child, (*prefix, index), False))
    elif at_message or part.message is not None:
        paths.append((*prefix, 1))
    paths.append((*prefix, 99))
    return paths


def _check(raw: bytes) -> ParsedMessage:
    parsed = parse_message(raw)
    check_offsets(parsed, raw)
    assert decode(encode(parsed)) == parsed
    assert len(parsed.preview) <= 256  # RFC 8970 §4
    extract_text(raw, parsed.root)
    decode_header_block(raw, 0, parsed.header_size)
    previous_end = 0
    for field in split_header_fields(raw, 0, parsed.header_size):
        assert previous_end <= field.start < field.end <= parsed.header_size
        assert raw[field.start : field.end].startswith(field.name.encode("utf-8", "replace")) or (
            "\ufffd" in field.name
        )
        previous_end = field.end
    for path in _paths(parsed.root, (), True):
        for text in ("", "HEADER", "TEXT", "MIME"):
            found = part_range(parsed.root, path, text)
            if found is not None:
                assert 0 <= found[0] <= found[1] <= len(raw)
    return parsed


@given(st.binary(max_size=3000))
def test_arbitrary_bytes(raw: bytes) -> None:
    _check(raw)


@given(_messages)
def test_mime_shaped_fragments(raw: bytes) -> None:
    _check(raw)


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(corpus(draw(st.sampled_from(ALL_FILES))))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.integers(0, 4))
        position = draw(st.integers(0, len(raw)))
        if kind == 0:  # delete a range
            del raw[position : position + draw(st.integers(1, 64))]
        elif kind == 1:  # insert bytes
            raw[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif kind == 2:  # insert a structural fragment
            raw[position:position] = draw(st.sampled_from(_FRAGMENTS))
        elif kind == 3:  # truncate
            del raw[position:]
        else:  # CRLF to LF from here on
            raw[position:] = bytes(raw[position:]).replace(b"\r\n", b"\n")
    return bytes(raw)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutated_corpus(raw: bytes) -> None:
    _check(raw)


@given(st.sampled_from(ALL_FILES))
def test_parsing_is_deterministic(name: str) -> None:
    raw = corpus(name)
    assert parse_message(raw) == parse_message(bytes(raw))
