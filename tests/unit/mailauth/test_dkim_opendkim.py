"""Our DKIM signatures verify with an independent verifier: OpenDKIM's ``opendkim-testmsg``.

dkimpy is both our signer and our verifier, so a mistake shared by both would go unseen;
OpenDKIM (libopendkim, C, Debian's ``opendkim-tools``) is a separate implementation. It asks
real DNS for the keys, so each run happens in fresh network and mount namespaces where a
stub DNS server on 127.0.0.1 serves the records ``dkimkeys`` tells the operator to publish,
split into 255-byte strings as in a zone file (``dkim_opendkim_runner.py``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from courriel.mailauth.dkimkeys import DkimKey, DkimKeySet, generate_dkim_keys
from courriel.mailauth.dkimsign import sign_dkim

RUNNER = Path(__file__).with_name("dkim_opendkim_runner.py")
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


def _isolation_available() -> bool:
    if shutil.which("opendkim-testmsg") is None or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--net", "--mount", "--", "true"], capture_output=True, check=False
    )
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(
    not _isolation_available(),
    reason="needs opendkim-testmsg (scripts/debian-packages.txt) and unshare with privileges",
)


@pytest.fixture(scope="module")
def keys() -> DkimKeySet:
    return generate_dkim_keys("c202511")


def opendkim_verify(
    message: bytes, published: list[DkimKey], tmp_path: Path
) -> subprocess.CompletedProcess[bytes]:
    records = tmp_path / "records.json"
    records.write_text(
        json.dumps({key.record_name(DOMAIN): list(key.txt_strings()) for key in published})
    )
    eml = tmp_path / "message.eml"
    eml.write_bytes(message)
    return subprocess.run(
        ["unshare", "--net", "--mount", "--", sys.executable, str(RUNNER), str(records), str(eml)],
        capture_output=True,
        timeout=60,
        check=False,
    )


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
