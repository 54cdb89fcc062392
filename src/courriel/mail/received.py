"""Trace fields an MTA prepends: ``Received:`` and ``Return-Path:`` (RFC 5321 §4.4).

Owns the text of the time stamp line (RFC 5321 §4.4 Stamp): who connected (the HELO name,
its reverse DNS name and its IP address, §4.4 and §3.7.2 on not trusting the HELO), who
received, the protocol with its RFC 3848 / RFC 6531 §3.7.3 name, the TLS version and cipher
(RFC 8314 §7: a comment for people, the registered ``tls`` clause for programs), the queue
id, the recipient when there is exactly one, and the date. Also the ``Return-Path:`` field
written at final delivery (RFC 5321 §4.4).

Text that came from the network (the HELO name, reverse DNS data) is cleaned so that it
cannot break the field's syntax or start a field of its own; values that come from this
server (host name, queue id, protocol) are checked and raise ``ValueError`` when wrong.

Must not: decide what to record (which protocol name applies, whether to name the
recipient: the SMTP session knows), read the clock (``now`` is a parameter), or resolve
names.
"""

from __future__ import annotations

import ipaddress
import re

from courriel.mail.address import domain_to_ascii
from courriel.mail.compose import fold_value, format_date, header_lines

#: Registered "WITH" protocol types (RFC 5321 §4.4 Protocol, RFC 3848 §2, RFC 6531 §3.7.3).
WITH_PROTOCOLS = frozenset(
    {
        "SMTP",
        "ESMTP",
        "ESMTPA",
        "ESMTPS",
        "ESMTPSA",
        "LMTP",
        "LMTPA",
        "LMTPS",
        "LMTPSA",
        "UTF8SMTP",
        "UTF8SMTPA",
        "UTF8SMTPS",
        "UTF8SMTPSA",
        "UTF8LMTP",
        "UTF8LMTPA",
        "UTF8LMTPS",
        "UTF8LMTPSA",
    }
)

# IANA names of the TLS 1.2 suites OpenSSL names differently; TLS 1.3 names are the same.
# RFC 8314 §7.4 wants the registered name in the "tls" clause.
_IANA_CIPHER_NAMES = {
    "ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-RSA-AES128-GCM-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-RSA-CHACHA20-POLY1305": "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "DHE-RSA-AES128-GCM-SHA256": "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    "DHE-RSA-AES256-GCM-SHA384": "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "DHE-RSA-CHACHA20-POLY1305": "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}
# RFC 8314 §7.4 tls-cipher-name = ALPHA *(ALPHA / DIGIT / "_").
_TLS_CIPHER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# What a comment may hold without quoting (RFC 5322 §3.2.2 ctext), minus blanks we add.
_COMMENT_TEXT = re.compile(r"[!-'*-\[\]-~]+")
# RFC 5321 §4.1.2 Let-dig / Ldh-str, with "_" that real names carry anyway.
_HOST_CHARS = re.compile(r"[^A-Za-z0-9._-]")
# RFC 5321 §4.1.3 address-literal: "[" dcontent "]", as a client may write it in HELO.
_ADDRESS_LITERAL = re.compile(r"\[[!-Z^-~]{1,253}\]")
# RFC 5322 §3.2.3 atext: the queue id is an Atom (RFC 5321 §4.4 ID).
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+")
_MAX_NAME = 255  # RFC 1035 §2.3.4 / RFC 5321 §4.5.3.1.2


def received_protocol(
    *, tls: bool, authenticated: bool, utf8: bool = False, lmtp: bool = False
) -> str:
    """The registered "with" name for a session: ``ESMTP`` + ``S`` (TLS) + ``A`` (AUTH).

    RFC 3848 §2 (ESMTPA, ESMTPS, ESMTPSA, LMTP...), RFC 6531 §3.7.3 (UTF8SMTP... when the
    message used SMTPUTF8). Plain ``SMTP`` (HELO sessions) is not produced here.
    """
    base = ("UTF8" if utf8 else "") + ("LMTP" if lmtp else ("SMTP" if utf8 else "ESMTP"))
    return base + ("S" if tls else "") + ("A" if authenticated else "")


def received_header(
    *,
    from_helo: str,
    from_ip: str,
    from_rdns: str | None,
    by_host: str,
    protocol: str,
    tls: tuple[str, str] | None,
    queue_id: str,
    for_recipient: str | None,
    now: float,
    tz_offset_minutes: int = 0,
) -> bytes:
    """One ``Received:`` field (RFC 5321 §4.4), folded, with its CRLF.

    ``Received: from helo (rdns [ip]) by host with ESMTPS (TLSv1.3 cipher) id XYZ
    for <rcpt> tls CIPHER; date``.

    ``from_rdns`` is the verified reverse DNS name of ``from_ip`` or None; ``tls`` the
    negotiated ``(version, cipher)`` (as ``ssl`` names them) or None, and must agree with
    ``protocol`` (an ``S`` name exactly when TLS was used, RFC 3848 §2). ``for_recipient``
    should be given only when the message has exactly one recipient: naming one of several
    would reveal the others' presence, Bcc ones included (RFC 5321 §7.2).
    """
    # RFC 5321 §4.4 Protocol: a registered name; RFC 3848 §2: "S" means STARTTLS/TLS used.
    if protocol not in WITH_PROTOCOLS:
        raise ValueError(f"not a registered Received protocol: {protocol!r}")
    if (tls is not None) != protocol.rstrip("A").endswith("S"):
        raise ValueError(f"protocol {protocol} does not match the TLS state")
    # RFC 5321 §4.4 ID = CFWS "ID" FWS ( Atom / msg-id ).
    if not _ATOM.fullmatch(queue_id):
        raise ValueError(f"queue id is not an atom: {queue_id!r}")
    host = _own_host(by_host)

    # RFC 5321 §4.4 From-domain = "FROM" FWS Extended-Domain, TCP-info = Domain FWS
    # address-literal / address-literal: the HELO name, then what the connection showed.
    tcp_info = _address_literal(from_ip)
    if from_rdns:
        tcp_info = f"{_clean_host(from_rdns)} {tcp_info}"
    clauses = [
        f"from {_clean_helo(from_helo)} ({tcp_info})",
        f"by {host}",  # RFC 5321 §4.4 By-domain
    ]
    with_clause = f"with {protocol}"  # RFC 5321 §4.4 With
    if tls is not None:
        version, cipher = (_comment_text(value) for value in tls)
        # RFC 8314 §7.4 allows the version and cipher to be recorded; people read comments.
        with_clause += f" ({version} {cipher})"
    clauses.append(with_clause)
    clauses.append(f"id {queue_id}")  # RFC 5321 §4.4 ID
    if for_recipient is not None:
        # RFC 5321 §4.4 For = CFWS "FOR" FWS ( Path / Mailbox ).
        clauses.append(f"for <{_path(for_recipient)}>")
    if tls is not None:
        registered = _iana_cipher(tls[1])
        if registered is not None:
            # RFC 8314 §7.4: the "tls" Additional-Registered-Clause, after the others
            # (RFC 5321 §4.4 Opt-info order).
            clauses.append(f"tls {registered}")
    clauses[-1] += ";"
    # RFC 5321 §4.4 Stamp: ... [CFWS] ";" FWS date-time.
    clauses.append(format_date(now, tz_offset_minutes))
    return header_lines([("Received", fold_value("Received", clauses))])


def return_path_header(sender: str) -> bytes:
    """``Return-Path: <sender>`` with CRLF; ``<>`` for the null sender (RFC 5321 §4.4).

    Written by the final delivery MTA from the MAIL FROM reverse-path (RFC 5321 §4.4:
    Return-path-line = "Return-Path:" FWS Reverse-path).
    """
    return header_lines([("Return-Path", f"<{_path(sender)}>" if sender else "<>")])


def _path(address: str) -> str:
    if any(char in address for char in "\r\n<> \t") or not address.isprintable():
        raise ValueError(f"not a mailbox: {address!r}")
    return address


def _address_literal(ip: str) -> str:
    """RFC 5321 §4.1.3 address-literal: ``[192.0.2.1]``, ``[IPv6:2001:db8::1]``."""
    address = ipaddress.ip_address(ip.strip().strip("[]"))
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # a dual-stack socket's IPv4 peer
            return f"[{address.ipv4_mapped}]"
        return f"[IPv6:{address.compressed}]"
    return f"[{address}]"


def _clean_host(name: str) -> str:
    """A name from outside as something Domain-shaped: ASCII, no specials, bounded."""
    ascii_name = domain_to_ascii(name.strip().rstrip("."))
    cleaned = _HOST_CHARS.sub("_", ascii_name)[:_MAX_NAME]
    return cleaned or "unknown"


def _clean_helo(helo: str) -> str:
    """The HELO/EHLO argument as the client sent it, made safe to write (RFC 5321 §4.4).

    An address literal is kept; anything else is cleaned like a host name. It is recorded
    as claimed, never trusted (RFC 5321 §3.7.2 / §4.4): the comment shows the facts.
    """
    helo = helo.strip()
    if _ADDRESS_LITERAL.fullmatch(helo):
        return helo
    return _clean_host(helo)


def _own_host(name: str) -> str:
    host = domain_to_ascii(name.strip().rstrip("."))
    if not host or _HOST_CHARS.search(host) or len(host) > _MAX_NAME:
        raise ValueError(f"not a host name: {name!r}")
    return host


def _comment_text(text: str) -> str:
    words = [word for word in text.split() if _COMMENT_TEXT.fullmatch(word)]
    return "-".join(words) or "unknown"


def _iana_cipher(cipher: str) -> str | None:
    """The registered cipher suite name (RFC 8314 §7.4), or None when it is not known."""
    name = _IANA_CIPHER_NAMES.get(cipher, cipher)
    if name.startswith("TLS_") and _TLS_CIPHER_NAME.fullmatch(name):
        return name
    return None
