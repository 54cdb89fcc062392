"""Our DKIM signatures verify with an independent verifier: OpenDKIM's ``opendkim-testmsg``.

dkimpy is both our signer and our verifier, so a mistake shared by both would go unseen;
OpenDKIM (libopendkim, C, Debian's ``opendkim-tools``) is a separate implementation. Each run
happens in fresh network and mount namespaces where a stub DNS server serves the records
``dkimkeys`` tells the operator to publish, split into 255-byte strings as in a zone file
(``support.opendkim``). ``tests/integration/test_outbound_signing.py`` does the same with
mail sent through a real server.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from courriel.mailauth.dkimkeys import DkimKey, DkimKeySet, generate_dkim_keys
from courriel.mailauth.dkimsign import sign_dkim
from support.opendkim import SKIP_REASON, opendkim_available
from support.opendkim import opendkim_verify as run_opendkim

DOMAIN = "example.test"
MESSAGE = (
    b"From: Alice <alice@example.test>\r\n"
    b"To: Bob <bob@example.org>\r\n"
    b"Subject: Checked by OpenDKIM\r\n"
    b"Date: Sat, 22 Nov 2025 10:00:00 +0000\r\n"
    b"Message-ID: <opendkim@example.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Two signatures,   one body.\r\n"
    b"\r\n"
    b"\r\n"
)


pytestmark = pytest.mark.skipif(not opendkim_available(), reason=SKIP_REASON)


@pytest.fixture(scope="module")
def keys() -> DkimKeySet:
    return generate_dkim_keys("c202511")


def opendkim_verify(
    message: bytes, published: list[DkimKey], tmp_path: Path
) -> subprocess.CompletedProcess[bytes]:
    records = {key.record_name(DOMAIN): key.txt_strings() for key in published}
    return run_opendkim(message, records, tmp_path)


@pytest.mark.parametrize("which", ["rsa", "ed25519"])
def test_opendkim_verifies_each_of_our_signatures(
    keys: DkimKeySet, which: str, tmp_path: Path
) -> None:
    key = keys.rsa if which == "rsa" else keys.ed25519
    signed = sign_dkim(MESSAGE, DOMAIN, [key]) + MESSAGE
    assert key.algorithm == which
    accepted = opendkim_verify(signed, [key], tmp_path)
    assert accepted.returncode == 0, accepted.stdout
    # The same run can say no: a changed body, or a key not published.
    tampered = opendkim_verify(signed.replace(b"one body", b"two bodies"), [key], tmp_path)
    assert tampered.returncode != 0
    assert b"Bad signature" in tampered.stdout
    unpublished = opendkim_verify(signed, [], tmp_path)
    assert unpublished.returncode != 0
    assert b"Key retrieval failed" in unpublished.stdout


def test_opendkim_verifies_the_pair_as_sent(keys: DkimKeySet, tmp_path: Path) -> None:
    signed = sign_dkim(MESSAGE, DOMAIN, list(keys)) + MESSAGE
    result = opendkim_verify(signed, list(keys), tmp_path)
    assert result.returncode == 0, result.stdout
