"""Recipient resolution: accounts, aliases with several targets, subaddressing, catch-all."""

from __future__ import annotations

from pathlib import Path

from courriel.directory.resolve import Status
from courriel.runtime.services import Services
from support.services import temporary_services


async def _setup(services: Services) -> None:
    directory = services.directory
    await directory.add_domain("example.test")
    await directory.add_domain("other.test")
    for user in ("alice", "bob", "carol"):
        await directory.add_account(f"{user}@example.test", None)
    await directory.add_account("dave@other.test", None)
    await directory.add_alias("team@example.test", ["alice@example.test", "bob@example.test"])
    await directory.add_alias("all@example.test", ["team@example.test", "carol@example.test"])
    await directory.add_alias("fwd@example.test", ["someone@outside.test", "alice@example.test"])
    await directory.add_alias("loop1@example.test", ["loop2@example.test"])
    await directory.add_alias("loop2@example.test", ["loop1@example.test", "bob@example.test"])


async def _addresses(services: Services, address: str) -> tuple[Status, list[str], list[str]]:
    resolution = await services.directory.resolve(address)
    return (
        resolution.status,
        sorted(account.address for account in resolution.accounts),
        sorted(resolution.external),
    )


async def test_resolution_rules(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        await _setup(services)
        cases = {
            "alice@example.test": (Status.DELIVER, ["alice@example.test"], []),
            "ALICE@Example.Test": (Status.DELIVER, ["alice@example.test"], []),
            "alice+lists@example.test": (Status.DELIVER, ["alice@example.test"], []),
            "team@example.test": (Status.DELIVER, ["alice@example.test", "bob@example.test"], []),
            "team+x@example.test": (Status.DELIVER, ["alice@example.test", "bob@example.test"], []),
            "all@example.test": (
                Status.DELIVER,
                ["alice@example.test", "bob@example.test", "carol@example.test"],
                [],
            ),
            "fwd@example.test": (Status.DELIVER, ["alice@example.test"], ["someone@outside.test"]),
            "loop1@example.test": (Status.DELIVER, ["bob@example.test"], []),
            "nobody@example.test": (Status.UNKNOWN, [], []),
            "dave@other.test": (Status.DELIVER, ["dave@other.test"], []),
            "alice@elsewhere.test": (Status.NOT_OURS, [], []),
            "not an address": (Status.INVALID, [], []),
            "@example.test": (Status.INVALID, [], []),
        }
        for address, expected in cases.items():
            assert await _addresses(services, address) == expected, address


async def test_catch_all_only_when_nothing_else_matches(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        await _setup(services)
        await services.directory.add_alias("@example.test", ["carol@example.test"])
        assert await _addresses(services, "whoever@example.test") == (
            Status.DELIVER,
            ["carol@example.test"],
            [],
        )
        assert await _addresses(services, "alice@example.test") == (
            Status.DELIVER,
            ["alice@example.test"],
            [],
        )
        assert await _addresses(services, "x@other.test") == (Status.UNKNOWN, [], [])


async def test_disabled_accounts_are_skipped_in_aliases(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        await _setup(services)
        await services.directory.set_disabled("bob@example.test", True)
        assert await _addresses(services, "team@example.test") == (
            Status.DELIVER,
            ["alice@example.test"],
            [],
        )
        assert (await services.directory.resolve("bob+x@example.test")).status is Status.DISABLED
