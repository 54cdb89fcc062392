"""Whatever a sender puts in DKIM-Signature and ARC fields, verification gives a result and
never raises (issue 7: "never a crash or a lost message")."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from courriel.dns.static import StaticResolver
from courriel.mailauth.arc import verify_arc
from courriel.mailauth.dkim import verify_dkim

BODY = b"From: a@example.test\r\nSubject: s\r\n\r\nbody\r\n"
KEY = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
RESOLVER = StaticResolver(
    {
        "s._domainkey.example.test": {"TXT": [KEY]},
        "t._domainkey.example.test": {"TXT": ["p="]},
        "u._domainkey.example.test": {"TEMPFAIL": []},
    }
)

TAGS = st.sampled_from(
    ["v", "a", "b", "bh", "c", "d", "h", "i", "l", "q", "s", "t", "x", "z", "cv"]
)
VALUES = st.one_of(
    st.sampled_from(
        [
            "1",
            "rsa-sha256",
            "ed25519-sha256",
            "rsa-sha1",
            "relaxed/relaxed",
            "simple",
            "example.test",
            "@example.test",
            "example.test",
            "from:subject",
            "s",
            "t",
            "u",
            "AAAA",
            "pass",
            "fail",
            "none",
            "1528637909",
            "99999999999999999999",
            "",
        ]
    ),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=12),
)
TAG_LIST = st.lists(st.tuples(TAGS, VALUES), max_size=12).map(
    lambda pairs: "; ".join(f"{tag}={value}" for tag, value in pairs)
)


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "DKIM-Signature",
                    "ARC-Seal",
                    "ARC-Message-Signature",
                    "ARC-Authentication-Results",
                ]
            ),
            TAG_LIST,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_arbitrary_signature_fields_give_results(fields: list[tuple[str, str]]) -> None:
    header = "".join(f"{name}: {value}\r\n" for name, value in fields).encode()
    message = header + BODY

    async def check() -> None:
        dkim_results = await verify_dkim(message, RESOLVER)
        arc_result = await verify_arc(message, RESOLVER)
        assert dkim_results and all(result.method == "dkim" for result in dkim_results)
        assert {result.result for result in dkim_results} <= {
            "pass",
            "fail",
            "neutral",
            "policy",
            "permerror",
            "temperror",
            "none",
        }
        assert arc_result.result in {"pass", "fail", "none", "temperror"}

    asyncio.run(check())
