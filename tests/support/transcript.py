"""Transcript tests: a protocol exchange written like an RFC example, replayed on a real
socket against a real listener (CONVENTIONS.md item 10).

Format, one directive per line::

    # smtp/relay-denied.txt — RFC 5321 §3.6.2           (comments)
    setup: account alice@example.test password=correct horse battery
    setup: alias team@example.test alice@example.test
    setup: quota alice@example.test 100
    config: auth.plaintext_on_loopback=true
    listener: submission                              (smtp, submission, submissions)
    S: 220 * ESMTP courriel                           (one reply line; * globs)
    S*: 250 *                                         (skip lines until one matches)
    C: EHLO client.example.net                        (a line sent with CRLF)
    C: <starttls>                                     (upgrade the client side to TLS)
    C: <raw>DATA\\r\\nSubject: x\\r\\n\\r\\n.\\r\\n     (bytes sent as given, escapes decoded)
    S: <closed>                                       (the server closed the connection)

A failing transcript raises with the whole exchange and the first mismatch marked.
"""

from __future__ import annotations

import asyncio
import fnmatch
import ssl
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Transcript:
    path: Path
    setup: list[str] = field(default_factory=list)
    config: dict[str, str] = field(default_factory=dict)
    listener: str = "smtp"
    steps: list[tuple[str, str]] = field(default_factory=list)


def load(path: Path) -> Transcript:
    transcript = Transcript(path)
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        kind, _, rest = line.partition(": ")
        if line == "C:":
            kind, rest = "C", ""
        if kind == "setup":
            transcript.setup.append(rest)
        elif kind == "config":
            key, _, value = rest.partition("=")
            transcript.config[key.strip()] = value.strip()
        elif kind == "listener":
            transcript.listener = rest.strip()
        elif kind in ("C", "S", "S*"):
            transcript.steps.append((kind, rest))
        else:
            raise ValueError(f"{path}:{number}: unknown directive {line!r}")
    return transcript


class Mismatch(AssertionError):
    pass


async def play(transcript: Transcript, host: str, port: int, tls_context: ssl.SSLContext) -> None:
    """Replay the steps against ``host:port``; raise ``Mismatch`` with the exchange."""
    log: list[str] = []
    implicit = transcript.listener == "submissions"
    reader, writer = await asyncio.open_connection(
        host, port, ssl=tls_context if implicit else None
    )

    async def read_line() -> str | None:
        try:
            line = await asyncio.wait_for(reader.readline(), 10)
        except (ConnectionError, asyncio.IncompleteReadError):
            return None
        if not line:
            return None
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        log.append(f"S: {text}")
        return text

    try:
        for kind, text in transcript.steps:
            if kind == "C":
                if text == "<starttls>":
                    await writer.start_tls(tls_context)
                    log.append("C: <starttls>")
                    continue
                data = (
                    text[len("<raw>") :].encode().decode("unicode_escape").encode("latin-1")
                    if text.startswith("<raw>")
                    else text.encode() + b"\r\n"
                )
                log.append(f"C: {text}")
                writer.write(data)
                await writer.drain()
            elif text == "<closed>":
                line = await read_line()
                if line is not None:
                    raise Mismatch(f"expected the connection to close, got {line!r}")
            else:
                while True:
                    line = await read_line()
                    if line is None:
                        raise Mismatch(f"connection closed, expected {text!r}")
                    if fnmatch.fnmatchcase(line, text):
                        break
                    if kind == "S":
                        raise Mismatch(f"expected {text!r}, got {line!r}")
    except Mismatch as error:
        exchange = "\n".join(log)
        raise Mismatch(
            f"{transcript.path.name}: {error}\n--- exchange ---\n{exchange}\n  <<< here"
        ) from None
    finally:
        writer.close()
