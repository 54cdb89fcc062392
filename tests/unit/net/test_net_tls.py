"""Certificates, the server TLS policy, live reload, and client contexts (real TLS on loopback)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import ssl
import stat
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from courriel.net import (
    Connection,
    Listener,
    TlsConfigError,
    TlsContextProvider,
    certificate_info,
    make_client_context,
    make_self_signed,
)

HOST = "mail.example.test"
# asyncio aborts a failed handshake, so the client sees the alert or just the reset.
HANDSHAKE_REFUSED = (ssl.SSLError, ConnectionError)


@pytest.fixture(scope="module")
def cert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tls")
    make_self_signed(
        HOST,
        directory / "cert.pem",
        directory / "key.pem",
        extra_names=["localhost", "127.0.0.1", "::1"],
    )
    return directory


@pytest.fixture
def cert_files(cert_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy per test, so reload tests can overwrite it."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_bytes((cert_dir / "cert.pem").read_bytes())
    key.write_bytes((cert_dir / "key.pem").read_bytes())
    return cert, key


def fingerprint(der: bytes) -> str:
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())


@asynccontextmanager
async def tls_client(
    port: int, context: ssl.SSLContext, server_hostname: str = HOST
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname=server_hostname
    )
    try:
        yield reader, writer
    finally:
        writer.close()
        with suppress(OSError):
            await writer.wait_closed()


def presented_fingerprint(writer: asyncio.StreamWriter) -> str:
    ssl_object = writer.get_extra_info("ssl_object")
    assert isinstance(ssl_object, ssl.SSLObject)
    der = ssl_object.getpeercert(binary_form=True)
    assert der is not None
    return fingerprint(der)


async def echo(connection: Connection) -> None:
    while True:
        line = await connection.readline(1000, timeout=5)
        connection.write(line)
        await connection.drain()


@asynccontextmanager
async def tls_listener(provider: TlsContextProvider) -> AsyncIterator[Listener]:
    listener = Listener("imaps", ["127.0.0.1"], 0, echo, tls=provider, implicit_tls=True)
    await listener.start()
    try:
        yield listener
    finally:
        await listener.stop(grace=0)


# --------------------------------------------------------------------------- certificates


def test_self_signed_files_and_permissions(cert_dir: Path) -> None:
    key = cert_dir / "key.pem"
    cert = cert_dir / "cert.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(cert.stat().st_mode) == 0o644
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8
    assert sorted(path.name for path in cert_dir.iterdir()) == ["cert.pem", "key.pem"]


def test_self_signed_certificate_content(cert_dir: Path) -> None:
    info = certificate_info(cert_dir / "cert.pem")
    assert info.subject == f"CN={HOST}"
    assert info.self_signed
    assert info.names == (HOST, "localhost", "127.0.0.1", "::1")
    now = dt.datetime.now(dt.UTC)
    assert info.not_before < now
    assert dt.timedelta(days=824) < info.not_after - now < dt.timedelta(days=826)

    certificate = x509.load_pem_x509_certificate((cert_dir / "cert.pem").read_bytes())
    assert info.fingerprint_sha256 == fingerprint(certificate.public_bytes(Encoding.DER))
    public_key = certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert public_key.key_size == 2048
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert not constraints.value.ca


def test_self_signed_names_are_deduplicated_and_idna_encoded(tmp_path: Path) -> None:
    make_self_signed(
        "Mail.Exämple.test.",
        tmp_path / "c.pem",
        tmp_path / "k.pem",
        extra_names=["mail.xn--exmple-cua.test", "::1", "0:0::1"],
        days=30,
    )
    info = certificate_info(tmp_path / "c.pem")
    assert info.names == ("mail.xn--exmple-cua.test", "::1")


def test_certificate_info_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TlsConfigError):
        certificate_info(tmp_path / "missing.pem")


# --------------------------------------------------------------------------- server policy


def test_server_context_policy(cert_files: tuple[Path, Path]) -> None:
    context = TlsContextProvider(*cert_files).context
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    for option in (
        ssl.OP_NO_COMPRESSION,
        ssl.OP_NO_RENEGOTIATION,
        ssl.OP_CIPHER_SERVER_PREFERENCE,
        ssl.OP_NO_TICKET,
    ):
        assert context.options & option
    ciphers = context.get_ciphers()
    assert ciphers
    for cipher in ciphers:
        assert cipher["aead"], cipher["name"]
        assert cipher["protocol"] == "TLSv1.3" or cipher["kea"] == "kx-ecdhe", cipher["name"]


def test_unknown_min_version_is_rejected(cert_files: tuple[Path, Path]) -> None:
    with pytest.raises(ValueError, match="min_version"):
        TlsContextProvider(*cert_files, min_version="TLSv1.1")  # type: ignore[arg-type]


def test_broken_files_fail_at_startup(cert_files: tuple[Path, Path], tmp_path: Path) -> None:
    cert, key = cert_files
    with pytest.raises(TlsConfigError):
        TlsContextProvider(tmp_path / "missing.pem", key)
    other_cert, other_key = tmp_path / "other-cert.pem", tmp_path / "other-key.pem"
    make_self_signed("other.example.test", other_cert, other_key)
    with pytest.raises(TlsConfigError):
        TlsContextProvider(cert, other_key)  # key does not match the certificate


def tls11_client() -> ssl.SSLContext:
    context = make_client_context(verify=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1_1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client really offer TLS 1.1
    return context


async def test_tls11_client_is_refused(
    cert_files: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="courriel.net")
    async with tls_listener(TlsContextProvider(*cert_files)) as listener:
        with pytest.raises(HANDSHAKE_REFUSED):
            async with tls_client(listener.port, tls11_client()):
                pass
        assert "UNSUPPORTED_PROTOCOL" in caplog.text
        # The listener still serves modern clients.
        async with tls_client(listener.port, make_client_context(verify=False)) as (r, w):
            w.write(b"ping\r\n")
            assert await r.readline() == b"ping\r\n"


async def test_tls12_client_gets_ecdhe_aead(cert_files: tuple[Path, Path]) -> None:
    client = make_client_context(verify=False)
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    async with (
        tls_listener(TlsContextProvider(*cert_files)) as listener,
        tls_client(listener.port, client) as (_, writer),
    ):
        ssl_object = writer.get_extra_info("ssl_object")
        assert ssl_object.version() == "TLSv1.2"
        name = ssl_object.cipher()[0]
        assert name.startswith("ECDHE-RSA-")
        assert "GCM" in name or "CHACHA20" in name


async def test_client_without_forward_secrecy_is_refused(cert_files: tuple[Path, Path]) -> None:
    client = make_client_context(verify=False)
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    client.set_ciphers("AES128-GCM-SHA256")  # static RSA key exchange
    async with tls_listener(TlsContextProvider(*cert_files)) as listener:
        with pytest.raises(HANDSHAKE_REFUSED):
            async with tls_client(listener.port, client):
                pass


async def test_tls13_only_provider_refuses_tls12(cert_files: tuple[Path, Path]) -> None:
    client = make_client_context(verify=False)
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    provider = TlsContextProvider(*cert_files, min_version="TLSv1.3")
    async with tls_listener(provider) as listener:
        with pytest.raises(HANDSHAKE_REFUSED):
            async with tls_client(listener.port, client):
                pass
        async with tls_client(listener.port, make_client_context(verify=False)) as (_, writer):
            assert writer.get_extra_info("ssl_object").version() == "TLSv1.3"


# --------------------------------------------------------------------------- reload


async def test_reload_swaps_certificate_for_new_handshakes_only(
    cert_files: tuple[Path, Path],
) -> None:
    cert, key = cert_files
    provider = TlsContextProvider(cert, key)
    old = provider.certificate.fingerprint_sha256
    context = make_client_context(verify=False)
    async with (
        tls_listener(provider) as listener,
        tls_client(listener.port, context) as (old_reader, old_writer),
    ):
        old_writer.write(b"before\r\n")
        assert await old_reader.readline() == b"before\r\n"
        assert presented_fingerprint(old_writer) == old

        make_self_signed("new.example.test", cert, key, extra_names=["127.0.0.1"])
        assert provider.reload() is True
        new = provider.certificate.fingerprint_sha256
        assert new != old
        assert provider.certificate.names == ("new.example.test", "127.0.0.1")

        # The established connection goes on with the certificate it started with.
        old_writer.write(b"after\r\n")
        assert await old_reader.readline() == b"after\r\n"
        assert presented_fingerprint(old_writer) == old

        # New handshakes, with SNI or without it, present the new certificate.
        async with tls_client(listener.port, context, "new.example.test") as (reader, writer):
            writer.write(b"new\r\n")
            assert await reader.readline() == b"new\r\n"
            assert presented_fingerprint(writer) == new
        async with tls_client(listener.port, context, "") as (_, writer):
            assert presented_fingerprint(writer) == new
        verified = make_client_context(ca_file=cert)
        async with tls_client(listener.port, verified, "new.example.test") as (_, writer):
            assert presented_fingerprint(writer) == new


async def test_reload_with_broken_files_keeps_old_certificate(
    cert_files: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    cert, key = cert_files
    provider = TlsContextProvider(cert, key)
    old = provider.certificate.fingerprint_sha256
    cert.write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n")
    with caplog.at_level(logging.ERROR, logger="courriel.net.tls"):
        assert provider.reload() is False
    assert "TLS reload failed" in caplog.text
    assert provider.certificate.fingerprint_sha256 == old
    key.unlink()
    assert provider.reload() is False
    async with (
        tls_listener(provider) as listener,
        tls_client(listener.port, make_client_context(verify=False)) as (_, writer),
    ):
        assert presented_fingerprint(writer) == old


# --------------------------------------------------------------------------- client contexts


async def test_client_context_verification(cert_files: tuple[Path, Path]) -> None:
    cert, key = cert_files
    async with tls_listener(TlsContextProvider(cert, key)) as listener:
        verified = make_client_context(ca_file=cert)
        async with tls_client(listener.port, verified, HOST) as (reader, writer):
            writer.write(b"ok\r\n")
            assert await reader.readline() == b"ok\r\n"
        async with tls_client(listener.port, verified, "127.0.0.1"):
            pass  # IP literal SAN
        with pytest.raises(ssl.SSLCertVerificationError):
            async with tls_client(listener.port, verified, "wrong.example.test"):
                pass
        with pytest.raises(ssl.SSLCertVerificationError):
            async with tls_client(listener.port, make_client_context(), HOST):
                pass  # self-signed, not in the system store


def test_client_context_settings(cert_files: tuple[Path, Path]) -> None:
    unverified = make_client_context(verify=False)
    assert unverified.verify_mode == ssl.CERT_NONE
    assert not unverified.check_hostname
    verified = make_client_context(ca_file=cert_files[0], min_version="TLSv1.3")
    assert verified.verify_mode == ssl.CERT_REQUIRED
    assert verified.check_hostname
    assert verified.minimum_version == ssl.TLSVersion.TLSv1_3
