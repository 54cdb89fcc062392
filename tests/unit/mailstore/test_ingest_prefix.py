"""``with_prefix``: the content of a message with header fields put before it, made from
the content of the message as received, equals the content of a fresh parse — for every
message of both corpora and for messages and prefixes drawn at random."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courriel.mailstore.ingest import prepare_content, with_prefix

DATA = Path(__file__).parents[2] / "data"
CORPUS = sorted([*DATA.glob("mime-corpus/*.eml"), *DATA.glob("spam-corpus/**/*.eml")])
LIMIT = 1 << 20

# What delivery puts before a message: Return-Path, spam fields, results, Received.
DELIVERY_PREFIX = (
    b"Return-Path: <alice@example.org>\r\n"
    b"X-Spam-Score: 2.0\r\nX-Spam-Status: No, score=2.0, required=5.0\r\n"
    b"X-Spam-Report: \r\n\t*  1.0 NO_AUTHENTICATION no method passed\r\n"
    b"Authentication-Results: mx.example.test;\r\n\tspf=none smtp.mailfrom=example.org;\r\n"
    b"\tdkim=none; dmarc=none header.from=example.org\r\n"
    b"Received: from client.example.org (client.example.org [192.0.2.1])\r\n"
    b"\tby mx.example.test with ESMTPS id ab12cd; Sat, 22 Nov 2025 10:00:00 +0000\r\n"
)


def fresh(message: bytes) -> object:
    return prepare_content(message, LIMIT)


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: path.name)
def test_every_corpus_message_with_the_delivery_prefix(path: Path) -> None:
    raw = path.read_bytes()
    message = DELIVERY_PREFIX + raw
    moved = with_prefix(prepare_content(raw, LIMIT), DELIVERY_PREFIX, message, LIMIT)
    if raw[:1] in (b" ", b"\t"):
        assert moved is None
    else:
        assert moved == fresh(message)


def test_the_bytes_stay_out_of_the_row_above_the_inline_limit() -> None:
    raw = b"Subject: big\r\n\r\n" + b"x" * 100 + b"\r\n"
    content = prepare_content(raw, 200)
    assert content.data is not None
    moved = with_prefix(content, DELIVERY_PREFIX, DELIVERY_PREFIX + raw, 200)
    assert moved is not None and moved.data is None
    assert moved == prepare_content(DELIVERY_PREFIX + raw, 200)


# The fields delivery puts before a message (none of them is read for the summary or forms).
_NAMES = st.sampled_from(
    ["Received", "Return-Path", "X-Spam-Score", "Authentication-Results", "X-Virus-Scan"]
)
_VALUES = st.lists(
    st.sampled_from(["a", "b@c.d", "=?utf-8?q?caf=C3=A9?=", "é", "<x@y>", ";", " ", "("]),
    max_size=6,
).map("".join)
_FIELD = st.builds(
    lambda name, value, folded: (
        f"{name}: {value}" + ("\r\n\t" + value if folded else "") + "\r\n"
    ).encode(),
    _NAMES,
    _VALUES,
    st.booleans(),
)
PREFIXES = st.lists(_FIELD, min_size=1, max_size=4).map(b"".join)
_PIECES = st.sampled_from(
    [
        b"Subject: hi\r\n",
        b"From: Ann <ann@example.org>\r\n",
        b"Date: Sat, 22 Nov 2025 10:00:00 +0000\r\n",
        b"Content-Type: multipart/mixed; boundary=b\r\n",
        b"Content-Type: message/rfc822\r\n",
        b"Content-Type: text/plain; charset=utf-8\r\n",
        b"Subject: =?utf-8?b?w6l0w6k=?=\r\n",
        b"\r\n",
        b"\n",
        b"\r",
        b"--b\r\n",
        b"--b--\r\n",
        b"body text \xc3\xa9\r\n",
        b" folded\r\n",
        b"\tfolded\r\n",
        b"no colon line\r\n",
    ]
)
MESSAGES = st.lists(_PIECES, max_size=14).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(PREFIXES, MESSAGES)
def test_any_message_with_any_prefix(prefix: bytes, raw: bytes) -> None:
    message = prefix + raw
    moved = with_prefix(prepare_content(raw, LIMIT), prefix, message, LIMIT)
    if raw[:1] in (b" ", b"\t"):
        assert moved is None
    else:
        assert moved == fresh(message)
