"""Which fraud phrases could possibly match a text, found without searching for them.

A phrase set's regular expression costs 0.1-0.2 ms per 5 KB of text even when nothing
matches (the search tries every alternative at every position), and a message has seven
sets: measured 0.7-1.8 ms per message, most of its scoring time. Most phrases, though,
spell some words in full: ``"verify your (?:account|identity)"`` matches only texts with
the whole words ``verify`` and ``your``, and one of ``account`` or ``identity``. A
:class:`Requirement` says which words (or, failing that, which run of letters) a phrase
needs; ``phrases.matching_sets`` searches only for the phrases whose requirement the
text's set of words meets. Leaving out alternatives that cannot match anywhere does not
change what a search finds, so the result is the same as searching for every phrase.

Must not: match phrases itself (``phrases`` does), or ever rule out a phrase that could
match (a phrase it cannot read gets no requirement).
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

Clause = tuple[frozenset[str], ...]
"""Alternatives, each a set of words: met when the text has all the words of one."""

_METACHARACTERS = frozenset(".^$*+?{}[]()|\\")
_QUANTIFIERS = frozenset("?*")


@dataclass(frozen=True, slots=True)
class Branch:
    """What one top-level ``|`` alternative of a phrase needs: every clause (whole
    words), and every literal (runs of characters it always spells, found anywhere)."""

    clauses: tuple[Clause, ...]
    literals: tuple[str, ...]
    choices: tuple[tuple[tuple[str, ...], ...], ...] = ()
    """Groups of literal alternatives (``(?:us\\$|usd)``): one alternative's literals
    each."""

    def met(self, words: AbstractSet[str], lowered: str) -> bool:
        return (
            all(any(alternative <= words for alternative in clause) for clause in self.clauses)
            and all(literal in lowered for literal in self.literals)
            and all(
                any(all(literal in lowered for literal in option) for option in choice)
                for choice in self.choices
            )
        )


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a text needs before a phrase can match in it: what one of its branches needs
    (a phrase whose branches need nothing may match anywhere)."""

    branches: tuple[Branch, ...]

    def met(self, words: AbstractSet[str], lowered: str) -> bool:
        """Whether the phrase could match in ``lowered`` (lower-cased, blanks as they
        came) whose ``\\w+`` runs are ``words``."""
        return any(branch.met(words, lowered) for branch in self.branches)


def requirement(phrase: str) -> Requirement:
    """The :class:`Requirement` of ``phrase`` (a pattern as ``phrases`` writes them:
    lower case, one blank between words, matched between non-word characters).

    Each piece of a branch between blanks, outside parentheses, gives a clause when it is
    a word of letters only, or a group ``(?:a|b c)`` of such words: the piece stands
    between blanks or at an end of the phrase, where the pattern asks for a non-word
    character, so its words are whole ``\\w+`` runs of any text it matches. Literals
    are the runs of plain characters outside groups and classes, cut at blanks (the
    text's blanks are not normalised yet) and before quantifiers."""
    return Requirement(tuple(_branch(branch) for branch in top_level(phrase, "|")))


def _branch(branch: str) -> Branch:
    pieces = top_level(branch, " ")
    clauses = []
    choices = []
    for index, piece in enumerate(pieces):
        following = pieces[index + 1] if index + 1 < len(pieces) else ""
        # A piece followed by an optional blank may run into the next word.
        whole = following[:1] not in ("?", "*", "+", "{")
        clause = _clause(_bounded_core(piece)) if whole else None
        if clause is not None:
            clauses.append(clause)
        elif (choice := _choice(piece)) is not None:
            choices.append(choice)
    return Branch(tuple(clauses), _literals(branch), tuple(choices))


def _bounded_core(piece: str) -> str:
    """What of ``piece`` stands between blanks (or the piece's ends) in every match: the
    piece itself, or, for a piece made of groups such as ``(?:a )?(?:b|c d)(?: e)?``, its
    one required group when every optional group before it ends with a blank and every
    one after it starts with one (present or absent, they leave the required group
    between blanks or the piece's ends)."""
    groups = _groups(piece)
    if groups is None:
        return piece
    required = [index for index, (_, optional) in enumerate(groups) if not optional]
    if len(required) != 1:
        return piece
    core = required[0]
    if all(optional and group[3:-1].endswith(" ") for group, optional in groups[:core]) and all(
        optional and group[3:-1].startswith(" ") for group, optional in groups[core + 1 :]
    ):
        return groups[core][0]
    return piece


def _groups(piece: str) -> list[tuple[str, bool]] | None:
    """``piece`` as a run of ``(?:...)`` groups, each with whether a ``?`` follows it;
    None when anything else is in it."""
    groups: list[tuple[str, bool]] = []
    rest = piece
    while rest:
        if not rest.startswith("(?:"):
            return None
        end = _group_end(rest)
        if end is None:
            return None
        optional = rest[end + 1 : end + 2] == "?"
        if rest[end + 1 : end + 2] in ("*", "+", "{"):
            return None
        groups.append((rest[: end + 1], optional))
        rest = rest[end + 2 if optional else end + 1 :]
    return groups


def _choice(piece: str) -> tuple[tuple[str, ...], ...] | None:
    """A group at the start of ``piece`` whose every alternative spells some literal,
    as those literals; None for anything else."""
    if not piece.startswith("(?:"):
        return None
    inner_end = _group_end(piece)
    if inner_end is None or piece[inner_end + 1 : inner_end + 2] in ("?", "*", "{"):
        return None
    inner = piece[3:inner_end]
    if any(character in inner for character in "()[]"):
        return None
    options = tuple(_literals(alternative) for alternative in top_level(inner, "|"))
    return options if all(options) else None


def _group_end(piece: str) -> int | None:
    """The index of the parenthesis that closes the group opening ``piece``."""
    for index, character, depth, escaped in _scan(piece):
        if character == ")" and depth == 0 and not escaped:
            return index
    return None


def _clause(piece: str) -> Clause | None:
    """The clause of one blank-separated piece: a plain word, or a group of plain-word
    alternatives with no quantifier after it; None for anything else."""
    if piece.isalpha():
        return (frozenset((piece,)),)
    if not (piece.startswith("(?:") and piece.endswith(")")):
        return None
    inner = piece[3:-1]
    if any(character in inner for character in "()[]\\"):
        return None
    alternatives = []
    for alternative in inner.split("|"):
        words = alternative.split(" ")
        if not all(word.isalpha() for word in words):  # also "" from "the " or "a  b"
            return None
        alternatives.append(frozenset(words))
    return tuple(alternatives)


def _scan(pattern: str) -> Iterator[tuple[int, str, int, bool]]:
    """``(index, character, depth, escaped)`` for each character of ``pattern`` but the
    backslashes that escape the next one: ``depth`` counts the groups, classes and
    repetition counts (``(``, ``[``, ``{``) around the character, an opening or closing one
    being at the depth outside it."""
    depth = 0
    escaped = False
    for index, character in enumerate(pattern):
        if escaped:
            escaped = False
            yield index, character, depth, True
        elif character == "\\":
            escaped = True
        elif character in "([{":
            yield index, character, depth, False
            depth += 1
        elif character in ")]}":
            depth -= 1
            yield index, character, depth, False
        else:
            yield index, character, depth, False


def top_level(pattern: str, separator: str) -> list[str]:
    """``pattern`` split at each ``separator`` outside groups, classes and counts."""
    pieces: list[str] = []
    start = 0
    for index, character, depth, escaped in _scan(pattern):
        if character == separator and depth == 0 and not escaped:
            pieces.append(pattern[start:index])
            start = index + 1
    pieces.append(pattern[start:])
    return pieces


def _literals(branch: str) -> tuple[str, ...]:
    """The runs of plain characters ``branch`` always spells at its top level (escaped
    punctuation counts as plain), without blanks; runs of one letter are left out."""
    runs: list[str] = []
    current: list[str] = []

    def cut() -> None:
        runs.append("".join(current))
        current.clear()

    for _, character, depth, escaped in _scan(branch):
        if escaped:
            if depth == 0 and not character.isalnum():  # "\$" is "$"; "\d", "\b" are not
                current.append(character)
            else:
                cut()
        elif character in "([{":
            if character == "{" and depth == 0 and current:
                current.pop()  # "x{0,3}": the character before may be absent
            cut()
        elif character in ")]}":
            cut()
        elif depth > 0:
            continue
        elif character in _QUANTIFIERS:
            if current:
                current.pop()  # the character before a quantifier may be absent
            cut()
        elif character == "+":
            cut()  # present, but perhaps repeated: the run cannot go on
        elif character == " " or character in _METACHARACTERS:
            cut()
        else:
            current.append(character)
    cut()
    return tuple(dict.fromkeys(run for run in runs if len(run) > 1 or (run and not run.isalpha())))


class PhraseIndex:
    """The requirements of a list of phrases, indexed so that a text's words find the
    few phrases worth checking: each phrase is filed under words one of which every match
    of each of its branches spells (:func:`_key`), or, for a branch that needs no word,
    the longest literal it needs; phrases with a branch that needs neither are checked
    for every text."""

    def __init__(self, phrases: tuple[str, ...]) -> None:
        self.phrases = phrases
        self.requirements = tuple(requirement(phrase) for phrase in phrases)
        self._by_word: dict[str, list[int]] = {}
        self._by_literal: dict[str, list[int]] = {}
        self._always: list[int] = []
        for index, needs in enumerate(self.requirements):
            keys = [_key(branch) for branch in needs.branches]
            if any(key is None for key in keys):
                self._always.append(index)
                continue
            for words, literals in (key for key in keys if key is not None):
                for word in words:
                    self._by_word.setdefault(word, []).append(index)
                for literal in literals:
                    self._by_literal.setdefault(literal, []).append(index)
        self._keys = frozenset(self._by_word)

    def possible_positions(self, words: AbstractSet[str], lowered: str) -> list[int]:
        """The positions in ``phrases`` of the phrases that could match in ``lowered``
        (lower-cased, blanks as they came) whose ``\\w+`` runs are ``words``, in order."""
        candidates = set(self._always)
        for word in self._keys & words:
            candidates.update(self._by_word[word])
        for literal, indexes in self._by_literal.items():
            if literal in lowered:
                candidates.update(indexes)
        return [
            index for index in sorted(candidates) if self.requirements[index].met(words, lowered)
        ]


def _rarity(clause: Clause) -> tuple[int, int]:
    """How rarely a clause's key words are likely met: short words ("in", "you") are the
    common ones, so the length of its shortest key word, then fewer alternatives."""
    return min(len(max(alternative, key=len)) for alternative in clause), -len(clause)


def _key(branch: Branch) -> tuple[frozenset[str], frozenset[str]] | None:
    """What a branch surely needs, to file its phrase under, as ``(words, literals)``: a
    clause's words, one per alternative (the longest, likely the rarest; the clause whose
    words are likely rarest, :func:`_rarity`); else its longest literal; else a choice's
    literals, one per option. None when it needs none of these."""
    if branch.clauses:
        rarest = max(branch.clauses, key=_rarity)
        return frozenset(max(alternative, key=len) for alternative in rarest), frozenset()
    if branch.literals:
        return frozenset(), frozenset((max(branch.literals, key=len),))
    if branch.choices:
        options = branch.choices[0]
        return frozenset(), frozenset(max(option, key=len) for option in options)
    return None
