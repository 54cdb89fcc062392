"""SASLprep (RFC 4013)."""

from __future__ import annotations

import pytest

from courriel.sasl import SaslprepError, saslprep


# RFC 4013 §3, the examples table.
@pytest.mark.parametrize(
    ("text", "prepared"),
    [
        ("I\u00adX", "IX"),  # 1: SOFT HYPHEN mapped to nothing
        ("user", "user"),  # 2: no transformation
        ("USER", "USER"),  # 3: case preserved, will not match #2
        ("\u00aa", "a"),  # 4: output is NFKC, input in ISO 8859-1
        ("\u2168", "IX"),  # 5: output is NFKC, will match #1
    ],
)
def test_rfc_4013_examples(text: str, prepared: str) -> None:
    assert saslprep(text) == prepared


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("\u0007", "control"),  # 6: prohibited character
        ("\u0627\u0031", "right-to-left"),  # 7: bidirectional check
    ],
)
def test_rfc_4013_error_examples(text: str, match: str) -> None:
    with pytest.raises(SaslprepError, match=match):
        saslprep(text)


@pytest.mark.parametrize(
    ("text", "prepared"),
    [
        ("a\u00a0b", "a b"),  # §2.1: non-ASCII space maps to SPACE
        ("a\u2003b", "a b"),  # EM SPACE too
        ("a\u200bb", "ab"),  # B.1: ZERO WIDTH SPACE maps to nothing
        ("\u0627\u0031\u0628", "\u0627\u0031\u0628"),  # RTL first and last: allowed
        ("pass word", "pass word"),  # ASCII space is kept
        ("", ""),
        ("\u00ad", ""),  # empty output is the caller's concern
        ("ﬁ", "fi"),  # NFKC compatibility ligature
    ],
)
def test_mappings(text: str, prepared: str) -> None:
    assert saslprep(text) == prepared


@pytest.mark.parametrize(
    "text",
    [
        "a\u0000b",  # C.2.1 ASCII control
        "a\u007fb",  # C.2.1 DEL
        "a\u0085b",  # C.2.2 non-ASCII control
        "a\ue000b",  # C.3 private use
        "a\ufdd0b",  # C.4 non-character
        "a" + chr(0xD800) + "b",  # C.5 surrogate (spelled out: linters rewrite the escape)
        "a\ufffdb",  # C.6 inappropriate for plain text
        "a\u2ff0b",  # C.7 inappropriate for canonical representation
        "a\u200eb",  # C.8 change display properties
        "a\U000e0001b",  # C.9 tagging
        "\u0627a\u0628",  # bidi: RandALCat with LCat
    ],
)
def test_prohibited_output(text: str) -> None:
    with pytest.raises(SaslprepError):
        saslprep(text)


def test_unassigned_code_points_only_in_queries() -> None:
    # RFC 3454 §7: U+0221 is unassigned in Unicode 3.2 (table A.1).
    with pytest.raises(SaslprepError, match="unassigned"):
        saslprep("a\u0221")
    assert saslprep("a\u0221", allow_unassigned=True) == "a\u0221"


def test_saslprep_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="prohibited"):
        saslprep("\u0007")
