"""Normalising the addresses and domain names the directory stores and looks up.

Domains are stored as lower-case A-labels (IDNA 2008 through the ``idna`` codec of
dnspython's dependency when available, else Python's IDNA 2003 codec), so ``exämple.test``
and ``xn--exmple-cua.test`` are one domain. Local parts are compared case-insensitively, as
every mainstream system does although RFC 5321 §2.4 lets the receiver decide; UTF-8 local
parts (RFC 6531) are kept in Unicode, lower-cased. Must not: look anything up.
"""

from __future__ import annotations

import re

from courriel.directory.errors import InvalidAddress

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# RFC 5322 §3.2.3 atext, plus "." between atoms (dot-atom); UTF-8 allowed (RFC 6531 §3.3).
_LOCAL_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]+$")


def normalize_domain(domain: str) -> str:
    """The stored form of a domain name; raises ``InvalidAddress``."""
    name = domain.strip().rstrip(".").lower()
    if not name:
        raise InvalidAddress("the domain name is empty")
    try:
        ascii_name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        raise InvalidAddress(f"{domain!r} is not a valid domain name") from None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or len(labels) < 2 or not all(_LABEL.match(x) for x in labels):
        raise InvalidAddress(f"{domain!r} is not a valid domain name (RFC 1035 §2.3.1)")
    return ascii_name


def normalize_local_part(local: str) -> str:
    """The stored form of a local part; raises ``InvalidAddress``."""
    if not local or len(local.encode("utf-8")) > 64:  # RFC 5321 §4.5.3.1.1
        raise InvalidAddress(f"{local!r}: a local part has 1 to 64 octets")
    atoms = local.split(".")
    if not all(atoms) or not all(_LOCAL_ATOM.match(atom) for atom in atoms):
        raise InvalidAddress(f"{local!r} is not a valid local part (RFC 5322 §3.4.1 dot-atom)")
    return local.lower()


def normalize_address(address: str) -> str:
    """``local@domain`` in stored form; raises ``InvalidAddress``."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local:
        raise InvalidAddress(f"{address!r} is not an address of the form local@domain")
    return f"{normalize_local_part(local)}@{normalize_domain(domain)}"


def normalize_alias_source(address: str) -> str:
    """Like ``normalize_address``, but ``@domain`` (a catch-all) is accepted too."""
    if address.strip().startswith("@"):
        return "@" + normalize_domain(address.strip()[1:])
    return normalize_address(address)


def split_address(address: str) -> tuple[str, str]:
    """(local part, domain) of a normalised address."""
    local, _, domain = address.rpartition("@")
    return local, domain
