"""Setting up a test scenario from text: config overrides and ``setup:`` lines, shared by
the transcript runners of every protocol.

``setup:`` lines (a ``example.test`` domain always exists)::

    account alice@example.test password=correct horse battery
    alias team@example.test alice@example.test bob@example.test
    quota alice@example.test 100
    disable alice@example.test
    domain other.test
    message alice@example.test                        (a small message in INBOX)
    message alice@example.test Subject: hi\\r\\n\\r\\nHello\\r\\n   (these bytes, escapes decoded)
    dns example.org TXT v=spf1 -all                   (a record for the static resolver)

``config:`` lines are ``section.key=value`` (true/false and integers typed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from courriel.config import Config
from courriel.dns import StaticResolver
from courriel.runtime.services import Services

DEFAULT_MESSAGE = b"Subject: already here\r\n\r\nfilling the mailbox\r\n"


def _typed(value: str) -> object:
    if value in ("true", "false"):
        return value == "true"
    return int(value) if value.isdigit() else value


def configure(overrides: Mapping[str, str]) -> Callable[[Config], Config]:
    """A config changer: hostname ``mail.example.test`` plus the given overrides."""

    def apply(config: Config) -> Config:
        config = dataclasses.replace(
            config, server=dataclasses.replace(config.server, hostname="mail.example.test")
        )
        for key, value in overrides.items():
            section, name = key.split(".")
            settings = dataclasses.replace(getattr(config, section), **{name: _typed(value)})
            config = dataclasses.replace(config, **{section: settings})
        return config

    return apply


def unescape(text: str) -> bytes:
    return text.encode().decode("unicode_escape").encode("latin-1")


async def run_setup(services: Services, lines: list[str]) -> None:
    """Create the scenario's domains, accounts, aliases and messages."""
    await services.directory.add_domain("example.test", dkim=False)
    for line in lines:
        kind, _, rest = line.partition(" ")
        if kind == "account":
            address, _, password = rest.partition(" password=")
            await services.directory.add_account(address, password or None)
        elif kind == "alias":
            source, *targets = rest.split()
            await services.directory.add_alias(source, targets)
        elif kind == "quota":
            address, size = rest.split()
            await services.directory.set_quota(address, int(size))
        elif kind == "disable":
            await services.directory.set_disabled(rest.strip(), True)
        elif kind == "domain":
            await services.directory.add_domain(rest.strip(), dkim=False)
        elif kind == "dns":
            name, kind_of_record, value = rest.split(" ", 2)
            resolver = services.resolver
            assert isinstance(resolver, StaticResolver), "dns setup needs dns.resolver=static"
            records = resolver.zones.setdefault(name.strip().rstrip(".").lower(), {})
            records.setdefault(kind_of_record.upper(), []).append(value)
        elif kind == "message":
            address, _, raw = rest.partition(" ")
            account = await services.directory.get_account(address)
            inbox = await services.mailstore.get_mailbox(account.id, "INBOX")
            content = unescape(raw) if raw else DEFAULT_MESSAGE
            await services.mailstore.append(account.id, inbox.id, [(content, (), None)])
        else:
            raise ValueError(f"unknown setup {line!r}")
    services.directory.forget_resolutions()
