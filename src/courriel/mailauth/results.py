"""The outcome of one message-authentication method, as RFC 8601 reports it.

Every check in ``mailauth`` (SPF, DKIM, DMARC, ARC, iprev) returns :class:`MethodResult`
values; ``Authentication-Results:`` is written from them in one place. Results and
properties use the names of the IANA "Email Authentication Methods" and "Email
Authentication Result Names" registries (RFC 8601 §2.7, §6).

Must not: look anything up or decide policy.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MethodResult:
    """``method=result (reason) ptype.property=value ...`` (RFC 8601 §2.2).

    ``method``: ``spf``, ``dkim``, ``dmarc``, ``arc``, ``iprev``. ``result``: ``pass``,
    ``fail``, ``softfail``, ``neutral``, ``none``, ``temperror``, ``permerror``, ``policy``
    (as each method's RFC defines them). ``reason``: a short human explanation or None.
    ``properties``: ``(ptype.property, value)`` pairs such as ``("smtp.mailfrom",
    "alice@example.org")``, ``("header.d", "example.org")``, ``("header.s", "sel")``,
    ``("header.b", "abcd1234")``, ``("header.from", "example.org")``, ``("policy.iprev",
    "192.0.2.1")``.
    """

    method: str
    result: str
    reason: str | None = None
    properties: tuple[tuple[str, str], ...] = ()

    def property(self, name: str) -> str | None:
        """The value of the first property called ``name`` (``"header.d"``), or None."""
        for key, value in self.properties:
            if key == name:
                return value
        return None
