"""Transcript tests: a protocol exchange written like an RFC example, replayed on a real
socket against a real listener (CONVENTIONS.md item 10).

Format, one directive per line::

    # smtp/relay-denied.txt — RFC 5321 §3.6.2           (comments)
    setup: account alice@example.test password=correct horse battery
    setup: alias team@example.test alice@example.test
    setup: quota alice@example.test 100
    config: auth.plaintext_on_loopback=true
    listener: submission                              (smtp, submission, submissions, imap, imaps)
    S: 220 * ESMTP courriel                           (one reply line; * globs)
    S*: 250 *                                         (skip lines until one matches)
    C: EHLO client.example.net                        (a line sent with CRLF)
    C: <starttls>                                     (upgrade the client side to TLS)
    C: <raw>DATA\\r\\nSubject: x\\r\\n\\r\\n.\\r\\n     (bytes sent as given, escapes decoded)
    S: <closed>                                       (the server closed the connection)

Several connections (imaptest style): a step may start with its connection number, ``2 C:``,
``2 S:``; unnumbered steps belong to connection 1. A connection opens at its first step
(``connections: 2`` may say how many there are; it is not needed).

IMAP conveniences, which never change what older transcripts mean:

- A run of consecutive ``S:`` lines of one connection whose patterns start with ``* ``
  (untagged responses) matches as a set: the server may send them in any order (mox
  ``xuntagged``). Such a pattern only matches a line that starts with ``* `` too.
- ``${name}`` in an ``S:`` pattern captures a word (the first time) or must equal what was
  captured (afterwards); ``${name}`` in a ``C:`` line is replaced by the captured value.
- ``star_only`` (set by the caller, or ``glob: star`` in the file): only ``*`` is a
  wildcard, so IMAP's ``[UIDNEXT 4]`` and ``?`` are literal. Otherwise ``?`` and ``[...]``
  are as in ``fnmatch``.

A failing transcript raises with the whole exchange and the first mismatch marked.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path

IMPLICIT_TLS_LISTENERS = frozenset({"submissions", "imaps"})
_STEP = re.compile(r"(?:(\d+) )?(C|S\*|S):(?: (.*))?\Z", re.DOTALL)
_CAPTURE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class Transcript:
    path: Path
    setup: list[str] = field(default_factory=list)
    config: dict[str, str] = field(default_factory=dict)
    listener: str = "smtp"
    steps: list[tuple[str, str]] = field(default_factory=list)
    step_connections: list[int] = field(default_factory=list)
    """The connection of each step (same length as ``steps``; 1 when missing)."""
    star_only: bool = False


def load(path: Path) -> Transcript:
    transcript = Transcript(path)
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        step = _STEP.match(line)
        if step is not None:
            transcript.steps.append((step.group(2), step.group(3) or ""))
            transcript.step_connections.append(int(step.group(1) or 1))
            continue
        kind, _, rest = line.partition(": ")
        if kind == "setup":
            transcript.setup.append(rest)
        elif kind == "config":
            key, _, value = rest.partition("=")
            transcript.config[key.strip()] = value.strip()
        elif kind == "listener":
            transcript.listener = rest.strip()
        elif kind == "connections":
            pass  # informative: a connection opens at its first step
        elif kind == "glob" and rest.strip() == "star":
            transcript.star_only = True
        else:
            raise ValueError(f"{path}:{number}: unknown directive {line!r}")
    return transcript


class Mismatch(AssertionError):
    pass


def _glob(pattern: str, star_only: bool) -> str:
    """A regular expression for a glob: ``*`` (and unless ``star_only``, ``?`` and
    ``[...]`` as fnmatch reads them)."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        character = pattern[index]
        index += 1
        if character == "*":
            out.append(".*")
        elif character == "?" and not star_only:
            out.append(".")
        elif character == "[" and not star_only:
            start = index + 1 if pattern[index : index + 1] in ("!", "]") else index
            end = pattern.find("]", start)
            if end < 0:
                out.append(re.escape(character))
                continue
            body = pattern[index:end]
            index = end + 1
            negate = body.startswith("!")
            body = body[1:] if negate else body
            body = "".join("\\" + c if c in "\\[]^&~|" else c for c in body)
            out.append("[" + ("^" if negate else "") + body + "]")
        else:
            out.append(re.escape(character))
    return "".join(out)


class Matcher:
    """Turns patterns into regular expressions, with ``${name}`` captures."""

    def __init__(self, star_only: bool) -> None:
        self.star_only = star_only
        self.captured: dict[str, str] = {}

    def regex(self, pattern: str) -> re.Pattern[str]:
        parts: list[str] = []
        position = 0
        new: set[str] = set()
        for found in _CAPTURE.finditer(pattern):
            parts.append(_glob(pattern[position : found.start()], self.star_only))
            name = found.group(1)
            if name in self.captured:
                parts.append(re.escape(self.captured[name]))
            elif name in new:
                parts.append(f"(?P={name})")
            else:
                parts.append(f"(?P<{name}>[^\\s()\\[\\]]+)")
                new.add(name)
            position = found.end()
        parts.append(_glob(pattern[position:], self.star_only))
        return re.compile("".join(parts), re.DOTALL)

    def matches(self, pattern: str, line: str) -> bool:
        if pattern.startswith("* ") and not line.startswith("* "):
            return False
        found = self.regex(pattern).fullmatch(line)
        if found is None:
            return False
        self.captured.update(found.groupdict())
        return True

    def fits(self, pattern: str, line: str) -> bool:
        """Like :meth:`matches`, without keeping captures."""
        if pattern.startswith("* ") and not line.startswith("* "):
            return False
        return self.regex(pattern).fullmatch(line) is not None

    def substitute(self, text: str) -> str:
        return _CAPTURE.sub(lambda found: self.captured.get(found.group(1), found.group(0)), text)


def _assign(patterns: list[str], lines: list[str], matcher: Matcher) -> list[int] | None:
    """Pattern index for each line (a perfect matching), or None."""
    fits = [[matcher.fits(pattern, line) for pattern in patterns] for line in lines]
    owner: dict[int, int] = {}

    def place(line: int, seen: set[int]) -> bool:
        for pattern, ok in enumerate(fits[line]):
            if ok and pattern not in seen:
                seen.add(pattern)
                if pattern not in owner or place(owner[pattern], seen):
                    owner[pattern] = line
                    return True
        return False

    for line in range(len(lines)):
        if not place(line, set()):
            return None
    result = [0] * len(lines)
    for pattern, line in owner.items():
        result[line] = pattern
    return result


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter


async def play(transcript: Transcript, host: str, port: int, tls_context: ssl.SSLContext) -> None:
    """Replay the steps against ``host:port``; raise ``Mismatch`` with the exchange."""
    log: list[str] = []
    implicit = transcript.listener in IMPLICIT_TLS_LISTENERS
    connections: dict[int, _Connection] = {}
    numbered = len(set(transcript.step_connections)) > 1
    matcher = Matcher(transcript.star_only)
    steps = list(transcript.steps)
    owners = list(transcript.step_connections)
    owners += [1] * (len(steps) - len(owners))

    async def connection(number: int) -> _Connection:
        if number not in connections:
            reader, writer = await asyncio.open_connection(
                host, port, ssl=tls_context if implicit else None
            )
            connections[number] = _Connection(reader, writer)
        return connections[number]

    def prefix(number: int) -> str:
        return f"{number} " if numbered else ""

    async def read_line(number: int) -> str | None:
        current = await connection(number)
        try:
            line = await asyncio.wait_for(current.reader.readline(), 10)
        except (ConnectionError, asyncio.IncompleteReadError):
            return None
        except TimeoutError:
            raise Mismatch("no answer within 10 seconds") from None
        if not line:
            return None
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        log.append(f"{prefix(number)}S: {text}")
        return text

    try:
        index = 0
        while index < len(steps):
            kind, text = steps[index]
            number = owners[index]
            index += 1
            if kind == "C":
                current = await connection(number)
                if text == "<starttls>":
                    await current.writer.start_tls(tls_context)
                    log.append(f"{prefix(number)}C: <starttls>")
                    continue
                text = matcher.substitute(text)
                data = (
                    text[len("<raw>") :].encode().decode("unicode_escape").encode("latin-1")
                    if text.startswith("<raw>")
                    else text.encode() + b"\r\n"
                )
                shown = text if len(text) <= 200 else f"{text[:150]}... ({len(data)} octets)"
                log.append(f"{prefix(number)}C: {shown}")
                current.writer.write(data)
                await current.writer.drain()
            elif text == "<closed>":
                line = await read_line(number)
                if line is not None:
                    raise Mismatch(f"expected the connection to close, got {line!r}")
            elif kind == "S" and text.startswith("* "):
                group = [text]
                while (
                    index < len(steps)
                    and steps[index][0] == "S"
                    and steps[index][1].startswith("* ")
                    and owners[index] == number
                ):
                    group.append(steps[index][1])
                    index += 1
                lines: list[str] = []
                for _ in group:
                    line = await read_line(number)
                    if line is None:
                        raise Mismatch(f"connection closed, expected {group!r}")
                    lines.append(line)
                assignment = _assign(group, lines, matcher)
                if assignment is None:
                    raise Mismatch(f"expected (in any order) {group!r}, got {lines!r}")
                for line, pattern in zip(lines, assignment, strict=True):
                    matcher.matches(group[pattern], line)
            else:
                while True:
                    line = await read_line(number)
                    if line is None:
                        raise Mismatch(f"connection closed, expected {text!r}")
                    if matcher.matches(text, line):
                        break
                    if kind == "S":
                        raise Mismatch(f"expected {text!r}, got {line!r}")
    except Mismatch as error:
        exchange = "\n".join(log)
        raise Mismatch(
            f"{transcript.path.name}: {error}\n--- exchange ---\n{exchange}\n  <<< here"
        ) from None
    finally:
        for current in connections.values():
            current.writer.close()
