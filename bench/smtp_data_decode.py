"""Benchmark of ``courriel.smtp.protocol.data``: MB/s decoding the DATA stream of a 5 MB
message.

The message is a realistic mix: a header block, text paragraphs wrapped at 76 columns with
about one line in fifty starting with a period (so dot-stuffed), and a base64 attachment
(76-column lines). It is dot-stuffed and terminated as a client sends it, then fed to
``DataReader`` in chunks of 64 KiB (a typical socket read), 16 KiB and 1 KiB, and the best
of several runs is reported. ``BdatReader`` is measured on the same bytes for comparison.
The same message without any period-led line (the common case, no unstuffing needed) is
measured as well. Run: ``.venv/bin/python bench/smtp_data_decode.py``.
"""

from __future__ import annotations

import base64
import random
import time

from courriel.smtp.protocol.data import BdatReader, DataReader

_TEXT = (
    "the quarterly report shows revenue growth across all regions while costs remained "
    "stable thanks to careful planning and the new supplier contracts signed in spring"
)
_WORDS = _TEXT.split(" ")


def message(size: int = 5_000_000, dot_lines: float = 0.02) -> bytes:
    """An un-stuffed message of about ``size`` octets with CRLF line endings, where a
    ``dot_lines`` share of the text lines starts with a period."""
    rng = random.Random(5)
    lines = [
        "From: Alice <alice@example.com>",
        "To: Bob <bob@example.org>",
        "Subject: quarterly figures",
        "Message-ID: <bench@example.com>",
        "",
    ]
    text_size = 0
    while text_size < size // 3:
        words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 13))]
        line = ("." if rng.random() < dot_lines else "") + " ".join(words)
        lines.append(line)
        text_size += len(line) + 2
    encoded = base64.encodebytes(rng.randbytes(size * 2 // 3 * 3 // 4)).decode()
    lines.extend(encoded.splitlines())
    return ("\r\n".join(lines) + "\r\n").encode()


def dot_stuff(content: bytes) -> bytes:
    """What a client sends after DATA (RFC 5321 §4.5.2), end marker included."""
    stuffed = content.replace(b"\r\n.", b"\r\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    return stuffed + b".\r\n"


def decode_data(wire: bytes, chunk_size: int) -> bytes:
    reader = DataReader(max_size=50_000_000)
    parts = []
    for start in range(0, len(wire), chunk_size):
        parts.append(reader.feed(wire[start : start + chunk_size]))
    assert reader.done
    return b"".join(parts)


def decode_bdat(content: bytes, chunk_size: int) -> bytes:
    reader = BdatReader(max_size=50_000_000)
    reader.start_chunk(len(content), last=True)
    parts = []
    for start in range(0, len(content), chunk_size):
        parts.append(reader.feed(content[start : start + chunk_size]))
    assert reader.done
    return b"".join(parts)


def best_seconds(function: object, *args: object, runs: int = 7) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        function(*args)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    # The slicing into chunks is measured too: it stands for the socket reads' copies.
    for label, dot_lines in (("2% dot lines", 0.02), ("no dot lines", 0.0)):
        content = message(dot_lines=dot_lines)
        wire = dot_stuff(content)
        for chunk_size in (65536, 16384, 1024):
            assert decode_data(wire, chunk_size) == content
            seconds = best_seconds(decode_data, wire, chunk_size)
            print(
                f"DataReader  {len(wire) / 1e6:.1f} MB, {label}, {chunk_size:5}-byte chunks: "
                f"{seconds * 1e3:6.2f} ms  {len(wire) / seconds / 1e6:7.0f} MB/s"
            )
    content = message()
    for chunk_size in (65536, 1024):
        assert decode_bdat(content, chunk_size) == content
        seconds = best_seconds(decode_bdat, content, chunk_size)
        print(
            f"BdatReader  {len(content) / 1e6:.1f} MB in {chunk_size:5}-byte chunks: "
            f"{seconds * 1e3:6.2f} ms  {len(content) / seconds / 1e6:7.0f} MB/s"
        )


if __name__ == "__main__":
    main()
