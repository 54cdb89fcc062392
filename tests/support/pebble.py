"""A private pebble (Let's Encrypt's ACME test server, Debian ``pebble``) on loopback.

``running_pebble(http_port, dns_port)`` writes pebble's configuration in a fresh directory:
its ACME and management interfaces on free 127.0.0.1 ports, served with a self-signed
certificate made here (``ca_bundle`` trusts it), ``httpPort`` set to the port of the
listener that must answer http-01 (pebble's validation authority connects there), and
``-dnsserver`` pointed at the test's DNS server, so the names resolve to 127.0.0.1.
``PEBBLE_VA_NOSLEEP=1`` skips pebble's random waits; ``PEBBLE_VA_ALWAYS_VALID`` is not set,
so every validation really fetches the challenge response. Pebble still rejects 5 % of
nonces (its default), which exercises the client's badNonce retry.
Skips when pebble is not installed.
"""

from __future__ import annotations

import json
import ssl
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from courriel.net.tls import make_client_context, make_self_signed
from support.daemon_process import private_directory, require_binary, running_process
from support.server_process import free_ports

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Pebble:
    port: int
    management_port: int
    ca_bundle: Path
    directory: Path

    @property
    def directory_url(self) -> str:
        return f"https://{HOST}:{self.port}/dir"

    def root_pem(self) -> bytes:
        """The root of the certificates pebble issues (new at each start)."""
        return _get(f"https://{HOST}:{self.management_port}/roots/0", self.ca_bundle)


def _get(url: str, ca_bundle: Path) -> bytes:
    context = make_client_context(ca_file=ca_bundle)
    with urllib.request.urlopen(url, timeout=5, context=context) as reply:
        return bytes(reply.read())


def _answers(url: str, ca_bundle: Path) -> bool:
    try:
        _get(url, ca_bundle)
    except (OSError, ssl.SSLError):
        return False
    return True


@contextmanager
def running_pebble(*, http_port: int, dns_port: int) -> Iterator[Pebble]:
    binary = require_binary(("pebble", "/usr/bin/pebble"), "pebble")
    with private_directory("courriel-pebble-") as directory:
        cert, key = directory / "cert.pem", directory / "key.pem"
        make_self_signed("localhost", cert, key, extra_names=(HOST,))
        port, management_port, tls_port = free_ports(3)
        pebble = Pebble(port, management_port, cert, directory)
        config = {
            "pebble": {
                "listenAddress": f"{HOST}:{pebble.port}",
                "managementListenAddress": f"{HOST}:{pebble.management_port}",
                "certificate": str(cert),
                "privateKey": str(key),
                "httpPort": http_port,
                "tlsPort": tls_port,
                "ocspResponderURL": "",
                "externalAccountBindingRequired": False,
            }
        }
        (directory / "pebble.json").write_text(json.dumps(config))
        command = [
            "env",
            "-u",
            "PEBBLE_VA_ALWAYS_VALID",  # validations must really fetch our answers
            "PEBBLE_VA_NOSLEEP=1",
            binary,
            "-config",
            str(directory / "pebble.json"),
            "-dnsserver",
            f"{HOST}:{dns_port}",
            "-strict=false",
        ]
        with running_process(
            command,
            directory=directory,
            ready=lambda: _answers(pebble.directory_url, cert),
            start_timeout=20,
            name="pebble",
        ):
            yield pebble
