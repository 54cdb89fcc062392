"""Benchmark of ``courriel.mail``: µs per parse, per text extraction, per encode, per decode.

Builds two realistic messages — a 5 KB multipart/alternative text+HTML message with a
typical header block (Received chain, DKIM signature, list headers), and a 100 KB
multipart/mixed message with a base64 PDF-like attachment — and reports the best of
several runs for each step. Run: ``.venv/bin/python bench/mail_parse.py``.
The parse budget (DESIGN.md §3) is about 100 µs for the first and 300 µs for the second.
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Callable

from courriel.mail import decode, encode, extract_text, parse_message

_TEXT = (
    "the quarterly report shows revenue growth across all regions while costs remained "
    "stable thanks to careful planning and the new supplier contracts signed in spring "
    "please review the attached figures before our meeting on thursday and send comments"
)
_WORDS = _TEXT.split(" ")


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."


def _paragraphs(rng: random.Random, count: int) -> list[str]:
    return [" ".join(_sentence(rng, rng.randint(8, 16)) for _ in range(4)) for _ in range(count)]


def _header(content_type: str) -> bytes:
    received = "".join(
        f"Received: from mx{i}.example.com (mx{i}.example.com [192.0.2.{i}])\r\n"
        f"\tby mail.example.org (courriel) with ESMTPS id 4T{i}Xk9{i}z\r\n"
        f"\tfor <bob@example.org>; Tue, 2 Jan 2024 10:0{i}:00 +0000\r\n"
        for i in range(3)
    )
    return (
        "Return-Path: <alice@example.com>\r\n"
        + received
        + "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s1;\r\n"
        "\th=from:to:cc:subject:date:message-id:mime-version;\r\n"
        "\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
        "\tb=" + "dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ" * 8 + "\r\n"
        "Authentication-Results: mail.example.org; dkim=pass header.d=example.com;\r\n"
        "\tspf=pass smtp.mailfrom=alice@example.com; dmarc=pass header.from=example.com\r\n"
        "From: =?utf-8?q?Alice_Ex=C3=A9mple?= <alice@example.com>\r\n"
        "To: Bob Builder <bob@example.org>, carol@example.net\r\n"
        'Cc: "Dave, D." <dave@example.net>\r\n'
        "Subject: Re: [team] Quarterly numbers =?utf-8?b?4oCU?= final version\r\n"
        "Date: Tue, 2 Jan 2024 10:00:00 +0100\r\n"
        "Message-ID: <CAF1234567890abcdef@mail.example.com>\r\n"
        "In-Reply-To: <CAF0987654321@mail.example.org>\r\n"
        "References: <CAF1111@mail.example.org> <CAF0987654321@mail.example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        "List-Id: Team list <team.example.com>\r\n"
        "List-Unsubscribe: <mailto:team-unsubscribe@example.com>\r\n"
        "X-Mailer: Example Mail 4.2\r\n"
        f"Content-Type: {content_type}\r\n"
        "\r\n"
    ).encode()


def text_html_message(size: int = 5_000) -> bytes:
    """A multipart/alternative text+HTML message of about ``size`` bytes."""
    rng = random.Random(1)
    paragraphs = _paragraphs(rng, 40)
    header = _header('multipart/alternative; boundary="000000000000b1c2d3e4f5"')
    for count in range(1, len(paragraphs)):
        chosen = paragraphs[:count]
        plain = "\r\n\r\n".join(chosen) + "\r\n\r\n-- \r\nAlice\r\n"
        markup = (
            "<html><head><style>p{margin:0}</style></head><body>"
            + "".join(f"<p>{p.replace('report', '<b>report</b>')}</p>\r\n" for p in chosen)
            + "<p>&mdash; Alice</p></body></html>\r\n"
        )
        body = (
            "--000000000000b1c2d3e4f5\r\n"
            'Content-Type: text/plain; charset="UTF-8"\r\n\r\n'
            + plain
            + "\r\n--000000000000b1c2d3e4f5\r\n"
            'Content-Type: text/html; charset="UTF-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            + markup.replace("=", "=3D")
            + "\r\n--000000000000b1c2d3e4f5--\r\n"
        ).encode()
        if len(header) + len(body) >= size:
            break
    return header + body


def simple_message() -> bytes:
    """A short single-part text/plain message (the smallest stored value)."""
    return (
        b"From: Alice Example <alice@example.com>\r\nTo: Bob <bob@example.org>\r\n"
        b"Subject: Lunch on Friday?\r\nDate: Tue, 2 Jan 2024 10:00:00 +0100\r\n"
        b"Message-ID: <lunch-1@example.com>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        b"Hi Bob,\r\n\r\nAre you free for lunch on Friday?\r\n\r\n-- \r\nAlice\r\n"
    )


def html_only_message() -> bytes:
    """The HTML alternative of :func:`text_html_message` alone (exercises HTML stripping)."""
    raw = text_html_message()
    start = raw.index(b"Content-Type: text/html")
    html_part = raw[start : raw.rindex(b"\r\n--000000000000b1c2d3e4f5--")]
    header = raw[: raw.index(b"Content-Type: multipart/alternative")]
    return header + html_part + b"\r\n"


def attachment_message(size: int = 100_000) -> bytes:
    """A multipart/mixed message with a short text and a base64 PDF-like attachment."""
    rng = random.Random(2)
    header = _header('multipart/mixed; boundary="mixed_boundary_42"')
    plain = "\r\n\r\n".join(_paragraphs(rng, 4))
    pdf = b"%PDF-1.7\n" + rng.randbytes(max(0, (size - len(header) - len(plain) - 600) * 3 // 4))
    encoded = base64.encodebytes(pdf).replace(b"\n", b"\r\n").decode()
    body = (
        "--mixed_boundary_42\r\n"
        'Content-Type: text/plain; charset="UTF-8"\r\n\r\n' + plain + "\r\n--mixed_boundary_42\r\n"
        'Content-Type: application/pdf; name="report.pdf"\r\n'
        'Content-Disposition: attachment; filename="report.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + encoded + "--mixed_boundary_42--\r\n"
    ).encode()
    return header + body


def best_us(function: Callable[[], object], *, runs: int = 7, min_time: float = 0.2) -> float:
    """Best per-call time in µs over ``runs`` runs of enough calls to last ``min_time``."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            function()
        if time.perf_counter() - start >= min_time / 4:
            break
        calls *= 2
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def main() -> None:
    for label, raw in (
        ("simple text/plain", simple_message()),
        ("5 KB text+html", text_html_message()),
        ("5 KB html only", html_only_message()),
        ("100 KB + base64 attachment", attachment_message()),
    ):
        parsed = parse_message(raw)
        stored = encode(parsed)
        assert decode(stored) == parsed
        parse_us = best_us(lambda raw=raw: parse_message(raw))  # type: ignore[misc]
        text_us = best_us(lambda raw=raw, root=parsed.root: extract_text(raw, root))  # type: ignore[misc]
        encode_us = best_us(lambda parsed=parsed: encode(parsed))  # type: ignore[misc]
        decode_us = best_us(lambda stored=stored: decode(stored))  # type: ignore[misc]
        print(
            f"{label:28} {len(raw):7} bytes  parse {parse_us:7.1f} µs  "
            f"extract_text {text_us:6.1f} µs  parse+text {parse_us + text_us:7.1f} µs  "
            f"encode {encode_us:5.1f} µs  decode {decode_us:5.1f} µs  stored {len(stored)} bytes"
        )


if __name__ == "__main__":
    main()
