"""Command framing: lines, literals {n} / {n+} / ~{n}, limits (RFC 9051 §4.3, RFC 7888,
RFC 3516)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from courriel.imap.protocol import codes
from courriel.imap.protocol.commands import Append, Login
from courriel.imap.protocol.framing import (
    CommandFrame,
    CommandFramer,
    FramerEvent,
    FramingError,
    FramingLimits,
    NeedContinuation,
    NeedMore,
)
from courriel.imap.protocol.parser import parse_command


def drain(framer: CommandFramer) -> list[FramerEvent]:
    events: list[FramerEvent] = []
    while not isinstance(event := framer.next_event(), NeedMore):
        events.append(event)
    return events


def run(*chunks: bytes, limits: FramingLimits | None = None) -> list[FramerEvent]:
    framer = CommandFramer(limits)
    events: list[FramerEvent] = []
    for chunk in chunks:
        framer.feed(chunk)
        events.extend(drain(framer))
    return events


def test_lines_become_frames() -> None:
    assert run(b"a NOOP\r\nb CAPABILITY\r\nc LOG") == [
        CommandFrame(b"a NOOP"),
        CommandFrame(b"b CAPABILITY"),
    ]


def test_bare_line_feed_is_accepted() -> None:
    assert run(b"a NOOP\nb NOOP\r\n") == [CommandFrame(b"a NOOP"), CommandFrame(b"b NOOP")]


def test_synchronising_literals_ask_for_continuation() -> None:
    # RFC 9051 §4.3: the client waits for "+" before each synchronising literal.
    framer = CommandFramer()
    framer.feed(b"a LOGIN {5}\r\n")
    assert drain(framer) == [NeedContinuation(5)]
    framer.feed(b"alice {6}\r\n")
    assert drain(framer) == [NeedContinuation(6)]
    framer.feed(b"secret\r\n")
    [frame] = drain(framer)
    assert frame == CommandFrame(b"a LOGIN {5}\r\nalice {6}\r\nsecret", 2)
    assert isinstance(frame, CommandFrame)
    assert frame.tag == "a"
    assert parse_command(frame) == Login("a", "alice", "secret")


def test_non_synchronising_literals_need_no_continuation() -> None:
    # RFC 7888 §3: LITERAL+ "{n+}".
    events = run(b"a LOGIN {5+}\r\nalice {6+}\r\nsecret\r\n")
    assert events == [CommandFrame(b"a LOGIN {5+}\r\nalice {6+}\r\nsecret", 2)]


def test_literal8_is_a_literal() -> None:
    # RFC 3516 §4.1: "~{n}" is a synchronising literal8.
    events = run(b"a APPEND x ~{3}\r\n", b"a\x00b\r\n")
    assert events[0] == NeedContinuation(3)
    assert events[1] == CommandFrame(b"a APPEND x ~{3}\r\na\x00b", 1)
    frame = events[1]
    assert isinstance(frame, CommandFrame)
    command = parse_command(frame)
    assert isinstance(command, Append)
    assert command.messages[0].data == b"a\x00b"
    assert command.messages[0].binary


def test_literal_may_hold_anything() -> None:
    data = b'line\r\n{5}\r\n"quoted\\\r\n'
    events = run(b"a APPEND x {%d+}\r\n" % len(data) + data + b"\r\nb NOOP\r\n")
    assert events == [
        CommandFrame(b"a APPEND x {%d+}\r\n" % len(data) + data, 1),
        CommandFrame(b"b NOOP"),
    ]


def test_marker_inside_an_open_quoted_string_is_not_a_literal() -> None:
    assert run(b'a LOGIN x "pass{5}\r\n') == [CommandFrame(b'a LOGIN x "pass{5}')]
    assert run(b'a LOGIN x "a\\"{5}\r\n') == [CommandFrame(b'a LOGIN x "a\\"{5}')]
    # An escaped backslash closes the string: the marker is real.
    assert run(b'a LOGIN "a\\\\" {5}\r\n') == [NeedContinuation(5)]


def test_synchronising_literal_too_big_is_refused_without_skipping() -> None:
    # RFC 9051 §4.3 / RFC 7889 §4: tagged NO [TOOBIG] instead of "+"; the client then
    # does not send the literal.
    limits = FramingLimits(max_literal_size=10)
    events = run(b"a APPEND x {100}\r\n", b"b NOOP\r\n", limits=limits)
    assert events == [
        FramingError("a", "NO", "Literal too large", codes.TOOBIG, 0),
        CommandFrame(b"b NOOP"),
    ]


def test_non_synchronising_literal_over_4096_is_skipped() -> None:
    # RFC 7888 §4 LITERAL-: BAD [TOOBIG], and framing stays in step with the client.
    body = b"x" * 5000
    stream = b"a APPEND x {5000+}\r\n" + body + b" (\\Seen) {3+}\r\nabc\r\nb NOOP\r\n"
    expected = [
        FramingError("a", "BAD", "Non-synchronising literal too large", codes.TOOBIG, 5000),
        CommandFrame(b"b NOOP"),
    ]
    assert run(stream) == expected
    assert run(*(stream[i : i + 7] for i in range(0, len(stream), 7))) == expected


def test_literal_plus_allows_large_non_synchronising_literals() -> None:
    limits = FramingLimits(max_nonsync_literal_size=None)
    body = b"y" * 5000
    assert run(b"a APPEND x {5000+}\r\n" + body + b"\r\n", limits=limits) == [
        CommandFrame(b"a APPEND x {5000+}\r\n" + body, 1)
    ]


def test_too_many_literals() -> None:
    limits = FramingLimits(max_literals=2)
    stream = b"a X {1+}\r\na {1+}\r\nb {1+}\r\nc\r\nb NOOP\r\n"
    assert run(stream, limits=limits) == [
        FramingError("a", "BAD", "Too many literals in one command", None, 1),
        CommandFrame(b"b NOOP"),
    ]


def test_command_size_limit() -> None:
    limits = FramingLimits(max_command_size=100)
    assert run(b"a X {60+}\r\n" + b"z" * 60 + b" {60}\r\n", limits=limits) == [
        FramingError("a", "NO", "Literal too large", codes.TOOBIG, 0)
    ]


def test_line_too_long_is_answered_and_skipped() -> None:
    limits = FramingLimits(max_line_length=20)
    long_line = b"a NOOP " + b"x" * 40
    expected = [FramingError("a", "BAD", "Command line too long"), CommandFrame(b"b NOOP")]
    assert run(long_line + b"\r\nb NOOP\r\n", limits=limits) == expected
    # Detected before the line ends, then the rest is dropped as it arrives.
    assert run(long_line, b"yyyy\r\nb NOOP\r\n", limits=limits) == expected


def test_line_too_long_with_a_non_synchronising_literal_skips_the_literal() -> None:
    limits = FramingLimits(max_line_length=20)
    stream = b"a APPEND " + b"m" * 30 + b" {4+}\r\nwxyz\r\nb NOOP\r\n"
    assert run(stream, limits=limits) == [
        FramingError("a", "BAD", "Command line too long", None, 4),
        CommandFrame(b"b NOOP"),
    ]
    chunks = [stream[i : i + 3] for i in range(0, len(stream), 3)]
    assert run(*chunks, limits=limits) == [
        FramingError("a", "BAD", "Command line too long"),
        CommandFrame(b"b NOOP"),
    ]


def test_tag_of_an_unreadable_line_is_none() -> None:
    limits = FramingLimits(max_line_length=8)
    assert run(b"(((((((((((((\r\n", limits=limits) == [
        FramingError(None, "BAD", "Command line too long")
    ]


def test_discard_buffered_drops_pipelined_plaintext() -> None:
    # RFC 9051 §11.1: nothing sent before the TLS handshake may be used after it.
    framer = CommandFramer()
    framer.feed(b"a STARTTLS\r\nb LOGIN x y\r\n")
    assert framer.next_event() == CommandFrame(b"a STARTTLS")
    assert framer.buffered == len(b"b LOGIN x y\r\n")
    assert framer.discard_buffered() == len(b"b LOGIN x y\r\n")
    assert isinstance(framer.next_event(), NeedMore)


# -- every split point, any chunking --------------------------------------------------------

STREAM = (
    b"a1 LOGIN {5}\r\nalice {6+}\r\nsecret\r\n"
    b"a2 APPEND INBOX (\\Seen) ~{4}\r\n\x00\r\n} {2}\r\n{}\r\n"
    b'a3 SEARCH SUBJECT "x{3}" BODY {3+}\r\nabc\r\n'
    b"a4 NOOP\r\n"
)


def _frames_and_continuations(events: list[FramerEvent]) -> list[FramerEvent]:
    return [event for event in events if not isinstance(event, NeedMore)]


def test_every_split_point_gives_the_same_events() -> None:
    whole = _frames_and_continuations(run(STREAM))
    assert [type(event).__name__ for event in whole] == [
        "NeedContinuation",
        "CommandFrame",
        "NeedContinuation",
        "NeedContinuation",
        "CommandFrame",
        "CommandFrame",
        "CommandFrame",
    ]
    for split in range(len(STREAM) + 1):
        assert run(STREAM[:split], STREAM[split:]) == whole, split


literal_data = st.binary(max_size=40)
command_literals = st.lists(st.tuples(literal_data, st.sampled_from(["", "+"])), max_size=3)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(command_literals, min_size=1, max_size=4),
    st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=60),
)
def test_any_chunking_gives_the_same_frames(
    commands: list[list[tuple[bytes, str]]], cuts: list[int]
) -> None:
    stream = b""
    expected: list[FramerEvent] = []
    for index, literals in enumerate(commands):
        data = b"t%d APPEND box" % index
        for payload, plus in literals:
            data += b" {%d%s}\r\n" % (len(payload), plus.encode()) + payload
            if not plus:
                expected.append(NeedContinuation(len(payload)))
        data += b" end"
        expected.append(CommandFrame(data, len(literals)))
        stream += data + b"\r\n"
    chunks: list[bytes] = []
    position = 0
    for cut in cuts:
        chunks.append(stream[position : position + cut])
        position += cut
    chunks.append(stream[position:])
    assert run(*chunks) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=30), max_size=10))
def test_never_crashes_on_garbage(chunks: list[bytes]) -> None:
    limits = FramingLimits(max_line_length=64, max_literal_size=64, max_command_size=256)
    for event in run(*chunks, limits=limits):
        if isinstance(event, CommandFrame):
            assert b"\n" in event.data or len(event.data) <= 64 * 8
