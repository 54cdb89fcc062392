"""``vacation.decide`` and ``build_reply``: each RFC 3834 exclusion, the dates, the reply's
fields."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import default

import pytest

from courriel.delivery.vacation import Headers, Skip, active, build_reply, decide
from courriel.storage.records import MailSettingsRecord

NOW = 1_700_000_000.0
ON = MailSettingsRecord(1, vacation_enabled=True)
ME = ["bob@example.test"]


def headers(extra: str = "", to: str = "Bob <bob@example.test>") -> Headers:
    return Headers(
        f"From: alice@example.org\r\nTo: {to}\r\nSubject: Hi\r\n"
        "Message-ID: <1@example.org>\r\nReferences: <0@example.org>\r\n"
        f"{extra}\r\nbody\r\n".encode()
    )


def test_an_ordinary_message_gets_a_reply() -> None:
    assert decide("alice@example.org", headers(), ME, ON, NOW) is None
    assert (
        decide(
            "alice@example.org",
            headers(to="x@y.test", extra="Cc: BOB@example.test\r\n"),
            ME,
            ON,
            NOW,
        )
        is None
    )


@pytest.mark.parametrize(
    ("sender", "extra", "to", "skip"),
    [
        ("", "", "bob@example.test", Skip.NULL_SENDER),
        ("a@example.org", "Auto-Submitted: auto-replied\r\n", "bob@example.test", Skip.AUTOMATIC),
        ("a@example.org", "Auto-Submitted: auto-generated\r\n", "bob@example.test", Skip.AUTOMATIC),
        ("a@example.org", "List-Id: <l.example.org>\r\n", "bob@example.test", Skip.LIST),
        ("a@example.org", "List-Unsubscribe: <mailto:u@x>\r\n", "bob@example.test", Skip.LIST),
        ("a@example.org", "Precedence: bulk\r\n", "bob@example.test", Skip.LIST),
        ("a@example.org", "Precedence: junk\r\n", "bob@example.test", Skip.LIST),
        ("a@example.org", "Precedence: list\r\n", "bob@example.test", Skip.LIST),
        ("MAILER-DAEMON@example.org", "", "bob@example.test", Skip.ROBOT),
        ("noreply@example.org", "", "bob@example.test", Skip.ROBOT),
        ("owner-list@example.org", "", "bob@example.test", Skip.ROBOT),
        ("list-request@example.org", "", "bob@example.test", Skip.ROBOT),
        ("a@example.org", "", "someone@example.test", Skip.NOT_ADDRESSED),  # Bcc
        ("Bob@example.test", "", "bob@example.test", Skip.SELF),
    ],
)
def test_rfc3834_exclusions(sender: str, extra: str, to: str, skip: Skip) -> None:
    assert decide(sender, headers(extra, to), ME, ON, NOW) is skip


def test_auto_submitted_no_is_answered() -> None:
    assert decide("a@example.org", headers("Auto-Submitted: no\r\n"), ME, ON, NOW) is None
    assert decide("a@example.org", headers("Auto-Submitted: No (human)\r\n"), ME, ON, NOW) is None


def test_off_and_dates() -> None:
    assert decide("a@example.org", headers(), ME, MailSettingsRecord(1), NOW) is Skip.OFF
    later = MailSettingsRecord(1, vacation_enabled=True, vacation_start=NOW + 1)
    ended = MailSettingsRecord(1, vacation_enabled=True, vacation_end=NOW)
    within = MailSettingsRecord(
        1, vacation_enabled=True, vacation_start=NOW - 1, vacation_end=NOW + 1
    )
    assert not active(later, NOW) and not active(ended, NOW) and active(within, NOW)


def test_the_reply() -> None:
    raw = build_reply(
        "bob@example.test", "alice@example.org", headers(), ON, now=NOW, domain="example.test"
    )
    reply = BytesParser(policy=default).parsebytes(raw)
    assert reply["Subject"] == "Auto: Hi"
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["In-Reply-To"] == "<1@example.org>"
    assert reply["References"] == "<0@example.org> <1@example.org>"
    assert (reply["From"], reply["To"]) == ("bob@example.test", "alice@example.org")
    configured = MailSettingsRecord(
        1, vacation_enabled=True, vacation_subject="Away", vacation_body="Back soon"
    )
    raw = build_reply(
        "bob@example.test", "a@example.org", headers(), configured, now=NOW, domain="example.test"
    )
    reply = BytesParser(policy=default).parsebytes(raw)
    assert reply["Subject"] == "Away"
    assert b"\r\n" in raw and b"Back soon" in raw
