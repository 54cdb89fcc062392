"""The labelled corpus (tests/data/spam-corpus) through the rules alone: nothing legitimate is
filed as spam, the GTUBE is refused, every message scores without error. The full
measurement, with authentication results and a trained classifier, is
``bench/spam_quality.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from courriel.config.schema import SpamSettings
from courriel.mail import normalize_line_endings
from courriel.spam.features import read_features
from courriel.spam.rules import RuleContext, run_rules
from courriel.spam.tokens import tokenize

CORPUS = Path(__file__).resolve().parents[2] / "data" / "spam-corpus"
HAM = sorted((CORPUS / "ham").glob("*.eml"))
SPAM = sorted((CORPUS / "spam").glob("*.eml"))
CONTEXT = RuleContext(None, ("example.test",))


def total(path: Path) -> float:
    features = read_features(normalize_line_endings(path.read_bytes()))
    assert tokenize(features)
    return sum(hit.weight for hit in run_rules(features, CONTEXT))


def test_the_corpus_is_there() -> None:
    assert len(HAM) >= 90
    assert len(SPAM) >= 100
    readme = (CORPUS / "README.md").read_text()
    for path in [*HAM, *SPAM]:  # every imported sample has its provenance written down
        if path.name.startswith(("sa-", "mp-")):
            assert path.name in readme


@pytest.mark.parametrize("path", HAM, ids=lambda path: path.name)
def test_no_legitimate_message_reaches_the_junk_threshold(path: Path) -> None:
    assert total(path) < SpamSettings().junk_score


def test_the_rules_alone_catch_some_spam() -> None:
    caught = [path.name for path in SPAM if total(path) >= SpamSettings().junk_score]
    assert "s29-gtube.eml" in caught
    assert "s05-invoice-double-ext.eml" in caught
    assert "s31-paypal-lookalike-link.eml" in caught  # brand lookalike + deceptive link
    assert total(CORPUS / "spam" / "s29-gtube.eml") >= SpamSettings().reject_score
