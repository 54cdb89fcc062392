"""The ACME account key, kept in the data directory (``acme/account-key.pem``, mode 0600).

The key is the account: the CA finds the account again from it (RFC 8555 §7.3.1), so it is
created once and reused by every renewal and by ``courriel cert renew``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from courriel.acme.errors import AcmeError
from courriel.acme.jws import generate_account_key
from courriel.net.tls import write_atomically

log = logging.getLogger("courriel.acme")


def account_key_path(data_dir: Path) -> Path:
    return data_dir / "acme" / "account-key.pem"


def load_or_create_account_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The P-256 key in ``path``, created (0600) when the file does not exist."""
    if path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as error:
            raise AcmeError(f"cannot read the ACME account key {path}: {error}") from error
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(
            key.curve, ec.SECP256R1
        ):
            raise AcmeError(f"the ACME account key {path} is not an ECDSA P-256 key")
        return key
    key = generate_account_key()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_atomically(path, pem, mode=0o600)
    log.info("ACME: new account key in %s", path)
    return key
