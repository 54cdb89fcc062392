"""DKIM signing of outgoing mail: which fields, which keys, what the signature says."""

from __future__ import annotations

import re

import dkim
import pytest
from dkim.util import parse_tag_value

from courriel.mailauth.dkimkeys import DkimKeySet, generate_dkim_keys
from courriel.mailauth.dkimsign import DkimSigningError, header_list, sign_dkim, signing_keys
from courriel.storage.records import DkimKeyRecord

DOMAIN = "example.test"
MESSAGE = (
    b"Return-Path: <alice@example.test>\r\n"
    b"Received: from client.example.test by mail.example.test; Sat, 22 Nov 2025 10:00:01 +0000\r\n"
    b"From: Alice <alice@example.test>\r\n"
    b"To: Bob <bob@example.org>, Carol <carol@example.org>\r\n"
    b"Cc: team@example.test\r\n"
    b"Subject: Minutes\r\n"
    b"Date: Sat, 22 Nov 2025 10:00:00 +0000\r\n"
    b"Message-ID: <minutes@example.test>\r\n"
    b"In-Reply-To: <agenda@example.test>\r\n"
    b"References: <agenda@example.test>\r\n"
    b"List-Id: Team <team.example.test>\r\n"
    b"List-Unsubscribe: <mailto:team-leave@example.test>\r\n"
    b"X-Mailer: courriel-tests\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Notes attached.\r\n"
)


@pytest.fixture(scope="module")
def keys() -> DkimKeySet:
    return generate_dkim_keys("c202511")


def signature_tags(fields: bytes) -> list[dict[bytes, bytes]]:
    values = re.findall(rb"DKIM-Signature:(.*?)(?=\r\n(?!\s)|\Z)", fields, re.DOTALL)
    return [parse_tag_value(value) for value in values]


def test_one_signature_per_key_rsa_and_ed25519(keys: DkimKeySet) -> None:
    fields = sign_dkim(MESSAGE, DOMAIN, list(keys))
    assert fields.endswith(b"\r\n")
    assert fields.count(b"DKIM-Signature:") == 2
    rsa, ed25519 = signature_tags(fields)
    assert (rsa[b"a"], rsa[b"s"]) == (b"rsa-sha256", b"c202511-rsa")
    assert (ed25519[b"a"], ed25519[b"s"]) == (b"ed25519-sha256", b"c202511-ed25519")
    for tags in (rsa, ed25519):
        assert tags[b"d"] == b"example.test"
        assert tags[b"c"] == b"relaxed/relaxed"
        assert b"l" not in tags  # RFC 6376 §8.2: no body length limit
        assert rsa[b"bh"] == tags[b"bh"]  # same body, same hash


def test_signed_header_fields(keys: DkimKeySet) -> None:
    [tags] = signature_tags(sign_dkim(MESSAGE, DOMAIN, [keys.ed25519]))
    signed = [name.strip() for name in tags[b"h"].split(b":")]
    assert signed == [
        b"from",
        b"to",
        b"cc",
        b"subject",
        b"date",
        b"message-id",
        b"in-reply-to",
        b"references",
        b"list-id",
        b"list-unsubscribe",
        b"mime-version",
        b"content-type",
        b"content-transfer-encoding",
        b"from",  # over-signed
    ]


def test_header_list_signs_each_instance_and_from_even_when_absent() -> None:
    assert header_list(["Received", "To", "to", "X-Other"]) == ["to", "to", "from", "from"]
    assert header_list(["From", "Reply-To"]) == ["from", "reply-to", "from"]


def test_domain_is_normalised(keys: DkimKeySet) -> None:
    [tags] = signature_tags(sign_dkim(MESSAGE, "Example.TEST.", [keys.ed25519]))
    assert tags[b"d"] == b"example.test"


def test_no_keys_no_signature() -> None:
    assert sign_dkim(MESSAGE, DOMAIN, []) == b""


def test_unsignable_message_raises(keys: DkimKeySet) -> None:
    with pytest.raises(DkimSigningError, match=r"example\.test"):
        sign_dkim(b"From: a@example.test\r\nnot a header\r\n\r\nbody\r\n", DOMAIN, [keys.rsa])


def test_signatures_verify_with_dkimpy_independently(keys: DkimKeySet) -> None:
    # Each signature alone, checked by dkimpy with the record dkimkeys publishes.
    fields = sign_dkim(MESSAGE, DOMAIN, list(keys))
    records = {
        f"{key.record_name(DOMAIN)}.".encode(): "".join(key.txt_strings()).encode() for key in keys
    }
    verifier = dkim.DKIM(fields + MESSAGE)
    for index in (0, 1):
        assert verifier.verify(index, dnsfunc=lambda name, timeout=5: records.get(name))


def test_signing_keys_are_the_active_ones(keys: DkimKeySet) -> None:
    def record(key_id: int, selector: str, pem: bytes, active: bool) -> DkimKeyRecord:
        return DkimKeyRecord(key_id, DOMAIN, selector, "rsa", pem.decode(), "", active, 0.0)

    records = [
        record(1, keys.rsa.selector, keys.rsa.private_key_pem, True),
        record(2, keys.ed25519.selector, keys.ed25519.private_key_pem, True),
        record(3, "retired-rsa", keys.rsa.private_key_pem, False),
    ]
    assert signing_keys(records) == [keys.rsa, keys.ed25519]
