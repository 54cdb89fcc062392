"""The SMTP grammar, pure: bytes in, typed values out, and back (RFC 5321 and extensions).

Modules, each owning one part of the protocol:

- ``commands``    one command line → ``Helo``, ``Ehlo``, ``MailFrom``, ``RcptTo``, ``Data``,
                  ``Bdat``, ``Auth``... through the ``VERBS`` table
- ``addresses``   RFC 5321 §4.1.2 paths and mailboxes, SMTPUTF8, relay-hazard facts
- ``parameters``  ESMTP MAIL/RCPT parameters (SIZE, BODY, SMTPUTF8, DSN, AUTH=, REQUIRETLS)
- ``replies``     ``Reply``, its wire form, the named replies, the client's ``ReplyParser``
- ``data``        DATA (dot-stuffed, smuggling-safe) and BDAT chunk readers
- ``extensions``  the EHLO reply and the parameters it enables
- ``errors``      ``SmtpError`` and friends, which carry their reply

Nothing here does I/O, reads configuration or touches storage, so every function can be
tested and fuzzed alone. Client input raises nothing but ``SmtpSyntaxError``.
"""

from courriel.smtp.protocol.addresses import Address, Path, RelayHazard
from courriel.smtp.protocol.commands import (
    Auth,
    Bdat,
    Command,
    Data,
    Ehlo,
    Expn,
    Helo,
    Help,
    MailFrom,
    Noop,
    Quit,
    RcptTo,
    Rset,
    StartTls,
    Vrfy,
    parse_command,
)
from courriel.smtp.protocol.data import BdatReader, DataReader
from courriel.smtp.protocol.errors import (
    AddressSyntaxError,
    MalformedReply,
    NonAsciiAddressError,
    SmtpError,
    SmtpProtocolError,
    SmtpSyntaxError,
)
from courriel.smtp.protocol.extensions import Capabilities, ehlo_reply, offered_extensions
from courriel.smtp.protocol.parameters import MailParameters, RcptParameters
from courriel.smtp.protocol.replies import Reply, ReplyParser

__all__ = [
    "Address",
    "AddressSyntaxError",
    "Auth",
    "Bdat",
    "BdatReader",
    "Capabilities",
    "Command",
    "Data",
    "DataReader",
    "Ehlo",
    "Expn",
    "Helo",
    "Help",
    "MailFrom",
    "MailParameters",
    "MalformedReply",
    "NonAsciiAddressError",
    "Noop",
    "Path",
    "Quit",
    "RcptParameters",
    "RcptTo",
    "RelayHazard",
    "Reply",
    "ReplyParser",
    "Rset",
    "SmtpError",
    "SmtpProtocolError",
    "SmtpSyntaxError",
    "StartTls",
    "Vrfy",
    "ehlo_reply",
    "offered_extensions",
    "parse_command",
]
