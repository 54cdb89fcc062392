"""Key-record lookups ahead of dkimpy: names, outcomes, and the dnsfunc that answers from them."""

from __future__ import annotations

import asyncio
import time

import pytest

from courriel.dns.resolver import DnsError
from courriel.dns.static import StaticResolver
from courriel.mailauth.dkimdns import (
    KeyLookup,
    PrefetchedKeys,
    fetch_key_records,
    is_key_record,
    key_record_name,
)

KEY = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="


def test_key_record_names() -> None:
    assert key_record_name("Sel", "Example.COM.") == "sel._domainkey.example.com"
    assert key_record_name("s1", "bücher.example") == "s1._domainkey.xn--bcher-kva.example"
    with pytest.raises(ValueError, match="not a domain name"):
        key_record_name("s", "a..b\u00e9")


@pytest.mark.parametrize(
    ("record", "is_key"),
    [
        (KEY, True),
        ("k=rsa; p=", True),  # a revoked key is still a key record
        ("p=abc", True),
        ("v=DKIM2; p=abc", False),
        ("v=spf1 -all", False),
        ("google-site-verification=abc", False),
        ("", False),
    ],
)
def test_is_key_record(record: str, is_key: bool) -> None:
    assert is_key_record(record) is is_key


def test_outcomes_of_lookups() -> None:
    resolver = StaticResolver(
        {
            "a._domainkey.example.test": {"TXT": ["v=spf1 -all", KEY]},
            "b._domainkey.example.test": {"A": ["192.0.2.1"]},
            "c._domainkey.example.test": {"TEMPFAIL": []},
        }
    )
    names = [f"{s}._domainkey.example.test" for s in "abcd"]
    lookups = asyncio.run(fetch_key_records([*names, names[0]], resolver))
    assert sorted(lookups) == names
    assert lookups[names[0]].records == ("v=spf1 -all", KEY)
    assert lookups[names[0]].key_record() == KEY
    assert [lookups[name].failure for name in names] == [None, "missing", "temporary", "missing"]
    assert len(resolver.queries) == 4  # the repeated name was asked once


def test_any_dns_error_is_a_failure_never_an_exception() -> None:
    class BrokenResolver(StaticResolver):
        async def txt(self, name: str) -> list[str]:
            raise DnsError("resolver confused")

    lookups = asyncio.run(fetch_key_records(["s._domainkey.example.test"], BrokenResolver({})))
    assert lookups["s._domainkey.example.test"].failure == "temporary"


def test_lookups_run_concurrently_within_the_timeout() -> None:
    class SlowResolver(StaticResolver):
        async def txt(self, name: str) -> list[str]:
            await asyncio.sleep(10 if name.startswith("slow") else 0.2)
            return [KEY]

    names = ["slow._domainkey.example.test"] + [f"s{n}._domainkey.example.test" for n in range(8)]
    started = time.monotonic()
    lookups = asyncio.run(fetch_key_records(names, SlowResolver({}), timeout=0.5))
    assert time.monotonic() - started < 1.5
    assert lookups[names[0]].failure == "temporary"
    assert all(lookups[name].key_record() == KEY for name in names[1:])


def test_prefetched_keys_answer_dkimpy_and_record_surprises() -> None:
    lookups = {
        "s._domainkey.example.test": KeyLookup("s._domainkey.example.test", (KEY,)),
        "gone._domainkey.example.test": KeyLookup(
            "gone._domainkey.example.test", failure="missing"
        ),
        "busy._domainkey.example.test": KeyLookup(
            "busy._domainkey.example.test", failure="temporary"
        ),
    }
    dns = PrefetchedKeys(lookups)
    assert dns(b"s._domainkey.Example.Test.", timeout=5) == KEY.encode()
    assert dns(b"gone._domainkey.example.test.") is None
    assert dns.temporary_failures == []
    assert dns(b"busy._domainkey.example.test.") is None
    assert dns(b"never-fetched._domainkey.example.test.") is None
    assert dns.temporary_failures == [
        "busy._domainkey.example.test",
        "never-fetched._domainkey.example.test",
    ]
