"""Line endings of stored messages (``courriel.mail.lines``): CRLF normalisation and the size
a message has when sent as CRLF lines (RFC 1939 §11), whole and over chunks. The reference
below splits lines the slow, obvious way."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courriel.mail import WireSizeCounter, normalize_line_endings, wire_size
from courriel.mailstore.ingest import prepare_content


def as_sent(message: bytes) -> bytes:
    """``message`` as CRLF lines, the last one ended too: the reference for both functions."""
    lines, line, index = [], bytearray(), 0
    while index < len(message):
        if message[index : index + 2] == b"\r\n":
            lines.append(bytes(line))
            line, index = bytearray(), index + 2
        elif message[index] in b"\r\n":
            lines.append(bytes(line))
            line, index = bytearray(), index + 1
        else:
            line.append(message[index])
            index += 1
    if line:
        lines.append(bytes(line))
    return b"".join(line + b"\r\n" for line in lines)


@pytest.mark.parametrize(
    ("message", "size"),
    [
        (b"", 0),
        (b"a\r\nb\r\n", 6),  # CRLF already: the stored size
        (b"a\nb\n", 6),  # bare LF: one more octet each
        (b"a\rb\r", 6),  # bare CR: the same
        (b"a\r\nb", 6),  # no final line break: a CRLF is added
        (b"a", 3),
        (b"a\n\r", 5),  # LF then CR is two line breaks, not a CRLF
        (b"\r\r\n\n", 6),  # bare CR, CRLF, bare LF
        (b".\r\n", 3),  # byte-stuffing is not counted
    ],
)
def test_wire_size(message: bytes, size: int) -> None:
    assert wire_size(message) == size == len(as_sent(message))


def test_normalize_line_endings() -> None:
    assert normalize_line_endings(b"a\nb\r\rc\r\n") == b"a\r\nb\r\n\r\nc\r\n"
    assert normalize_line_endings(b"no break") == b"no break"  # nothing added at the end
    message = b"a\r\nb\r\n"
    assert normalize_line_endings(message) is message  # the usual case costs no copy


messages = st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b"a", b"."])).map(b"".join)


@given(messages | st.binary(max_size=100))
def test_both_agree_with_the_reference(message: bytes) -> None:
    assert wire_size(message) == len(as_sent(message))
    normalized = normalize_line_endings(message)
    if normalized and not normalized.endswith(b"\r\n"):
        normalized += b"\r\n"
    assert normalized == as_sent(message)


@pytest.mark.parametrize("seed", range(20))
def test_the_chunked_counter_agrees_with_wire_size(seed: int) -> None:
    generator = random.Random(seed)
    raw = bytes(generator.choice(b"\r\n.x") for _ in range(generator.randrange(0, 60)))
    cuts = sorted(generator.sample(range(len(raw) + 1), min(len(raw) + 1, 4)))
    counter = WireSizeCounter()
    for start, end in itertools.pairwise([0, *cuts, len(raw)]):
        counter.feed(raw[start:end])
    assert counter.finish() == wire_size(raw), raw


def test_ingest_records_the_wire_size() -> None:
    raw = b"Subject: bare\n\nline one\nline two"
    content = prepare_content(raw, inline_limit=1024)
    assert (content.size, content.wire_size) == (len(raw), len(raw) + 3 + 2)  # 3 bare LF, no end
