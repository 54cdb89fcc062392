"""Forms rendered at ingest (``imap/protocol/forms.py``) and the FETCH path that serves them
(``imap/server/fetch_forms.py``) answer exactly what rendering from the parse tree answers."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from courriel.config import Config, EnabledListener
from courriel.imap.protocol import forms as forms_module
from courriel.imap.protocol.fetch import body_structure_value, date_time_value, envelope_value
from courriel.imap.protocol.forms import render_forms, unpack_forms, usable
from courriel.imap.protocol.wire import render
from courriel.imap.server import fetch_forms, selected
from courriel.imap.server.fetch_forms import utc_date_time
from courriel.imap.server.server import imap_server
from courriel.mail import parse_message
from courriel.net import Listener, TlsContextProvider, make_self_signed
from support.services import temporary_services

TESTS = Path(__file__).resolve().parents[2]
CORPORA = (TESTS / "transcripts" / "imap" / "messages", TESTS / "data" / "mime-corpus")

EIGHT_BIT_HEADER = (
    "From: Zoë Ünïcode <zoe@example.test>\r\nTo: bob@example.test\r\n"
    "Subject: déjà vu, straight UTF-8\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    "Bonjour\r\n"
).encode()
MESSAGE_GLOBAL = (
    b"From: a@example.test\r\nSubject: outer\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
    b"Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
    b"Content-Type: message/global\r\n\r\n"
    b"From: c@example.test\r\nSubject: inner\r\n\r\ninner body\r\n--b--\r\n"
)


def corpus() -> Iterator[tuple[str, bytes]]:
    for folder in CORPORA:
        for path in sorted(folder.glob("*.eml")):
            yield path.name, path.read_bytes()
    yield "eight-bit-header", EIGHT_BIT_HEADER
    yield "message-global", MESSAGE_GLOBAL


MESSAGES = list(corpus())
# Stored as a file, not inline (over storage.inline_limit).
LARGE = b"From: big@example.test\r\nSubject: large\r\n\r\n" + b"0123456789abcdef\r\n" * 20_000


@pytest.mark.parametrize(("name", "raw"), MESSAGES, ids=[name for name, _ in MESSAGES])
@pytest.mark.parametrize("utf8", [False, True])
@pytest.mark.parametrize("rev2", [False, True])
def test_usable_forms_are_what_the_parse_tree_renders(
    name: str, raw: bytes, utf8: bool, rev2: bool
) -> None:
    parsed = parse_message(raw)
    forms = unpack_forms(render_forms(parsed))
    assert forms is not None
    if not usable(forms, utf8=utf8, rev2=rev2):
        return
    root = parsed.root
    assert forms.envelope == render(envelope_value(parsed.envelope), utf8=utf8)
    assert forms.bodystructure == render(body_structure_value(root, message_global=rev2), utf8=utf8)
    assert forms.body == render(
        body_structure_value(root, extensible=False, message_global=rev2), utf8=utf8
    )


def test_forms_are_refused_where_a_session_renders_otherwise() -> None:
    eight_bit = unpack_forms(render_forms(parse_message(EIGHT_BIT_HEADER)))
    assert eight_bit is not None
    assert usable(eight_bit, utf8=False, rev2=True)
    assert not usable(eight_bit, utf8=True, rev2=True)  # UTF-8 clients get quoted UTF-8
    inner = unpack_forms(render_forms(parse_message(MESSAGE_GLOBAL)))
    assert inner is not None
    assert usable(inner, utf8=False, rev2=True)
    assert not usable(inner, utf8=False, rev2=False)  # RFC 3501 has no message/global body


def test_other_versions_and_damage_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    packed = render_forms(parse_message(MESSAGES[0][1]))
    assert unpack_forms(packed) is not None
    assert unpack_forms(None) is None
    assert unpack_forms(packed[:5]) is None
    assert unpack_forms(packed[:12]) is None  # lengths point past the end
    monkeypatch.setattr(forms_module, "FORMS_VERSION", forms_module.FORMS_VERSION + 1)
    assert unpack_forms(packed) is None


async def _exchange(port: int, commands: list[bytes]) -> list[bytes]:
    """Each command's whole answer, bytes as sent (literals included)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answers = []
    try:
        await reader.readline()
        for number, command in enumerate(commands):
            tag = b"t%d" % number
            writer.write(tag + b" " + command + b"\r\n")
            answer = b""
            while True:
                line = await asyncio.wait_for(reader.readline(), 30)
                answer += line
                if line.rstrip().endswith(b"}"):  # a literal: read it whole
                    count = int(line.rstrip()[line.rstrip().rindex(b"{") + 1 : -1].rstrip(b"+"))
                    answer += await reader.readexactly(count)
                    continue
                if line.startswith(tag + b" "):
                    break
            answers.append(answer)
    finally:
        writer.close()
    return answers


def _plaintext(config: Config) -> Config:
    return dataclasses.replace(
        config, auth=dataclasses.replace(config.auth, plaintext_on_loopback=True)
    )


@pytest.mark.parametrize("enable", ["", "ENABLE UTF8=ACCEPT", "ENABLE IMAP4rev2"])
async def test_fetch_answers_the_same_with_and_without_stored_forms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, enable: str
) -> None:
    items = (
        b"UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY "
        b"MODSEQ EMAILID THREADID SAVEDATE)"
    )
    async with temporary_services(tmp_path / "data", configure=_plaintext) as services:
        await services.directory.add_domain("example.test", dkim=False)
        account = await services.directory.add_account("alice@example.test", "a long password")
        inbox = await services.mailstore.get_mailbox(account.id, "INBOX")
        await services.mailstore.append(
            account.id,
            inbox.id,
            [
                (raw, ("\\Seen",) if index % 3 else (), 1_700_000_000.0 + index)
                for index, (_, raw) in enumerate(MESSAGES)
            ]
            + [(LARGE, ("\\Seen",), None)],
        )
        enabled = EnabledListener("imap", "imap", "none", ("127.0.0.1",), 0)
        certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
        make_self_signed("mail.example.test", certificate, key)
        protocol = imap_server(services, TlsContextProvider(certificate, key), enabled)
        listener = Listener("imap", ["127.0.0.1"], 0, protocol.handler)
        await listener.start()
        try:
            commands = [b'LOGIN alice@example.test "a long password"']
            if enable:
                commands.append(enable.encode())
            commands += [
                b"SELECT INBOX",
                items,
                b"FETCH 2:4,7 (ENVELOPE FLAGS)",
                b"UID FETCH 1:* (UID BODY.PEEK[] RFC822.SIZE)",
                b"FETCH 7,3,5 (BODY.PEEK[]<10.20> BODY.PEEK[]<100000000.5> BODYSTRUCTURE)",
                b"FETCH 2:3 (BODY[] FLAGS)",  # already \\Seen: nothing changes
            ]
            served: list[int] = []
            original = fetch_forms.fetch_rendered

            async def counted(*args: Any, **kwargs: Any) -> int:
                served.append(len(args[2]))
                return await original(*args, **kwargs)

            monkeypatch.setattr(selected, "fetch_rendered", counted)
            fast = await _exchange(listener.port, commands)
            monkeypatch.setattr(selected, "servable", lambda attributes: False)
            general = await _exchange(listener.port, commands)
        finally:
            await listener.stop(1.0)
    assert fast[-5].count(b" FETCH (") == len(MESSAGES) + 1
    assert fast[-3].count(b"\r\n* ") == len(MESSAGES)
    assert served == [len(MESSAGES) + 1, 4, len(MESSAGES) + 1, 3, 2]  # every FETCH took it
    assert fast[-5:] == general[-5:]


@pytest.mark.parametrize(
    "seconds",
    [0.0, 1.5, -0.5, -86400.25, 951_782_400.0, 1_700_000_000.999, 253_402_300_799.0]
    + [random.Random(seed).uniform(-2e9, 4e9) for seed in range(50)],
)
def test_the_fast_date_is_the_general_one(seconds: float) -> None:
    assert utc_date_time(seconds).decode("ascii") == date_time_value(seconds)
