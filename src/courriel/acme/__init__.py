"""Automatic TLS certificates: courriel's own ACME client (RFC 8555), http-01 challenges.

- ``jws``         account key, JWK, RFC 7638 thumbprint, key authorization, signed requests (pure)
- ``messages``    directory, order, authorization, challenge, problem documents, payloads (pure)
- ``csr``         the certificate key and signing request (pure)
- ``transport``   the ``HttpTransport`` port and its urllib adapter (HTTPS only)
- ``client``      the RFC 8555 flow: account, order, http-01, finalize, download
- ``challenges``  the http-01 responses as files, served by the ``http`` listener
- ``account``     the account key file in the data directory (0600)
- ``renewal``     when to renew, installing the pair, reloading TLS, the background task
- ``errors``      the ``AcmeError`` hierarchy

Must not: bind sockets (the ``http`` listener serves the challenges) or hold module-level
mutable state.
"""

from courriel.acme.challenges import WELL_KNOWN_PREFIX, ChallengeDirectory, challenge_directory
from courriel.acme.client import AcmeClient, ChallengeResponder, IssuedCertificate
from courriel.acme.errors import AcmeError, AcmeProblem, AcmeProtocolError, ValidationFailed
from courriel.acme.renewal import CertificateRenewal, RenewalSettings

__all__ = [
    "WELL_KNOWN_PREFIX",
    "AcmeClient",
    "AcmeError",
    "AcmeProblem",
    "AcmeProtocolError",
    "CertificateRenewal",
    "ChallengeDirectory",
    "ChallengeResponder",
    "IssuedCertificate",
    "RenewalSettings",
    "ValidationFailed",
    "challenge_directory",
]
