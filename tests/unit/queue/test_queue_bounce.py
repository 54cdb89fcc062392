"""DSNs about queued messages: who gets one (NOTIFY, null sender), what they contain."""

from __future__ import annotations

import dataclasses

from courriel.mail.dsn import parse_dsn
from courriel.queue.bounce import Bouncer, RecipientReport, notify_allows
from courriel.storage.records import QueuedMessage, QueuedRecipient

NOW = 1_700_000_000.0
ORIGINAL = (
    b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: hello\r\n"
    b"Message-ID: <m1@example.org>\r\n\r\nthe secret body\r\n"
)
MESSAGE = QueuedMessage(
    id=7,
    sender="alice@example.org",
    size=len(ORIGINAL),
    file=None,
    envid="ENV-42",
    ret=None,
    smtputf8=False,
    body="7BIT",
    account="alice@example.org",
    created=NOW - 3600,
    expires=NOW + 4 * 86400,
)


def recipient(rid: int, address: str, notify: str | None = None) -> QueuedRecipient:
    return QueuedRecipient(
        id=rid,
        message_id=7,
        address=address,
        domain=address.rpartition("@")[2],
        notify=notify,
        orcpt=f"rfc822;{address.replace('+', '+2B')}",
        state="pending",
        attempts=1,
        next_attempt=NOW,
        last_error=None,
        last_host=None,
        delay_notified=False,
        done=None,
    )


class Sink:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, str]] = []

    async def __call__(self, dsn: bytes, address: str) -> None:
        self.sent.append((dsn, address))


def bouncer(sink: Sink) -> Bouncer:
    return Bouncer(
        reporting_mta="mail.example.org", postmaster="postmaster@example.org", on_dsn=sink
    )


def report(rid: int, address: str, notify: str | None = None) -> RecipientReport:
    return RecipientReport(
        recipient(rid, address, notify),
        "5.1.1",
        "smtp; 550 5.1.1 no such user",
        "mx.example.net",
        NOW,
    )


def test_notify_allows() -> None:
    assert notify_allows(None, "FAILURE") and notify_allows(None, "DELAY")
    assert not notify_allows(None, "SUCCESS")
    assert notify_allows("SUCCESS,FAILURE", "FAILURE")
    assert not notify_allows("SUCCESS", "FAILURE")
    assert not notify_allows("NEVER", "FAILURE")


async def test_one_failure_dsn_for_all_recipients_with_headers_only() -> None:
    sink = Sink()
    reported = await bouncer(sink).failed(
        MESSAGE,
        ORIGINAL,
        [report(1, "bob@example.net"), report(2, "c+x@example.net"), report(3, "n@x.net", "NEVER")],
        now=NOW,
    )
    assert reported == [1, 2]
    [(dsn, address)] = sink.sent
    assert address == "alice@example.org"
    assert b"multipart/report; report-type=delivery-status" in dsn
    assert b"Subject: hello" in dsn and b"the secret body" not in dsn  # RFC 3461 §4.3
    fields = parse_dsn(dsn)
    assert fields[0]["original-envelope-id"] == "ENV-42"
    assert [group["final-recipient"] for group in fields[1:]] == [
        "rfc822; bob@example.net",
        "rfc822; c+x@example.net",
    ]
    assert fields[2]["original-recipient"] == "rfc822; c+x@example.net"
    assert all(group["action"] == "failed" for group in fields[1:])
    assert fields[1]["status"] == "5.1.1"
    assert fields[1]["remote-mta"] == "dns; mx.example.net"
    assert fields[1]["diagnostic-code"] == "smtp; 550 5.1.1 no such user"


async def test_ret_full_returns_the_whole_message() -> None:
    sink = Sink()
    full = dataclasses.replace(MESSAGE, ret="FULL")
    await bouncer(sink).failed(full, ORIGINAL, [report(1, "bob@example.net")], now=NOW)
    assert b"the secret body" in sink.sent[0][0]


async def test_never_to_the_null_sender() -> None:
    sink = Sink()
    null = dataclasses.replace(MESSAGE, sender="")
    assert await bouncer(sink).failed(null, ORIGINAL, [report(1, "b@x.net")], now=NOW) == []
    assert await bouncer(sink).delayed(null, ORIGINAL, [report(1, "b@x.net")], now=NOW) == []
    assert sink.sent == []


async def test_delay_dsn_and_automatic_messages() -> None:
    sink = Sink()
    delayed = RecipientReport(recipient(1, "bob@example.net"), "4.4.1", "X-Courriel; refused")
    assert await bouncer(sink).delayed(MESSAGE, ORIGINAL, [delayed], now=NOW) == [1]
    fields = parse_dsn(sink.sent[0][0])
    assert fields[1]["action"] == "delayed" and fields[1]["status"] == "4.4.1"
    assert "will-retry-until" in fields[1]
    # RFC 3834 §2: no delay notice about an auto-submitted message.
    automatic = b"Auto-Submitted: auto-replied\r\n" + ORIGINAL
    assert await bouncer(sink).delayed(MESSAGE, automatic, [delayed], now=NOW) == []
    assert len(sink.sent) == 1


async def test_a_broken_sink_does_not_raise() -> None:
    async def broken(dsn: bytes, address: str) -> None:
        raise RuntimeError("disk full")

    failing = Bouncer(reporting_mta="mail.example.org", postmaster="p@example.org", on_dsn=broken)
    assert await failing.failed(MESSAGE, ORIGINAL, [report(1, "b@x.net")], now=NOW) == []
