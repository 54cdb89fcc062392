"""The webmail's HTTP server in a real ``courriel serve``: SIGTERM with a server-sent event
stream open stops the process promptly (the stream ends cleanly, well within the 10 s
grace), and the access log in the server's log names the account and never a query."""

from __future__ import annotations

import re
import signal
import ssl
import time
from pathlib import Path

import httpx
import pytest

from courriel.runtime.server import STOP_GRACE
from support.server_process import PASSWORD, init_data, running_server

pytestmark = pytest.mark.integration

ALICE = "alice@example.test"
_LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')


def browser(base: str) -> httpx.Client:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the dev certificate is self-signed
    return httpx.Client(base_url=base, verify=context, timeout=20)


def log_in(client: httpx.Client) -> None:
    form = client.get("/login")
    token = _LOGIN_TOKEN.search(form.text)
    assert token is not None, form.text
    answer = client.post(
        "/login", data={"login_token": token.group(1), "address": ALICE, "password": PASSWORD}
    )
    assert answer.status_code == 303, answer.text


def test_sigterm_with_an_event_stream_open_stops_promptly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ports = init_data(data, accounts=(ALICE,))
    with (
        running_server(data, ports) as server,
        browser(f"https://127.0.0.1:{ports['https']}") as client,
    ):
        log_in(client)
        assert client.get("/search", params={"q": "private-words"}).status_code == 200
        with client.stream("GET", "/events") as stream:
            lines = stream.iter_lines()
            assert next(lines) == "retry: 5000"
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            rest = list(lines)  # ends cleanly, without an error
            assert server.process.wait(timeout=30) == 0
            stopped_after = time.monotonic() - started
        log = server.log_text()
    assert rest == [""], rest
    assert stopped_after < STOP_GRACE / 2, stopped_after
    assert "stopped" in log and "Traceback" not in log
    assert re.search(
        rf"courriel\.web\.access: 127\.0\.0\.1 {ALICE} GET /search 200 \d+ \d+ms ", log
    )
    assert re.search(r"courriel\.web\.access: 127\.0\.0\.1 - POST /login 303 ", log)
    assert "private-words" not in log
