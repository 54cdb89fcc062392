"""The housekeeping run of spam training: ``Server.train_spam`` trains on the pending Junk
moves and consumes them, and a failure is logged without escaping (the loop goes on)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from courriel.net import make_self_signed
from courriel.runtime.server import Server
from courriel.runtime.services import Services
from support.services import temporary_services


async def _moved_into_junk(services: Services) -> int:
    """Bob files two messages from INBOX into Junk: two pending reports."""
    await services.directory.add_domain("example.test", dkim=False)
    bob = (await services.directory.add_account("bob@example.test", None)).id
    inbox = await services.mailstore.get_mailbox(bob, "INBOX")
    junk = await services.mailstore.get_mailbox(bob, "Junk")
    assert inbox is not None and junk is not None
    raws = [
        f"From: <deals@offers.example>\r\nSubject: offer {n}\r\n\r\nCheap pills {n}\r\n".encode()
        for n in range(2)
    ]
    await services.mailstore.append(bob, inbox.id, [(raw, [], None) for raw in raws])
    await services.mailstore.move(bob, inbox.id, [1, 2], junk.id)
    return bob


def _server(services: Services) -> Server:
    """A server around ``services`` with no listeners (its TLS certificate must exist)."""
    tls = services.config.tls
    tls.certificate.parent.mkdir(parents=True, exist_ok=True)
    make_self_signed("mail.example.test", tls.certificate, tls.key)
    return Server(services.config, services=services, factories={})


async def test_train_spam_consumes_the_junk_moves(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        await _moved_into_junk(services)
        assert len(await services.mailstore.pending_spam_feedback()) == 2
        server = _server(services)
        summary = await server.train_spam()
        assert summary is not None and summary.trained == 2
        assert await services.mailstore.pending_spam_feedback() == []
        summary = await server.train_spam()
        assert summary is not None and summary.reports == 0


async def test_a_training_failure_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with temporary_services(tmp_path) as services:
        await _moved_into_junk(services)
        server = _server(services)

        async def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("store unavailable")

        services.spam.repo.train = broken  # type: ignore[assignment,method-assign]
        with caplog.at_level(logging.ERROR, logger="courriel.runtime"):
            assert await server.train_spam() is None
        assert "spam training failed" in caplog.text
        # Nothing consumed: the reports wait for the next run.
        assert len(await services.mailstore.pending_spam_feedback()) == 2
