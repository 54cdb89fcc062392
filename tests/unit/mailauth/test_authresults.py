"""Authentication-Results (RFC 8601): rendering our field, removing forged ones (§5).

Rendered fields are read back with the ``authres`` parser (the one dkimpy's ARC sealing
uses), so the syntax is checked by an implementation that is not ours.
"""

from __future__ import annotations

import authres  # type: ignore[import-untyped]
import pytest

from courriel.mail.headers import unfold
from courriel.mailauth.authresults import (
    authentication_results_header,
    authentication_results_value,
    read_authserv_id,
    remove_forged_results,
    resinfo,
)
from courriel.mailauth.results import MethodResult

HOST = "mail.example.test"

SPF = MethodResult(
    "spf",
    "pass",
    "domain of alice@example.org designates 192.0.2.1 as permitted sender",
    (("smtp.mailfrom", "alice@example.org"),),
)
DKIM = MethodResult(
    "dkim",
    "pass",
    None,
    (("header.d", "example.org"), ("header.s", "sel"), ("header.b", "ab/+1=Z")),
)
DMARC = MethodResult(
    "dmarc", "pass", "p=reject sp=reject dis=none", (("header.from", "example.org"),)
)
ARC = MethodResult("arc", "none")
IPREV = MethodResult("iprev", "pass", "mx.example.org", (("policy.iprev", "2001:db8::1"),))


def parsed(value: str) -> authres.AuthenticationResultsHeader:
    unfolded = unfold(value.encode()).decode()
    return authres.AuthenticationResultsHeader.parse(f"Authentication-Results: {unfolded}")


def test_results_in_order_one_per_line() -> None:
    value = authentication_results_value(HOST, [IPREV, ARC, DMARC, DKIM, SPF])
    assert value.split("\r\n") == [
        "mail.example.test;",
        " spf=pass (domain of alice@example.org designates 192.0.2.1 as permitted",
        " sender) smtp.mailfrom=alice@example.org;",  # folded inside the comment: allowed
        ' dkim=pass header.d=example.org header.s=sel header.b="ab/+1=Z";',
        " dmarc=pass (p=reject sp=reject dis=none) header.from=example.org;",
        " arc=none;",
        ' iprev=pass (mx.example.org) policy.iprev="2001:db8::1"',
    ]
    header = parsed(value)
    assert header.authserv_id == HOST
    assert [(result.method, result.result) for result in header.results] == [
        ("spf", "pass"),
        ("dkim", "pass"),
        ("dmarc", "pass"),
        ("arc", "none"),
        ("iprev", "pass"),
    ]
    values = {
        f"{prop.type}.{prop.name}": prop.value
        for result in header.results
        for prop in result.properties
    }
    assert values == {
        "smtp.mailfrom": "alice@example.org",
        "header.d": "example.org",
        "header.s": "sel",
        "header.b": "ab/+1=Z",  # quoted: "/" and "=" are tspecials (RFC 2045)
        "header.from": "example.org",
        "policy.iprev": "2001:db8::1",  # quoted: ":" is a tspecial
    }


def test_header_field_is_folded_within_78_columns() -> None:
    long_reason = MethodResult(
        "dkim",
        "fail",
        "body hash mismatch " * 8,
        (("header.d", "a-rather-long-subdomain.of.an.example.org"), ("header.s", "x" * 40)),
    )
    field = authentication_results_header(HOST, [SPF, long_reason, DMARC])
    assert field.startswith(b"Authentication-Results: mail.example.test;\r\n spf=pass")
    assert field.endswith(b"\r\n")
    lines = field[:-2].split(b"\r\n")
    assert all(len(line) <= 78 for line in lines)
    assert all(line.startswith(b" ") for line in lines[1:])
    value = field.decode().partition(": ")[2].removesuffix("\r\n")
    assert [result.result for result in parsed(value).results] == ["pass", "fail", "pass"]


def test_comments_values_and_no_results() -> None:
    tricky = MethodResult(
        "spf",
        "permerror",
        "bad (nested) record \\ here\r\nX-Injected: yes",
        (("smtp.mailfrom", '"odd local"@example.org'), ("smtp.helo", "[192.0.2.1]")),
    )
    text = resinfo(tricky)
    assert "\r" not in text and "\n" not in text  # nothing can start a field of its own
    assert text == (
        r"spf=permerror (bad \(nested\) record \\ here X-Injected: yes) "
        r'smtp.mailfrom="odd local"@example.org smtp.helo="[192.0.2.1]"'
    )
    assert [p.value for p in parsed(f"{HOST}; {text}").results[0].properties] == [
        '"odd local"@example.org',
        "[192.0.2.1]",
    ]
    assert authentication_results_value(HOST, []) == "mail.example.test; none"
    assert authentication_results_value("odd id", [ARC]).startswith('"odd id";')


@pytest.mark.parametrize(
    ("value", "authserv_id"),
    [
        (b" mail.example.test; spf=pass", "mail.example.test"),
        (b"mail.example.test 1; none", "mail.example.test"),
        (b' (forged) "MAIL.example.test"; dkim=pass', "MAIL.example.test"),
        (b"\r\n\t(a (nested) comment)\r\n mail.example.test;", "mail.example.test"),
        (b" ;spf=pass", None),
        (b"", None),
        (b' "unterminated', None),
    ],
)
def test_read_authserv_id(value: bytes, authserv_id: str | None) -> None:
    assert read_authserv_id(value) == authserv_id


def test_forged_results_with_our_id_are_removed_byte_exact() -> None:
    message = (
        b"Authentication-Results: Mail.Example.Test.; dkim=pass header.d=bank.example\r\n"
        b"Received: from relay.example.net by mx.example.net; Tue, 1 Jul 2025 10:00:00 +0000\r\n"
        b"Authentication-Results: mx.example.net;\r\n"
        b"\tspf=pass smtp.mailfrom=bank.example\r\n"
        b"authentication-results:(ours, they say)\r\n"
        b'  "mail.example.test"; dmarc=pass\r\n'
        b"ARC-Authentication-Results: i=1; mail.example.test; arc=none\r\n"
        b"From: Bank <ceo@bank.example>\r\n"
        b"Subject: Wire transfer\r\n"
        b"\r\n"
        b"Authentication-Results: mail.example.test; dmarc=pass\r\n"
    )
    cleaned = remove_forged_results(message, HOST)
    assert cleaned == (
        b"Received: from relay.example.net by mx.example.net; Tue, 1 Jul 2025 10:00:00 +0000\r\n"
        b"Authentication-Results: mx.example.net;\r\n"
        b"\tspf=pass smtp.mailfrom=bank.example\r\n"
        b"ARC-Authentication-Results: i=1; mail.example.test; arc=none\r\n"
        b"From: Bank <ceo@bank.example>\r\n"
        b"Subject: Wire transfer\r\n"
        b"\r\n"
        b"Authentication-Results: mail.example.test; dmarc=pass\r\n"  # the body is not header
    )


def test_messages_without_forgeries_are_returned_unchanged() -> None:
    message = b"Authentication-Results: other.example; spf=pass\nSubject: LF only\n\nbody\n"
    assert remove_forged_results(message, HOST) is message
    lf = b"Authentication-Results: mail.example.test; spf=pass\nSubject: LF only\n\nbody\n"
    assert remove_forged_results(lf, HOST) == b"Subject: LF only\n\nbody\n"
    assert remove_forged_results(b"", HOST) == b""
