"""The outbound SMTP client the queue delivers with (RFC 5321 client side).

- ``session``  ``SmtpClient``: connect, greeting, EHLO/HELO, STARTTLS, AUTH, transactions
               (PIPELINING, DATA, BDAT), QUIT, with RFC 5321 §4.5.3.2 ``Timeouts``
- ``plan``     pure: the parameters and command lines of one transaction for what the
               server offered, refusals before sending, dot-stuffing, BDAT chunks
- ``errors``   ``SmtpClientError`` and its subclasses, each knowing whether to retry

Usage::

    async with await SmtpClient.connect(address, 25, local_hostname="mx.example.org",
                                        tls_context=context, server_hostname=mx) as client:
        if client.offers("STARTTLS"):
            await client.starttls()
        result = await client.send("alice@example.org", [Recipient("bob@example.net")], raw)
        for recipient, reply in zip(recipients, result.outcomes): ...

Must not: route, retry, or know about the queue; the grammar lives in ``smtp.protocol``.
"""

from courriel.smtp.client.errors import (
    SmtpAuthError,
    SmtpBadReply,
    SmtpClientError,
    SmtpConnectionError,
    SmtpNotPossible,
    SmtpReplyError,
    SmtpTimeout,
    SmtpTlsError,
)
from courriel.smtp.client.plan import (
    Recipient,
    TransactionPlan,
    address_is_valid,
    dot_stuff,
    parse_notify,
    parse_original_recipient,
    plan_transaction,
)
from courriel.smtp.client.session import (
    DEFAULT_AUTH_MECHANISMS,
    SendResult,
    SmtpClient,
    Timeouts,
)

__all__ = [
    "DEFAULT_AUTH_MECHANISMS",
    "Recipient",
    "SendResult",
    "SmtpAuthError",
    "SmtpBadReply",
    "SmtpClient",
    "SmtpClientError",
    "SmtpConnectionError",
    "SmtpNotPossible",
    "SmtpReplyError",
    "SmtpTimeout",
    "SmtpTlsError",
    "Timeouts",
    "TransactionPlan",
    "address_is_valid",
    "dot_stuff",
    "parse_notify",
    "parse_original_recipient",
    "plan_transaction",
]
