"""Differential tests: the stdlib ``email`` package (compat32) as an oracle on the
well-formed corpus. The content-type trees, the transfer-decoded bodies of text parts and
the mailboxes of the address headers must agree."""

from __future__ import annotations

import email
from email import policy
from email.message import Message
from email.utils import getaddresses

import pytest

from courriel.mail import Part, decode_transfer_encoding, parse_message

from .support import WELL_FORMED, corpus, tree


def _stdlib(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=policy.compat32)


def _stdlib_tree(message: Message) -> object:
    content_type = message.get_content_type()
    if message.is_multipart():
        payload = message.get_payload()
        assert isinstance(payload, list)
        children = [_stdlib_tree(child) for child in payload if isinstance(child, Message)]
        return (content_type, children)
    return content_type


def _our_leaves(part: Part) -> list[Part]:
    if part.children:
        return [leaf for child in part.children for leaf in _our_leaves(child)]
    if part.message is not None:
        return _our_leaves(part.message)
    return [part]


def _stdlib_leaves(message: Message) -> list[Message]:
    return [part for part in message.walk() if not part.is_multipart()]


@pytest.mark.parametrize("name", WELL_FORMED)
def test_content_type_tree_agrees(name: str) -> None:
    raw = corpus(name)
    assert tree(parse_message(raw).root) == _stdlib_tree(_stdlib(raw))


@pytest.mark.parametrize("name", WELL_FORMED)
def test_decoded_text_bodies_agree(name: str) -> None:
    raw = corpus(name)
    ours = _our_leaves(parse_message(raw).root)
    theirs = _stdlib_leaves(_stdlib(raw))
    assert len(ours) == len(theirs)
    compared = 0
    for part, message in zip(ours, theirs, strict=True):
        assert part.content_type == message.get_content_type()
        if part.type != "text":
            continue
        expected = message.get_payload(decode=True)
        assert isinstance(expected, bytes)
        body = decode_transfer_encoding(raw[part.body_start : part.end], part.encoding)
        assert body == expected, part
        charset = message.get_content_charset()
        if charset in (None, "us-ascii", "utf-8"):
            assert body.decode("utf-8") == expected.decode(charset or "ascii")
        compared += 1
    assert compared or name == "no_body.eml" or not any(p.type == "text" for p in ours)


@pytest.mark.parametrize("name", WELL_FORMED)
@pytest.mark.parametrize("field", ["from", "to", "cc", "bcc", "reply-to"])
def test_mailboxes_agree(name: str, field: str) -> None:
    raw = corpus(name)
    message = _stdlib(raw)
    values = message.get_all(field)
    envelope = parse_message(raw).envelope
    ours = {
        "from": envelope.from_,
        "to": envelope.to,
        "cc": envelope.cc,
        "bcc": envelope.bcc,
        "reply-to": envelope.reply_to if values else (),
    }[field]
    theirs = [
        pair
        for pair in getaddresses([str(value) for value in values or []])
        # compat32 misreads an obsolete route "<@a,@b:x@y>" as extra addresses "@b".
        if pair[1] and not pair[1].startswith("@")
    ]
    mailboxes = [(a.name or "", f"{a.local}@{a.domain}") for a in ours if a.is_mailbox]
    assert mailboxes == theirs


@pytest.mark.parametrize("name", WELL_FORMED)
def test_header_fields_agree(name: str) -> None:
    raw = corpus(name)
    message = _stdlib(raw)
    envelope = parse_message(raw).envelope
    for field, ours in (
        ("subject", envelope.subject),
        ("date", envelope.date),
        ("message-id", envelope.message_id),
    ):
        value = message.get(field)
        expected = None if value is None else " ".join(str(value).split())
        assert (None if ours is None else " ".join(ours.split())) == expected
