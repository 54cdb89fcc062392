"""The tokenizer's fast cut of ASCII text finds exactly the words its regular expression
finds, in the same order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from courriel.spam.tokens import _WORDS, word_runs

# Letters, digits and every ASCII character the expression treats specially.
_ALPHABET = st.sampled_from([*"ab Z09_$'-.,;:!?\"()<>/@\t\n", "'-'", "--", "a'b", "x-y-"])


def _by_expression(text: str) -> list[str]:
    return list(dict.fromkeys(_WORDS.findall(text)))


@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_ascii_cut_equals_the_expression(text: str) -> None:
    assert word_runs(text) == _by_expression(text)


@given(st.text(max_size=60))
def test_any_text_equals_the_expression(text: str) -> None:
    assert word_runs(text) == _by_expression(text)


def test_quotes_and_hyphens_at_the_ends_are_not_words() -> None:
    assert word_runs("'tis re- -- rock'n'roll e-mail $5 '") == [
        "tis",
        "re",
        "rock'n'roll",
        "e-mail",
        "$5",
    ]
