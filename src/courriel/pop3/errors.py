"""POP3 protocol errors, each carrying the ``-ERR`` line it is answered with.

::

    CourrielError             (courriel.core.errors)
     └── Pop3Error            a command is refused; ``reply`` is its -ERR line
          └── Pop3SyntaxError  the grammar refuses the command line (RFC 1939 §3, RFC 2449 §3)

The session catches ``Pop3Error`` once and writes ``error.reply``; a syntax error does not
end the session (RFC 1939 §3: the server answers "-ERR" and waits for the next command).
Storage and directory errors are mapped to POP3 replies in the session's table, not here.
"""

from __future__ import annotations

from courriel.core.errors import CourrielError
from courriel.pop3.responses import RespCode, err

__all__ = ["Pop3Error", "Pop3SyntaxError"]


class Pop3Error(CourrielError):
    """A refused command; ``reply`` is the ``-ERR`` line to send (RFC 1939 §3)."""

    def __init__(self, text: str, code: RespCode | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.code = code

    @property
    def reply(self) -> bytes:
        return err(self.text, self.code)


class Pop3SyntaxError(Pop3Error):
    """The command line is not one the grammar accepts: unknown verb, wrong arguments, too
    long. The text never repeats what the client sent (it may hold a password)."""
