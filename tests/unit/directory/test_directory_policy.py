"""The password policy: every rule, accepted and refused, with the exact reasons."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courriel.directory import policy
from courriel.directory.policy import (
    COMMON_PASSWORDS,
    COMMON_WORDS,
    CONTAINS_ACCOUNT_NAME,
    CONTAINS_DOMAIN_NAME,
    IS_ACCOUNT_ADDRESS,
    IS_COMMON,
    IS_COMMON_WITH_DIGITS,
    IS_KEYBOARD_ROW,
    IS_PREDICTABLE,
    IS_REPEATED_CHARACTER,
    IS_REPEATED_PIECE,
    IS_SEQUENCE,
    MAX_LENGTH,
    TOO_LONG,
    check_password,
    normalize_password,
    too_short,
)

ACCOUNT = "alice@example.com"
SHORT = too_short(12)


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "xk3Fq9-LmT2vR8",
        "rouge-Velo-42-lune",
        "Tr0ub4dor&3xyz",
        "ça tourne à la plage",
        "日本語のパスワードです長い",  # 13 code points
        "kL9#mQ2$vX7!",  # exactly 12
        "a" * 6 + "b" * 6 + "zq7",  # repeated characters inside, not only
    ],
)
def test_accepted(password: str) -> None:
    assert check_password(password, account=ACCOUNT) == []


@pytest.mark.parametrize(
    ("password", "reasons"),
    [
        # length (NIST SP 800-63B §5.1.1.2)
        ("kL9#mQ2$vX7", [SHORT]),
        ("", [SHORT]),
        ("kL9#mQ2$vX7!" * 86, [TOO_LONG]),  # 1032 characters
        # the account's name and domain
        ("my-alice-is-here", [CONTAINS_ACCOUNT_NAME]),
        ("ALICE in wonderland 7", [CONTAINS_ACCOUNT_NAME]),
        ("rooms at Example 42", [CONTAINS_DOMAIN_NAME]),
        ("alice@example.com", [CONTAINS_ACCOUNT_NAME, CONTAINS_DOMAIN_NAME, IS_ACCOUNT_ADDRESS]),
        ("ALICE@EXAMPLE.COM", [CONTAINS_ACCOUNT_NAME, CONTAINS_DOMAIN_NAME, IS_ACCOUNT_ADDRESS]),
        # the common list, and words from it with digits added (or in leetspeak)
        ("123456789012", [IS_COMMON]),
        ("qwertyuiopas", [IS_COMMON]),
        ("passwordpassword", [IS_COMMON]),
        ("iloveyou1234", [IS_COMMON]),
        ("aaaaaaaaaaaa", [IS_COMMON]),
        ("QWERTY123456", [IS_COMMON]),
        ("administrator", [IS_COMMON]),
        ("p@ssw0rd", [SHORT, IS_COMMON]),
        ("password", [SHORT, IS_COMMON]),
        ("sunshine2024", [IS_COMMON_WITH_DIGITS]),
        ("Motdepasse2024", [IS_COMMON_WITH_DIGITS]),
        ("p@ssw0rd2024!", [IS_COMMON_WITH_DIGITS]),
        ("azerty2024!!", [IS_COMMON_WITH_DIGITS]),
        ("trustno1", [SHORT, IS_COMMON_WITH_DIGITS]),
        # one character repeated
        ("bbbbbbbbbbbbbb", [IS_REPEATED_CHARACTER]),
        ("!!!!!!!!!!!!!", [IS_REPEATED_CHARACTER]),
        # sequences, up or down, digits wrapping around
        ("abcdefghijklmnop", [IS_SEQUENCE]),
        ("zyxwvutsrqponm", [IS_SEQUENCE]),
        ("0987654321098", [IS_SEQUENCE]),
        ("5678901234567", [IS_SEQUENCE]),
        # keyboard rows, either way, across the end of a row
        ("qwertyuiopasdf", [IS_KEYBOARD_ROW]),
        ("lkjhgfdsapoiuy", [IS_KEYBOARD_ROW]),
        ("azertyuiopqsdf", [IS_KEYBOARD_ROW]),
        ("7890qwertzuiop", [IS_KEYBOARD_ROW]),
        # a shorter piece repeated
        ("Summer24Summer24", [IS_REPEATED_PIECE]),
        ("hunter2hunter2", [IS_REPEATED_PIECE]),
        ("xq7xq7xq7xq7", [IS_REPEATED_PIECE]),
        # made only of two or three predictable pieces
        ("monkeydragon12", [IS_PREDICTABLE]),
        ("zxcvbnmasdfghjkl", [IS_PREDICTABLE]),
        ("asdfgh2024!!", [IS_PREDICTABLE]),
        ("xxxxxxxxxxxyz", [IS_PREDICTABLE]),
        ("qwertyqwertyqwerty12", [IS_PREDICTABLE]),
        ("lmnopq9876543", [IS_PREDICTABLE]),
        ("ch0col@tebanana", [IS_PREDICTABLE]),
        # several families at once: one reason from each
        ("alice1", [SHORT, CONTAINS_ACCOUNT_NAME]),
        ("example", [SHORT, CONTAINS_DOMAIN_NAME]),
    ],
)
def test_refused(password: str, reasons: list[str]) -> None:
    assert check_password(password, account=ACCOUNT) == reasons


def test_minimum_length_is_a_parameter() -> None:
    assert check_password("kL9#mQ2$", account=ACCOUNT, min_length=8) == []
    assert check_password("kL9#mQ2$", account=ACCOUNT, min_length=9) == [too_short(9)]
    assert check_password("kL9#mQ2$vX7!zz", account=ACCOUNT, min_length=16) == [too_short(16)]


def test_length_counts_code_points_after_nfc() -> None:
    decomposed = "e\u0301kL9#mQ2$vX7"  # 13 code points, 12 after NFC
    assert check_password(decomposed, account=ACCOUNT, min_length=13) == [too_short(13)]
    assert check_password(decomposed, account=ACCOUNT, min_length=12) == []


def test_maximum_length_is_inclusive() -> None:
    assert TOO_LONG not in check_password("kL9#" * (MAX_LENGTH // 4), account=ACCOUNT)
    assert TOO_LONG in check_password("kL9#" * (MAX_LENGTH // 4) + "x", account=ACCOUNT)


@pytest.mark.parametrize(
    ("account", "password", "reasons"),
    [
        # words of the local part count from four characters
        ("jean.dupont@example.org", "Dupont-rocks-42", [CONTAINS_ACCOUNT_NAME]),
        ("jo.smith@example.org", "jolly good fellow", []),
        ("jo.smith@example.org", "jo.smith and more", [CONTAINS_ACCOUNT_NAME]),
        # a local part or domain label under three characters is not checked
        ("al@ex.org", "always exciting", []),
        ("bob@ex.org", "bobsleigh winter", [CONTAINS_ACCOUNT_NAME]),
        # the domain's first label, IDN given as an A-label or a U-label
        ("alice@xn--exmple-cua.test", "visit exämple now", [CONTAINS_DOMAIN_NAME]),
        ("alice@exämple.test", "visit EXÄMPLE now", [CONTAINS_DOMAIN_NAME]),
        ("alice@mail.example.com", "gmail is elsewhere", [CONTAINS_DOMAIN_NAME]),
    ],
)
def test_account_names(account: str, password: str, reasons: list[str]) -> None:
    assert check_password(password, account=account) == reasons


def test_reasons_are_short_sentences_completing_the_password() -> None:
    everything = check_password("alice@example.com", account=ACCOUNT, min_length=40)
    assert everything[0] == "must be at least 40 characters long"
    for reason in [*everything, *(value for value in vars(policy).values() if _is_reason(value))]:
        assert reason.startswith("must ")
        assert len(reason) < 80
        assert not reason.endswith(".")


def _is_reason(value: object) -> bool:
    return isinstance(value, str) and value.startswith("must ")


def test_the_lists_are_small_lower_case_and_meet_the_brief() -> None:
    assert 100 <= len(COMMON_WORDS) + len(COMMON_PASSWORDS) <= 250
    assert all(word == word.casefold() for word in COMMON_WORDS | COMMON_PASSWORDS)
    for password in COMMON_PASSWORDS:
        assert check_password(password, account="x@y.z", min_length=1) != []


def test_normalize_password_is_nfc() -> None:
    assert normalize_password("e\u0301t\u00e9") == "\u00e9t\u00e9"
    assert normalize_password("ﬁ²") == "ﬁ²"  # NFKC would have merged these


@given(st.text(max_size=80))
def test_check_never_fails_and_normalises(password: str) -> None:
    reasons = check_password(password, account=ACCOUNT)
    assert reasons == check_password(unicodedata.normalize("NFD", password), account=ACCOUNT)
    assert len(reasons) == len(set(reasons))
