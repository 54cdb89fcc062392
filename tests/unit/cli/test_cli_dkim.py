"""``courriel dkim show|rotate|activate|remove`` on a real data directory; the records it prints
are the ones that verify the signatures made with the stored keys, and a rotation moves the
signing from the old pair to the new one only when told to."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from courriel.cli import main
from courriel.config import load_config
from courriel.dns.static import StaticResolver
from courriel.mailauth.dkim import verify_dkim
from courriel.mailauth.dkimsign import sign_dkim, signing_keys
from courriel.runtime.services import open_services

MESSAGE = (
    b"From: Alice <alice@example.test>\r\n"
    b"To: bob@example.org\r\n"
    b"Subject: Keys\r\n"
    b"Date: Sat, 22 Nov 2025 10:00:00 +0000\r\n"
    b"Message-ID: <keys@example.test>\r\n"
    b"\r\n"
    b"Signed with whatever the store holds.\r\n"
)
ZONE_LINE = re.compile(r'^(\S+)\._domainkey\.example\.test\. IN TXT ((?:"[^"]*" ?)+)$')


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    directory = str(tmp_path / "data")
    status, out, _ = run(capsys, "init", "example.test", "--dev", "--data", directory)
    assert status == 0, out
    return directory


def shown(capsys: pytest.CaptureFixture[str], data: str) -> dict[str, str]:
    """``dkim show``'s zone lines, as selector → TXT value (the strings joined)."""
    status, out, err = run(capsys, "dkim", "show", "example.test", "--data", data)
    assert status == 0, err
    records = {}
    for line in out.splitlines():
        if line.startswith(";"):  # a master-file comment naming the pair and its state
            continue
        match = ZONE_LINE.match(line)
        assert match is not None, line
        strings = re.findall(r'"([^"]*)"', match.group(2))
        assert all(len(chunk) <= 255 for chunk in strings)  # RFC 1035 §3.3.14
        records[match.group(1)] = "".join(strings)
    return records


def sign_and_verify(data: str, records: dict[str, str]) -> list[str]:
    """Sign with the store's keys, verify against the printed records."""

    async def work() -> list[str]:
        services = open_services(load_config(Path(data) / "courriel.toml"), parse_workers=0)
        try:
            keys = signing_keys(await services.directory.dkim_keys("example.test"))
        finally:
            await services.aclose()
        zones = {
            f"{selector}._domainkey.example.test": {"TXT": [record]}
            for selector, record in records.items()
        }
        signed = sign_dkim(MESSAGE, "example.test", keys) + MESSAGE
        return [result.result for result in await verify_dkim(signed, StaticResolver(zones))]

    return asyncio.run(work())


def test_show_prints_one_record_per_selector_and_they_verify(
    data: str, capsys: pytest.CaptureFixture[str]
) -> None:
    records = shown(capsys, data)
    assert len(records) == 2
    rsa = next(selector for selector in records if selector.endswith("-rsa"))
    ed25519 = next(selector for selector in records if selector.endswith("-ed25519"))
    assert records[rsa].startswith("v=DKIM1; k=rsa; p=")
    assert records[ed25519].startswith("v=DKIM1; k=ed25519; p=")
    assert sign_and_verify(data, records) == ["pass", "pass"]


def test_rotation_signs_with_the_new_pair_only_once_activated(
    data: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = shown(capsys, data)
    status, out, err = run(capsys, "dkim", "rotate", "Example.Test", "--data", data)
    assert status == 0, err
    assert "publish:" in out and "(pending)" in out and "courriel dkim activate" in out
    after = shown(capsys, data)
    assert len(after) == 4 and set(before) < set(after)
    new = sorted(set(after) - set(before))
    assert all(selector in out for selector in new)
    base = new[0].rsplit("-", 1)[0]
    show = run(capsys, "dkim", "show", "example.test", "--data", data)[1]
    assert f"; {base}: pending" in show and "active" in show
    # Pending: the old pair alone signs, and verifies with only the old records published.
    assert sign_and_verify(data, before) == ["pass", "pass"]

    status, out, err = run(capsys, "dkim", "activate", "example.test", new[0], "--data", data)
    assert status == 0, err
    assert f"signs with {base}-rsa, {base}-ed25519" in out and "retired:" in out
    # Active: the new pair alone signs; the new records verify it, the old ones cannot.
    new_records = {selector: after[selector] for selector in new}
    assert sign_and_verify(data, new_records) == ["pass", "pass"]
    assert sign_and_verify(data, before) == ["permerror", "permerror"]
    show = run(capsys, "dkim", "show", "example.test", "--data", data)[1]
    assert f"; {base}: active" in show and ": retired" in show

    # A second rotation the same month gets fresh selectors, never reused names.
    assert run(capsys, "dkim", "rotate", "example.test", "--data", data)[0] == 0
    assert len(shown(capsys, data)) == 6

    old_base = next(iter(before)).rsplit("-", 1)[0]
    status, out, err = run(capsys, "dkim", "remove", "example.test", old_base, "--data", data)
    assert status == 0, err
    assert all(f"removed DKIM selector {selector}" in out for selector in before)
    remaining = shown(capsys, data)
    assert set(remaining).isdisjoint(before) and len(remaining) == 4
    assert sign_and_verify(data, new_records) == ["pass", "pass"]


def test_remove_refuses_the_last_active_key_of_an_algorithm(
    data: str, capsys: pytest.CaptureFixture[str]
) -> None:
    records = shown(capsys, data)
    rsa = next(selector for selector in records if selector.endswith("-rsa"))
    status, _, err = run(capsys, "dkim", "remove", "example.test", rsa, "--data", data)
    assert status == 1
    assert "last active rsa key" in err and "courriel dkim rotate example.test" in err
    assert shown(capsys, data) == records
    # A pending pair can go (never published); the active one still cannot.
    assert run(capsys, "dkim", "rotate", "example.test", "--data", data)[0] == 0
    pending = sorted(set(shown(capsys, data)) - set(records))
    status, _, err = run(capsys, "dkim", "remove", "example.test", pending[0], "--data", data)
    assert status == 0, err
    assert run(capsys, "dkim", "activate", "example.test", "nope", "--data", data)[0] == 1


def test_errors_name_the_problem(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "dkim", "remove", "example.test", "nope", "--data", data)
    assert (status, err.strip()) == (1, "courriel: example.test has no DKIM selector nope")
    status, _, err = run(capsys, "dkim", "show", "other.test", "--data", data)
    assert (status, err.strip()) == (1, "courriel: other.test is not a domain served here")
    status, _, err = run(capsys, "dkim", "show", "not a domain", "--data", data)
    assert status == 1 and "not a valid domain name" in err
    assert "Traceback" not in err


def test_show_without_keys_says_how_to_make_them(
    data: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def add_bare_domain() -> None:
        services = open_services(load_config(Path(data) / "courriel.toml"), parse_workers=0)
        try:
            await services.directory.add_domain("bare.test", dkim=False)
        finally:
            await services.aclose()

    asyncio.run(add_bare_domain())
    status, _, err = run(capsys, "dkim", "show", "bare.test", "--data", data)
    assert status == 1 and "courriel dkim rotate bare.test" in err
    assert run(capsys, "dkim", "rotate", "bare.test", "--data", data)[0] == 0
    status, out, _ = run(capsys, "dkim", "show", "bare.test", "--data", data)
    assert status == 0 and out.count("._domainkey.bare.test. IN TXT") == 2


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["dkim"],
        ["dkim", "show"],
        ["dkim", "rotate"],
        ["dkim", "activate"],
        ["dkim", "remove"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main([*argv, "--help"])
        assert exit_info.value.code == 0
        assert "usage: courriel dkim" in capsys.readouterr().out
