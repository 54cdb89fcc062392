"""The stored form of a :class:`ParsedMessage`: one compact value per message.

Owns ``encode`` and ``decode``: compact JSON of positional lists (no keys), UTF-8, with
trailing default fields left out, a Sender/Reply-To equal to From written as ``1``, and a
format version first. ``decode(encode(p)) == p`` for every ParsedMessage. FETCH decodes
this per message, so decoding builds objects positionally and does nothing else.

Layout (version 1)::

    message  = [1, size, part, envelope, summary, preview]
    part     = [start, body_start, end, type, subtype, params, id, description, encoding,
                lines, md5, disposition, disposition_params, language, location,
                children, message_part, envelope]          (trailing defaults omitted)
    params   = [name, value, name, value, ...]
    envelope = [date, subject, from, sender|1, reply_to|1, to, cc, bcc, in_reply_to,
                message_id]
    address  = [name, route, local, domain]
    summary  = the Summary fields in declaration order

Must not: change the meaning of version 1 (add a version instead), or parse mail.
"""

from __future__ import annotations

import json
from typing import Any

from courriel.mail.address import Address
from courriel.mail.envelope import Addresses, Envelope
from courriel.mail.message import ParsedMessage
from courriel.mail.params import Params
from courriel.mail.part import Part
from courriel.mail.summary import Summary

FORMAT_VERSION = 1

# Part fields from index 6 on, with their defaults (as stored).
_PART_DEFAULTS: list[Any] = [None, None, "7bit", 0, None, None, [], [], None, [], None, None]
_SAME_AS_FROM = 1


class DecodeError(ValueError):
    """The stored value is not a ParsedMessage in a known format."""


def _params_out(params: Params) -> list[str]:
    return [item for pair in params for item in pair]


def _params_in(flat: list[str]) -> Params:
    if not flat:
        return ()
    iterator = iter(flat)
    return tuple(zip(iterator, iterator, strict=True))


def _addresses_out(addresses: Addresses) -> list[list[str | None]]:
    return [[a.name, a.route, a.local, a.domain] for a in addresses]


def _addresses_in(rows: list[list[str | None]]) -> Addresses:
    return tuple([Address(*row) for row in rows])


def _envelope_out(envelope: Envelope) -> list[Any]:
    from_ = envelope.from_
    return [
        envelope.date,
        envelope.subject,
        _addresses_out(from_),
        _SAME_AS_FROM if envelope.sender == from_ else _addresses_out(envelope.sender),
        _SAME_AS_FROM if envelope.reply_to == from_ else _addresses_out(envelope.reply_to),
        _addresses_out(envelope.to),
        _addresses_out(envelope.cc),
        _addresses_out(envelope.bcc),
        envelope.in_reply_to,
        envelope.message_id,
    ]


def _envelope_in(row: list[Any]) -> Envelope:
    from_ = _addresses_in(row[2])
    return Envelope(
        row[0],
        row[1],
        from_,
        from_ if row[3] == _SAME_AS_FROM else _addresses_in(row[3]),
        from_ if row[4] == _SAME_AS_FROM else _addresses_in(row[4]),
        _addresses_in(row[5]),
        _addresses_in(row[6]),
        _addresses_in(row[7]),
        row[8],
        row[9],
    )


def _part_out(part: Part) -> list[Any]:
    row: list[Any] = [
        part.start,
        part.body_start,
        part.end,
        part.type,
        part.subtype,
        _params_out(part.params),
        part.id,
        part.description,
        part.encoding,
        part.lines,
        part.md5,
        part.disposition,
        _params_out(part.disposition_params),
        list(part.language),
        part.location,
        [_part_out(child) for child in part.children],
        None if part.message is None else _part_out(part.message),
        None if part.envelope is None else _envelope_out(part.envelope),
    ]
    while len(row) > 6 and row[-1] == _PART_DEFAULTS[len(row) - 7]:
        row.pop()
    return row


def _part_in(row: list[Any]) -> Part:
    if len(row) < 18:
        row = row + _PART_DEFAULTS[len(row) - 6 :]
    return Part(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        _params_in(row[5]),
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
        _params_in(row[12]),
        tuple(row[13]),
        row[14],
        tuple([_part_in(child) for child in row[15]]),
        None if row[16] is None else _part_in(row[16]),
        None if row[17] is None else _envelope_in(row[17]),
    )


def _summary_out(summary: Summary) -> list[Any]:
    return [
        summary.subject,
        summary.base_subject,
        summary.is_reply,
        summary.from_text,
        summary.to_text,
        summary.cc_text,
        summary.bcc_text,
        summary.date,
        summary.message_id,
        list(summary.in_reply_to),
        list(summary.references),
        summary.has_attachment,
        summary.sort_from,
        summary.sort_to,
        summary.sort_cc,
        summary.display_from,
        summary.display_to,
    ]


def _summary_in(row: list[Any]) -> Summary:
    return Summary(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        tuple(row[9]),
        tuple(row[10]),
        row[11],
        row[12],
        row[13],
        row[14],
        row[15],
        row[16],
    )


def encode(parsed: ParsedMessage) -> bytes:
    """The compact stored form of ``parsed``."""
    value = [
        FORMAT_VERSION,
        parsed.size,
        _part_out(parsed.root),
        _envelope_out(parsed.envelope),
        _summary_out(parsed.summary),
        parsed.preview,
    ]
    # surrogatepass: a lone surrogate (possible from UTF-7 input) must round-trip too.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass"
    )


def shifted(data: bytes, delta: int) -> bytes:
    """The stored form of the message ``data`` describes with ``delta`` bytes of header
    fields put before it: every offset but the top's start moves by ``delta``, the size
    grows by it; nothing else changes (``mailstore.ingest.with_prefix``)."""
    value = json.loads(data.decode("utf-8", "surrogatepass"))
    value[1] += delta
    root = value[2]
    root[1] += delta  # the top-level entity starts at 0 still: its header grew
    root[2] += delta
    for child in _nested(root):
        _shift_part(child, delta)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass"
    )


def _nested(row: list[Any]) -> list[list[Any]]:
    """The stored parts directly inside a stored part: its children, its message."""
    children: list[list[Any]] = row[15] if len(row) > 15 else []
    message = row[16] if len(row) > 16 else None
    return children if message is None else [*children, message]


def _shift_part(row: list[Any], delta: int) -> None:
    row[0] += delta
    row[1] += delta
    row[2] += delta
    for child in _nested(row):
        _shift_part(child, delta)


def decode(data: bytes) -> ParsedMessage:
    """The ParsedMessage stored by :func:`encode`; raises :class:`DecodeError` on bad data."""
    try:
        value = json.loads(data.decode("utf-8", "surrogatepass"))
        if value[0] != FORMAT_VERSION:
            raise DecodeError(f"unknown stored format version {value[0]!r}")
        return ParsedMessage(
            value[1],
            _part_in(value[2]),
            _envelope_in(value[3]),
            _summary_in(value[4]),
            value[5],
        )
    except DecodeError:
        raise
    except (ValueError, TypeError, IndexError, KeyError) as error:
        raise DecodeError(f"not a stored ParsedMessage: {error}") from error
