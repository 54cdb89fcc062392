"""A real ``courriel serve`` for the webmail's browser tests: accounts made, the HTTPS base
address, a folder for screenshots that outlives pytest's rotating temporary folders, and an
IMAPS client to look at what the webmail did."""

from __future__ import annotations

import imaplib
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from support.server_process import RunningServer, init_data, running_server


@dataclass
class WebSite:
    server: RunningServer
    base: str
    """``https://127.0.0.1:<port>``, the webmail."""
    artefacts: Path


@contextmanager
def webmail_site(data: Path, accounts: tuple[str, ...], artefacts_prefix: str) -> Iterator[WebSite]:
    """The server running on ``data`` (made by ``courriel init --dev``) with ``accounts``;
    on the way out, its log holds no traceback."""
    ports = init_data(data, accounts=accounts)
    artefacts = Path(tempfile.mkdtemp(prefix=artefacts_prefix))
    with running_server(data, ports) as server:
        yield WebSite(server, f"https://127.0.0.1:{ports['https']}", artefacts)
        assert "Traceback" not in server.log_text()


def imap_client(server: RunningServer) -> imaplib.IMAP4_SSL:
    """An IMAPS connection to the server (its certificate is self-signed), not logged in."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    port = server.ports["imaps"]
    return imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=context, timeout=20)
