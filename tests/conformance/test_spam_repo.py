"""SpamRepo conformance (ports.SpamRepo): classifier counts, training that never counts a
message twice, untraining, sender reputation, correspondents, allow and block lists, and
an account's rows leaving with the account."""

from __future__ import annotations

import pytest

from courriel.storage.errors import NotFound
from courriel.storage.records import (
    ALLOW,
    BLOCK,
    HAM,
    SPAM,
    AccountScoringInputs,
    AccountScoringQuery,
    ClassifierCounts,
    SenderReputation,
)
from support.backends import Backend, make_account

NOW = 1_700_000_000.0


async def test_an_account_that_never_trained_knows_nothing(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    counts = await backend.spam.classifier_counts(account.id, ["cheap", "pills"])
    assert counts == ClassifierCounts(0, 0, {})


async def test_training_counts_each_token_once_per_message(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    spam = backend.spam
    assert await spam.train(account.id, "a" * 64, SPAM, ["cheap", "pills", "cheap"], [], NOW) == (
        "trained"
    )
    assert await spam.train(account.id, "b" * 64, SPAM, ["cheap", "watches"], [], NOW) == "trained"
    assert await spam.train(account.id, "c" * 64, HAM, ["meeting", "cheap"], [], NOW) == "trained"
    counts = await spam.classifier_counts(account.id, ["cheap", "pills", "meeting", "unknown"])
    assert counts.spam_messages == 2
    assert counts.ham_messages == 1
    assert counts.tokens == {"cheap": (2, 1), "pills": (1, 0), "meeting": (0, 1)}


async def test_the_same_content_and_verdict_trains_once(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    spam = backend.spam
    await spam.train(account.id, "a" * 64, SPAM, ["cheap"], ["x@spam.example"], NOW)
    assert await spam.train(account.id, "a" * 64, SPAM, ["cheap"], ["x@spam.example"], NOW) == (
        "unchanged"
    )
    counts = await spam.classifier_counts(account.id, ["cheap"])
    assert (counts.spam_messages, counts.tokens) == (1, {"cheap": (1, 0)})
    reputation = await spam.sender_reputation(["x@spam.example"])
    assert reputation["x@spam.example"].spam == 1


async def test_the_other_verdict_retrains(backend: Backend) -> None:
    """Moved into Junk by mistake, then back out: one ham, no spam left behind."""
    account, _ = await make_account(backend, "alice@example.test")
    spam = backend.spam
    senders = ["bob@example.org", "@example.org"]
    await spam.train(account.id, "a" * 64, SPAM, ["invoice", "march"], senders, NOW)
    assert await spam.train(account.id, "a" * 64, HAM, ["invoice", "march"], senders, NOW) == (
        "retrained"
    )
    counts = await spam.classifier_counts(account.id, ["invoice", "march"])
    assert (counts.spam_messages, counts.ham_messages) == (0, 1)
    assert counts.tokens == {"invoice": (0, 1), "march": (0, 1)}
    reputation = await spam.sender_reputation(senders)
    assert [(r.spam, r.ham) for r in reputation.values()] == [(0, 1), (0, 1)]


async def test_untrain_forgets_and_deletes_empty_tokens(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    spam = backend.spam
    await spam.train(account.id, "a" * 64, SPAM, ["cheap", "pills"], ["x@spam.example"], NOW)
    await spam.train(account.id, "b" * 64, SPAM, ["cheap"], [], NOW)
    assert await spam.untrain(account.id, "a" * 64, ["cheap", "pills"], ["x@spam.example"])
    assert not await spam.untrain(account.id, "a" * 64, ["cheap", "pills"], [])
    counts = await spam.classifier_counts(account.id, ["cheap", "pills"])
    assert (counts.spam_messages, counts.tokens) == (1, {"cheap": (1, 0)})
    assert (await spam.sender_reputation(["x@spam.example"]))["x@spam.example"].spam == 0
    # Once untrained, the same content trains again.
    assert await spam.train(account.id, "a" * 64, HAM, ["pills"], [], NOW) == "trained"


async def test_counts_never_go_below_zero(backend: Backend) -> None:
    """Untraining with tokens that were not trained (a tokenizer that changed between
    versions) leaves no negative count behind."""
    account, _ = await make_account(backend, "alice@example.test")
    spam = backend.spam
    await spam.train(account.id, "a" * 64, SPAM, ["cheap"], [], NOW)
    await spam.train(account.id, "b" * 64, HAM, ["other"], [], NOW)
    await spam.untrain(account.id, "a" * 64, ["cheap", "other", "never"], [])
    counts = await spam.classifier_counts(account.id, ["cheap", "other", "never"])
    assert counts.tokens == {"other": (0, 1)}
    assert (counts.spam_messages, counts.ham_messages) == (0, 1)


async def test_accounts_train_apart(backend: Backend) -> None:
    alice, _ = await make_account(backend, "alice@example.test")
    bob, _ = await make_account(backend, "bob@example.test")
    await backend.spam.train(alice.id, "a" * 64, SPAM, ["cheap"], [], NOW)
    await backend.spam.train(bob.id, "a" * 64, HAM, ["cheap"], [], NOW)
    assert (await backend.spam.classifier_counts(alice.id, ["cheap"])).tokens == {"cheap": (1, 0)}
    assert (await backend.spam.classifier_counts(bob.id, ["cheap"])).tokens == {"cheap": (0, 1)}


async def test_many_tokens_are_read_back(backend: Backend) -> None:
    """More tokens than one statement's parameters: the port splits the lookups."""
    account, _ = await make_account(backend, "alice@example.test")
    tokens = [f"token{index}" for index in range(2500)]
    await backend.spam.train(account.id, "a" * 64, SPAM, tokens, [], NOW)
    counts = await backend.spam.classifier_counts(account.id, [*tokens, "absent"])
    assert len(counts.tokens) == 2500
    assert counts.tokens["token2499"] == (1, 0)


async def test_training_errors(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    with pytest.raises(ValueError, match="verdict"):
        await backend.spam.train(account.id, "a" * 64, "maybe", ["x"], [], NOW)
    with pytest.raises(NotFound):
        await backend.spam.train(999_999, "a" * 64, SPAM, ["x"], [], NOW)


async def test_sender_reputation_counts_sightings(backend: Backend) -> None:
    spam = backend.spam
    await spam.record_senders({"bob@example.org": 1, "@example.org": 3, "@none.example": 0}, NOW)
    await spam.record_senders({"@example.org": 2}, NOW + 10)
    await spam.record_senders({}, NOW + 20)
    found = await spam.sender_reputation(
        ["bob@example.org", "@example.org", "@unknown.example", "@none.example"]
    )
    assert found == {
        "bob@example.org": SenderReputation("bob@example.org", 1, 0, 0, NOW),
        "@example.org": SenderReputation("@example.org", 5, 0, 0, NOW + 10),
    }
    assert await spam.sender_reputation([]) == {}


async def test_correspondents(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    other, _ = await make_account(backend, "carol@example.test")
    spam = backend.spam
    await spam.record_correspondents(account.id, ["bob@example.org", "dan@example.net"], NOW)
    await spam.record_correspondents(account.id, ["bob@example.org"], NOW + 1)
    known = await spam.known_correspondents(
        account.id, ["bob@example.org", "eve@example.org", "dan@example.net"]
    )
    assert known == {"bob@example.org", "dan@example.net"}
    assert await spam.known_correspondents(other.id, ["bob@example.org"]) == set()
    with pytest.raises(NotFound):
        await spam.record_correspondents(999_999, ["bob@example.org"], NOW)


async def test_allow_and_block_lists(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    spam = backend.spam
    allowed = await spam.set_list_entry(account.id, "bob@example.org", ALLOW, NOW)
    assert (allowed.entry, allowed.kind, allowed.created) == ("bob@example.org", ALLOW, NOW)
    await spam.set_list_entry(account.id, "@spam.example", BLOCK, NOW)
    await spam.set_list_entry(account.id, "@aardvark.example", BLOCK, NOW)
    again = await spam.set_list_entry(account.id, "bob@example.org", ALLOW, NOW + 5)
    assert again.created == NOW  # already there: unchanged
    entries = await spam.list_entries(account.id)
    assert [(entry.kind, entry.entry) for entry in entries] == [
        (ALLOW, "bob@example.org"),
        (BLOCK, "@aardvark.example"),
        (BLOCK, "@spam.example"),
    ]
    matches = await spam.matching_list_entries(
        account.id, ["@spam.example", "bob@example.org", "nobody@example.org"]
    )
    assert [entry.entry for entry in matches] == ["bob@example.org", "@spam.example"]
    # Moving an entry to the other list.
    moved = await spam.set_list_entry(account.id, "bob@example.org", BLOCK, NOW + 9)
    assert (moved.kind, moved.created) == (BLOCK, NOW + 9)
    assert not await spam.remove_list_entry(account.id, "bob@example.org", ALLOW)
    assert await spam.remove_list_entry(account.id, "bob@example.org", BLOCK)
    assert [entry.entry for entry in await spam.list_entries(account.id)] == [
        "@aardvark.example",
        "@spam.example",
    ]


async def test_list_errors(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    with pytest.raises(ValueError, match="list"):
        await backend.spam.set_list_entry(account.id, "bob@example.org", "grey", NOW)
    with pytest.raises(NotFound):
        await backend.spam.set_list_entry(999_999, "bob@example.org", ALLOW, NOW)


async def test_an_accounts_rows_go_with_it(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    spam = backend.spam
    await spam.train(account.id, "a" * 64, SPAM, ["cheap"], ["x@spam.example"], NOW)
    await spam.record_correspondents(account.id, ["bob@example.org"], NOW)
    await spam.set_list_entry(account.id, "@spam.example", BLOCK, NOW)
    await backend.directory.remove_account("alice@example.test")
    again, _ = await make_account(backend, "alice2@example.test")
    for account_id in (account.id, again.id):
        assert await spam.classifier_counts(account_id, ["cheap"]) == ClassifierCounts(0, 0, {})
        assert await spam.known_correspondents(account_id, ["bob@example.org"]) == set()
        assert await spam.list_entries(account_id) == []
    # Reputation is server-wide: it stays.
    assert (await spam.sender_reputation(["x@spam.example"]))["x@spam.example"].spam == 1


async def test_scoring_inputs_answer_every_question_in_one_read(backend: Backend) -> None:
    """The combined read gives what the single lookups give, per account, and empty
    answers for an account that does not exist."""
    alice, _ = await make_account(backend, "alice@example.test")
    bob, _ = await make_account(backend, "bob@example.test")
    spam = backend.spam
    await spam.train(alice.id, "a" * 64, SPAM, ["cheap", "pills"], ["x@spam.example"], NOW)
    await spam.train(bob.id, "b" * 64, HAM, ["cheap", "meeting"], [], NOW)
    await spam.record_correspondents(bob.id, ["x@spam.example"], NOW)
    await spam.set_list_entry(alice.id, "@spam.example", BLOCK, NOW)
    await spam.set_list_entry(alice.id, "x@spam.example", ALLOW, NOW)
    await spam.record_senders({"x@spam.example": 2}, NOW)
    tokens = ["cheap", "pills", "meeting", "cheap"]
    entries = ["x@spam.example", "@spam.example", "@other.example"]
    queries = [
        AccountScoringQuery(account_id, tokens, ["x@spam.example"], entries)
        for account_id in (alice.id, bob.id, 999_999)
    ]
    found = await spam.scoring_inputs(["x@spam.example", "@unknown.example"], queries)
    assert found.reputations == await spam.sender_reputation(["x@spam.example"])
    assert set(found.accounts) == {alice.id, bob.id, 999_999}
    for account_id in (alice.id, bob.id):
        answers = found.accounts[account_id]
        assert answers.counts == await spam.classifier_counts(account_id, tokens)
        assert answers.known_correspondents == await spam.known_correspondents(
            account_id, ["x@spam.example"]
        )
        assert answers.list_matches == await spam.matching_list_entries(account_id, entries)
    assert found.accounts[alice.id].counts.tokens == {"cheap": (1, 0), "pills": (1, 0)}
    assert [entry.kind for entry in found.accounts[alice.id].list_matches] == [ALLOW, BLOCK]
    assert found.accounts[bob.id].known_correspondents == {"x@spam.example"}
    assert found.accounts[999_999] == AccountScoringInputs(ClassifierCounts(0, 0, {}), set(), [])
    empty = await spam.scoring_inputs([], [])
    assert (empty.reputations, empty.accounts) == ({}, {})
