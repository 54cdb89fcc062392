"""The certificate key and signing request sent to finalize an order (RFC 8555 §7.4).

Pure: no I/O. A new RSA-2048 key for every certificate (the key size and type every mail
client accepts, see ``net.tls.make_self_signed``), and a PKCS#10 request (RFC 2986) listing
every name in subjectAltName, the first one also as the common name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

_MAX_CN = 64


@dataclass(frozen=True, slots=True)
class CertificateRequest:
    """A private key (PEM, PKCS#8) and the DER signing request for its public key."""

    key_pem: bytes
    csr_der: bytes


def make_certificate_request(names: Sequence[str]) -> CertificateRequest:
    """A fresh key and a CSR for ``names`` (DNS names, already lower-case A-labels)."""
    if not names:
        raise ValueError("a certificate needs at least one name")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # A common name holds 64 characters at most (RFC 5280 ub-common-name); a DNS name may
    # be longer. The names that count are in subjectAltName (RFC 8555 §7.4 reads those).
    subject = (
        [x509.NameAttribute(NameOID.COMMON_NAME, names[0])] if len(names[0]) <= _MAX_CN else []
    )
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(subject))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return CertificateRequest(key_pem, request.public_bytes(serialization.Encoding.DER))
