"""Replies: wire form (RFC 5321 §4.2, §4.5.3.1.5, RFC 2034), the named replies, and the
client-side ReplyParser."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courriel.smtp.protocol import replies
from courriel.smtp.protocol.errors import MalformedReply, SmtpError
from courriel.smtp.protocol.replies import Reply, ReplyParser


@pytest.mark.parametrize(
    ("reply", "wire"),
    [
        (Reply(250, "2.0.0", "OK"), b"250 2.0.0 OK\r\n"),
        (Reply(250, None, "mx.example.org"), b"250 mx.example.org\r\n"),
        (
            Reply(250, "2.0.0", ["first", "second", "last"]),
            b"250-2.0.0 first\r\n250-2.0.0 second\r\n250 2.0.0 last\r\n",
        ),
        (
            Reply(250, None, ("mx.example.org", "PIPELINING")),
            b"250-mx.example.org\r\n250 PIPELINING\r\n",
        ),
        (Reply(334, None, ""), b"334 \r\n"),  # RFC 4954 §4: "334 " with a space
        (Reply(354, None, "go"), b"354 go\r\n"),
        (Reply(550, "5.1.1", "No such user\r\n250 OK"), b"550 5.1.1 No such user??250 OK\r\n"),
    ],
)
def test_to_bytes(reply: Reply, wire: bytes) -> None:
    assert reply.to_bytes() == wire


def test_without_enhanced_codes() -> None:
    reply = Reply(550, "5.1.1", ["a", "b"])
    assert reply.to_bytes(enhanced_codes=False) == b"550-a\r\n550 b\r\n"


def test_text_normalisation() -> None:
    assert Reply(250, None, ["only"]) == Reply(250, None, "only")
    assert Reply(250, None, []) == Reply(250, None, "")
    assert Reply(250, None, ["a", "b"]).text == ("a", "b")
    assert Reply(250, None, "x").lines == ("x",)
    assert hash(Reply(250, None, ["a", "b"])) == hash(Reply(250, None, ("a", "b")))


def test_long_lines_are_split() -> None:
    words = " ".join(f"word{i:03}" for i in range(100))  # 799 characters
    wire = Reply(250, "2.0.0", words).to_bytes()
    lines = wire.split(b"\r\n")[:-1]
    assert all(len(line) + 2 <= 512 for line in lines)
    assert [line[:10] for line in lines] == [b"250-2.0.0 ", b"250 2.0.0 "]
    assert b" ".join(line[10:] for line in lines) == words.encode()
    # No space to cut at: a hard cut, never inside a UTF-8 sequence.
    wire = Reply(550, None, "é" * 600).to_bytes()
    lines = wire.split(b"\r\n")[:-1]
    assert all(len(line) + 2 <= 512 for line in lines)
    assert b"".join(line[4:] for line in lines).decode("utf-8") == "é" * 600


@pytest.mark.parametrize(
    ("code", "enhanced"),
    [
        (199, None),
        (600, None),
        (260, None),
        (250, "4.0.0"),
        (354, "3.0.0"),
        (354, "2.0.0"),
        (550, "5.1"),
        (550, "5.1.1000"),
    ],
)
def test_invalid_replies(code: int, enhanced: str | None) -> None:
    with pytest.raises(ValueError, match="not"):
        Reply(code, enhanced, "x")


def test_classes() -> None:
    assert replies.OK.positive and not replies.OK.temporary
    assert replies.START_MAIL_INPUT.intermediate
    assert replies.TOO_MANY_RECIPIENTS.temporary and not replies.TOO_MANY_RECIPIENTS.permanent
    assert replies.RELAY_DENIED.permanent
    error = SmtpError(replies.TLS_NOT_AVAILABLE)
    assert error.temporary and not error.permanent
    assert str(error) == "454 4.7.0 TLS not available due to temporary reason"


@pytest.mark.parametrize(
    ("reply", "wire"),
    [
        (replies.UNRECOGNISED_COMMAND, b"500 5.5.2 Syntax error, command unrecognised\r\n"),
        (replies.SYNTAX_ERROR, b"501 5.5.4 Syntax error in parameters or arguments\r\n"),
        (replies.BAD_SEQUENCE, b"503 5.5.1 Bad sequence of commands\r\n"),
        (replies.MUST_STARTTLS, b"530 5.7.0 Must issue a STARTTLS command first\r\n"),
        (replies.AUTH_FAILED, b"535 5.7.8 Authentication credentials invalid\r\n"),
        (
            replies.ENCRYPTION_REQUIRED_FOR_AUTH,
            b"538 5.7.11 Encryption required for requested authentication mechanism\r\n",
        ),
        (replies.MESSAGE_TOO_BIG, b"552 5.3.4 Message size exceeds fixed maximum message size\r\n"),
        (replies.TOO_MANY_RECIPIENTS, b"452 4.5.3 Too many recipients\r\n"),
        (
            replies.UNRECOGNISED_PARAMETER,
            b"555 5.5.4 MAIL FROM/RCPT TO parameters not recognized or not implemented\r\n",
        ),
        (replies.START_MAIL_INPUT, b"354 Start mail input; end with <CRLF>.<CRLF>\r\n"),
        (replies.greeting("mx.example.org"), b"220 mx.example.org ESMTP ready\r\n"),
        (
            replies.closing("mx.example.org"),
            b"221 2.0.0 mx.example.org Service closing transmission channel\r\n",
        ),
        (replies.helo_reply("mx.example.org"), b"250 mx.example.org\r\n"),
        (replies.message_accepted("4XyZ"), b"250 2.0.0 OK queued as 4XyZ\r\n"),
        (replies.bdat_chunk_received(1000), b"250 2.0.0 1000 octets received\r\n"),
        (
            replies.auth_challenge(
                "PDQxOTI5NDIzNDEuMTI4Mjg0NzJAc291cmNlZm91ci5hbmRyZXcuY211LmVkdT4="
            ),
            b"334 PDQxOTI5NDIzNDEuMTI4Mjg0NzJAc291cmNlZm91ci5hbmRyZXcuY211LmVkdT4=\r\n",
        ),
    ],
)
def test_named_replies(reply: Reply, wire: bytes) -> None:
    assert reply.to_bytes() == wire


def test_every_named_reply_is_valid() -> None:
    named = [
        getattr(replies, name)
        for name in replies.__all__
        if name.isupper() and name != "MAX_REPLY_LINE"
    ]
    assert len(named) == 63
    for reply in named:
        assert isinstance(reply, Reply)
        assert ReplyParser().feed(reply.to_bytes()) == [reply]


# --- ReplyParser (client side)


def test_parse_single_and_multiline() -> None:
    parser = ReplyParser()
    assert parser.feed(b"220 mx.example.org ESMTP\r\n") == [
        Reply(220, None, "mx.example.org ESMTP")
    ]
    assert parser.feed(b"250-mx.example.org\r\n250-SIZE 1000\r\n") == []
    assert parser.in_reply
    assert parser.feed(b"250 PIPELINING\r\n") == [
        Reply(250, None, ("mx.example.org", "SIZE 1000", "PIPELINING"))
    ]
    assert not parser.in_reply


def test_parse_pipelined_replies_in_one_read() -> None:
    data = b"250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n354 go ahead\r\n"
    assert ReplyParser().feed(data) == [
        replies.SENDER_OK,
        replies.RECIPIENT_OK,
        Reply(354, None, "go ahead"),
    ]


def test_parse_byte_by_byte() -> None:
    data = b"250-2.0.0 a\r\n250 2.0.0 b\r\n"
    parser = ReplyParser()
    got = []
    for index in range(len(data)):
        got += parser.feed(data[index : index + 1])
    assert got == [Reply(250, "2.0.0", ("a", "b"))]


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (b"250\r\n", Reply(250, None, "")),  # no text at all (RFC 5321 §4.2)
        (b"250 \r\n", Reply(250, None, "")),
        (b"250 OK\n", Reply(250, None, "OK")),  # bare LF tolerated
        (b"250 2.0.0\r\n", Reply(250, "2.0.0", "")),
        (b"550 5.7.1 Relaying denied\r\n", Reply(550, "5.7.1", "Relaying denied")),
        (b"550 2.0.0 odd\r\n", Reply(550, None, "2.0.0 odd")),  # class mismatch: not enhanced
        (b"250-2.0.0 a\r\n250 b\r\n", Reply(250, "2.0.0", ("a", "b"))),  # only the first line
        (b"250 caf\xc3\xa9 \xff\r\n", Reply(250, None, "café \ufffd")),
    ],
)
def test_parse_edge_cases(wire: bytes, expected: Reply) -> None:
    assert ReplyParser().feed(wire) == [expected]


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (b"250-first\r\n251 second\r\n", "reply code changed inside a multiline reply"),
        (b"25 short\r\n", "not an SMTP reply line"),
        (b"abc def\r\n", "not an SMTP reply line"),
        (b"150 preliminary\r\n", "not an SMTP reply line"),  # 1yz is not used by SMTP
        (b"260 bad second digit\r\n", "not an SMTP reply line"),
        (b"250_underscore\r\n", "not an SMTP reply line"),
        (b"\r\n", "not an SMTP reply line"),
    ],
)
def test_parse_errors(wire: bytes, message: str) -> None:
    with pytest.raises(MalformedReply, match=message):
        ReplyParser().feed(wire)


def test_parse_limits() -> None:
    with pytest.raises(MalformedReply, match="reply line too long"):
        ReplyParser(max_line=100).feed(b"250 " + b"x" * 200 + b"\r\n")
    with pytest.raises(MalformedReply, match="reply line too long"):
        ReplyParser(max_line=100).feed(b"250 " + b"x" * 200)  # without an end in sight
    with pytest.raises(MalformedReply, match="too many lines"):
        ReplyParser(max_lines=3).feed(b"250-a\r\n" * 4)


replies_strategy = st.builds(
    Reply,
    st.sampled_from(
        [
            211,
            214,
            220,
            221,
            235,
            250,
            251,
            252,
            334,
            354,
            421,
            450,
            451,
            452,
            454,
            500,
            501,
            550,
            554,
        ]
    ),
    st.none(),
    st.lists(
        st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=600).map(
            str.strip
        ),
        min_size=1,
        max_size=4,
    ),
)


@settings(max_examples=200, deadline=None)
@given(replies_strategy)
def test_round_trip(reply: Reply) -> None:
    """Serialised then parsed gives the same reply, when no line needed splitting."""
    parsed = ReplyParser().feed(reply.to_bytes())
    assert len(parsed) == 1
    if all(len(line) <= 500 for line in reply.lines) and not any(
        line[:1].isdigit() for line in reply.lines
    ):
        assert parsed[0] == reply
    assert parsed[0].code == reply.code


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_parser_never_raises_anything_else(data: bytes) -> None:
    with contextlib.suppress(MalformedReply):
        ReplyParser().feed(data)
