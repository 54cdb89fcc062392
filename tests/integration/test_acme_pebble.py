"""Automatic certificates against a real ACME server: Debian's pebble on loopback.

An in-process ``runtime.Server`` with ``[acme]`` enabled obtains a certificate from pebble,
which validates http-01 by fetching ``/.well-known/acme-challenge/<token>`` from the
server's plain ``http`` listener (its ``httpPort`` is that listener's port; names resolve
through a DNS server run by the test). Then an ``ssl`` client connecting to the IMAPS and
HTTPS listeners sees the new certificate, issued by pebble, while a connection made before
keeps working, without a restart. A validation that fails (the name points where nothing
listens) is logged, the self-signed certificate stays in service, and the retry succeeds
once DNS is right. ``courriel cert renew`` does the same once from the command line, with
a listener of its own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from courriel.acme import challenge_directory
from courriel.acme.account import account_key_path
from courriel.cli import main
from courriel.config import Config
from courriel.config.load import default_config
from courriel.config.schema import LISTENERS
from courriel.net import make_self_signed
from courriel.net.tls import certificate_info
from courriel.runtime.server import Server
from support.dns_server import running_dns_server
from support.pebble import Pebble, running_pebble
from support.server_process import free_port

NAME = "mail.courriel.test"


@pytest.fixture
def http_port() -> int:
    """The port of our ``http`` listener, known before pebble starts (its ``httpPort``)."""
    return free_port()


@pytest.fixture
def dns_records() -> dict[str, str]:
    return {NAME: "127.0.0.1"}


@pytest.fixture
def pebble(http_port: int, dns_records: dict[str, str]) -> Iterator[Pebble]:
    with (
        running_dns_server(dns_records) as dns_port,
        running_pebble(http_port=http_port, dns_port=dns_port) as running,
    ):
        yield running


def acme_config(tmp_path: Path, pebble: Pebble, http_port: int) -> Config:
    data = tmp_path / "data"
    certificate, key = data / "tls" / "cert.pem", data / "tls" / "key.pem"
    make_self_signed(NAME, certificate, key)
    config = default_config(data)
    listeners = {
        spec.name: dataclasses.replace(getattr(config.listeners, spec.name), enabled=False)
        for spec in LISTENERS
    }
    for name in ("imaps", "https"):
        listeners[name] = dataclasses.replace(
            getattr(config.listeners, name), enabled=True, addresses=("127.0.0.1",), port=0
        )
    listeners["http"] = dataclasses.replace(
        config.listeners.http, enabled=True, addresses=("127.0.0.1",), port=http_port
    )
    return dataclasses.replace(
        config,
        server=dataclasses.replace(config.server, hostname=NAME),
        tls=dataclasses.replace(config.tls, certificate=certificate, key=key),
        acme=dataclasses.replace(
            config.acme,
            enabled=True,
            directory=pebble.directory_url,
            contact="postmaster@courriel.test",
            ca_bundle=str(pebble.ca_bundle),
            retry_delay=1.0,
        ),
        listeners=dataclasses.replace(config.listeners, **listeners),
    )


def trusting_pebble(pebble: Pebble, tmp_path: Path) -> ssl.SSLContext:
    """A verifying client context whose only trust anchor is this pebble's root."""
    root = tmp_path / "pebble-root.pem"
    root.write_bytes(pebble.root_pem())
    return ssl.create_default_context(cafile=str(root))


def handshake(port: int, context: ssl.SSLContext, *, http: bool) -> tuple[dict[str, object], bytes]:
    """Connect, verify the chain and ``NAME``, and return the peer certificate and the
    first bytes of the answer (IMAP greets; an HTTPS server is asked for /login)."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=NAME) as tls,
    ):
        peer = tls.getpeercert()
        assert peer is not None
        if http:
            tls.sendall(f"GET /login HTTP/1.1\r\nHost: {NAME}\r\n\r\n".encode())
        return dict(peer), tls.recv(200)


def issuer(peer: dict[str, object]) -> str:
    return " ".join(str(value) for rdn in peer["issuer"] for (_, value) in rdn)  # type: ignore[attr-defined]


async def wait_for(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def listener_port(server: Server, name: str) -> int:
    return next(listener.port for listener in server.listeners if listener.name == name)


async def test_server_obtains_a_certificate_and_new_connections_get_it_without_restart(
    tmp_path: Path, pebble: Pebble, http_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="courriel")
    config = acme_config(tmp_path, pebble, http_port)
    self_signed = certificate_info(config.tls.certificate)
    server = Server(config)
    await server.start()
    try:
        imaps = listener_port(server, "imaps")
        unverified = ssl.create_default_context()
        unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE
        # A connection made before the renewal, with the self-signed certificate.
        early = await asyncio.to_thread(
            unverified.wrap_socket,
            socket.create_connection(("127.0.0.1", imaps), timeout=10),
            server_hostname=NAME,
        )
        early_lines = early.makefile("rb")
        assert (await asyncio.to_thread(early_lines.readline)).startswith(b"* OK")

        await wait_for(lambda: "Pebble" in server.tls.certificate.issuer, 60, "the certificate")

        context = trusting_pebble(pebble, tmp_path)
        for name in ("imaps", "https"):
            peer, first_bytes = await asyncio.to_thread(
                handshake, listener_port(server, name), context, http=name == "https"
            )
            assert "Pebble Intermediate CA" in issuer(peer), peer
            assert ("DNS", NAME) in peer["subjectAltName"]  # type: ignore[operator]
            assert first_bytes.startswith(b"* OK" if name == "imaps" else b"HTTP/1.1 ")
        # The connection made before still works, on the certificate it started with.
        early.sendall(b"a1 NOOP\r\n")
        assert (await asyncio.to_thread(early_lines.readline)).startswith(b"a1 OK")
        early_lines.close()
        early.close()
    finally:
        await server.stop(grace=1)

    installed = certificate_info(config.tls.certificate)
    assert installed.fingerprint_sha256 != self_signed.fingerprint_sha256
    assert installed.names == (NAME,)
    assert config.tls.key.stat().st_mode & 0o777 == 0o600
    assert account_key_path(config.data_dir).stat().st_mode & 0o777 == 0o600
    assert list(challenge_directory(config.data_dir).iterdir()) == []  # tokens withdrawn
    assert any("certificate installed" in record.getMessage() for record in caplog.records)


async def test_a_failed_validation_is_logged_keeps_the_old_certificate_and_is_retried(
    tmp_path: Path,
    pebble: Pebble,
    http_port: int,
    dns_records: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="courriel")
    dns_records[NAME] = "127.0.0.2"  # loopback, but nothing listens there
    config = acme_config(tmp_path, pebble, http_port)
    self_signed = certificate_info(config.tls.certificate)
    server = Server(config)
    await server.start()
    try:

        def failures() -> list[str]:
            return [
                record.getMessage()
                for record in caplog.records
                if "certificate renewal failed" in record.getMessage()
            ]

        await wait_for(lambda: bool(failures()), 60, "a failed attempt")
        assert f"validation of {NAME} failed" in failures()[0]
        assert "keeping the current certificate" in failures()[0]
        assert server.tls.certificate.fingerprint_sha256 == self_signed.fingerprint_sha256
        assert certificate_info(config.tls.certificate) == self_signed

        dns_records[NAME] = "127.0.0.1"
        await wait_for(lambda: "Pebble" in server.tls.certificate.issuer, 60, "the retry")
        peer, _ = await asyncio.to_thread(
            handshake, listener_port(server, "imaps"), trusting_pebble(pebble, tmp_path), http=False
        )
        assert "Pebble Intermediate CA" in issuer(peer)
    finally:
        await server.stop(grace=1)


def write_toml(config: Config) -> None:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    (config.data_dir / "courriel.toml").write_text(
        f"""
[server]
hostname = "{NAME}"

[acme]
enabled = true
directory = "{config.acme.directory}"
ca_bundle = "{config.acme.ca_bundle}"
contact = "{config.acme.contact}"

[listeners.http]
addresses = ["127.0.0.1"]
port = {config.listeners.http.port}
"""
    )


def test_cert_renew_command_obtains_a_certificate_with_its_own_http_listener(
    tmp_path: Path, pebble: Pebble, http_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    config = acme_config(tmp_path, pebble, http_port)
    write_toml(config)
    data = str(config.data_dir)

    assert main(["cert", "renew", "--data", data]) == 0
    out = capsys.readouterr().out
    assert "renewing: the certificate is self-signed" in out
    assert "Pebble Intermediate CA" in out
    assert "Pebble" in certificate_info(config.tls.certificate).issuer

    assert main(["cert", "renew", "--data", data]) == 0
    assert "nothing to do" in capsys.readouterr().out

    assert main(["cert", "show", "--data", data]) == 0
    out = capsys.readouterr().out
    assert f"names:       {NAME}" in out
    assert "automatic renewal: not due" in out


def test_cert_renew_command_reports_a_failed_validation_in_one_line(
    tmp_path: Path,
    pebble: Pebble,
    http_port: int,
    dns_records: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    dns_records[NAME] = "127.0.0.2"
    config = acme_config(tmp_path, pebble, http_port)
    write_toml(config)
    before = certificate_info(config.tls.certificate)

    assert main(["cert", "renew", "--data", str(config.data_dir)]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"courriel: unauthorized: validation of {NAME} failed") or (
        f"validation of {NAME} failed" in error
    ), error
    assert "Traceback" not in error
    assert certificate_info(config.tls.certificate) == before
