"""Multi-line responses: byte-stuffing and its terminating line (RFC 1939 §3), TOP (§7).

Line-ending rule checked throughout: a bare LF or bare CR goes out as CRLF and a missing
final line break is added, so ``dot_unstuff(dot_stuff(m)) == canonical(m)`` below.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courriel.pop3 import (
    TERMINATOR,
    DotStuffer,
    dot_stuff,
    dot_stuff_chunks,
    dot_unstuff,
    multiline_reply,
    sent_unchanged,
    top_lines,
    wire_size,
)


def canonical(message: bytes) -> bytes:
    """What a client must receive for ``message``: CRLF everywhere, ending in CRLF."""
    lines = message.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if lines and not lines.endswith(b"\n"):
        lines += b"\n"
    return lines.replace(b"\n", b"\r\n")


# Messages made of the characters that matter, so Hypothesis finds the edge cases quickly.
messages = st.lists(st.sampled_from([b".", b"\r", b"\n", b"\r\n", b"a", b"..", b"\r\n.\r\n"]))
message_bytes = messages.map(b"".join) | st.binary(max_size=200)


@pytest.mark.parametrize(
    ("message", "stuffed"),
    [
        (b"", b".\r\n"),
        (b"hello\r\n", b"hello\r\n.\r\n"),
        (b"hello", b"hello\r\n.\r\n"),
        (b".hello\r\n", b"..hello\r\n.\r\n"),
        (b"a\r\n.\r\nb\r\n", b"a\r\n..\r\nb\r\n.\r\n"),
        (b"a\r\n..b\r\n", b"a\r\n...b\r\n.\r\n"),
        (b".", b"..\r\n.\r\n"),
        (b"\r\n", b"\r\n.\r\n"),
        (b"a.b\r\n", b"a.b\r\n.\r\n"),  # only a dot at the start of a line
        # bare LF and bare CR become CRLF, so no client can see ".\n" as the end
        (b"a\n.\nb", b"a\r\n..\r\nb\r\n.\r\n"),
        (b"a\r.\rb\r", b"a\r\n..\r\nb\r\n.\r\n"),
        (b"a\n\r.", b"a\r\n\r\n..\r\n.\r\n"),
    ],
)
def test_dot_stuff(message: bytes, stuffed: bytes) -> None:
    assert dot_stuff(message) == stuffed
    assert dot_unstuff(stuffed) == canonical(message)


@given(message_bytes)
def test_round_trip(message: bytes) -> None:
    stuffed = dot_stuff(message)
    assert stuffed.endswith(TERMINATOR)
    assert dot_unstuff(stuffed) == canonical(message)
    assert wire_size(message) == len(canonical(message))
    # No line of the body is the terminating line, and every line break is CRLF.
    lines = stuffed.split(b"\r\n")
    assert lines[-2:] == [b".", b""]
    assert b"." not in lines[:-2]
    assert all(b"\r" not in line and b"\n" not in line for line in lines)


@given(message_bytes, st.lists(st.integers(min_value=0, max_value=200), max_size=8))
def test_streaming_matches_whole(message: bytes, cuts: list[int]) -> None:
    points = sorted({min(cut, len(message)) for cut in cuts})
    chunks = [message[a:b] for a, b in zip([0, *points], [*points, len(message)], strict=True)]
    assert b"".join(dot_stuff_chunks(chunks)) == dot_stuff(message)


def test_streaming_byte_by_byte() -> None:
    message = b".a\r\n.\r\n\r.\n.b\rc\r"
    stuffer = DotStuffer()
    out = b"".join(stuffer.feed(message[i : i + 1]) for i in range(len(message)))
    assert out + stuffer.finish() == dot_stuff(message)


def test_streaming_cr_at_the_end_of_a_chunk_waits_for_the_next() -> None:
    stuffer = DotStuffer()
    assert stuffer.feed(b"abc\r") == b"abc"
    assert stuffer.feed(b"\n.x") == b"\r\n..x"
    assert stuffer.finish() == b"\r\n.\r\n"


def test_streaming_misuse() -> None:
    stuffer = DotStuffer()
    stuffer.finish()
    with pytest.raises(RuntimeError):
        stuffer.feed(b"x")
    with pytest.raises(RuntimeError):
        stuffer.finish()


def test_streaming_skips_empty_pieces() -> None:
    assert list(dot_stuff_chunks([b"a\r", b"", b"\n"])) == [b"a", b"\r\n", b".\r\n"]
    assert list(dot_stuff_chunks([])) == [b".\r\n"]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"abc\r\n",
        b"abc\r\n.\r",
        b"abc\n.\n",
        b".\r\nabc\r\n.\r\n",
        b"abc\r\n.\r\nmore\r\n.\r\n",
    ],
)
def test_dot_unstuff_refuses_unterminated_or_trailing_data(data: bytes) -> None:
    with pytest.raises(ValueError, match=r"terminating line|ends with"):
        dot_unstuff(data)


@given(st.lists(st.sampled_from([b".", b"a", b"..", b".\r\n", b"\r\n", b"a\r\n"])))
def test_dot_stuff_of_known_crlf_lines_skips_only_the_scan(pieces: list[bytes]) -> None:
    message = b"".join(pieces)
    if wire_size(message) != len(message):
        message += b"\r\n"  # what crlf_lines promises: CRLF lines, the last one ended
    assert wire_size(message) == len(message)
    assert dot_stuff(message, crlf_lines=True) == dot_stuff(message)
    # What goes out unchanged is exactly what needs no stuffing.
    unchanged = dot_stuff(message) == message + TERMINATOR
    assert sent_unchanged(message, crlf_lines=True) == unchanged
    assert not sent_unchanged(message, crlf_lines=False)


def test_multiline_reply() -> None:
    reply = multiline_reply("2 messages", ["1 120", "2 200"])
    assert reply == b"+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n"
    assert multiline_reply("none", []) == b"+OK none\r\n.\r\n"
    assert multiline_reply("x", [".hidden"]) == b"+OK x\r\n..hidden\r\n.\r\n"


class TestTop:
    """RFC 1939 §7 TOP: headers, the blank line, then n lines of the body."""

    message = b"From: a@b.c\r\nSubject: hi\r\n\r\nline 1\r\nline 2\r\n.line 3\r\n"

    @pytest.mark.parametrize(
        ("lines", "expected"),
        [
            (0, b"From: a@b.c\r\nSubject: hi\r\n\r\n"),
            (1, b"From: a@b.c\r\nSubject: hi\r\n\r\nline 1\r\n"),
            (2, b"From: a@b.c\r\nSubject: hi\r\n\r\nline 1\r\nline 2\r\n"),
            (3, message),
            (4, message),
            (10**9, message),
        ],
    )
    def test_with_a_body(self, lines: int, expected: bytes) -> None:
        assert top_lines(self.message, lines) == expected

    def test_is_stuffed_like_any_multi_line_response(self) -> None:
        assert dot_stuff(top_lines(self.message, 3)).endswith(b"\r\n..line 3\r\n.\r\n")

    @pytest.mark.parametrize("lines", [0, 1, 5])
    def test_without_a_body(self, lines: int) -> None:
        headers_only = b"From: a@b.c\r\nSubject: hi\r\n"
        assert top_lines(headers_only, lines) == headers_only
        assert top_lines(b"From: a@b.c", lines) == b"From: a@b.c"

    def test_empty_body(self) -> None:
        message = b"From: a@b.c\r\n\r\n"
        assert top_lines(message, 0) == message
        assert top_lines(message, 3) == message

    def test_body_without_a_final_line_break(self) -> None:
        message = b"From: a@b.c\r\n\r\none\r\ntwo"
        assert top_lines(message, 1) == b"From: a@b.c\r\n\r\none\r\n"
        assert top_lines(message, 2) == message

    def test_no_headers(self) -> None:
        assert top_lines(b"\r\nbody 1\r\nbody 2\r\n", 1) == b"\r\nbody 1\r\n"
        assert top_lines(b"\nbody\n", 0) == b"\n"

    def test_bare_lf_message(self) -> None:
        message = b"From: a@b.c\nSubject: hi\n\nline 1\nline 2\n"
        assert top_lines(message, 1) == b"From: a@b.c\nSubject: hi\n\nline 1\n"

    def test_blank_line_is_the_first_one(self) -> None:
        message = b"A: 1\r\n\r\nB\r\n\r\nC\r\n"
        assert top_lines(message, 1) == b"A: 1\r\n\r\nB\r\n"
        assert top_lines(message, 2) == b"A: 1\r\n\r\nB\r\n\r\n"

    def test_negative(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            top_lines(self.message, -1)

    @given(message_bytes, st.integers(min_value=0, max_value=20))
    def test_is_a_prefix_and_grows_with_n(self, message: bytes, lines: int) -> None:
        top = top_lines(message, lines)
        assert message.startswith(top)
        assert top_lines(message, lines + 1).startswith(top)
