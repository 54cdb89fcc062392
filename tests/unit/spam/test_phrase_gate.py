"""spam.phrase_gate: the words and literals a phrase needs, and the property that makes
the gate safe: searching only for the phrases it lets through finds exactly what
searching for every phrase finds."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from courriel.spam.phrase_gate import Branch, PhraseIndex, requirement
from courriel.spam.phrases import MIN_PHRASES, PHRASE_SETS, matching_sets, normalise


def words_of(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", text))


def test_plain_words_and_word_groups_become_clauses() -> None:
    found = requirement("verify your (?:account|email account)")
    assert found.branches == (
        Branch(
            (
                (frozenset({"verify"}),),
                (frozenset({"your"}),),
                (frozenset({"account"}), frozenset({"email", "account"})),
            ),
            ("verify", "your"),
        ),
    )


def test_branches_literals_and_choices() -> None:
    assert [branch.clauses for branch in requirement("héritage|héritier").branches] == [
        ((frozenset({"héritage"}),),),
        ((frozenset({"héritier"}),),),
    ]
    # Letters before a quantifier may be absent; "+" keeps the letter but ends the run.
    assert requirement("v[i1!]agra").branches[0].literals == ("agra",)
    assert requirement("the funds?").branches[0].literals == ("the", "fund")
    assert requirement("ab+cd").branches[0].literals == ("ab", "cd")
    assert requirement("envoyez .{0,30}bitcoin").branches[0].literals == ("envoyez", "bitcoin")
    assert requirement(r"\$0 down").branches[0].literals == ("$0", "down")
    choice = requirement(r"(?:us\$|\$|usd ?)[\d.,]+ ?m\b").branches[0]
    assert choice.choices == ((("us$",), ("$",), ("usd",)),)


def test_a_word_before_an_optional_blank_is_no_clause() -> None:
    """ "abc ?def" matches "abcdef": "abc" is no whole word there."""
    branch = requirement("abc ?def").branches[0]
    assert branch.clauses == ()
    assert branch.met(words_of("abcdef"), "abcdef")


def test_the_index_lets_through_only_what_could_match() -> None:
    index = PhraseIndex(("next of kin", "v[i1!]agra", "(?:dear|attention) friend"))

    def possible(text: str) -> tuple[str, ...]:
        return tuple(index.phrases[at] for at in index.possible_positions(words_of(text), text))

    assert possible("my dear friend, the next of kin") == (
        "next of kin",
        "(?:dear|attention) friend",
    )
    assert possible("vi4gra") == ()
    assert possible("v1agra") == ("v[i1!]agra",)


def search_everything(subject: str, text: str) -> list[tuple[str, list[str]]]:
    """What ``matching_sets`` must find: every phrase of every set searched for."""
    scanned = normalise(f"{subject}\n{text}")
    found = []
    for phrase_set in PHRASE_SETS:
        alternatives = "|".join(f"(?:{phrase})" for phrase in phrase_set.phrases)
        pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
        matched = list(dict.fromkeys(match.group(0) for match in pattern.finditer(scanned)))
        if len(matched) >= MIN_PHRASES:
            found.append((phrase_set.rule, matched))
    return found


def _vocabulary() -> list[str]:
    """Words and pieces the phrases are made of, so random texts hit them often."""
    pieces = set()
    for phrase_set in PHRASE_SETS:
        for phrase in phrase_set.phrases:
            pieces.update(re.findall(r"[^\W\d_]+|\d+|[$%€'!().-]", phrase))
    return [*sorted(pieces), "24-word", "US$", "$5", "1,000,000", "100%", "viagra", "v1agra"]


VOCABULARY = _vocabulary()
SEPARATORS = [" ", "  ", "\n", ", ", ". ", "-", "\u00a0", "\u2019", "", "!"]


# Texts that match a phrase (drawn from the phrase itself), and single words.
MATCHING = st.sampled_from(
    [phrase for phrase_set in PHRASE_SETS for phrase in phrase_set.phrases]
).flatmap(lambda phrase: st.from_regex(re.compile(phrase), fullmatch=True))
PIECES = st.one_of(st.sampled_from(VOCABULARY), MATCHING)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.tuples(PIECES, st.sampled_from(SEPARATORS)), max_size=30),
    st.booleans(),
    st.booleans(),
)
def test_the_gate_never_changes_what_is_found(
    pieces: list[tuple[str, str]], upper: bool, typographic: bool
) -> None:
    text = "".join(word + separator for word, separator in pieces)
    if upper:
        text = text.upper()
    if typographic:  # the search reads "\u2019" as "'": so must the gate
        text = text.replace("'", "\u2019")
    found = [(phrase_set.rule, phrases) for phrase_set, phrases in matching_sets("", text)]
    assert found == search_everything("", text)


def test_the_gate_finds_what_the_phrases_say() -> None:
    """Every example sentence below is found by both ways of searching."""
    for text in (
        "Dear customer, verify your account within 24 hours or your account will be suspended.",
        "I am a hacker. I recorded you through your webcam. Send $1450 in bitcoin.",
        "Vous avez gagné ! Félicitations, réclamer votre cadeau.",
        "Buy v1agra and c!alis without a prescription needed from our online pharmacy.",
        "Cher(e) client(e), votre compte a été suspendu. Mettez à jour votre moyen de paiement.",
        "Early investors: buy before monday\u2019s open, it could explode.",
        "You have been selected! Order without a doctor visit, no prescription required.",
    ):
        expected = search_everything("", text)
        assert expected, text
        assert [(s.rule, p) for s, p in matching_sets("", text)] == expected
