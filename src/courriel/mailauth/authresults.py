"""The ``Authentication-Results:`` field we write, and the forged ones we remove (RFC 8601).

:func:`authentication_results_value` renders :class:`MethodResult` values after our
authserv-id (RFC 8601 §2.2), in the order spf, dkim, dmarc, arc, iprev (then any other
method), one result per line; :func:`authentication_results_header` makes the folded field.
A result's ``reason`` is written as a comment after it (``spf=pass (domain of ...)``), the
form the large receivers use and RFC 8601 §2.2 allows (CFWS). Values that are not RFC 2045
tokens, nor ``local-part@domain`` where RFC 8601 §2.2 ``pvalue`` allows it, are quoted.

:func:`remove_forged_results` deletes, byte-exactly, every ``Authentication-Results`` field
of a received message whose authserv-id is ours (RFC 8601 §5): only we may write results
under our name, and a message from outside that carries some is lying about our checks.
``ARC-Authentication-Results`` fields are not touched: they belong to the ARC chain
(RFC 8617), whose seals cover them.

Must not: decide anything from the results, or change any byte it does not remove.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from courriel.mail.compose import fold_value, header_lines
from courriel.mail.headers import find_header_end, split_header_fields, without_fields
from courriel.mailauth.fieldtext import comment_text, without_controls
from courriel.mailauth.results import MethodResult

FIELD_NAME = "Authentication-Results"
METHOD_ORDER = ("spf", "dkim", "dmarc", "arc", "iprev")
_FIELD_NAME_BYTES = FIELD_NAME.lower().encode("ascii")

# RFC 2045 §5.1: token := 1*<any (US-ASCII) CHAR except SPACE, CTLs, or tspecials>.
_TOKEN = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+")
# RFC 8601 §2.2 pvalue: [ [ local-part ] "@" ] domain-name; local-part a dot-atom or a
# quoted-string (RFC 5322 §3.4.1), as SMTP carries it.
_ATEXT = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]"
_MAILBOX = re.compile(
    rf'(?:{_ATEXT}+(?:\.{_ATEXT}+)*|"(?:[^"\\\x00-\x1f\x7f]|\\[\x20-\x7e])*")?'
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
)


def authentication_results_value(authserv_id: str, results: Sequence[MethodResult]) -> str:
    """The field value, folded: ``authserv-id;`` then one ``resinfo`` per line.

    RFC 8601 §2.2: ``authres-payload = [CFWS] authserv-id [CFWS authres-version]
    (no-result / 1*resinfo)``; without results it is ``authserv-id; none``. The version
    is omitted (RFC 8601 §2.2: "assumed to be 1"). Give the value to
    ``mail.compose.header_lines``, or use :func:`authentication_results_header`.
    """
    serv_id = _token_or_quoted(authserv_id)
    if not results:
        return f"{serv_id}; none"  # RFC 8601 §2.2 no-result
    ordered = sorted(results, key=_method_rank)
    lines = [f"{serv_id};"]
    for index, result in enumerate(ordered):
        separator = ";" if index < len(ordered) - 1 else ""
        # A line of its own per result; a long one is folded at its own blanks, which
        # RFC 5322 §3.2.2 allows inside comments and quoted strings too.
        lines.append(" " + fold_value("", [resinfo(result) + separator]))
    return "\r\n".join(lines)


def authentication_results_header(authserv_id: str, results: Sequence[MethodResult]) -> bytes:
    """The whole ``Authentication-Results:`` field, CRLF-terminated, to prepend."""
    return header_lines([(FIELD_NAME, authentication_results_value(authserv_id, results))])


def resinfo(result: MethodResult) -> str:
    """``method=result (reason) ptype.property=value ...`` (RFC 8601 §2.2), unfolded."""
    parts = [f"{_token_or_quoted(result.method)}={_token_or_quoted(result.result)}"]
    if result.reason:
        parts.append(_comment(result.reason))
    for name, value in result.properties:
        parts.append(f"{name}={_property_value(value)}")
    return " ".join(parts)


def remove_forged_results(message: bytes, authserv_id: str) -> bytes:
    """``message`` without its ``Authentication-Results`` fields that claim ``authserv_id``.

    RFC 8601 §5: an MTA "MUST delete any discovered instance of this header field that
    claims, by virtue of its authentication service identifier, to have been added within
    its trust boundary but that did not come directly from another trusted MTA". Mail
    from outside never comes from a trusted MTA here, so every such field goes. The
    authserv-id is compared case-insensitively, a trailing dot ignored; a field whose
    authserv-id cannot be read claims nothing and stays. Every other byte is kept.
    """
    ours = _comparable(authserv_id)
    end, _ = find_header_end(message)
    if _FIELD_NAME_BYTES not in message[:end].lower():  # the usual case, without parsing
        return message
    forged = [
        field
        for field in split_header_fields(message, 0, end)
        if field.lname == FIELD_NAME.lower()
        and (claimed := read_authserv_id(field.value)) is not None
        and _comparable(claimed) == ours
    ]
    return without_fields(message, forged)


def read_authserv_id(value: bytes) -> str | None:
    """The authserv-id at the start of a raw field value (RFC 8601 §2.2: ``[CFWS]
    authserv-id``, a token or a quoted-string), or None when there is none."""
    text = value.decode("latin-1")
    position = _skip_cfws(text, 0)
    if position >= len(text):
        return None
    if text[position] == '"':
        return _quoted_string(text, position)
    match = _TOKEN.match(text, position)
    return match.group() if match else None


# -- rendering ---------------------------------------------------------------------------------


def _method_rank(result: MethodResult) -> int:
    return _RANKS.get(result.method, len(METHOD_ORDER))


_RANKS = {method: rank for rank, method in enumerate(METHOD_ORDER)}


@functools.lru_cache(maxsize=256)
def _token_or_quoted(text: str) -> str:
    """RFC 2045 ``value := token / quoted-string`` (RFC 8601 §2.2). Remembered: method and
    result names are a handful of words, written in every field."""
    text = without_controls(text)
    if _TOKEN.fullmatch(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _property_value(text: str) -> str:
    # RFC 8601 §2.2: pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]
    text = without_controls(text)
    if _MAILBOX.fullmatch(text):
        return text
    return _token_or_quoted(text)


def _comment(text: str) -> str:
    return "(" + comment_text(" ".join(text.split())) + ")"


# -- reading -----------------------------------------------------------------------------------


def _comparable(authserv_id: str) -> str:
    return authserv_id.strip().rstrip(".").lower()


def _skip_cfws(text: str, position: int) -> int:
    """The position after blanks, line breaks and (nested) comments (RFC 5322 §3.2.2)."""
    depth = 0
    while position < len(text):
        character = text[position]
        if depth and character == "\\":
            position += 2
            continue
        if character == "(":
            depth += 1
        elif character == ")" and depth:
            depth -= 1
        elif not depth and character not in " \t\r\n":
            return position
        position += 1
    return position


def _quoted_string(text: str, position: int) -> str | None:
    out = []
    position += 1
    while position < len(text):
        character = text[position]
        if character == "\\" and position + 1 < len(text):
            out.append(text[position + 1])
            position += 2
            continue
        if character == '"':
            return "".join(out)
        if character not in "\r\n":
            out.append(character)
        position += 1
    return None
