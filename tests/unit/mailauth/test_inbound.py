"""All inbound checks together (``mailauth.inbound``): results, header fields, the action,
bounded time and contained failures, and the trusted-ARC override, over StaticResolver."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

import authres  # type: ignore[import-untyped]
import pytest

from courriel.config.schema import MailauthSettings
from courriel.dns import MxRecord, StaticResolver
from courriel.mail.headers import find_header_end, split_header_fields
from courriel.mailauth.arc import seal_arc, verify_arc
from courriel.mailauth.dkimkeys import DkimKeySet, generate_dkim_keys
from courriel.mailauth.dkimsign import sign_dkim
from courriel.mailauth.inbound import InboundVerdict, authenticate, newest_arc_sealer

HOST = "mx.receiver.test"
CLIENT = "192.0.2.10"
SETTINGS = MailauthSettings()

AUTHOR, LIST = "author.example", "lists.example.org"
LIST_IP = "198.51.100.25"

ZONES: dict[str, dict[str, list[str]]] = {
    "sender.example": {"TXT": [f"v=spf1 ip4:{CLIENT} -all"]},
    "_dmarc.sender.example": {"TXT": ["v=DMARC1; p=reject"]},
    "forged.example": {"TXT": ["v=spf1 -all"]},
    "_dmarc.forged.example": {"TXT": ["v=DMARC1; p=reject"]},
    "junk.example": {"TXT": ["v=spf1 -all"]},
    "_dmarc.junk.example": {"TXT": ["v=DMARC1; p=quarantine"]},
    "down.example": {"TEMPFAIL": []},
    "_dmarc.down.example": {"TXT": ["v=DMARC1; p=reject"]},
    CLIENT: {"PTR": ["out.sender.example"]},
    "out.sender.example": {"A": [CLIENT]},
}


@pytest.fixture(scope="module")
def keys() -> dict[str, DkimKeySet]:
    return {domain: generate_dkim_keys("k") for domain in (AUTHOR, LIST)}


def message(author: str) -> bytes:
    return (
        f"From: Someone <someone@{author}>\r\nTo: bob@receiver.test\r\n"
        "Subject: hello\r\nMessage-ID: <1@x>\r\n\r\nHello Bob.\r\n"
    ).encode()


async def check(
    raw: bytes,
    mail_from: str,
    resolver: object = None,
    settings: MailauthSettings = SETTINGS,
    client_ip: str = CLIENT,
) -> InboundVerdict:
    return await authenticate(
        raw,
        client_ip=client_ip,
        helo="out.sender.example",
        mail_from=mail_from,
        resolver=resolver or StaticResolver(ZONES),  # type: ignore[arg-type]
        authserv_id=HOST,
        settings=settings,
        sample=lambda: 0.0,
    )


def fields(header: bytes) -> list[tuple[str, bytes]]:
    end, _ = find_header_end(header + b"\r\n")
    return [(f.name, f.unfolded) for f in split_header_fields(header, 0, end)]


async def test_passing_mail_gets_one_authentication_results_and_received_spf() -> None:
    verdict = await check(message("sender.example"), "news@sender.example")
    assert verdict.action == "deliver"
    assert verdict.summary() == "spf=pass dkim=none dmarc=pass arc=none iprev=pass"
    assert verdict.dmarc.disposition == "none"
    [(name, value), (spf_name, spf_value)] = fields(verdict.header)
    assert (name, spf_name) == ("Authentication-Results", "Received-SPF")
    parsed = authres.AuthenticationResultsHeader.parse(f"{name}: {value.decode()}")
    assert parsed.authserv_id == HOST
    assert [(r.method, r.result) for r in parsed.results] == [
        ("spf", "pass"),
        ("dkim", "none"),
        ("dmarc", "pass"),
        ("arc", "none"),
        ("iprev", "pass"),
    ]
    assert b"header.from=sender.example" in value
    assert b"smtp.mailfrom=news@sender.example" in value
    assert spf_value.startswith(b"pass (mx.receiver.test: domain of news@sender.example")
    assert verdict.header.endswith(b"\r\n")


@pytest.mark.parametrize(
    ("dmarc_reject", "action"),
    [("reject", "reject"), ("quarantine", "junk"), ("none", "deliver")],
)
async def test_reject_policy_failure_follows_the_setting(dmarc_reject: str, action: str) -> None:
    settings = MailauthSettings(dmarc_reject=dmarc_reject)  # type: ignore[arg-type]
    verdict = await check(message("forged.example"), "ceo@forged.example", settings=settings)
    assert verdict.action == action
    assert verdict.dmarc.disposition == "reject"
    assert verdict.dmarc.domain == "forged.example"
    dmarc = verdict.result("dmarc")
    assert dmarc is not None and dmarc.result == "fail"
    assert verdict.result("spf") is not None and verdict.result("spf").result == "fail"  # type: ignore[union-attr]


async def test_quarantine_policy_failure_goes_to_junk() -> None:
    verdict = await check(message("junk.example"), "x@junk.example")
    assert (verdict.action, verdict.dmarc.disposition) == ("junk", "quarantine")


async def test_dns_trouble_is_temperror_and_delivered() -> None:
    verdict = await check(message("down.example"), "x@down.example")
    assert verdict.action == "deliver"
    assert verdict.result("spf").result == "temperror"  # type: ignore[union-attr]
    assert verdict.result("dmarc").result == "temperror"  # type: ignore[union-attr]
    assert b"spf=temperror" in verdict.header and b"dmarc=temperror" in verdict.header


class HangingResolver:
    """Answers nothing, ever: every check must give up on its own."""

    async def _hang(self, name: str) -> list[str]:
        await asyncio.Event().wait()
        raise AssertionError(name)

    async def mx(self, domain: str) -> list[MxRecord]:
        await asyncio.Event().wait()
        return []

    a = aaaa = txt = ptr = _hang


class BrokenResolver(StaticResolver):
    """A resolver with a bug: raises what no check expects."""

    def _records(self, name: str, kind: str) -> list[str]:
        raise RuntimeError(f"resolver bug looking up {kind} {name}")


async def test_each_check_is_bounded_in_time(
    caplog: pytest.LogCaptureFixture, keys: dict[str, DkimKeySet]
) -> None:
    settings = MailauthSettings(timeout=1.0)
    original = message(AUTHOR)
    signed = sign_dkim(original, AUTHOR, [keys[AUTHOR].rsa]) + original
    verdict = await asyncio.wait_for(
        check(signed, f"a@{AUTHOR}", HangingResolver(), settings), timeout=30
    )
    assert verdict.action == "deliver"
    assert verdict.summary() == (
        "spf=temperror dkim=temperror dmarc=temperror arc=none iprev=temperror"
    )
    assert "timed out" in caplog.text


async def test_a_failing_check_is_temperror_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="courriel.mailauth"):
        verdict = await check(message("sender.example"), "a@sender.example", BrokenResolver({}))
    assert verdict.action == "deliver"
    assert verdict.result("iprev").result == "temperror"  # type: ignore[union-attr]
    assert verdict.result("dmarc").result == "temperror"  # type: ignore[union-attr]
    assert "iprev check failed" in caplog.text
    assert "resolver bug" in caplog.text


class PtrFirstResolver(StaticResolver):
    """Answers TXT queries only once the client's PTR has been asked, and remembers the
    task that asked each query: SPF can finish only if iprev runs beside it."""

    def __init__(self, zones: Mapping[str, Mapping[str, Sequence[str]]]) -> None:
        super().__init__(zones)
        self.ptr_asked = asyncio.Event()
        self.tasks: dict[str, asyncio.Task[object] | None] = {}

    async def txt(self, name: str) -> list[str]:
        self.tasks[f"TXT {name}"] = asyncio.current_task()
        await self.ptr_asked.wait()
        return await super().txt(name)

    async def ptr(self, ip: str) -> list[str]:
        self.tasks[f"PTR {ip}"] = asyncio.current_task()
        self.ptr_asked.set()
        return await super().ptr(ip)


async def test_iprev_runs_beside_spf_while_spf_waits_for_dns() -> None:
    resolver = PtrFirstResolver(ZONES)
    settings = MailauthSettings(timeout=2.0)
    verdict = await asyncio.wait_for(
        check(message("sender.example"), "news@sender.example", resolver, settings), timeout=30
    )
    assert verdict.summary() == "spf=pass dkim=none dmarc=pass arc=none iprev=pass"
    assert resolver.tasks[f"PTR {CLIENT}"] is not asyncio.current_task()


async def test_checks_answered_at_once_need_no_task_of_their_own() -> None:
    resolver = PtrFirstResolver(ZONES)
    resolver.ptr_asked.set()  # nothing waits: every answer is at hand
    verdict = await check(message("sender.example"), "news@sender.example", resolver)
    assert verdict.summary() == "spf=pass dkim=none dmarc=pass arc=none iprev=pass"
    assert set(resolver.tasks.values()) == {asyncio.current_task()}


# -- ARC: a mailing list that breaks DKIM, and the trusted-sealer override ---------------------


@pytest.fixture(scope="module")
def arc_zones(keys: Mapping[str, DkimKeySet]) -> dict[str, dict[str, list[str]]]:
    zones = {
        key.record_name(domain): {"TXT": ["".join(key.txt_strings())]}
        for domain, pair in keys.items()
        for key in pair
    }
    zones[f"_dmarc.{AUTHOR}"] = {"TXT": ["v=DMARC1; p=reject"]}
    zones[LIST] = {"TXT": [f"v=spf1 ip4:{LIST_IP} -all"]}
    return zones


def through_list(keys: Mapping[str, DkimKeySet], resolver: StaticResolver) -> bytes:
    original = message(AUTHOR)
    signed = sign_dkim(original, AUTHOR, list(keys[AUTHOR])) + original
    chain = asyncio.run(verify_arc(signed, resolver))
    modified = signed.replace(b"Subject: hello", b"Subject: [list] hello") + b"-- \r\nfooter\r\n"
    results = f"{LIST}; dkim=pass header.d={AUTHOR}; spf=pass smtp.mailfrom={AUTHOR}"
    return seal_arc(modified, LIST, keys[LIST].rsa, results, chain) + modified


async def listed(
    keys: Mapping[str, DkimKeySet], zones: Sequence[object], trusted: tuple[str, ...]
) -> InboundVerdict:
    resolver = StaticResolver(zones)  # type: ignore[arg-type]
    relayed = await asyncio.to_thread(through_list, keys, resolver)
    assert newest_arc_sealer(relayed) == LIST
    settings = MailauthSettings(trusted_arc_sealers=trusted)
    return await check(relayed, f"bounces@{LIST}", resolver, settings, client_ip=LIST_IP)


async def test_list_mail_fails_dmarc_without_a_trusted_sealer(
    keys: dict[str, DkimKeySet], arc_zones: dict[str, dict[str, list[str]]]
) -> None:
    verdict = await listed(keys, arc_zones, ())  # type: ignore[arg-type]
    assert verdict.summary().startswith("spf=pass dkim=fail dkim=fail dmarc=fail arc=pass")
    assert verdict.action == "reject"


async def test_trusted_sealer_overrides_the_reject(
    keys: dict[str, DkimKeySet], arc_zones: dict[str, dict[str, list[str]]]
) -> None:
    verdict = await listed(keys, arc_zones, ("Lists.Example.org",))  # type: ignore[arg-type]
    assert verdict.action == "deliver"
    assert verdict.dmarc.override == f"arc=pass sealed by trusted {LIST}"
    assert b"dmarc=fail" in verdict.header
    assert b"local policy override" in verdict.header


def test_newest_arc_sealer() -> None:
    raw = (
        b"ARC-Seal: i=1; cv=none; a=rsa-sha256; d=first.example; s=s; b=x\r\n"
        b"ARC-Seal: i=2; cv=pass; a=rsa-sha256;\r\n d=second.example; s=s; b=y\r\n"
        b"ARC-Seal: i=x; d=bogus.example\r\n"
        b"Subject: t\r\n\r\nbody\r\n"
    )
    assert newest_arc_sealer(raw) == "second.example"
    assert newest_arc_sealer(b"Subject: none\r\n\r\n") is None
