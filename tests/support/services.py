"""Real ``Services`` on a temporary embedded store, for tests of the domain services."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from courriel.config import Config
from courriel.config.load import default_config
from courriel.core.clock import Clock
from courriel.directory.passwords import FAST_TEST_PARAMETERS, PasswordHasher
from courriel.runtime.services import Services, open_services


@asynccontextmanager
async def temporary_services(
    data_dir: Path,
    parse_workers: int = 0,
    *,
    clock: Clock | None = None,
    configure: Callable[[Config], Config] | None = None,
) -> AsyncIterator[Services]:
    """Services over a store in ``data_dir`` (created if new), with cheap password hashing;
    ``configure`` may change the default config. DNS is the static resolver (no test needs
    the internet); ``services.resolver.zones`` can be filled by the test."""
    config = default_config(data_dir)
    config = dataclasses.replace(config, dns=dataclasses.replace(config.dns, resolver="static"))
    if configure is not None:
        config = configure(config)
    services = open_services(
        config,
        hasher=PasswordHasher(FAST_TEST_PARAMETERS),
        parse_workers=parse_workers,
        clock=clock,
    )
    try:
        yield services
    finally:
        await services.aclose()


async def account_messages(services: Services, address: str) -> list[tuple[str, bytes, int]]:
    """Every message of the account ``address`` as ``(mailbox name, bytes, flags)``,
    mailbox by mailbox in UID order, read through the mail store."""
    account = await services.directory.get_account(address)
    found = []
    for mailbox in await services.mailstore.list_mailboxes(account.id):
        _, metas = await services.mailstore.snapshot(mailbox.id)
        records = await services.mailstore.fetch(mailbox.id, [meta.uid for meta in metas])
        for record, meta in zip(records, metas, strict=True):
            found.append((mailbox.name, await services.mailstore.read_message(record), meta.flags))
    return found
