"""The shortcuts of folding give what folding atom by atom gives.

``header_lines`` and ``fold_value`` skip the atoms when a value fits on its line, and fold a
long ASCII value by searching it for blanks (``_fold_at_blanks``); both are compared here
with the atom-by-atom fold (``_fold`` over ``_blank_atoms``), which still handles encoded
words and 8-bit text, over values with long words, runs of blanks and tabs, encoded-word
look-alikes and non-ASCII letters, at any starting column.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from courriel.mail.compose import (
    MAX_LINE,
    _blank_atoms,
    _fold,
    _fold_at_blanks,
    _width,
    fold_value,
    header_lines,
)

WORDS = st.one_of(
    st.text(alphabet="abcd=?(é", min_size=1, max_size=12),
    st.text(alphabet="ab", min_size=1, max_size=12),
    st.sampled_from(["x" * 40, "y" * 90]),
)
BLANKS = st.lists(st.sampled_from([" ", "\t"]), min_size=1, max_size=3).map("".join)


@st.composite
def values(draw: st.DrawFn) -> str:
    words = draw(st.lists(WORDS, min_size=1, max_size=30))
    pieces = [words[0]]
    for word in words[1:]:
        pieces += [draw(BLANKS), word]
    return "".join(pieces)


def fold_atom_by_atom(field_name: str, parts: Sequence[str]) -> str:
    """``fold_value`` as written before its shortcuts."""
    atoms: list[tuple[str, str]] = []
    for written in parts:
        part = written.strip(" \t")
        if not part:
            continue
        separator = " " if atoms else ""
        if _width(part) < MAX_LINE:
            atoms.append((separator, part))
            continue
        pieces = _blank_atoms(part)
        atoms.append((separator, pieces[0][1]))
        atoms.extend(pieces[1:])
    return _fold(atoms, len(field_name) + 2)


@settings(max_examples=400)
@given(values(), st.integers(min_value=0, max_value=100))
def test_folding_at_blanks_is_folding_atom_by_atom(value: str, start: int) -> None:
    assert _fold_at_blanks(value, start) == _fold(_blank_atoms(value), start)


@settings(max_examples=300)
@given(values(), st.sampled_from(["Received-SPF", "X", "Authentication-Results", "A" * 70]))
def test_header_lines_fold_as_before(value: str, name: str) -> None:
    expected = f"{name}: {_fold(_blank_atoms(value), len(name) + 2)}\r\n".encode()
    assert header_lines([(name, f"  {value}\t")]) == expected


@settings(max_examples=300)
@given(st.lists(values(), max_size=4), st.sampled_from(["", "Received", "A" * 80]))
def test_fold_value_folds_as_before(parts: list[str], field_name: str) -> None:
    assert fold_value(field_name, parts) == fold_atom_by_atom(field_name, parts)


def test_a_received_spf_value_folds_at_its_blanks() -> None:
    value = (
        "none (mail.example.test: domain of alice@sender.test does not designate permitted "
        'sender hosts) receiver=mail.example.test; client-ip=192.0.2.1; envelope-from="a'
        '@sender.test"; helo=mx.sender.test; identity=mailfrom; problem="no SPF record"'
    )
    lines = header_lines([("Received-SPF", value)]).decode().split("\r\n")
    assert lines[-1] == ""
    assert all(len(line) <= MAX_LINE for line in lines)
    assert all(line.startswith(" ") for line in lines[1:-1])
    assert "".join(lines) == f"Received-SPF: {value}"
