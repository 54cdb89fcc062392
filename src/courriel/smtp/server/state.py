"""The SMTP session's state as values (RFC 5321 §4.1.4 command order).

``Connected`` (no EHLO yet) → ``Greeted`` (EHLO/HELO done) → ``InTransaction`` (MAIL given,
recipients accumulating). Data that exists only during a transaction lives on
``InTransaction``, so a handler that needs the sender gets it from the state it is allowed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from courriel.delivery.model import Recipient
from courriel.smtp.protocol import BdatReader, MailParameters


@dataclass(frozen=True)
class Connected:
    """After the greeting, before EHLO/HELO (and again after STARTTLS, RFC 3207 §4.2)."""


@dataclass(frozen=True)
class Greeted:
    helo: str
    extended: bool
    """EHLO (True) or HELO (False)."""


@dataclass
class InTransaction:
    helo: str
    extended: bool
    sender: str
    parameters: MailParameters
    recipients: list[Recipient] = field(default_factory=list)
    bdat: BdatReader | None = None
    """The transaction's chunk reader once BDAT started (RFC 3030 §2)."""
    bdat_chunks: list[bytes] = field(default_factory=list)


State = Connected | Greeted | InTransaction
