"""The DATA decoder (RFC 5321 §4.1.1.4, §4.5.2) including SMTP smuggling, and the BDAT
reader (RFC 3030)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courriel.smtp.protocol.data import BdatReader, DataReader


def decode(
    wire: bytes, *, max_size: int | None = None, chunk: int | None = None
) -> tuple[DataReader, bytes]:
    """Feed ``wire`` whole (or in ``chunk``-sized pieces) until the end; return the reader
    and the content it returned."""
    reader = DataReader(max_size=max_size)
    parts = []
    step = chunk or max(len(wire), 1)
    for start in range(0, max(len(wire), 1), step):
        parts.append(reader.feed(wire[start : start + step]))
        if reader.done:
            break
    return reader, b"".join(parts)


def dot_stuff(content: bytes) -> bytes:
    """What an RFC 5321 client sends for ``content`` (CRLF lines), terminator included."""
    stuffed = content.replace(b"\r\n.", b"\r\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    return stuffed + b".\r\n"


def reference_decode(wire: bytes) -> tuple[bytes, bytes]:
    """RFC 5321 §4.1.1.4 and §4.5.2 read literally, line by line (CRLF-terminated lines)."""
    lines = wire.split(b"\r\n")
    content: list[bytes] = []
    for index, line in enumerate(lines[:-1]):  # the last piece has no CRLF after it
        if line == b".":
            return b"".join(kept + b"\r\n" for kept in content), b"\r\n".join(lines[index + 1 :])
        content.append(line[1:] if line.startswith(b".") else line)
    raise AssertionError("no end of data")


# --- the basics


def test_simple_message() -> None:
    reader, content = decode(b"Subject: hi\r\n\r\nHello\r\n.\r\n")
    assert reader.done
    assert content == b"Subject: hi\r\n\r\nHello\r\n"
    assert reader.octets == 22
    assert reader.trailing == b""
    assert (reader.bare_cr, reader.bare_lf, reader.too_big) == (False, False, False)


def test_empty_message() -> None:
    # RFC 5321 §4.1.1.4: ".CRLF" right after the 354 reply is an empty message.
    reader, content = decode(b".\r\n")
    assert reader.done
    assert content == b""
    assert reader.octets == 0


def test_dot_unstuffing() -> None:
    # RFC 5321 §4.5.2: a line's leading period is removed; only one.
    reader, content = decode(b"..first\r\nmid.dle\r\n...two\r\n..\r\n.\r\n")
    assert content == b".first\r\nmid.dle\r\n..two\r\n.\r\n"
    assert reader.octets == len(content)


def test_trailing_pipelined_commands() -> None:
    reader, content = decode(b"body\r\n.\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n")
    assert content == b"body\r\n"
    assert reader.trailing == b"MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n"


def test_feed_after_the_end_is_a_bug() -> None:
    reader, _ = decode(b".\r\n")
    with pytest.raises(RuntimeError):
        reader.feed(b"more")


def test_nothing_is_returned_before_it_is_decided() -> None:
    reader = DataReader()
    assert reader.feed(b"line\r") == b"line"
    assert reader.feed(b"\n") == b""
    assert reader.feed(b".") == b""
    assert reader.feed(b".x\r\n") == b"\r\n.x"
    assert reader.feed(b".\r") == b""
    assert reader.feed(b"\nafter") == b"\r\n"
    assert reader.done
    assert reader.trailing == b"after"


# --- SMTP smuggling: only <CRLF>.<CRLF> ends the data


SMUGGLING = [
    b"\n.\n",
    b"\r.\r",
    b"\n.\r\n",
    b"\r\n.\n",
    b"\r.\r\n",
    b"\r\n.\r",
    b"\n.\r",
    b"\r\n.\r\r\n",
    b"\r\n\x00.\r\n",
]


@pytest.mark.parametrize("separator", SMUGGLING, ids=[repr(s) for s in SMUGGLING])
def test_smuggling_variants_do_not_end_the_data(separator: bytes) -> None:
    smuggled = (
        b"MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nFrom: ceo\r\n"
    )
    wire = b"From: attacker\r\n\r\nhello" + separator + smuggled + b"\r\n.\r\nQUIT\r\n"
    for chunk in (None, 1, 2, 3, 7):
        reader, content = decode(wire, chunk=chunk)
        assert reader.done
        assert b"QUIT\r\n".startswith(reader.trailing)
        assert content.startswith(b"From: attacker\r\n\r\nhello")
        assert content.endswith(smuggled + b"\r\n")
        assert b"MAIL FROM:<ceo@bank.example>" in content
        assert reader.bare_cr or reader.bare_lf or b"\x00" in separator


def test_smuggling_bare_flags() -> None:
    def flags(wire: bytes) -> tuple[bool, bool]:
        reader, _ = decode(wire)
        return reader.bare_cr, reader.bare_lf

    assert flags(b"a\n.\nb\r\n.\r\n") == (False, True)
    assert flags(b"a\r.\rb\r\n.\r\n") == (True, False)
    assert flags(b"a\r\nb\r\n.\r\n") == (False, False)
    assert flags(b"a\r\r\n\nb\r\n.\r\n") == (True, True)  # both bare, equal numbers
    # A stuffed dot after a bare LF line: the LF is reported, the dot kept (no line start).
    reader, content = decode(b"a\n..b\r\n.\r\n")
    assert content == b"a\n..b\r\n"
    assert reader.bare_lf


def test_bare_lf_dot_line_is_content() -> None:
    # "<CRLF>.<LF>": the line is "." followed by more characters (an LF, then "x"), so the
    # period is stuffing and is removed (RFC 5321 §4.5.2); the data goes on.
    reader, content = decode(b"a\r\n.\nx\r\n.\r\n")
    assert content == b"a\r\n\nx\r\n"
    assert reader.bare_lf


# --- the size limit


def test_size_limit() -> None:
    content = b"x" * 98 + b"\r\n"  # 100 octets
    reader, returned = decode(dot_stuff(content), max_size=100)
    assert not reader.too_big
    assert returned == content
    reader, returned = decode(dot_stuff(content) + b"NOOP\r\n", max_size=99)
    assert reader.too_big
    assert reader.done  # consumed to the end marker anyway
    assert reader.trailing == b"NOOP\r\n"
    assert returned == b""
    assert reader.octets == 100


def test_size_limit_does_not_buffer_past_it() -> None:
    reader = DataReader(max_size=1000)
    returned = 0
    for _ in range(100):
        returned += len(reader.feed(b"y" * 98 + b"\r\n"))
    assert returned <= 1000
    assert reader.too_big
    assert reader.feed(b"..z\r\n.\r\n") == b""
    assert reader.done
    assert reader.octets == 100 * 100 + 4  # stuffing dot not counted


def test_stuffing_dots_do_not_count() -> None:
    # RFC 1870 §3: the size excludes the stuffing periods and the final ".CRLF".
    reader, content = decode(b"..a\r\n.\r\n", max_size=4)
    assert content == b".a\r\n"
    assert reader.octets == 4
    assert not reader.too_big


# --- chunk boundaries (property)


line_text = st.binary(max_size=12).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
dotty_line = st.one_of(line_text, line_text.map(lambda b: b"." + b), st.just(b"."), st.just(b".."))
messages = st.lists(dotty_line, max_size=12).map(
    lambda lines: b"".join(line + b"\r\n" for line in lines)
)


@settings(max_examples=300, deadline=None)
@given(
    messages, st.binary(max_size=20), st.lists(st.integers(min_value=0, max_value=400), max_size=12)
)
def test_any_split_gives_the_same_result(content: bytes, after: bytes, cuts: list[int]) -> None:
    wire = dot_stuff(content) + after
    points = sorted({cut % (len(wire) + 1) for cut in cuts})
    pieces = [
        wire[start:end] for start, end in zip([0, *points], [*points, len(wire)], strict=True)
    ]
    reader = DataReader()
    output = []
    for piece in pieces:
        output.append(reader.feed(piece))
        if reader.done:
            break
    assert reader.done
    assert b"".join(output) == content
    assert reader.octets == len(content)
    consumed = sum(len(piece) for piece in pieces[: len(output)])
    assert reader.trailing == wire[len(dot_stuff(content)) : consumed]
    assert (reader.bare_cr, reader.bare_lf) == (False, False)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(min_value=1, max_value=9))
def test_arbitrary_bytes_chunked_like_whole(data: bytes, chunk: int) -> None:
    """Any input, cut into any chunk size, decodes exactly as when fed at once."""
    wire = data + b"\r\n.\r\n"
    whole, whole_content = decode(wire)
    split, split_content = decode(wire, chunk=chunk)
    assert split_content == whole_content
    assert (split.bare_cr, split.bare_lf, split.octets) == (
        whole.bare_cr,
        whole.bare_lf,
        whole.octets,
    )
    assert whole.done and split.done
    # The end is the first <CRLF>.<CRLF> of the stream, a virtual CRLF before its start.
    stream = b"\r\n" + wire
    end = stream.find(b"\r\n.\r\n")
    assert whole.trailing == stream[end + 5 :]
    assert (whole_content, whole.trailing) == reference_decode(wire)
    # A reference, byte by byte: bare CR / LF anywhere before the end.
    body = stream[: end + 2]
    assert whole.bare_lf == any(
        body[i] == 0x0A and body[i - 1] != 0x0D for i in range(1, len(body))
    )
    assert whole.bare_cr == any(
        body[i] == 0x0D and body[i + 1] != 0x0A for i in range(len(body) - 1)
    )


def test_every_boundary_of_the_end_marker() -> None:
    content = b"a\r\n..b\r\n"
    wire = dot_stuff(content) + b"QUIT\r\n"
    for first in range(len(wire) + 1):
        for second in range(first, len(wire) + 1):
            reader = DataReader()
            output = [reader.feed(wire[:first])]
            if not reader.done:
                output.append(reader.feed(wire[first:second]))
            if not reader.done:
                output.append(reader.feed(wire[second:]))
            assert reader.done, (first, second)
            assert b"".join(output) == content
            consumed = first if len(output) == 1 else second if len(output) == 2 else len(wire)
            assert reader.trailing == wire[len(dot_stuff(content)) : consumed]


# --- BDAT (RFC 3030)


def test_bdat_single_chunk() -> None:
    reader = BdatReader()
    reader.start_chunk(5, last=True)
    assert reader.feed(b"hello") == b"hello"
    assert reader.chunk_done and reader.done
    assert reader.octets == 5
    assert reader.trailing == b""


def test_bdat_chunks_with_trailing_commands_and_no_unstuffing() -> None:
    reader = BdatReader()
    reader.start_chunk(7, last=False)
    assert reader.feed(b"..a\r\n") == b"..a\r\n"
    assert reader.remaining == 2
    assert reader.feed(b".\rBDAT 3 LAST\r\n") == b".\r"
    assert reader.chunk_done and not reader.done
    assert reader.trailing == b"BDAT 3 LAST\r\n"
    reader.start_chunk(3, last=True)
    assert reader.trailing == b""
    assert reader.feed(b"\nxyQUIT\r\n") == b"\nxy"
    assert reader.done
    assert reader.trailing == b"QUIT\r\n"
    assert reader.octets == 10
    assert (reader.bare_cr, reader.bare_lf) == (False, False)  # the CRLF spans two chunks


@pytest.mark.parametrize(
    ("pieces", "bare_cr", "bare_lf"),
    [
        ([b"a\r\nb\r\n"], False, False),
        ([b"a\nb"], False, True),
        ([b"a\rb"], True, False),
        ([b"a\r", b"b"], True, False),
        ([b"a\r", b"\nb"], False, False),
        ([b"a\r"], True, False),  # ends with a CR
        ([b"\n"], False, True),
    ],
)
def test_bdat_line_endings(pieces: list[bytes], bare_cr: bool, bare_lf: bool) -> None:
    reader = BdatReader()
    for index, piece in enumerate(pieces):
        reader.start_chunk(len(piece), last=index == len(pieces) - 1)
        assert reader.feed(piece) == piece
    assert reader.done
    assert (reader.bare_cr, reader.bare_lf) == (bare_cr, bare_lf)


def test_bdat_size_limit() -> None:
    reader = BdatReader(max_size=10)
    reader.start_chunk(6, last=False)
    assert not reader.too_big
    assert reader.feed(b"abcdef") == b"abcdef"
    reader.start_chunk(6, last=True)
    assert reader.too_big  # known from the BDAT size, before any data
    assert reader.feed(b"ghi") == b""
    assert reader.feed(b"jkl") == b""  # still consumed
    assert reader.done
    assert reader.octets == 12


def test_bdat_zero_last() -> None:
    reader = BdatReader()
    reader.start_chunk(3, last=False)
    reader.feed(b"abc")
    reader.start_chunk(0, last=True)
    assert reader.done
    # The usage loop feeds once even for an empty chunk: nothing is taken.
    assert reader.feed(b"QUIT\r\n") == b""
    assert reader.trailing == b"QUIT\r\n"
    assert reader.octets == 3


def test_bdat_misuse() -> None:
    reader = BdatReader()
    with pytest.raises(RuntimeError):
        reader.feed(b"x")
    reader.start_chunk(2, last=True)
    with pytest.raises(RuntimeError):
        reader.start_chunk(2, last=True)
    reader.feed(b"xy")
    with pytest.raises(RuntimeError):
        reader.start_chunk(1, last=True)
    with pytest.raises(ValueError, match="negative"):
        BdatReader().start_chunk(-1, last=True)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=100), st.integers(min_value=1, max_value=7))
def test_bdat_any_split(data: bytes, step: int) -> None:
    whole = BdatReader()
    whole.start_chunk(len(data), last=True)
    if data:
        assert whole.feed(data + b"NEXT") == data
    split = BdatReader()
    split.start_chunk(len(data), last=True)
    output = []
    wire = data + b"NEXT"
    start = 0
    while not split.chunk_done:
        output.append(split.feed(wire[start : start + step]))
        start += step
    assert b"".join(output) == data
    assert (split.bare_cr, split.bare_lf) == (whole.bare_cr, whole.bare_lf)
    expected_cr = any(data[i] == 0x0D and data[i + 1 : i + 2] != b"\n" for i in range(len(data)))
    expected_lf = any(data[i] == 0x0A and (i == 0 or data[i - 1] != 0x0D) for i in range(len(data)))
    assert (whole.bare_cr, whole.bare_lf) == (expected_cr, expected_lf)
