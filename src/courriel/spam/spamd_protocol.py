"""SpamAssassin's spamd request and reply as bytes: the SPAMC/1.5 protocol.

From SpamAssassin's ``spamd/PROTOCOL``: a request is a line ``<COMMAND> SPAMC/1.5``, header
lines (``Content-length`` of the message is required), an empty line and the message; the
reply is ``SPAMD/1.1 <code> <message>`` (``0 EX_OK``; any other code is an error), header
lines and a body. ``SYMBOLS`` answers with a ``Spam: True ; 15.0 / 5.0`` field (spam or
not ; score / threshold; older versions write ``Yes``/``No``) and the names of the rules
that fired as the body, comma-separated. ``REPORT`` would add a human report we do not need.

:func:`symbols_request` builds the request, :func:`parse_symbols_reply` reads the reply
into an ``ExternalReport`` (spamd gives no per-rule scores in ``SYMBOLS``). An error code,
a missing or malformed ``Spam`` field, a body shorter than announced: ``ScannerReplyError``.

Must not: do I/O (``external``) or weigh the result (``external``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from courriel.antivirus.daemon import ScannerReplyError
from courriel.spam.external_wire import ExternalReport, split_reply

VERSION = "SPAMC/1.5"
#: The largest reply read (the rule names of one message).
MAX_REPLY = 64 * 1024
# spamd/PROTOCOL: "Spam: <True|False> ; <score> / <threshold>".
_SPAM_FIELD = re.compile(
    r"(?P<flag>True|False|Yes|No)\s*;\s*(?P<score>-?\d+(?:\.\d+)?)\s*/\s*"
    r"(?P<threshold>-?\d+(?:\.\d+)?)",
    re.IGNORECASE,
)
_STATUS = re.compile(r"SPAMD/\d+\.\d+ (?P<code>\d+) ?(?P<message>.*)")
_RULE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
_WHO = "spamd"


def symbols_request(raw: bytes, *, user: str | None = None) -> Iterator[bytes]:
    """The pieces of a ``SYMBOLS`` request for ``raw`` (``User``: whose preferences)."""
    head = [f"SYMBOLS {VERSION}", f"Content-length: {len(raw)}"]
    if user and user.isprintable():
        head.append(f"User: {user}")
    yield ("\r\n".join(head) + "\r\n\r\n").encode("utf-8")
    yield raw


def parse_symbols_reply(reply: bytes) -> ExternalReport:
    """Read spamd's reply to ``SYMBOLS``."""
    parsed = split_reply(reply, who=_WHO)
    status = _STATUS.fullmatch(parsed.status_line)
    if status is None:
        raise ScannerReplyError(f"spamd reply has a bad status line: {parsed.status_line[:60]!r}")
    if status["code"] != "0":
        raise ScannerReplyError(f"spamd error {status['code']}: {status['message'][:100]}")
    spam = parsed.field("spam")
    matched = _SPAM_FIELD.fullmatch(spam.strip()) if spam is not None else None
    if matched is None:
        raise ScannerReplyError("spamd reply has no readable Spam field")
    score, threshold = float(matched["score"]) + 0.0, float(matched["threshold"]) + 0.0
    if not (math.isfinite(score) and math.isfinite(threshold)):
        raise ScannerReplyError("spamd reply has no usable score")
    try:
        names = parsed.body.decode("ascii").strip()
    except UnicodeDecodeError:
        raise ScannerReplyError("spamd reply body is not ASCII") from None
    rules = [name.strip() for name in names.split(",") if name.strip()]
    if not all(_RULE_NAME.fullmatch(name) for name in rules):
        raise ScannerReplyError("spamd reply body is not a list of rule names")
    is_spam = matched["flag"].lower() in ("true", "yes")
    return ExternalReport(
        scanner=_WHO,
        score=score,
        threshold=threshold,
        threshold_means="junk",
        action="spam" if is_spam else "no action",
        is_spam=is_spam,
        rejects=False,
        symbols=tuple((name, None) for name in rules),
    )
