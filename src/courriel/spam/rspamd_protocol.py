"""Rspamd's scan request and reply as bytes: ``POST /checkv2`` over HTTP/1.1.

From Rspamd's protocol documentation ("Rspamd protocol", rspamd.com/doc/developers/
protocol.html): the message is the request body; what the MTA knows travels in request
header fields — ``IP`` (the sending server), ``Helo``, ``Hostname`` (its reverse DNS name),
``From`` (the envelope sender), one ``Rcpt`` per recipient, ``Queue-Id``, ``User`` (an
authenticated sender), ``MTA-Name``. The reply is a JSON object with ``score``,
``required_score`` (the score from which it rejects), ``action`` (``no action``,
``greylist``, ``add header``, ``rewrite subject``, ``soft reject``, ``reject``), ``symbols``
(by name: ``score``, ``description``, ``options``) and ``is_skipped`` (a pre-result such as
GTUBE stopped the scan: ``action`` is then ``reject``, the symbol ``GTUBE`` scores 0).

:func:`checkv2_request` builds the request (``Connection: close``: one scan per
connection, RFC 9112 §9.6); :func:`parse_checkv2_reply` reads the whole HTTP reply into an
``ExternalReport``. A status other than 200, a body that is not the expected JSON, a
missing or non-finite score: ``ScannerReplyError``.

Must not: do I/O (``external``) or weigh the result (``external`` maps it to our score).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from courriel.antivirus.daemon import ScannerReplyError
from courriel.spam.external_wire import ExternalReport, split_reply

#: The largest reply read: rspamd lists every symbol with its options.
MAX_REPLY = 1024 * 1024
#: Actions that mean "spam" to rspamd (``external`` floors our weight at the junk score).
SPAM_ACTIONS = frozenset({"add header", "rewrite subject", "reject"})
ACTIONS = frozenset({"no action", "greylist", "soft reject", *SPAM_ACTIONS})
_WHO = "rspamd"


@dataclass(frozen=True, slots=True)
class ScanContext:
    """What the MTA tells rspamd about a message besides its bytes."""

    client_ip: str | None = None
    helo: str = ""
    client_name: str | None = None
    mail_from: str = ""
    recipients: Sequence[str] = ()
    queue_id: str = ""
    user: str | None = None
    mta_name: str = ""


def checkv2_request(raw: bytes, context: ScanContext) -> Iterator[bytes]:
    """The pieces of the ``POST /checkv2`` request for ``raw``."""
    fields = [
        ("Host", "rspamd"),
        ("Connection", "close"),
        ("Content-Length", str(len(raw))),
        ("IP", context.client_ip or ""),
        ("Helo", context.helo),
        ("Hostname", context.client_name or ""),
        ("From", context.mail_from),
        *(("Rcpt", recipient) for recipient in context.recipients),
        ("Queue-Id", context.queue_id),
        ("User", context.user or ""),
        ("MTA-Name", context.mta_name),
    ]
    head = ["POST /checkv2 HTTP/1.1"]
    head.extend(f"{name}: {_field_value(value)}" for name, value in fields if value)
    yield ("\r\n".join(head) + "\r\n\r\n").encode("utf-8")
    yield raw


def _field_value(value: str) -> str:
    """A header field value without line breaks or other control characters (envelope
    addresses reach here as the client wrote them)."""
    return "".join(character for character in value if character.isprintable()).strip()


def parse_checkv2_reply(reply: bytes) -> ExternalReport:
    """Read rspamd's HTTP reply to ``/checkv2``."""
    parsed = split_reply(reply, who=_WHO)
    version, _, rest = parsed.status_line.partition(" ")
    status = rest.partition(" ")[0]
    if not version.startswith("HTTP/1.") or not status.isdigit():
        raise ScannerReplyError(f"rspamd reply has a bad status line: {parsed.status_line[:60]!r}")
    if parsed.field("transfer-encoding") not in (None, "identity"):
        raise ScannerReplyError("rspamd reply uses a transfer coding (expected Content-Length)")
    try:
        document = json.loads(parsed.body)
    except (ValueError, RecursionError):
        raise ScannerReplyError("rspamd reply body is not JSON") from None
    if status != "200":
        error = document.get("error") if isinstance(document, dict) else None
        detail = f": {str(error)[:100]}" if error else ""
        raise ScannerReplyError(f"rspamd answered HTTP {status}{detail}")
    if not isinstance(document, dict):
        raise ScannerReplyError("rspamd reply is not a JSON object")
    return _report(document)


def _report(document: dict[str, object]) -> ExternalReport:
    score = _number(document.get("score"), "score")
    required = _number(document.get("required_score"), "required_score")
    action = document.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        raise ScannerReplyError(f"rspamd reply has an unknown action: {str(action)[:40]!r}")
    symbols = document.get("symbols", {})
    if not isinstance(symbols, dict):
        raise ScannerReplyError("rspamd reply symbols are not an object")
    listed = []
    for name, symbol in symbols.items():
        symbol_score = symbol.get("score") if isinstance(symbol, dict) else None
        listed.append(
            (
                str(name),
                None if symbol_score is None else _number(symbol_score, f"symbols.{name}"),
            )
        )
    return ExternalReport(
        scanner=_WHO,
        score=score,
        threshold=required,
        threshold_means="reject",
        action=action,
        is_spam=action in SPAM_ACTIONS,
        rejects=action == "reject",
        symbols=tuple(listed),
        skipped=document.get("is_skipped") is True,
    )


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScannerReplyError(f"rspamd reply has no usable {name}")
    return float(value) + 0.0  # no "-0.0"
