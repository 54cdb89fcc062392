"""Base subject extraction, RFC 5256 §2.1."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courriel.mail import base_subject


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Hello", ("Hello", False)),
        ("Re: Re: hello", ("hello", True)),
        ("RE: [list] Fwd: hello (fwd)", ("hello", True)),
        ("[list] hello", ("hello", False)),  # step 4: a blob alone is not a reply
        ("[list]", ("[list]", False)),  # step 4: removing it would leave nothing
        ("[fwd: Re: hello]", ("hello", True)),  # step 6
        ("Fw: x", ("x", True)),
        ("Re [foo]: bar", ("bar", True)),  # subj-refwd with a blob before the colon
        ("  spaced \t  out  ", ("spaced out", False)),  # step 1
        ("Re:", ("", True)),
        ("hello re: world", ("hello re: world", False)),
        ("[a][b] Re: [c] Fwd[d]: topic (fwd) (FWD) ", ("topic", True)),
        ("Réponse: pas un préfixe", ("Réponse: pas un préfixe", False)),
        ("Re: [fwd: [list] Re: inner (fwd)]", ("inner", True)),
    ],
)
def test_base_subject(subject: str, expected: tuple[str, bool]) -> None:
    assert base_subject(subject) == expected


@given(st.text(alphabet="Rrefwd:[]() \tabcx", max_size=30))
def test_idempotent(subject: str) -> None:
    base, _ = base_subject(subject)
    assert base_subject(base)[0] == base
