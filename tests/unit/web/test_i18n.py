"""Language negotiation (RFC 9110 §12.5.4) and the completeness of the catalogue."""

from __future__ import annotations

import pytest

from courriel.web.i18n import CATALOGUE, LANGUAGES, Translator, negotiate


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("fr", "fr"),
        ("fr-CA", "fr"),
        ("FR-fr;q=0.9", "fr"),
        ("de, fr;q=0.5, en;q=0.4", "fr"),
        ("en;q=0.2, fr;q=0.8", "fr"),
        ("fr;q=0, en", "en"),
        ("de, *;q=0.1", "en"),
        ("fr;q=abc, en;q=0.5", "en"),
        ("x" * 10_000, "en"),
        ("fr, en", "fr"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_every_entry_has_every_language() -> None:
    for key, entry in CATALOGUE.items():
        assert set(entry) == set(LANGUAGES), key
        assert all(text.strip() for text in entry.values()), key


def test_translator_formats_and_names_folders() -> None:
    french = Translator("fr")
    assert french("sessions.others_ended", count=2) == "2 autre(s) session(s) fermée(s)."
    assert french.folder("INBOX") == "Boîte de réception"
    assert french.folder("Projets/2026") == "Projets/2026"
    assert Translator("en")("no.such.key") == "no.such.key"
