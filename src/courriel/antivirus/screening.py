"""``VirusScreen``: what a virus scan means for one message, as the delivery pipeline asks.

:meth:`VirusScreen.screen` scans the message as received and returns a :class:`Screening`:

- ``infected``: clamd found a signature; the pipeline refuses the message at the end of
  DATA (``554 5.7.0``) and stores nothing;
- ``clean``: delivered with ``X-Virus-Scan: clean (clamd)`` — one short field, so a user
  (or an administrator reading a complaint) can see that the scan ran;
- ``not-run``: no verdict (clamd unreachable, timed out, answered garbage or an error).
  ``antivirus.on_unreachable`` decides: ``"accept"`` delivers the message with
  ``X-Virus-Scan: not run (clamd unreachable)`` (or ``... error``), ``"tempfail"`` makes
  the pipeline answer ``451 4.7.0`` so the sender retries later;
- ``too-large``: the message is larger than ``antivirus.max_size`` (or clamd's own
  ``StreamMaxLength``): delivered with ``X-Virus-Scan: not run (message too large)``,
  whatever ``on_unreachable`` says, since retrying would never help.

The field is added by the pipeline above its ``Received:`` line, like our other trace
fields; copies of ``X-Virus-Scan`` a sender wrote are removed first
(:func:`remove_virus_fields`), whether or not scanning is on, so that only this server
vouches for a scan.

Must not: talk the protocol (``clamd``) or store or refuse anything itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, Protocol

from courriel.antivirus.clamd_protocol import (
    ClamdError,
    Clean,
    Infected,
    ScanReply,
    SizeLimitExceeded,
)
from courriel.antivirus.daemon import ScannerError
from courriel.config.schema import OnUnreachable
from courriel.mail.compose import header_lines
from courriel.mail.headers import without_named_fields

log = logging.getLogger("courriel.antivirus")

FIELD = "X-Virus-Scan"
VIRUS_FIELDS = frozenset({FIELD.lower()})
"""The names (lower case) of the fields this server writes about scanning."""
Outcome = Literal["clean", "infected", "not-run", "too-large"]


class VirusScanner(Protocol):
    """What :class:`VirusScreen` needs of a scanner (``clamd.ClamdClient``)."""

    @property
    def name(self) -> str: ...

    async def scan(self, data: bytes) -> ScanReply: ...


@dataclass(frozen=True, slots=True)
class Screening:
    """The result of screening one message."""

    outcome: Outcome
    scanner: str
    signature: str = ""
    """The signature found (``infected``)."""
    reason: str = ""
    """Why the scan did not run (``not-run``, ``too-large``), for the log and the field."""
    tempfail: bool = False
    """Refuse for now (``451 4.7.0``): ``not-run`` with ``on_unreachable = "tempfail"``."""

    @property
    def infected(self) -> bool:
        return self.outcome == "infected"

    def field_value(self) -> str:
        """The ``X-Virus-Scan`` value (empty when the message is refused)."""
        if self.outcome == "clean":
            return f"clean ({self.scanner})"
        if self.outcome == "too-large":
            return "not run (message too large)"
        if self.outcome == "not-run":
            return f"not run ({self.reason})"
        return ""

    def header(self) -> bytes:
        """The field to add above the ``Received:`` line; ``b""`` when refused."""
        if self.infected or self.tempfail:
            return b""
        return header_lines([(FIELD, self.field_value())])

    def explanation(self) -> str:
        """The reply text when the message is refused."""
        if self.infected:
            return f"Message refused: it contains a virus ({self.signature})"
        return "Virus scan unavailable, please try again later"


class VirusScreen:
    """Screens messages with ``scanner`` under the ``[antivirus]`` policy."""

    def __init__(
        self, scanner: VirusScanner, *, max_size: int, on_unreachable: OnUnreachable
    ) -> None:
        self.scanner = scanner
        self.max_size = max_size
        self.on_unreachable = on_unreachable

    async def screen(self, raw: bytes, *, session_id: str = "") -> Screening:
        """Scan ``raw``; never raises for a scanner problem (see the module docstring)."""
        name = self.scanner.name
        if len(raw) > self.max_size:
            log.info("[%s] not scanned for viruses: %d bytes", session_id or "-", len(raw))
            return Screening("too-large", name, reason="message too large")
        try:
            reply = await self.scanner.scan(raw)
        except ScannerError as error:
            return self._not_run(f"{name} unreachable", str(error), session_id)
        except Exception as error:  # a bug here must not cost a message; logged in full
            log.exception("[%s] virus scan failed", session_id or "-")
            return self._not_run(f"{name} error", type(error).__name__, session_id)
        if isinstance(reply, Infected):
            log.warning("[%s] virus found: %s", session_id or "-", reply.signature)
            return Screening("infected", name, signature=reply.signature)
        if isinstance(reply, Clean):
            return Screening("clean", name)
        if isinstance(reply, SizeLimitExceeded):
            log.info("[%s] not scanned for viruses: over %s's size limit", session_id, name)
            return Screening("too-large", name, reason="message too large")
        assert isinstance(reply, ClamdError)
        return self._not_run(f"{name} error", reply.message, session_id)

    def _not_run(self, reason: str, detail: str, session_id: str) -> Screening:
        tempfail = self.on_unreachable == "tempfail"
        log.warning(
            "[%s] virus scan did not run (%s: %s); %s",
            session_id or "-",
            reason,
            detail,
            "temporary failure" if tempfail else "accepted unscanned",
        )
        return Screening("not-run", self.scanner.name, reason=reason, tempfail=tempfail)


def remove_virus_fields(raw: bytes) -> bytes:
    """``raw`` without the ``X-Virus-Scan`` fields of its top-level header: only this
    server may say whether a message was scanned."""
    return without_named_fields(raw, VIRUS_FIELDS)
