"""``courriel spam allow|block|unallow|unblock|list|train|check`` on a real data directory."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from courriel.cli import main
from courriel.config import load_config
from courriel.runtime.services import open_services
from courriel.spam.rules import GTUBE

MESSAGE = (
    b"From: Deals <deals@offers.example>\r\n"
    b"To: alice@example.test\r\n"
    b"Subject: FANTASTIC OFFERS INSIDE\r\n"
    b"\r\n"
    b"Order now.\r\n"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    directory = str(tmp_path / "data")
    assert run(capsys, "init", "example.test", "--dev", "--data", directory)[0] == 0

    async def add_account() -> None:  # no password: nothing to hash
        services = open_services(load_config(Path(directory) / "courriel.toml"), parse_workers=0)
        try:
            await services.directory.add_account("alice@example.test", None)
        finally:
            await services.aclose()

    asyncio.run(add_account())
    return directory


def test_allow_block_list_and_remove(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "spam", "allow", "alice@example.test", "Bob@Example.ORG", "--data", data
    )
    assert (status, out) == (0, "bob@example.org is on the allow list of alice@example.test\n")
    status, out, _ = run(
        capsys, "spam", "block", "alice@example.test", "@offers.example", "--data", data
    )
    assert (status, out) == (0, "@offers.example is on the block list of alice@example.test\n")

    status, out, _ = run(capsys, "spam", "list", "alice@example.test", "--data", data)
    lines = out.splitlines()
    assert status == 0
    assert lines[0].split() == ["LIST", "ENTRY", "ADDED"]
    assert [line.split()[:2] for line in lines[1:]] == [
        ["allow", "bob@example.org"],
        ["block", "@offers.example"],
    ]

    # Blocking an allowed address moves it.
    run(capsys, "spam", "block", "alice@example.test", "bob@example.org", "--data", data)
    status, out, _ = run(capsys, "spam", "list", "alice@example.test", "--data", data)
    assert [line.split()[:2] for line in out.splitlines()[1:]] == [
        ["block", "@offers.example"],
        ["block", "bob@example.org"],
    ]
    status, out, _ = run(
        capsys, "spam", "unblock", "alice@example.test", "BOB@example.org", "--data", data
    )
    assert (status, out) == (0, "bob@example.org is off the block list of alice@example.test\n")
    status, _, err = run(
        capsys, "spam", "unallow", "alice@example.test", "@offers.example", "--data", data
    )
    assert status == 1
    assert err == "courriel: @offers.example is not on the allow list of alice@example.test\n"
    run(capsys, "spam", "unblock", "alice@example.test", "@offers.example", "--data", data)
    status, out, _ = run(capsys, "spam", "list", "alice@example.test", "--data", data)
    assert out == "alice@example.test has no allow or block list entries\n"


def test_errors(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(
        capsys, "spam", "allow", "alice@example.test", "offers.example", "--data", data
    )
    assert status == 2
    assert "write an address (bob@example.org) or a domain with its @" in err
    status, _, err = run(
        capsys, "spam", "allow", "nobody@example.test", "@x.example", "--data", data
    )
    assert status == 1
    assert "nobody@example.test does not exist" in err
    status, _, err = run(
        capsys, "spam", "check", "alice@example.test", "/nonexistent", "--data", data
    )
    assert (status, err) == (1, "courriel: cannot read /nonexistent: No such file or directory\n")


def test_check_prints_the_fields_and_follows_the_lists(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "message.eml"
    path.write_bytes(MESSAGE)
    status, out, _ = run(capsys, "spam", "check", "alice@example.test", str(path), "--data", data)
    assert status == 0
    assert out.splitlines()[:3] == [
        "X-Spam-Score: 3.0",
        "X-Spam-Status: No, score=3.0, required=5.0",
        "X-Spam-Report: score=3.0, required=5.0, 3 rules fired",
    ]
    assert "MISSING_DATE" in out and "SUBJECT_ALL_CAPS" in out
    assert out.endswith("Action: headers\n")
    run(capsys, "spam", "block", "alice@example.test", "@offers.example", "--data", data)
    status, out, _ = run(capsys, "spam", "check", "alice@example.test", str(path), "--data", data)
    assert "X-Spam-Status: Yes, score=13.0, required=5.0" in out
    unfolded = out.replace("\n\t    ", " ")
    assert "USER_BLOCKLIST the sender is on the recipient's block list: @offers.example" in unfolded
    assert out.endswith("Action: junk\n")
    path.write_bytes(MESSAGE + GTUBE.encode() + b"\r\n")
    status, out, _ = run(capsys, "spam", "check", "alice@example.test", str(path), "--data", data)
    assert out.endswith("Action: reject\n")


def test_train_learns_from_junk_moves(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    async def move_into_junk() -> None:
        services = open_services(load_config(Path(data) / "courriel.toml"), parse_workers=0)
        try:
            account = await services.directory.get_account("alice@example.test")
            inbox = await services.mailstore.get_mailbox(account.id, "INBOX")
            junk = await services.mailstore.get_mailbox(account.id, "Junk")
            assert inbox is not None and junk is not None
            await services.mailstore.append(account.id, inbox.id, [(MESSAGE, [], None)])
            await services.mailstore.move(account.id, inbox.id, [1], junk.id)
        finally:
            await services.aclose()

    asyncio.run(move_into_junk())
    status, out, _ = run(capsys, "spam", "train", "--data", data)
    assert (status, out) == (0, "1 reports: 1 trained, 0 retrained, 0 already known, 0 gone\n")
    status, out, _ = run(capsys, "spam", "train", "--data", data)
    assert out.startswith("0 reports")
