"""The per-account classifier: Robinson's token probabilities, Fisher's combination, the
tokenizer, and training, untraining and scoring on a tiny corpus in a real store."""

from __future__ import annotations

import math

import pytest

from courriel.spam.classifier import (
    MIN_TRAINED,
    Classification,
    bayes_hit,
    chi2_survival,
    classify,
    combine,
    token_probability,
)
from courriel.spam.features import read_features
from courriel.spam.tokens import MAX_TOKENS, tokenize
from courriel.storage.records import HAM, SPAM, ClassifierCounts
from courriel.storage.sqlite import EmbeddedStore

from .messages import message

SPAMS = [
    ("Cheap watches for you", "Replica watches at unbeatable prices, order now and save big."),
    ("Exclusive offer inside", "Order now: unbeatable prices on replica designer watches."),
    ("You are a winner", "Claim your prize now, unbeatable offer, limited time only."),
    ("Lowest prices online", "Pills and watches at unbeatable prices, order now discreetly."),
    ("Last chance", "Unbeatable discount, order now before the offer ends, free shipping."),
    ("Limited time deal", "Replica handbags and watches, unbeatable prices, order now."),
]
HAMS = [
    ("Minutes of the meeting", "Attached are the minutes of Tuesday's project meeting."),
    ("Re: project schedule", "Can we move the project review meeting to Thursday afternoon?"),
    ("Lunch", "Are you free for lunch after the meeting on Thursday?"),
    ("Quarterly report draft", "Please review the draft report before the project meeting."),
    ("Holiday plans", "We will be away in August; the project can wait until September."),
    ("Re: minutes", "Thanks for the minutes, the review meeting works for me."),
]


def raw(subject: str, text: str, sender: str = "Someone <someone@example.org>") -> bytes:
    return message(subject=subject, text=text + "\r\n", sender=sender)


def tokens_of(data: bytes) -> list[str]:
    return tokenize(read_features(data))


# -- the arithmetic ---------------------------------------------------------------------------


def test_token_probability() -> None:
    assert token_probability(0, 0, 10, 10) == 0.5
    # Seen in 3 of 10 spams and no ham: p = 1, pulled toward 0.5 by s = 0.45.
    assert token_probability(3, 0, 10, 10) == pytest.approx((0.45 * 0.5 + 3) / 3.45)
    assert token_probability(0, 3, 10, 10) == pytest.approx(1 - (0.45 * 0.5 + 3) / 3.45)
    # Counts are relative to each corpus's size: 2 of 4 spams vs 2 of 40 hams is spammy.
    assert token_probability(2, 2, 4, 40) > 0.8
    # More evidence, more confidence.
    assert token_probability(30, 0, 100, 100) > token_probability(3, 0, 100, 100)


def test_chi2_survival_matches_the_closed_forms() -> None:
    assert chi2_survival(0.0, 10) == 1.0
    assert chi2_survival(2.0, 2) == pytest.approx(math.exp(-1))
    assert chi2_survival(4.0, 4) == pytest.approx(math.exp(-2) * 3)
    assert chi2_survival(5000.0, 300) == pytest.approx(0.0)


def test_combine() -> None:
    assert combine([]) == 0.5
    assert combine([0.99] * 20) > 0.99
    assert combine([0.01] * 20) < 0.01
    assert combine([0.99, 0.01]) == pytest.approx(0.5)
    probabilities = [0.9, 0.7, 0.2, 0.95, 0.6]
    assert combine(probabilities) + combine([1 - p for p in probabilities]) == pytest.approx(1.0)
    assert combine([0.0, 1.0, 1.0]) > 0.5  # extremes are clamped, not log(0)


def test_classify_needs_enough_training() -> None:
    counts = ClassifierCounts(MIN_TRAINED, MIN_TRAINED - 1, {"cheap": (5, 0)})
    assert classify(["cheap"], counts) is None
    found = classify(
        ["cheap", "unknown"], ClassifierCounts(MIN_TRAINED, MIN_TRAINED, {"cheap": (5, 0)})
    )
    assert found is not None
    assert found.probability > 0.9
    assert [token for token, _ in found.clues] == ["cheap"]


def test_bayes_buckets() -> None:
    for probability, name in [
        (0.001, "BAYES_00"),
        (0.03, "BAYES_05"),
        (0.1, "BAYES_20"),
        (0.5, "BAYES_50"),
        (0.9, "BAYES_80"),
        (0.97, "BAYES_95"),
        (0.999, "BAYES_99"),
    ]:
        classification = Classification(probability, (("t", probability),), 10, 10)
        assert bayes_hit(classification).name == name


def test_the_report_names_the_strongest_tokens_on_its_side() -> None:
    counts = ClassifierCounts(10, 10, {"viagra": (9, 0), "cheap": (7, 1), "meeting": (0, 6)})
    found = classify(["meeting", "viagra", "cheap"], counts)
    assert found is not None
    description = bayes_hit(found).description
    assert "trained on 10 spam and 10 ham" in description
    assert description.endswith("; viagra, cheap")


# -- the tokenizer ----------------------------------------------------------------------------


def test_tokens() -> None:
    data = message(
        sender="Cheap Deals <deals@shop.example.co.uk>",
        subject="Unbeatable PRICES",
        headers=[("Reply-To", "orders@other.example"), ("X-Mailer", "BulkSender 5.1")],
        text="Visit http://www.shop.example.co.uk/sale today, it's cheap! "
        "aGVsbG8gd29ybGQgdGhpcyBpcyBhIGxvbmcgYmFzZTY0IGJsb2I=\r\n",
        attachments=[("brochure.PDF", "application/pdf", b"%PDF")],
    )
    tokens = tokens_of(data)
    for expected in (
        "subject:unbeatable",
        "subject:prices",
        "from:deals@shop.example.co.uk",
        "from:@example.co.uk",
        "fromname:cheap",
        "replyto:@other.example",
        "url:www.shop.example.co.uk",
        "url:@example.co.uk",
        "ct:multipart/mixed",
        "ct:application/pdf",
        "charset:utf-8",
        "ext:pdf",
        "mailer:bulksender",
        "msgid:@example.org",
        "has:reply-to",
        "has:x-mailer",
        "visit",
        "it's",
        "cheap",
        "skip:a 50",
    ):
        assert expected in tokens, expected
    assert "it" not in tokens  # too short
    assert len(tokens) == len(set(tokens))


def test_this_servers_fields_are_not_tokens() -> None:
    """The stored message (with our trace and X-Spam-* fields) tokenizes as delivered."""
    delivered = message()
    stored = (
        b"Return-Path: <alice@example.org>\r\n"
        b"X-Spam-Score: 9.9\r\nX-Spam-Status: Yes, score=9.9, required=5.0\r\n"
        b"X-Spam-Report: score=9.9\r\n\t*  9.9 SOMETHING\r\n"
        b"Authentication-Results: mx.example.test; spf=fail\r\n"
        b"Received: from x by mx.example.test; Sat, 22 Nov 2025 10:00:01 +0000\r\n"
    ) + delivered
    assert tokens_of(stored) == tokens_of(delivered)


def test_tokens_are_bounded() -> None:
    text = " ".join(f"word{index:05d}" for index in range(10_000))
    assert len(tokens_of(message(text=text))) == MAX_TOKENS


# -- training and scoring in a real store -------------------------------------------------------


async def _account(store: EmbeddedStore, address: str = "bob@example.test") -> int:
    return (await store.directory.add_account(address, password_hash=None, scram_keys=None)).id


async def _train(store: EmbeddedStore, account_id: int) -> None:
    for index, (subject, text) in enumerate(SPAMS):
        data = raw(subject, text)
        await store.spam.train(account_id, f"s{index}", SPAM, tokens_of(data), [], 0.0)
    for index, (subject, text) in enumerate(HAMS):
        data = raw(subject, text)
        await store.spam.train(account_id, f"h{index}", HAM, tokens_of(data), [], 0.0)


async def _classify(store: EmbeddedStore, account_id: int, data: bytes) -> float | None:
    tokens = tokens_of(data)
    found = classify(tokens, await store.spam.classifier_counts(account_id, tokens))
    return None if found is None else found.probability


async def test_a_trained_account_tells_spam_from_ham(store: EmbeddedStore) -> None:
    account_id = await _account(store)
    spammy = raw("Unbeatable offer", "Order now, replica watches at unbeatable prices.")
    hammy = raw("Re: meeting", "Can we review the project minutes on Thursday?")
    assert await _classify(store, account_id, spammy) is None  # nothing trained yet
    await _train(store, account_id)
    spam_probability = await _classify(store, account_id, spammy)
    ham_probability = await _classify(store, account_id, hammy)
    assert spam_probability is not None and spam_probability > 0.95
    assert ham_probability is not None and ham_probability < 0.05


async def test_accounts_have_their_own_classifier(store: EmbeddedStore) -> None:
    trained = await _account(store)
    other = await _account(store, "carol@example.test")
    await _train(store, trained)
    spammy = raw("Unbeatable offer", "Order now, replica watches at unbeatable prices.")
    assert await _classify(store, other, spammy) is None


async def test_retraining_a_message_as_ham_moves_the_score(store: EmbeddedStore) -> None:
    """The user moves a newsletter out of Junk: trained as ham instead of spam."""
    account_id = await _account(store)
    await _train(store, account_id)
    newsletter = raw("Unbeatable offers this week", "Order now: our unbeatable prices.")
    tokens = tokens_of(newsletter)
    await store.spam.train(account_id, "n1", SPAM, tokens, [], 0.0)
    before = await _classify(store, account_id, newsletter)
    assert await store.spam.train(account_id, "n1", HAM, tokens, [], 0.0) == "retrained"
    after = await _classify(store, account_id, newsletter)
    assert before is not None and after is not None
    assert after < before
    counts = await store.spam.classifier_counts(account_id, [])
    assert (counts.spam_messages, counts.ham_messages) == (len(SPAMS), len(HAMS) + 1)


async def test_untraining_below_the_minimum_silences_the_classifier(store: EmbeddedStore) -> None:
    account_id = await _account(store)
    await _train(store, account_id)
    for index in (0, 1):
        subject, text = SPAMS[index]
        assert await store.spam.untrain(account_id, f"s{index}", tokens_of(raw(subject, text)), [])
    assert len(SPAMS) - 2 < MIN_TRAINED
    assert await _classify(store, account_id, raw("Offer", "unbeatable prices")) is None
