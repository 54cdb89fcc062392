"""``clamd_protocol``: the zINSTREAM framing and every reply form, good and bad."""

from __future__ import annotations

import struct

import pytest

from courriel.antivirus.clamd_protocol import (
    COMMAND,
    END_OF_STREAM,
    MAX_REPLY,
    ClamdError,
    Clean,
    Infected,
    SizeLimitExceeded,
    instream_request,
    parse_reply,
    reply_complete,
)
from courriel.antivirus.daemon import ScannerReplyError


def test_request_is_command_length_prefixed_chunks_and_terminator() -> None:
    pieces = list(instream_request(b"abcdefghij", chunk_size=4))
    assert pieces[0] == COMMAND == b"zINSTREAM\0"
    assert pieces[1:-1] == [
        struct.pack("!I", 4) + b"abcd",
        struct.pack("!I", 4) + b"efgh",
        b"\x00\x00\x00\x02ij",  # 4-byte big-endian length
    ]
    assert pieces[-1] == END_OF_STREAM == b"\0\0\0\0"


def test_empty_data_is_just_the_command_and_terminator() -> None:
    assert list(instream_request(b"")) == [COMMAND, END_OF_STREAM]


def test_large_data_is_cut_into_default_chunks() -> None:
    data = bytes(range(256)) * 1000
    pieces = list(instream_request(data))
    body = b"".join(piece[4:] for piece in pieces[1:-1])
    assert body == data
    assert all(struct.unpack("!I", piece[:4])[0] == len(piece) - 4 for piece in pieces[1:-1])


def test_chunk_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        list(instream_request(b"x", chunk_size=0))


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (b"stream: OK\0", Clean()),
        (b"stream: Eicar-Test-Signature FOUND\0", Infected("Eicar-Test-Signature")),
        (b"stream: Win.Test.EICAR_HDB-1 FOUND\0", Infected("Win.Test.EICAR_HDB-1")),
        (b"INSTREAM size limit exceeded. ERROR\0", SizeLimitExceeded()),
        (b"INSTREAM size limit exceeded. ERROR", SizeLimitExceeded()),  # cut, then closed
        (b"stream: Can't allocate memory ERROR\0", ClamdError("Can't allocate memory")),
        (b"UNKNOWN COMMAND ERROR\0", ClamdError("UNKNOWN COMMAND")),
        (b"ERROR\0", ClamdError("unspecified error")),
    ],
)
def test_replies(reply: bytes, expected: object) -> None:
    assert reply_complete(reply) == reply.endswith(b"\0")
    assert parse_reply(reply) == expected


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (b"stream: OK", "truncated"),
        (b"", "truncated"),
        (b"stream: FOUND\0", "unexpected"),
        (b"stream: OKAY\0", "unexpected"),
        (b"HTTP/1.1 400 Bad Request\r\n\r\n\0", "unexpected"),
        (b"stream:\r\nOK\0", "control characters"),
        (b"hello\0", "unexpected"),
        (b"stream: \xff FOUND\0", "not ASCII"),
        (b"stream: OK\x07\0", "control characters"),
        (b"stream: " + b"A" * MAX_REPLY + b" FOUND\0", "longer than"),
    ],
)
def test_garbage_replies_are_errors(reply: bytes, message: str) -> None:
    with pytest.raises(ScannerReplyError, match=message):
        parse_reply(reply)
