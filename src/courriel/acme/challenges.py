"""The http-01 challenge responses (RFC 8555 §8.3), kept as files in the data directory.

The ACME client publishes ``token -> key authorization`` here; the ``http`` listener
(``web.app.redirect_app``) answers ``GET /.well-known/acme-challenge/<token>`` from it. Files,
not memory, so that ``courriel cert renew`` run beside a serving ``courriel serve`` is
validated through the server's own listener on port 80.

Tokens are checked against the base64url alphabet before they become file names, so no
request path can read outside the directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from courriel.acme.messages import TOKEN_PATTERN

WELL_KNOWN_PREFIX = "/.well-known/acme-challenge/"
"""RFC 8555 §8.3: the path under which the CA fetches ``<token>``."""
MAX_KEY_AUTHORIZATION = 1024


def challenge_directory(data_dir: Path) -> Path:
    """Where the challenge responses of the data directory ``data_dir`` live."""
    return data_dir / "acme" / "http-01"


class ChallengeDirectory:
    """A directory of ``<token>`` files holding key authorizations."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def publish(self, token: str, key_authorization: str) -> None:
        """Serve ``key_authorization`` for ``token`` from now on."""
        target = self._file(token)
        if target is None:
            raise ValueError(f"not an ACME token: {token[:80]!r}")
        self.path.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{token}.tmp")
        temporary.write_text(key_authorization, encoding="ascii")
        os.replace(temporary, target)

    def withdraw(self, token: str) -> None:
        """Stop serving ``token`` (the CA has validated it or given up)."""
        target = self._file(token)
        if target is not None:
            target.unlink(missing_ok=True)

    def key_authorization(self, token: str) -> bytes | None:
        """What to answer for ``token``, or None when it is unknown or not a token."""
        target = self._file(token)
        if target is None:
            return None
        try:
            with target.open("rb") as handle:
                return handle.read(MAX_KEY_AUTHORIZATION)
        except OSError:
            return None

    def _file(self, token: str) -> Path | None:
        if not TOKEN_PATTERN.fullmatch(token):
            return None
        return self.path / token
