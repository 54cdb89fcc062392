#!/usr/bin/env python3
"""Server time of the webmail's inbox page with 100,000 messages (issue 8's target: p50
under 50 ms), against a 10-message inbox.

Sets up an instance with ``courriel_instance.setup`` (two accounts), fills ``user1``'s INBOX
with ``--count`` messages and ``user2``'s with ``--small`` through ``fill_maildrop.fill``
(``MailStore.append``, not SMTP), unless ``--reuse`` says the data is already there. Then
opens the store the way ``courriel serve`` does, builds the same Starlette app and drives
it **in-process** (httpx over ASGI: no TLS, no socket; the time is the app's, from request
to the whole body, plus httpx's small ASGI overhead), logged in through the real login
form. For each inbox, interleaved round by round, it times:

- the first page of the list (``/mail/{inbox}/``);
- a middle page: the paging link's ``?before=UID`` (the link the first page carries is
  checked, then the UID in the middle of the mailbox is used, as ~1,000 clicks would);
- one message page (the same message each round: read once before timing, so no round
  pays the ``\\Seen`` write), and its body (the sanitised HTML of the sandboxed frame).

    .venv/bin/python bench/web_inbox.py /tmp/webbench/courriel --count 100000
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from pathlib import Path

import httpx

from courriel.config import load_config
from courriel.runtime.services import open_services
from courriel.storage.query import MatchAll
from courriel.web.app import create_app

sys.path.insert(0, str(Path(__file__).resolve().parent))
import courriel_instance
import fill_maildrop

PASSWORD = "secret-secret"
BIG, SMALL = "user1@example.test", "user2@example.test"
_LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')
_OLDER = re.compile(r'href="[^"]*\?before=(\d+)"')


async def login(client: httpx.AsyncClient, address: str) -> None:
    form = await client.get("/login")
    token = _LOGIN_TOKEN.search(form.text)
    assert token is not None, form.text
    answer = await client.post(
        "/login",
        data={"login_token": token.group(1), "address": address, "password": PASSWORD},
    )
    assert answer.status_code == 303, answer.text


async def timed(client: httpx.AsyncClient, path: str) -> float:
    started = time.perf_counter()
    answer = await client.get(path)
    elapsed = time.perf_counter() - started
    assert answer.status_code == 200, (path, answer.status_code)
    return elapsed * 1000


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return f"p50 {statistics.median(ordered):6.1f} ms  p90 {p90:6.1f} ms  (n={len(ordered)})"


async def measure(data: Path, requests: int) -> None:
    config = load_config(data / "courriel.toml")
    services = open_services(config, parse_workers=0)
    try:
        app = create_app(
            mailstore=services.mailstore,
            auth=services.auth,
            sessions=services.web_sessions,
            bus=services.bus,
            clock=services.clock,
            page_size=config.web.page_size,
        )
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        pages: dict[str, dict[str, str]] = {}
        clients: dict[str, httpx.AsyncClient] = {}
        for name, address in (("100k", BIG), ("10", SMALL)):
            client = httpx.AsyncClient(transport=transport, base_url="https://localhost")
            await login(client, address)
            account = await services.directory.get_account(address)
            assert account is not None
            inbox = await services.mailstore.get_mailbox(account.id, "INBOX")
            uids = await services.mailstore.search(inbox.id, MatchAll())
            first = await client.get(f"/mail/{inbox.id}/")
            link = _OLDER.search(first.text)
            middle_uid = sorted(uids)[len(uids) // 2]
            if link is None:
                assert len(uids) <= config.web.page_size, "no paging link on a long list"
            message = f"/mail/{inbox.id}/{middle_uid}"
            await client.get(message)  # marks it \\Seen once, before timing
            pages[name] = {
                "first page": f"/mail/{inbox.id}/",
                "middle page": f"/mail/{inbox.id}/?before={middle_uid}",
                "message page": message,
                "message body": f"{message}/body",
            }
            print(f"{address}: INBOX holds {inbox.message_count} messages", flush=True)
            clients[name] = client
        times: dict[tuple[str, str], list[float]] = {}
        for round_number in range(requests + 3):
            for name, paths in pages.items():
                for kind, path in paths.items():
                    elapsed = await timed(clients[name], path)
                    if round_number >= 3:  # the first rounds warm caches up
                        times.setdefault((name, kind), []).append(elapsed)
        for (name, kind), values in times.items():
            print(f"inbox of {name:>4} messages, {kind:<13}: {summary(values)}")
        for client in clients.values():
            await client.aclose()
    finally:
        await services.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--reuse", action="store_true", help="the data is already filled")
    args = parser.parse_args()
    if not args.reuse:
        courriel_instance.setup(args.data, 2, PASSWORD)
        asyncio.run(fill_maildrop.fill(args.data, BIG, args.count, 500, 5000))
        asyncio.run(fill_maildrop.fill(args.data, SMALL, args.small, 500, 5000))
    asyncio.run(measure(args.data, args.requests))


if __name__ == "__main__":
    main()
