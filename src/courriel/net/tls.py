"""TLS certificates and contexts for every listener (SMTP, IMAP, POP3, HTTPS).

Owns: creating a self-signed certificate for a fresh install or dev mode, installing a new
certificate and key pair (ACME renewals) atomically, reading certificate facts for status
pages, the server ``ssl.SSLContext`` policy with live reload, and the client context used by
tests, the outbound SMTP client and the ACME client.

Policy (RFC 8996, RFC 9325 §4): TLS 1.2 or newer; for TLS 1.2 only ECDHE key exchange with
AES-GCM or ChaCha20-Poly1305 (forward secrecy and AEAD); TLS 1.3 suites are all of that kind
already. No TLS compression (CRIME), no renegotiation, server cipher order, no stateless
session tickets (their key would live as long as the process and undo forward secrecy).

Reload: listeners hold one stable "front" context for their whole life. Its SNI callback
points each new handshake at the most recently loaded context, so ``reload()`` swaps certificates
for new handshakes while established connections keep the context they started with. The same
callback is where several certificates (per hostname, or RSA + ECDSA) will be chosen later.

Must not: read configuration, know any mail protocol, or raise out of ``reload()``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from courriel.net.errors import TlsConfigError

log = logging.getLogger("courriel.net.tls")

TlsVersionName = Literal["TLSv1.2", "TLSv1.3"]

_VERSIONS: dict[str, ssl.TLSVersion] = {
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}

# RFC 9325 §4.2: ECDHE (forward secrecy) + AEAD only, for TLS 1.2. The ECDSA entries are
# inert with today's RSA certificate and ready for a second, ECDSA one.
TLS12_CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
    )
)

_SERVER_OPTIONS = (
    ssl.OP_NO_COMPRESSION  # CRIME
    | ssl.OP_NO_RENEGOTIATION  # client-initiated renegotiation is a DoS lever
    | ssl.OP_CIPHER_SERVER_PREFERENCE
    | ssl.OP_SINGLE_ECDH_USE
    | ssl.OP_NO_TICKET  # stateless tickets reuse one key for the process lifetime
)


# --------------------------------------------------------------------------- certificates


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """Facts about a certificate, for ``courriel status`` and the DNS/setup docs."""

    subject: str
    names: tuple[str, ...]
    not_before: dt.datetime
    not_after: dt.datetime
    fingerprint_sha256: str
    issuer: str

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer


def make_self_signed(
    hostname: str,
    cert_path: Path,
    key_path: Path,
    *,
    extra_names: Sequence[str] = (),
    days: int = 825,
) -> None:
    """Write a new self-signed certificate for ``hostname`` and its private key.

    The key is RSA-2048: every mail client and every embedded device that sends mail
    (printers, NAS, old Android and Outlook builds, Java 6-era apps) can use an RSA
    certificate, while ECDSA still trips some of them; 2048 bits is the floor of RFC 8301
    and CA/B rules and keeps handshakes cheap. An ECDSA certificate can be added beside it
    through the SNI hook later.

    ``extra_names`` may mix DNS names and IP literals (``"localhost"``, ``"127.0.0.1"``,
    ``"::1"``); all go into subjectAltName with the hostname first. 825 days is the longest
    validity Apple platforms accept for a certificate a user chose to trust.

    The key is written 0600 and the certificate 0644, each via a temporary file in the same
    directory and an atomic rename, key first, so a reader never sees a half-written file.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.UTC)
    public_key = key.public_key()
    ski = x509.SubjectKeyIdentifier.from_public_key(public_key)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        # Tolerate clients whose clock is a little behind.
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(_subject_alt_names([hostname, *extra_names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=True,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_atomically(key_path, key_pem, mode=0o600)
    write_atomically(cert_path, certificate.public_bytes(serialization.Encoding.PEM), mode=0o644)


def _subject_alt_names(names: Sequence[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    seen: set[str] = set()
    for raw in names:
        name = raw.strip().rstrip(".")
        if not name:
            raise ValueError(f"empty certificate name in {list(names)!r}")
        entry: x509.GeneralName
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            # Non-ASCII names go in as IDNA A-labels (RFC 5280 §4.2.1.6 wants ASCII).
            ascii_name = name.lower().encode("idna").decode("ascii")
            key, entry = ascii_name, x509.DNSName(ascii_name)
        else:
            key, entry = str(address), x509.IPAddress(address)
        if key not in seen:
            seen.add(key)
            entries.append(entry)
    return x509.SubjectAlternativeName(entries)


def write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    """Replace ``path`` with ``data`` (temporary file, fsync, rename, directory fsync), so a
    reader sees the old or the new content, never a part; the file gets ``mode``."""
    temp_name = _write_temporary(path, data, mode=mode)
    try:
        os.replace(temp_name, path)
    except BaseException:
        temp_name.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def _write_temporary(path: Path, data: bytes, *, mode: int) -> Path:
    """``data`` written and synced to a new temporary file beside ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600 before any byte is written, so the key is never exposed.
    descriptor, temp_name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return Path(temp_name)


def _sync_directory(directory_path: Path) -> None:
    directory = os.open(directory_path, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def install_certificate(cert_path: Path, key_path: Path, chain_pem: bytes, key_pem: bytes) -> None:
    """Replace the certificate and key files with a new pair (an ACME renewal).

    The pair is checked first (the leaf's public key must be the key's), then both files are
    written and synced in full before either is renamed into place, key then certificate, so
    the window in which the two files disagree is two renames long. Raises
    ``TlsConfigError`` (and changes nothing) when the pair does not match.
    """
    try:
        leaf = x509.load_pem_x509_certificates(chain_pem)[0]
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as error:
        raise TlsConfigError(f"the new certificate or key is unreadable: {error}") from error
    if leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise TlsConfigError("the new certificate is not for the new key")
    key_temporary = _write_temporary(key_path, key_pem, mode=0o600)
    try:
        cert_temporary = _write_temporary(cert_path, chain_pem, mode=0o644)
    except BaseException:
        key_temporary.unlink(missing_ok=True)
        raise
    os.replace(key_temporary, key_path)
    os.replace(cert_temporary, cert_path)
    for directory in {key_path.parent, cert_path.parent}:
        _sync_directory(directory)


def certificate_info(cert_path: Path) -> CertificateInfo:
    """Read the first certificate of a PEM file (a full chain is fine).

    Raises ``TlsConfigError`` when the file is missing or holds no certificate.
    """
    try:
        certificates = x509.load_pem_x509_certificates(Path(cert_path).read_bytes())
    except (OSError, ValueError) as error:
        raise TlsConfigError(f"cannot read certificate {cert_path}: {error}") from error
    return _describe(certificates[0])


def _describe(certificate: x509.Certificate) -> CertificateInfo:
    names: list[str] = []
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        pass
    else:
        names.extend(san.get_values_for_type(x509.DNSName))
        names.extend(str(address) for address in san.get_values_for_type(x509.IPAddress))
    digest = certificate.fingerprint(hashes.SHA256())
    return CertificateInfo(
        subject=certificate.subject.rfc4514_string(),
        names=tuple(names),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        fingerprint_sha256=":".join(f"{byte:02X}" for byte in digest),
        issuer=certificate.issuer.rfc4514_string(),
    )


# --------------------------------------------------------------------------- server contexts


def _server_context(min_version: TlsVersionName) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = _VERSIONS[min_version]
    context.options |= _SERVER_OPTIONS
    context.set_ciphers(TLS12_CIPHERS)
    return context


class TlsContextProvider:
    """The server TLS context of one certificate/key pair, reloadable while serving.

    ``context`` never changes identity: listeners pass it to asyncio once. ``reload()``
    re-reads the files; new handshakes then get the new certificate, established connections
    are untouched, and unusable new files leave the old certificate in service.
    """

    def __init__(
        self,
        cert_path: Path,
        key_path: Path,
        min_version: TlsVersionName = "TLSv1.2",
    ) -> None:
        if min_version not in _VERSIONS:
            raise ValueError(f"min_version must be one of {sorted(_VERSIONS)}, not {min_version!r}")
        self.cert_path = Path(cert_path)
        self.key_path = Path(key_path)
        self.min_version: TlsVersionName = min_version
        self._current, self._certificate = self._load()  # raises TlsConfigError at startup
        self._front = _server_context(min_version)
        # The front context also carries the certificate, so it is complete on its own.
        self._front.load_cert_chain(self.cert_path, self.key_path)
        self._front.sni_callback = self._select_context

    @property
    def context(self) -> ssl.SSLContext:
        """The server context to hand to listeners and ``start_tls``."""
        return self._front

    @property
    def certificate(self) -> CertificateInfo:
        """The certificate new handshakes present."""
        return self._certificate

    def reload(self) -> bool:
        """Re-read the certificate and key (on SIGHUP). Never raises.

        Returns True when the new files are in service, False (and logs why) when they could
        not be used and the previous certificate stays in service.
        """
        try:
            context, certificate = self._load()
        except Exception as error:
            # Any failure at all keeps the old certificate: a reload must not take TLS down.
            log.error(
                "TLS reload failed, keeping certificate %s: %s",
                self._certificate.fingerprint_sha256,
                error,
            )
            return False
        self._current, self._certificate = context, certificate
        log.info(
            "TLS certificate reloaded: %s, names %s, valid until %s",
            certificate.subject,
            ", ".join(certificate.names),
            certificate.not_after.isoformat(),
        )
        return True

    def _load(self) -> tuple[ssl.SSLContext, CertificateInfo]:
        context = _server_context(self.min_version)
        try:
            context.load_cert_chain(self.cert_path, self.key_path)
        except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
            raise TlsConfigError(
                f"cannot load certificate {self.cert_path} with key {self.key_path}: {error}"
            ) from error
        certificate = certificate_info(self.cert_path)
        now = dt.datetime.now(dt.UTC)
        if certificate.not_after < now:
            log.warning("TLS certificate %s expired on %s", self.cert_path, certificate.not_after)
        return context, certificate

    def context_for(self, server_name: str | None) -> ssl.SSLContext:
        """The context whose certificate answers a client that asked for ``server_name``.

        One certificate for now; per-hostname certificates plug in here.
        """
        del server_name
        return self._current

    def _select_context(
        self, connection: ssl.SSLObject | ssl.SSLSocket, server_name: str | None, _: ssl.SSLContext
    ) -> int | None:
        # Called by OpenSSL for every ClientHello, with or without SNI.
        try:
            chosen = self.context_for(server_name)
            if connection.context is not chosen:
                connection.context = chosen
        except Exception:
            # An exception escaping an OpenSSL callback is only printed; fail the handshake.
            log.exception("TLS certificate selection failed for %r", server_name)
            return ssl.ALERT_DESCRIPTION_INTERNAL_ERROR
        return None


# --------------------------------------------------------------------------- client contexts


def make_client_context(
    *,
    verify: bool = True,
    ca_file: Path | None = None,
    min_version: TlsVersionName = "TLSv1.2",
) -> ssl.SSLContext:
    """A client context for tests and the outbound SMTP client.

    ``verify=True`` checks the chain and the host name against ``ca_file`` (or the system
    store when None). ``verify=False`` is for opportunistic SMTP TLS between MX hosts
    (RFC 7435: encrypt even without authentication) and for tests of self-signed servers.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = _VERSIONS[min_version]
    context.options |= ssl.OP_NO_COMPRESSION
    if verify:
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
        if ca_file is not None:
            context.load_verify_locations(cafile=ca_file)
        else:
            context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
