"""Messages for the spam tests, built from a few arguments (plain, HTML, attachments)."""

from __future__ import annotations

import base64
from collections.abc import Sequence

BOUNDARY = "=_boundary_7f3a"


def message(
    *,
    sender: str | None = "Alice Martin <alice@example.org>",
    to: str = "bob@example.test",
    subject: str | None = "Lunch on Thursday",
    date: bool = True,
    message_id: bool = True,
    headers: Sequence[tuple[str, str]] = (),
    text: str | None = "Hi Bob,\r\n\r\nShall we meet at noon?\r\n\r\nAlice\r\n",
    html: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    """A message; ``attachments`` are ``(filename, content type, data)``."""
    head = []
    if sender is not None:
        head.append(f"From: {sender}")
    head.append(f"To: {to}")
    if subject is not None:
        head.append(f"Subject: {subject}")
    if date:
        head.append("Date: Sat, 22 Nov 2025 10:00:00 +0000")
    if message_id:
        head.append("Message-ID: <20251122100000.1234@example.org>")
    head.extend(f"{name}: {value}" for name, value in headers)
    head.append("MIME-Version: 1.0")
    parts = []
    if text is not None and html is not None:
        parts.append(
            "Content-Type: multipart/alternative; boundary=alt\r\n\r\n"
            "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"{text}\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            f"{html}\r\n--alt--\r\n"
        )
    elif html is not None:
        parts.append(f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}")
    else:
        parts.append(f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text or ''}")
    for filename, content_type, data in attachments:
        encoded = base64.b64encode(data).decode("ascii")
        parts.append(
            f'Content-Type: {content_type}; name="{filename}"\r\n'
            f'Content-Disposition: attachment; filename="{filename}"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n"
        )
    if len(parts) == 1:
        return ("\r\n".join(head) + "\r\n" + parts[0]).encode("utf-8")
    body = "".join(f"--{BOUNDARY}\r\n{part}\r\n" for part in parts) + f"--{BOUNDARY}--\r\n"
    head.append(f'Content-Type: multipart/mixed; boundary="{BOUNDARY}"')
    return ("\r\n".join(head) + "\r\n\r\n" + body).encode("utf-8")
