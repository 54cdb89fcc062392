"""The signed examples of the RFCs verify, their keys served by a StaticResolver.

RFC 6376 Appendix A.2 (RSA, simple/simple, selector ``brisbane``, key of Appendix C) and
RFC 8463 Appendix A.3 (one message signed with Ed25519 and RSA, keys of A.2).
"""

from __future__ import annotations

import asyncio

from courriel.dns.static import StaticResolver
from courriel.mailauth.dkim import verify_dkim
from courriel.mailauth.results import MethodResult


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("ascii")


RFC6376_KEY = (  # RFC 6376 Appendix C, brisbane._domainkey.example.com
    "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYt"
    "IxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4O"
    "uKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB"
)

# RFC 6376 Appendix A.2. The RFC prints two spaces after "game."; its bh= is the hash of the
# body with one (simple canonicalisation keeps spaces), a known erratum of the example. The
# one-space body is the one that was signed.
RFC6376_SIGNED = crlf(
    """DKIM-Signature: v=1; a=rsa-sha256; s=brisbane; d=example.com;
      c=simple/simple; q=dns/txt; i=joe@football.example.com;
      h=Received : From : To : Subject : Date : Message-ID;
      bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
      b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB
      4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut
      KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV
      4bmp/YzhwvcubU4=;
Received: from client1.football.example.com  [192.0.2.1]
      by submitserver.example.com with SUBMISSION;
      Fri, 11 Jul 2003 21:01:54 -0700 (PDT)
From: Joe SixPack <joe@football.example.com>
To: Suzie Q <suzie@shopping.example.net>
Subject: Is dinner ready?
Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)
Message-ID: <20030712040037.46341.5F8J@football.example.com>

Hi.

We lost the game. Are you hungry yet?

Joe.
"""
)

RFC8463_ED25519_KEY = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
RFC8463_RSA_KEY = (
    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qh"
    "dR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4h"
    "stT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"
)

RFC8463_SIGNED = crlf(  # RFC 8463 Appendix A.3
    """DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;
 d=football.example.com; i=@football.example.com;
 q=dns/txt; s=brisbane; t=1528637909; h=from : to :
 subject : date : message-id : from : subject : date;
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
 b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus
 Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;
 d=football.example.com; i=@football.example.com;
 q=dns/txt; s=test; t=1528637909; h=from : to : subject :
 date : message-id : from : subject : date;
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
 b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3
 DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz
 dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=
From: Joe SixPack <joe@football.example.com>
To: Suzie Q <suzie@shopping.example.net>
Subject: Is dinner ready?
Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)
Message-ID: <20030712040037.46341.5F8J@football.example.com>

Hi.

We lost the game.  Are you hungry yet?

Joe.
"""
)

RFC8463_ZONES = {
    "brisbane._domainkey.football.example.com": {"TXT": [RFC8463_ED25519_KEY]},
    "test._domainkey.football.example.com": {"TXT": [RFC8463_RSA_KEY]},
}


def verify(message: bytes, zones: dict[str, dict[str, list[str]]]) -> list[MethodResult]:
    return asyncio.run(verify_dkim(message, StaticResolver(zones)))


def test_rfc6376_appendix_a_verifies() -> None:
    zones = {"brisbane._domainkey.example.com": {"TXT": [RFC6376_KEY]}}
    [result] = verify(RFC6376_SIGNED, zones)
    assert result == MethodResult(
        "dkim",
        "pass",
        None,
        (
            ("header.d", "example.com"),
            ("header.i", "joe@football.example.com"),
            ("header.s", "brisbane"),
            ("header.a", "rsa-sha256"),
            ("header.b", "AuUoFEfD"),
        ),
    )
    # As printed (two spaces), the simple body no longer matches bh=.
    [printed] = verify(RFC6376_SIGNED.replace(b"game. Are", b"game.  Are"), zones)
    assert (printed.result, printed.reason) == ("fail", "body hash mismatch")


def test_rfc8463_appendix_a_ed25519_and_rsa_verify() -> None:
    ed25519, rsa = verify(RFC8463_SIGNED, RFC8463_ZONES)
    assert (ed25519.result, ed25519.property("header.a")) == ("pass", "ed25519-sha256")
    assert (ed25519.property("header.s"), ed25519.property("header.b")) == ("brisbane", "/gCrinpc")
    assert (rsa.result, rsa.property("header.s")) == ("pass", "test")
    # Relaxed canonicalisation: one space or two after "game." hash the same.
    relaxed = RFC8463_SIGNED.replace(b"game.  Are", b"game. Are")
    assert [result.result for result in verify(relaxed, RFC8463_ZONES)] == ["pass", "pass"]


def test_rfc8463_example_with_the_keys_swapped_fails() -> None:
    # The Ed25519 record under the RSA selector: the key type does not fit a=rsa-sha256.
    zones = {
        "brisbane._domainkey.football.example.com": {"TXT": [RFC8463_ED25519_KEY]},
        "test._domainkey.football.example.com": {"TXT": [RFC8463_ED25519_KEY]},
    }
    ed25519, rsa = verify(RFC8463_SIGNED, zones)
    assert ed25519.result == "pass"
    assert (rsa.result, rsa.reason) == ("permerror", "inappropriate key algorithm")
    tampered = RFC8463_SIGNED.replace(b"Subject: Is dinner ready?", b"Subject: Is lunch ready?")
    assert [result.result for result in verify(tampered, RFC8463_ZONES)] == ["fail", "fail"]
