"""The per-account statistical classifier: Robinson's token probabilities combined with
Fisher's chi-square method, as SpamBayes and bogofilter do (Gary Robinson, "A Statistical
Approach to the Spam Problem", Linux Journal 107, 2003).

For each token the account has seen, its spam probability is the share of spam among the
messages containing it, each kind weighted by how many messages of that kind were trained,
pulled toward 0.5 for rarely seen tokens::

    p(w) = (spam(w)/spam_messages) / (spam(w)/spam_messages + ham(w)/ham_messages)
    f(w) = (s * x + n * p(w)) / (s + n)        s = 0.45, x = 0.5, n = spam(w) + ham(w)

The ``MAX_CLUES`` tokens farthest from 0.5 (at least ``MIN_DEVIATION`` away) are combined:
``S = 1 - C⁻¹(-2 Σ ln(1 - f), 2n)`` is the evidence for spam, ``H = 1 - C⁻¹(-2 Σ ln f, 2n)``
for ham (``C⁻¹`` the chi-square survival function), and the message's spam probability is
``(1 + S - H) / 2``: near 1 or 0 when the evidence agrees, near 0.5 when it is weak or
contradicts itself. The probability becomes one ``BAYES_*`` hit (weights in ``weights``).

Nothing is said until the account trained at least ``MIN_TRAINED`` messages of each kind.
Counts come from the ``SpamRepo`` port; this module is pure arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from courriel.spam.weights import Hit, hit
from courriel.storage.records import ClassifierCounts

#: Trained messages of each kind before the classifier's opinion counts.
MIN_TRAINED = 5
#: Robinson's ``s`` (strength of the prior) and ``x`` (probability of an unknown token).
STRENGTH = 0.45
UNKNOWN = 0.5
#: Tokens closer to 0.5 than this say nothing and are ignored.
MIN_DEVIATION = 0.1
#: Most significant tokens combined per message.
MAX_CLUES = 150
# Probability buckets (upper bounds, exclusive) and their rules, from ham to spam.
_BUCKETS = (
    (0.01, "BAYES_00"),
    (0.05, "BAYES_05"),
    (0.20, "BAYES_20"),
    (0.80, "BAYES_50"),
    (0.95, "BAYES_80"),
    (0.99, "BAYES_95"),
)
_EXTREME = 1e-6
# Tokens named in a report, for the reader to see what the classifier saw.
_TOKENS_SHOWN = 3


@dataclass(frozen=True, slots=True)
class Classification:
    """The classifier's opinion of one message: the spam probability, and the tokens that
    weighed in with their own probabilities, strongest first."""

    probability: float
    clues: tuple[tuple[str, float], ...]
    spam_messages: int
    ham_messages: int


def token_probability(spam: int, ham: int, spam_messages: int, ham_messages: int) -> float:
    """Robinson's ``f(w)`` of a token seen in ``spam`` spam and ``ham`` ham messages."""
    spam_ratio = min(1.0, spam / spam_messages) if spam_messages else 0.0
    ham_ratio = min(1.0, ham / ham_messages) if ham_messages else 0.0
    if spam_ratio + ham_ratio == 0:
        return UNKNOWN
    probability = spam_ratio / (spam_ratio + ham_ratio)
    seen = spam + ham
    return (STRENGTH * UNKNOWN + seen * probability) / (STRENGTH + seen)


def chi2_survival(chi2: float, degrees: int) -> float:
    """P(X >= chi2) for X chi-square distributed with an even number of ``degrees``: the
    closed form ``exp(-m) Σ_{i < degrees/2} m^i / i!`` with ``m = chi2 / 2``."""
    m = chi2 / 2.0
    term = math.exp(-m)
    total = term
    for index in range(1, degrees // 2):
        term *= m / index
        total += term
    return min(total, 1.0)


def combine(probabilities: Sequence[float]) -> float:
    """Fisher's combination of token probabilities into one spam probability."""
    if not probabilities:
        return UNKNOWN
    spam_log = ham_log = 0.0
    for probability in probabilities:
        clamped = min(max(probability, _EXTREME), 1.0 - _EXTREME)
        spam_log += math.log(1.0 - clamped)
        ham_log += math.log(clamped)
    degrees = 2 * len(probabilities)
    spam_evidence = 1.0 - chi2_survival(-2.0 * spam_log, degrees)
    ham_evidence = 1.0 - chi2_survival(-2.0 * ham_log, degrees)
    return (1.0 + spam_evidence - ham_evidence) / 2.0


def classify(tokens: Sequence[str], counts: ClassifierCounts) -> Classification | None:
    """The spam probability of a message with ``tokens``, from the account's ``counts``;
    None while the account has trained too little to say."""
    if counts.spam_messages < MIN_TRAINED or counts.ham_messages < MIN_TRAINED:
        return None
    clues: list[tuple[float, str, float]] = []
    for token in dict.fromkeys(tokens):
        found = counts.tokens.get(token)
        if found is None:
            continue
        probability = token_probability(*found, counts.spam_messages, counts.ham_messages)
        deviation = abs(probability - UNKNOWN)
        if deviation >= MIN_DEVIATION:
            clues.append((deviation, token, probability))
    clues.sort(key=lambda clue: (-clue[0], clue[1]))
    strongest = clues[:MAX_CLUES]
    return Classification(
        combine([probability for _, _, probability in strongest]),
        tuple((token, probability) for _, token, probability in strongest),
        counts.spam_messages,
        counts.ham_messages,
    )


def bayes_hit(classification: Classification) -> Hit:
    """The ``BAYES_*`` rule of a classification, naming the strongest tokens on its side."""
    probability = classification.probability
    name = next((rule for bound, rule in _BUCKETS if probability < bound), "BAYES_99")
    spammy = probability >= UNKNOWN
    shown = [token for token, p in classification.clues if (p >= UNKNOWN) == spammy]
    detail = (
        f"{probability:.1%} from {len(classification.clues)} tokens, trained on "
        f"{classification.spam_messages} spam and {classification.ham_messages} ham"
    )
    if shown:
        detail += "; " + ", ".join(shown[:_TOKENS_SHOWN])
    return hit(name, detail)
