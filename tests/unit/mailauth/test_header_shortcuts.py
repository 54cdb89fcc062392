"""The shortcuts the inbound checks take on a message's header give exactly what reading
the whole header gives: "no DKIM-Signature / ARC field" without dkimpy, the From fields
without splitting every field, "no Authentication-Results to remove" without parsing.

Each shortcut is compared with the full parse it stands for, over generated header blocks
that mix well-formed fields with the forms each parser reads differently (an mbox ``From``
line, a blank before the colon, a continuation before any field, bare CR or LF endings,
the watched names inside values).
"""

from __future__ import annotations

import asyncio

import dkim
from hypothesis import given, settings
from hypothesis import strategies as st

from courriel.dns.static import StaticResolver
from courriel.mail.headers import find_header_end, split_header_fields
from courriel.mailauth.arc import NO_CHAIN, has_no_arc_fields, verify_arc
from courriel.mailauth.authresults import read_authserv_id, remove_forged_results
from courriel.mailauth.dkim import (
    NOT_SIGNED,
    header_fields,
    header_lacks,
    is_unsigned,
    verify_dkim,
)
from courriel.mailauth.dmarc import from_field_values

HOST = "mx.example.test"
WATCHED = (
    "DKIM-Signature",
    "dkim-signature",
    "ARC-Seal",
    "arc-message-signature",
    "ARC-Authentication-Results",
    "Authentication-Results",
    "authentication-results",
)
NAMES = st.sampled_from(
    (*WATCHED, "From", "from", "FROM", "Fromage", "Subject", "Received", "X-Ünicode", "A")
)
VALUES = st.lists(
    st.sampled_from([*"ab @.;=:()", "\t", "é", "dkim-signature:", HOST, "from:"]), max_size=12
).map("".join)
LINES = st.one_of(
    st.builds(
        lambda name, blank, value: f"{name}{blank}:{value}",
        NAMES,
        st.sampled_from(["", "", " ", "\t"]),
        VALUES,
    ),
    st.builds(lambda blank, value: blank + value, st.sampled_from([" ", "\t"]), VALUES),
    st.just("From sender@example.test Sat Jan  1 00:00:00 2000"),  # mbox, dkimpy skips it
    VALUES,  # no field at all
    st.just(""),  # the end of the header
)
ENDINGS = st.sampled_from(["\r\n", "\r\n", "\n", "\r"])


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(st.tuples(LINES, ENDINGS), max_size=12))
    text = "".join(line + ending for line, ending in lines)
    if draw(st.booleans()):
        text += "\r\nbody line\r\nDKIM-Signature: in the body\r\n"
    return text.encode("utf-8")


TYPICAL = (
    b"From: Alice <alice@example.org>\r\nTo: bob@example.test\r\nSubject: lunch\r\n"
    b"Date: Tue, 2 Jan 2024 10:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n"
    b"Content-Type: text/plain;\r\n charset=utf-8\r\n\r\nShall we?\r\n"
)


# -- DKIM and ARC: no signature field, without dkimpy -------------------------------------------


def dkimpy_names(message: bytes) -> set[bytes] | None:
    """The lower-case field names dkimpy reads, or None when it cannot read the header."""
    try:
        return {name.lower() for name, _ in header_fields(message)}
    except dkim.MessageFormatError:
        return None


@settings(max_examples=400)
@given(messages(), st.sampled_from([(b"dkim-signature",), (b"arc-seal", b"arc-message-signature")]))
def test_a_header_said_to_lack_a_field_reads_without_it(
    message: bytes, names: tuple[bytes, ...]
) -> None:
    if header_lacks(message, names):
        found = dkimpy_names(message)
        assert found is not None  # the slow path would not have reported an unparsable header
        assert not found & set(names)


def test_usual_headers_take_the_shortcut() -> None:
    assert is_unsigned(TYPICAL) and has_no_arc_fields(TYPICAL)
    assert is_unsigned(b"Subject: no empty line, no body")
    assert is_unsigned(TYPICAL.replace(b"\r\n", b"\n"))
    # Headers the shortcut leaves to dkimpy: a signature, its name anywhere, odd lines.
    assert not is_unsigned(b"DKIM-Signature: v=1\r\n" + TYPICAL)
    assert not is_unsigned(b"Subject: about dkim-signature:\r\n" + TYPICAL)
    assert not is_unsigned(b"From sender Sat Jan  1 00:00:00 2000\r\n" + TYPICAL)
    assert not is_unsigned(b"Subject : spaced\r\n" + TYPICAL)
    assert not has_no_arc_fields(b"ARC-Seal: i=1\r\n" + TYPICAL)


@settings(max_examples=300, deadline=None)
@given(messages())
def test_unsigned_results_are_those_of_the_full_parse(message: bytes) -> None:
    """What verify_dkim / verify_arc answer equals what they answer from dkimpy's reading
    of the header, for messages without signatures (dkimpy's reading decides)."""
    found = dkimpy_names(message)
    resolver = StaticResolver({})
    dkim_results = asyncio.run(verify_dkim(message, resolver))
    arc_result = asyncio.run(verify_arc(message, resolver))
    if found is None:
        assert [result.result for result in dkim_results] == ["permerror"]
        assert arc_result.result == "fail"
    if found is not None and b"dkim-signature" not in found:
        assert dkim_results == [NOT_SIGNED]
    if found is not None and not found & {
        b"arc-seal",
        b"arc-message-signature",
        b"arc-authentication-results",
    }:
        assert arc_result == NO_CHAIN


def test_a_continuation_before_any_field_is_an_unparsable_header() -> None:
    """dkimpy fails with IndexError there; that is the message's fault, not ours."""
    message = b" folded\r\nDKIM-Signature: v=1\r\nFrom: a@example.org\r\n\r\nbody\r\n"
    dkim_results = asyncio.run(verify_dkim(message, StaticResolver({})))
    assert [(result.result, result.reason) for result in dkim_results] == [
        ("permerror", "unparsable header: continuation line before the first field")
    ]
    arc_message = b" folded\r\nARC-Seal: i=1\r\n\r\nbody\r\n"
    assert asyncio.run(verify_arc(arc_message, StaticResolver({}))).result == "fail"


# -- DMARC: the From fields, without splitting every field --------------------------------------


def from_values_by_splitting(message: bytes) -> list[bytes]:
    end, _ = find_header_end(message)
    return [field.value for field in split_header_fields(message, 0, end) if field.lname == "from"]


@settings(max_examples=400)
@given(messages())
def test_from_fields_are_those_the_header_splitter_finds(message: bytes) -> None:
    assert from_field_values(message) == from_values_by_splitting(message)


def test_from_fields_of_a_usual_header() -> None:
    message = b"From : first\r\nSubject: x\r\nfrom:\tsecond\r\n third\r\n\r\nFrom: body\r\n"
    assert from_field_values(message) == [b" first", b"\tsecond\r\n third"]
    assert from_field_values(TYPICAL) == [b" Alice <alice@example.org>"]


# -- Authentication-Results claiming our name: none, without parsing ----------------------------


def without_forged_by_splitting(message: bytes) -> bytes:
    end, _ = find_header_end(message)
    kept, position = [], 0
    for field in split_header_fields(message, 0, end):
        claimed = read_authserv_id(field.value)
        if (
            field.lname == "authentication-results"
            and claimed is not None
            and claimed.strip().rstrip(".").lower() == HOST
        ):
            kept.append(message[position : field.start])
            position = field.end
    return b"".join([*kept, message[position:]])


@settings(max_examples=400)
@given(messages())
def test_forged_results_removed_are_those_the_full_scan_finds(message: bytes) -> None:
    assert remove_forged_results(message, HOST) == without_forged_by_splitting(message)
