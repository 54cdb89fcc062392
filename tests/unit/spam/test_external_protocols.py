"""``rspamd_protocol`` and ``spamd_protocol``: the requests as sent, the replies as the real
daemons give them (captured from Debian's rspamd 3.4 and spamd 4.0), and every way a reply
can be wrong."""

from __future__ import annotations

import json

import pytest

from courriel.antivirus.daemon import ScannerReplyError
from courriel.spam.external_wire import reply_complete
from courriel.spam.rspamd_protocol import ScanContext, checkv2_request, parse_checkv2_reply
from courriel.spam.spamd_protocol import parse_symbols_reply, symbols_request

MESSAGE = b"From: a@example.org\r\nSubject: hi\r\n\r\nHello\r\n"


def http(body: bytes, status: str = "200 OK", extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nConnection: close\r\nServer: rspamd/3.4\r\n{extra}"
        f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n\r\n"
    ).encode() + body


GTUBE_REPLY = http(
    b'{"is_skipped":true,"score":15.0,"required_score":15.0,"action":"reject",'
    b'"symbols":{"GTUBE":{"name":"GTUBE","score":0.0,"metric_score":0.0}},'
    b'"messages":{"smtp_message":"Gtube pattern"},"message-id":"1@example.org",'
    b'"time_real":0.088778}'
)


def test_rspamd_request_carries_the_envelope_in_header_fields() -> None:
    context = ScanContext(
        client_ip="192.0.2.1",
        helo="mx.example.org",
        client_name=None,
        mail_from="a@example.org\r\nX-Injected: yes",
        recipients=["b@example.test", "c@example.test"],
        queue_id="Q1",
        mta_name="mail.example.test",
    )
    head, body = list(checkv2_request(MESSAGE, context))
    assert body == MESSAGE
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /checkv2 HTTP/1.1"
    assert head.endswith(b"\r\n\r\n")
    assert f"Content-Length: {len(MESSAGE)}" in lines
    assert "IP: 192.0.2.1" in lines and "Helo: mx.example.org" in lines
    assert "Rcpt: b@example.test" in lines and "Rcpt: c@example.test" in lines
    assert "Queue-Id: Q1" in lines and "Connection: close" in lines
    # No header injection from a hostile envelope; empty fields are left out.
    assert "From: a@example.orgX-Injected: yes" in lines
    assert not any(line.startswith(("X-Injected", "Hostname", "User")) for line in lines)


def test_rspamd_gtube() -> None:
    assert reply_complete(GTUBE_REPLY) and not reply_complete(GTUBE_REPLY[:-1])
    report = parse_checkv2_reply(GTUBE_REPLY)
    assert (report.scanner, report.score, report.threshold, report.threshold_means) == (
        "rspamd",
        15.0,
        15.0,
        "reject",
    )
    assert report.action == "reject" and report.is_spam and report.rejects and report.skipped
    assert report.symbols == (("GTUBE", 0.0),)


def test_rspamd_ham() -> None:
    document = {
        "is_skipped": False,
        "score": -0.0,
        "required_score": 15.0,
        "action": "no action",
        "symbols": {"MIME_GOOD": {"name": "MIME_GOOD", "score": -0.1}, "ARC_NA": {"score": 0}},
    }
    report = parse_checkv2_reply(http(json.dumps(document).encode()))
    assert report.score == 0.0 and str(report.score) == "0.0"
    assert not report.is_spam and not report.rejects and not report.skipped
    assert report.symbols == (("MIME_GOOD", -0.1), ("ARC_NA", 0.0))


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (b"", "no end of header"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", "no end of header"),
        (http(b"{}")[:-1], "truncated"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n{}", "truncated: 2 of 99"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n{}", "bad Content-Length"),
        (b"HTTP/1.1 200 OK\r\nbroken line\r\n\r\n{}", "bad header line"),
        (b"SPAMD/1.1 0 EX_OK\r\n\r\n{}", "bad status line"),
        (http(b"not json"), "not JSON"),
        (http(b"[1, 2]"), "not a JSON object"),
        (http(b'{"error": "bad request"}', "400 Bad Request"), "HTTP 400: bad request"),
        (http(b'{"score": 1, "required_score": 15}'), "unknown action"),
        (http(b'{"required_score": 15, "action": "reject"}'), "no usable score"),
        (http(b'{"score": 1e999, "required_score": 15, "action": "reject"}'), "no usable score"),
        (http(b'{"score": true, "required_score": 15, "action": "reject"}'), "no usable score"),
        (
            http(b'{"score": 1, "required_score": 15, "action": "no action", "symbols": []}'),
            "symbols are not an object",
        ),
        (http(b"{}", extra="Transfer-Encoding: chunked\r\n"), "transfer coding"),
        (b"HTTP/1.1 200 OK\r\n\xff: x\r\n\r\n{}", "not ASCII"),
    ],
)
def test_rspamd_bad_replies(reply: bytes, message: str) -> None:
    with pytest.raises(ScannerReplyError, match=message):
        parse_checkv2_reply(reply)


def test_spamd_request() -> None:
    head, body = list(symbols_request(MESSAGE))
    assert head == f"SYMBOLS SPAMC/1.5\r\nContent-length: {len(MESSAGE)}\r\n\r\n".encode()
    assert body == MESSAGE
    head, _ = list(symbols_request(MESSAGE, user="bob"))
    assert b"\r\nUser: bob\r\n" in head


def test_spamd_gtube_and_ham() -> None:
    gtube = (
        b"SPAMD/1.1 0 EX_OK\r\nContent-length: 55\r\nSpam: True ; 1000.0 / 5.0\r\n\r\n"
        b"GTUBE,MSGID_SHORT,NO_RECEIVED,NO_RELAYS,TVD_SPACE_RATIO"
    )
    assert reply_complete(gtube)
    report = parse_symbols_reply(gtube)
    assert (report.scanner, report.score, report.threshold, report.threshold_means) == (
        "spamd",
        1000.0,
        5.0,
        "junk",
    )
    assert report.is_spam and not report.rejects and report.action == "spam"
    assert report.symbols[0] == ("GTUBE", None) and len(report.symbols) == 5
    ham = b"SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: No ; -0.0 / 5.0\r\n\r\n"
    report = parse_symbols_reply(ham)
    assert not report.is_spam and report.score == 0.0 and report.symbols == ()


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (b"SPAMD/1.0 76 Bad header line: (EOF)\r\n\r\n", "spamd error 76"),
        (b"SPAMD/1.1 0 EX_OK\r\nContent-length: 5\r\n\r\nGTUBE", "no readable Spam field"),
        (b"SPAMD/1.1 0 EX_OK\r\nSpam: Maybe ; 1 / 5\r\n\r\n", "no readable Spam field"),
        (b"SPAMD/1.1 0 EX_OK\r\nSpam: True ; 1e999 / 5\r\n\r\n", "no readable Spam field"),
        (b"SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9 / 5\r\nContent-length: 50\r\n\r\nA", "truncated"),
        (b"SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9 / 5\r\n\r\n<html>", "not a list of rule"),
        (b"SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9 / 5\r\n\r\n\xff", "not ASCII"),
        (b"HTTP/1.1 200 OK\r\n\r\n", "bad status line"),
        (b"SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9 / 5", "no end of header"),
    ],
)
def test_spamd_bad_replies(reply: bytes, message: str) -> None:
    with pytest.raises(ScannerReplyError, match=message):
        parse_symbols_reply(reply)
