"""``score``: rules, blocklists, reputation, correspondents, lists and the classifier
combined per account; thresholds; the X-Spam-* fields; what a multi-account delivery does."""

from __future__ import annotations

import dataclasses

import pytest

from courriel.config.schema import SpamSettings
from courriel.core.clock import FakeClock
from courriel.dns.static import StaticResolver
from courriel.mail import parse_message
from courriel.mailauth.results import MethodResult
from courriel.spam.dnsbl import DnsblCache
from courriel.spam.rules import GTUBE
from courriel.spam.verdict import ScoredMessage, SpamVerdict, remove_spam_fields, score
from courriel.spam.weights import Hit
from courriel.storage.records import ALLOW, BLOCK, SPAM
from courriel.storage.sqlite import EmbeddedStore

from .messages import message

SETTINGS = SpamSettings()
SPF_FAIL = (
    MethodResult("spf", "fail"),
    MethodResult("dkim", "none"),
    MethodResult("dmarc", "none"),
)
DMARC_PASS = (
    MethodResult("spf", "pass"),
    MethodResult("dkim", "pass"),
    MethodResult("dmarc", "pass", properties=(("header.from", "example.org"),)),
)


async def account(store: EmbeddedStore, address: str = "bob@example.test") -> int:
    return (await store.directory.add_account(address, password_hash=None, scram_keys=None)).id


async def scored(
    store: EmbeddedStore,
    raw: bytes,
    account_ids: list[int],
    *,
    auth: tuple[MethodResult, ...] | None = None,
    settings: SpamSettings = SETTINGS,
    client_ip: str | None = None,
    resolver: StaticResolver | None = None,
    mail_from: str = "",
) -> ScoredMessage:
    return await score(
        raw,
        account_ids=account_ids,
        auth_results=auth,
        client_ip=client_ip,
        resolver=resolver,
        repo=store.spam,
        settings=settings,
        mail_from=mail_from,
        recipient_domains=["example.test"],
        dnsbl_cache=DnsblCache(FakeClock()),
    )


async def test_an_ordinary_message(store: EmbeddedStore) -> None:
    bob = await account(store)
    verdict = (await scored(store, message(), [bob], auth=DMARC_PASS)).verdicts[bob]
    assert (verdict.score, verdict.action, verdict.is_spam) == (-0.5, "headers", False)
    assert verdict.headers() == (
        b"X-Spam-Score: -0.5\r\n"
        b"X-Spam-Status: No, score=-0.5, required=5.0\r\n"
        b"X-Spam-Report: score=-0.5, required=5.0, 1 rule fired\r\n"
        b"\t*  -0.5 DMARC_PASS the From domain passes DMARC: example.org\r\n"
    )


async def test_the_report_lists_every_rule_heaviest_first(store: EmbeddedStore) -> None:
    bob = await account(store)
    raw = message(
        sender='"support@bank.example" <x@mailer.example>',
        subject="ACCOUNT SUSPENDED NOTICE",
        headers=[("Reply-To", "claims@other.example")],
        message_id=False,
    )
    verdict = (await scored(store, raw, [bob], auth=SPF_FAIL)).verdicts[bob]
    assert [found.name for found in verdict.hits] == [
        "SPF_FAIL",
        "FROM_NAME_HAS_ADDRESS",
        "REPLY_TO_OTHER_DOMAIN",
        "MISSING_MESSAGE_ID",
        "SUBJECT_ALL_CAPS",
    ]
    assert verdict.score == 7.5
    assert verdict.action == "junk"
    fields = dict(verdict.header_fields())
    assert fields["X-Spam-Status"] == "Yes, score=7.5, required=5.0"
    # Long rule lines continue on indented lines; unfolded, one line per rule.
    report = fields["X-Spam-Report"].replace("\r\n\t    ", " ").split("\r\n\t")
    assert report[0] == "score=7.5, required=5.0, 5 rules fired"
    assert report[1].startswith("*   2.5 FROM_NAME_HAS_ADDRESS the From display name shows")
    assert report[2].startswith("*   2.0 SPF_FAIL ")
    assert len(report) == 6
    assert all(len(line) <= 78 for line in verdict.headers().split(b"\r\n"))
    # The fields parse back as header fields of the message they are prepended to.
    parsed = parse_message(verdict.headers() + raw)
    assert parsed.summary.subject == "ACCOUNT SUSPENDED NOTICE"


@pytest.mark.parametrize(
    ("junk", "reject", "expected"),
    [
        (5.0, 15.0, "junk"),  # score 7.5
        (8.0, 15.0, "headers"),
        (5.0, 7.5, "reject"),  # at the threshold
        (7.5, 0.0, "junk"),  # reject_score 0 never refuses
    ],
)
async def test_thresholds(store: EmbeddedStore, junk: float, reject: float, expected: str) -> None:
    bob = await account(store)
    raw = message(
        sender='"support@bank.example" <x@mailer.example>',
        subject="ACCOUNT SUSPENDED NOTICE",
        headers=[("Reply-To", "claims@other.example")],
        message_id=False,
    )
    settings = SpamSettings(junk_score=junk, reject_score=reject)
    verdict = (await scored(store, raw, [bob], auth=SPF_FAIL, settings=settings)).verdicts[bob]
    assert verdict.score == 7.5
    assert verdict.action == expected


async def test_gtube_is_refused(store: EmbeddedStore) -> None:
    bob = await account(store)
    result = await scored(store, message(text=GTUBE), [bob])
    assert result.rejected
    assert result.action_for(bob) == "reject"
    assert result.explanation() == "Message refused as spam (score 1000.0: GTUBE)"


async def test_when_off_nothing_is_added(store: EmbeddedStore) -> None:
    bob = await account(store)
    result = await scored(store, message(text=GTUBE), [bob], settings=SpamSettings(enabled=False))
    verdict = result.verdicts[bob]
    assert (verdict.action, verdict.hits, verdict.headers()) == ("none", (), b"")
    assert not result.rejected


async def test_descriptions_cannot_inject_header_lines(store: EmbeddedStore) -> None:
    """A file name is the sender's text: RFC 2231 lets it carry CR LF and any character."""
    bob = await account(store)
    raw = (
        b"From: a@example.org\r\nTo: bob@example.test\r\nSubject: x\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment;"
        b" filename*=utf-8''evil%0D%0AX-Injected%3A%20yes%C3%A9.exe\r\n\r\nMZ\r\n--b--\r\n"
    )
    verdict = (await scored(store, raw, [bob])).verdicts[bob]
    assert "EXECUTABLE_ATTACHMENT" in {found.name for found in verdict.hits}
    headers = verdict.headers()
    assert headers.isascii()
    assert b"\nX-Injected" not in headers
    assert b"X-Injected: yes\\xe9.exe" in headers.replace(b"\r\n\t    ", b" ")
    assert not any(line.startswith(b"X-Injected") for line in headers.split(b"\r\n"))
    assert len(parse_message(headers + raw).envelope.from_) == 1


async def test_long_descriptions_are_cut(store: EmbeddedStore) -> None:
    verdict = SpamVerdict(1, 1.0, 5.0, 15.0, "headers", (Hit("X", 1.0, "y" * 5000),))
    line = verdict.headers().split(b"\r\n")[-2]
    assert line.endswith(b"...")
    assert len(line) < 250


# -- DNS blocklists -----------------------------------------------------------------------------


async def test_a_listed_sender(store: EmbeddedStore) -> None:
    bob = await account(store)
    resolver = StaticResolver({"99.2.0.192.bl.example": {"A": ["127.0.0.2"]}})
    settings = SpamSettings(dnsbl_zones=(("bl.example", 4.0),))
    result = await scored(
        store, message(), [bob], settings=settings, client_ip="192.0.2.99", resolver=resolver
    )
    verdict = result.verdicts[bob]
    assert [(found.name, found.weight) for found in verdict.hits] == [("DNSBL_LISTED", 4.0)]
    # No resolver, or no client address: no lookups.
    quiet = await scored(store, message(), [bob], settings=settings, client_ip="192.0.2.99")
    assert quiet.verdicts[bob].hits == ()


# -- per-account parts --------------------------------------------------------------------------


async def test_lists_are_per_account(store: EmbeddedStore) -> None:
    bob = await account(store)
    carol = await account(store, "carol@example.test")
    dave = await account(store, "dave@example.test")
    await store.spam.set_list_entry(bob, "alice@example.org", ALLOW, 0.0)
    await store.spam.set_list_entry(carol, "@example.org", BLOCK, 0.0)
    result = await scored(store, message(), [bob, carol, dave])
    assert [found.name for found in result.verdicts[bob].hits] == ["USER_ALLOWLIST"]
    assert [found.name for found in result.verdicts[carol].hits] == ["USER_BLOCKLIST"]
    assert result.verdicts[dave].hits == ()
    assert result.verdicts[carol].action == "junk"
    assert result.verdicts[bob].score == -20.0


async def test_the_most_specific_entry_decides(store: EmbeddedStore) -> None:
    bob = await account(store)
    await store.spam.set_list_entry(bob, "@example.org", BLOCK, 0.0)
    await store.spam.set_list_entry(bob, "alice@example.org", ALLOW, 0.0)
    verdict = (await scored(store, message(), [bob])).verdicts[bob]
    assert [found.name for found in verdict.hits] == ["USER_ALLOWLIST"]
    other = message(sender="Eve <eve@mail.example.org>")
    verdict = (await scored(store, other, [bob])).verdicts[bob]
    assert [(found.name, found.description) for found in verdict.hits] == [
        ("USER_BLOCKLIST", "the sender is on the recipient's block list: @example.org")
    ]


async def test_the_envelope_sender_matches_the_lists_too(store: EmbeddedStore) -> None:
    bob = await account(store)
    await store.spam.set_list_entry(bob, "@bulk.example", BLOCK, 0.0)
    verdict = (await scored(store, message(), [bob], mail_from="bounce@bulk.example")).verdicts
    assert [found.name for found in verdict[bob].hits] == ["USER_BLOCKLIST"]


async def test_a_forged_allowed_sender_is_not_allowed(store: EmbeddedStore) -> None:
    bob = await account(store)
    await store.spam.set_list_entry(bob, "alice@example.org", ALLOW, 0.0)
    failing = (MethodResult("spf", "fail"), MethodResult("dmarc", "fail"))
    verdict = (await scored(store, message(), [bob], auth=failing)).verdicts[bob]
    assert "USER_ALLOWLIST" not in {found.name for found in verdict.hits}


async def test_mail_from_a_correspondent(store: EmbeddedStore) -> None:
    bob = await account(store)
    carol = await account(store, "carol@example.test")
    await store.spam.record_correspondents(bob, ["alice@example.org"], 0.0)
    result = await scored(store, message(), [bob, carol], auth=DMARC_PASS)
    assert "KNOWN_CORRESPONDENT" in {found.name for found in result.verdicts[bob].hits}
    assert "KNOWN_CORRESPONDENT" not in {found.name for found in result.verdicts[carol].hits}


async def test_sender_reputation(store: EmbeddedStore) -> None:
    bob = await account(store)
    for index in range(3):
        await store.spam.train(bob, f"c{index}", SPAM, ["x"], ["alice@example.org"], 0.0)
    verdict = (await scored(store, message(), [bob])).verdicts[bob]
    assert [found.name for found in verdict.hits] == ["SENDER_BAD_REPUTATION"]
    assert verdict.hits[0].description.endswith("alice@example.org: 3 spam, 0 not spam")


# -- several accounts ---------------------------------------------------------------------------


async def test_groups_and_actions_of_a_shared_message(store: EmbeddedStore) -> None:
    bob = await account(store)
    carol = await account(store, "carol@example.test")
    dave = await account(store, "dave@example.test")
    await store.spam.set_list_entry(carol, "alice@example.org", ALLOW, 0.0)
    result = await scored(store, message(text=GTUBE), [bob, carol, dave])
    # Carol's allow list lowers her score below the reject threshold: the transaction is
    # accepted, and what would have been refused for the others goes to their Junk.
    assert [verdict.action for verdict in result.verdicts.values()] == [
        "reject",
        "reject",
        "reject",
    ]
    assert result.verdicts[carol].score == 980.0
    settings = SpamSettings(reject_score=990.0)
    result = await scored(store, message(text=GTUBE), [bob, carol, dave], settings=settings)
    assert not result.rejected
    assert [result.action_for(account_id) for account_id in (bob, carol, dave)] == [
        "junk",
        "junk",
        "junk",
    ]
    groups = result.groups()
    assert [account_ids for _, account_ids in groups] == [[bob, dave], [carol]]
    assert groups[0][0].startswith(b"X-Spam-Score: 1000.0\r\n")


async def test_remove_spam_fields() -> None:
    raw = (
        b"X-Spam-Status: No, score=-100\r\nFrom: a@example.org\r\n"
        b"x-spam-report: all\r\n good\r\nSubject: X-Spam-Score: in a subject\r\n"
        b"X-Spam-Score: -100\r\n\r\nX-Spam-Score: in the body\r\n"
    )
    assert remove_spam_fields(raw) == (
        b"From: a@example.org\r\nSubject: X-Spam-Score: in a subject\r\n"
        b"\r\nX-Spam-Score: in the body\r\n"
    )
    untouched = message()
    assert remove_spam_fields(untouched) is untouched


def test_settings_protocol_is_the_config_section() -> None:
    settings = dataclasses.replace(SpamSettings(), junk_score=6.0)
    assert settings.junk_score == 6.0


def test_weights_show_their_decimals() -> None:
    hits = (Hit("DNSBL_LISTED", 3.25, "listed"), Hit("X", -0.5, "y"), Hit("Z", 10.0, "z"))
    report = dict(SpamVerdict(1, 12.8, 5.0, 15.0, "junk", hits).header_fields())["X-Spam-Report"]
    assert report.split("\r\n\t")[1:] == [
        "*  10.0 Z z",
        "*  3.25 DNSBL_LISTED listed",
        "*  -0.5 X y",
    ]
