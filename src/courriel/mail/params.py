"""Structured MIME header values: Content-Type, Content-Disposition and their parameters.

Owns: RFC 2045 §5.1 ``type/subtype *(";" parameter)`` parsing with RFC 822 comments and
quoted strings, RFC 2183 §2 dispositions, and RFC 2231 parameter value continuations and
charsets (``name*0*=utf-8''%C3%A9; name*1=...``). Also accepts the widespread illegal
RFC 2047 encoded words inside quoted parameter values (``name="=?utf-8?B?...?="``).

Parameters are kept twice over: :func:`parse_content_type` returns them raw and in order, as
IMAP BODYSTRUCTURE sends them (RFC 9051 §7.5.2 body-fld-param); :func:`decode_params` merges
RFC 2231 sections and decodes them into text for display and search.

Must not: raise on any input, or know about MIME trees.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from courriel.mail.charset import decode_bytes
from courriel.mail.encoded_words import decode_encoded_words

Params = tuple[tuple[str, str], ...]

#: Longer Content-Type/Disposition values are cut before parsing (a 1 MB header field must
#: not cost a character loop of a million steps).
MAX_STRUCTURED_VALUE = 64 * 1024

_TYPE = re.compile(r"[ \t]*([^\s/;()<>@,:\"\\\[\]?=]+)[ \t]*/[ \t]*([^\s;()<>@,:\"\\\[\]?=/]+)")
_TOKEN = re.compile(r"[ \t]*([^\s;()<>@,:\"\\\[\]?=/]+)")
_PARAM = re.compile(r';[ \t;]*([^\s=;"]+)[ \t]*=[ \t]*("(?:[^"\\]|\\.)*"?|[^;]*)', re.S)
_QUOTED_PAIR = re.compile(r"\\(.)", re.S)
# The usual shape, "type/subtype" with at most one simple parameter, in one match.
_RFC2045_CHARS = r"[A-Za-z0-9!#$%&'*+.^_`{|}~-]+"
_SIMPLE_TYPE = re.compile(
    rf"[ \t]*({_RFC2045_CHARS})/({_RFC2045_CHARS})[ \t]*(?:;[ \t]*({_RFC2045_CHARS})[ \t]*=[ \t]*"
    rf'(?:"([^"\\]*)"|([A-Za-z0-9!#$%&\'*+.^_`{{|}}~=/:@-]+))[ \t]*)?;?[ \t]*'
)
_SECTION = re.compile(r"(.+?)\*(\d{1,3})(\*?)$")


def strip_comments(value: str) -> str:
    """Remove RFC 5322 §3.2.2 comments (nested) outside quoted strings."""
    if "(" not in value:
        return value
    out: list[str] = []
    depth = 0
    in_quote = False
    escaped = False
    for char in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\":
            escaped = True
            if depth == 0:
                out.append(char)
            continue
        if in_quote:
            if char == '"':
                in_quote = False
            out.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            if char == '"':
                in_quote = True
            out.append(char)
    return "".join(out)


def _parse_params(value: str, pos: int) -> Params:
    params: list[tuple[str, str]] = []
    for name, written in _PARAM.findall(value, pos):
        if written.startswith('"'):
            text = written[1:-1] if written.endswith('"') and len(written) > 1 else written[1:]
            if "\\" in text:
                text = _QUOTED_PAIR.sub(r"\1", text)
        else:
            text = written.strip()
        params.append((name, text))
    return tuple(params)


def parse_content_type(value: str) -> tuple[str, str, Params] | None:
    """``(type, subtype, params)`` with type and subtype lower-cased, or None when invalid.

    A None result means the caller applies the RFC 2045 §5.2 default.
    """
    value = value[:MAX_STRUCTURED_VALUE]
    simple = _SIMPLE_TYPE.fullmatch(value)
    if simple is not None:
        type_, subtype, name, quoted, token = simple.groups()
        if name is None:
            return type_.lower(), subtype.lower(), ()
        return type_.lower(), subtype.lower(), ((name, quoted if quoted is not None else token),)
    return parse_content_type_general(value)


def parse_content_type_general(value: str) -> tuple[str, str, Params] | None:
    """:func:`parse_content_type` without its fast path (comments, many parameters)."""
    value = strip_comments(value)
    match = _TYPE.match(value)
    if match is None:
        return None
    return match.group(1).lower(), match.group(2).lower(), _parse_params(value, match.end())


def parse_disposition(value: str) -> tuple[str, Params] | None:
    """``(disposition type, params)`` of a Content-Disposition (RFC 2183 §2), or None.

    The disposition type keeps its case; IMAP sends it as written.
    """
    value = strip_comments(value[:MAX_STRUCTURED_VALUE])
    match = _TOKEN.match(value)
    if match is None:
        return None
    return match.group(1), _parse_params(value, match.end())


def _percent_decode(data: str) -> bytes:
    # RFC 2231 §4: extended values are %-encoded octets; a stray "%" stays literal.
    return unquote_to_bytes(data)


def decode_params(params: Params) -> Params:
    """Merge RFC 2231 §3 continuations, decode §4 charsets, lower-case the names.

    Order follows the first appearance of each name; a later duplicate is dropped.
    """
    if not any("*" in name or "=?" in value for name, value in params):
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for name, value in params:
            lname = name.lower()
            if lname not in seen:
                seen.add(lname)
                out.append((lname, value))
        return tuple(out)
    order: dict[str, None] = {}  # an ordered set
    simple: dict[str, str] = {}
    sections: dict[str, dict[int, tuple[str, bool]]] = {}
    for name, value in params:
        lname = name.lower()
        section = _SECTION.match(lname)
        if section is not None:
            base = section.group(1)
            number = int(section.group(2))
            parts = sections.setdefault(base, {})
            parts.setdefault(number, (value, bool(section.group(3))))
            order.setdefault(base)
        elif lname.endswith("*"):
            base = lname[:-1]
            sections.setdefault(base, {}).setdefault(0, (value, True))
            order.setdefault(base)
        else:
            if lname not in simple:
                simple[lname] = decode_encoded_words(value) if "=?" in value else value
            order.setdefault(lname)
    result: list[tuple[str, str]] = []
    for base in order:
        numbered = sections.get(base)
        if not numbered:
            result.append((base, simple[base]))
            continue
        charset: str | None = None
        chunks: list[bytes] = []
        # RFC 2231 §3: sections are numbered from 0 without gaps; stop at the first gap.
        for number in range(len(numbered)):
            if number not in numbered:
                break
            text, extended = numbered[number]
            if extended:
                if number == 0:
                    pieces = text.split("'", 2)
                    if len(pieces) == 3:
                        charset, text = pieces[0] or None, pieces[2]
                chunks.append(_percent_decode(text))
            else:
                chunks.append(text.encode("utf-8", "replace"))
        result.append((base, decode_bytes(b"".join(chunks), charset)))
    return tuple(result)


def get_param(params: Params, name: str) -> str | None:
    """The decoded value of parameter ``name`` (case-insensitive), or None."""
    lname = name.lower()
    for key, value in decode_params(params):
        if key == lname:
            return value
    return None
