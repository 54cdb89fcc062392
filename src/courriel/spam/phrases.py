"""Phrases that the common kinds of fraud cannot do without, in English and French.

Each :class:`PhraseSet` names a kind of fraud (credential phishing, advance-fee, prize,
extortion, pharmacy, crypto investment, easy credit) and lists the phrases its messages
use: not single words, which legitimate mail uses too, but the stock formulas of each scam
("next of kin", "recovery phrase", "sans ordonnance"). A set counts only when at least
``MIN_PHRASES`` different phrases of it appear in the subject and text, so one unlucky
sentence in a legitimate message (a bank saying "we will never ask for your password")
is not enough. The rule ``rules.content_phrases`` turns each matching set into a hit that
names the phrases it found.

The lists were written from the published descriptions of these scams (the Apache
SpamAssassin ``ADVANCE_FEE``, ``LOTTO`` and ``PHISH`` rule families, national CERT
advisories), not taken from the corpus the filter is measured on.

Must not: look at anything but the text it is given, or read more than ``MAX_SCANNED``
characters of it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from courriel.spam.phrase_gate import PhraseIndex

#: Distinct phrases of one set needed before it counts.
MIN_PHRASES = 2
#: Characters of subject plus text searched.
MAX_SCANNED = 50_000
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00a0": " "})
_WORD = re.compile(r"\w+")
# ASCII characters that are not ``\w`` (letters, digits, "_"), as blanks.
_ASCII_NON_WORD_TO_BLANK = str.maketrans(
    {code: " " for code in range(128) if not (chr(code).isalnum() or chr(code) == "_")}
)


@dataclass(frozen=True)
class PhraseSet:
    """A kind of fraud: the rule name it fires and its phrases (lower case, one blank
    between words; ``\\d`` and other regular-expression classes are allowed)."""

    rule: str
    phrases: tuple[str, ...]


@functools.lru_cache(maxsize=256)
def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One search for any of ``phrases`` between non-word characters (the first listed
    wins where two match at one place)."""
    alternatives = "|".join(f"(?:{phrase})" for phrase in phrases)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


PHRASE_SETS = (
    PhraseSet(
        "PHRASES_PHISHING",
        (
            r"verify your (?:account|identity|mailbox|email account|information)",
            r"confirm your (?:account|identity|information|details|billing information)",
            r"(?:account|mailbox|access) (?:has been|will be|was) (?:suspended|limited|locked|"
            r"deactivated|disabled|closed|blocked)",
            r"(?:suspension|deactivation|closure) of your (?:account|mailbox)",
            r"within (?:24|48|72) hours",
            r"failure to (?:verify|confirm|update|do so|comply)",
            r"unusual (?:activity|sign-in activity|payment|login)",
            r"update your (?:payment|billing) (?:details|information|method)",
            r"keep (?:the )?same password",
            r"mailbox (?:is full|storage|quota)",
            r"storage (?:limit|quota)",
            r"held in quarantine",
            r"dear (?:customer|user|client|account holder|member|valued customer)",
            r"your password (?:expires|will expire|has expired)",
            r"(?:log|sign) in with your email password",
            r"restore (?:full )?access",
            r"vérifier votre (?:compte|identité|boîte)",
            r"confirmer vos (?:informations|coordonnées|données)",
            r"(?:compte|accès|abonnement|carte(?: bancaire)?) (?:a été|sera|est) "
            r"(?:suspendu|suspendue|bloqué|bloquée|désactivé|désactivée|limité|fermé)",
            r"(?:dans un délai de|sous) (?:24|48|72) heures",
            r"cher(?:\(e\))? (?:client|utilisateur|abonné)(?:\(e\))?",
            r"coordonnées bancaires",
            r"limite de (?:stockage|capacité)",
            r"mettre à jour (?:vos informations|votre moyen de paiement)",
            r"mettez à jour votre moyen de paiement",
        ),
    ),
    PhraseSet(
        "PHRASES_ADVANCE_FEE",
        (
            r"next of kin",
            r"(?:dear|attention) (?:beneficiary|friend)",
            r"dearest(?: one| friend)?",
            r"(?:us\$|\$|usd ?)[\d.,]+ ?(?:million|m)\b",
            r"[\d.,]+ million (?:united states |us )?dollars",
            r"\((?:[a-z]+ )+(?:united states )?dollars\)",
            r"risk[- ]free",
            r"god[- ]fearing",
            r"late (?:husband|father|client|dr\.?)",
            r"(?:abandoned|unclaimed|dormant) (?:sum|fund|funds|account|inheritance)",
            r"security company",
            r"atm (?:visa )?card",
            r"compensation (?:payment|fund)",
            r"(?:transfer|release) (?:of )?the funds?",
            r"your full names?",
            r"(?:private|direct) (?:phone|telephone) number",
            r"strictly confidential|in (?:strict|total) confidentiality",
            r"\d{2}% (?:for you|of the total sum)",
            r"héritage|héritier",
            r"bénéficiaire",
            r"en toute confidentialité",
            r"sans risque",
            r"parent proche",
        ),
    ),
    PhraseSet(
        "PHRASES_PRIZE",
        (
            r"you (?:have )?(?:won|been selected)",
            r"(?:selected|chosen) as (?:a|the|today's) winner",
            r"claim (?:your|the) (?:prize|reward|winnings|gift|tokens)",
            r"(?:lottery|lotto|sweepstake|prize) (?:winner|draw|award)",
            r"winning (?:number|ticket)",
            r"ticket number",
            r"congratulations!?",
            r"gift card",
            r"only (?:pay )?(?:the )?shipping(?: costs?)?",
            r"vous avez (?:gagné|été sélectionné)",
            r"tir(?:é|ée)s? au sort",
            r"félicitations",
            r"réclamer votre (?:gain|lot|cadeau)",
            r"frais de (?:port|dossier)",
        ),
    ),
    PhraseSet(
        "PHRASES_EXTORTION",
        (
            r"(?:recorded|filmed) (?:a video of )?you",
            r"through your (?:web)?cam(?:era)?",
            r"webcam",
            r"adult (?:website|site|videos?)",
            r"access to your (?:device|operating system|computer|accounts)",
            r"(?:i am|i'm) a hacker",
            r"(?:send|transfer|pay) .{0,30}(?:bitcoin|btc)",
            r"(?:bitcoin|btc) (?:wallet|address)",
            r"all your contacts",
            r"(?:delete|destroy) (?:the video|everything|the files)",
            r"do not (?:try to )?contact the police",
            r"compromising (?:video|recordings?|material)",
            r"piraté votre",
            r"sites pour adultes",
            r"tous vos contacts",
            r"envoyez .{0,30}bitcoin",
        ),
    ),
    PhraseSet(
        "PHRASES_PHARMACY",
        (
            r"v[i1!]agra",
            r"c[i1!]alis",
            r"levitra|kamagra|tadalafil|sildenafil",
            r"(?:no|without) (?:a )?(?:prescription|doctor visit)(?: (?:needed|required))?",
            r"online pharmacy|licensed pharmacy",
            r"per pill",
            r"discreet (?:packaging|shipping|delivery)",
            r"(?:ed|erectile) (?:meds|pills|dysfunction)",
            r"sans ordonnance",
            r"perdez (?:jusqu'à )?\d+ ?kg",
            r"lose \d+ ?(?:lbs|pounds|kg)",
            r"fait fondre la graisse|burns? fat",
        ),
    ),
    PhraseSet(
        "PHRASES_CRYPTO_SCAM",
        (
            r"guaranteed (?:returns?|profits?|income)",
            r"passive income",
            r"(?:trading|crypto) (?:robot|bot)",
            r"recovery phrase|seed phrase|24-word",
            r"(?:connect|verify) your wallet",
            r"airdrop",
            r"double your (?:bitcoin|btc|money|crypto)",
            r"receive \d+x back",
            r"giveaway",
            r"minimum deposit",
            r"success rate",
            r"(?:earn|make) (?:up to )?[$€£]?[\d,]+ ?(?:eur|usd|€|\$)? (?:per|a) day",
            r"early (?:supporters|investors)",
            r"could explode|before (?:monday's|the) (?:open|announcement)",
        ),
    ),
    PhraseSet(
        "PHRASES_EASY_MONEY",
        (
            r"pre-?approved",
            r"no credit check",
            r"bad credit",
            r"without proof of income|no proof of income",
            r"money in your account",
            r"(?:keep|keeping) \d+% (?:commission|of)",
            r"no experience (?:needed|required)",
            r"work from home",
            r"\$0 down",
            r"act now",
            r"(?:only|just) \d+ (?:places|spots|seats) left",
            r"100% (?:free|guaranteed|legal)",
            r"sans vérification",
        ),
    ),
)


def normalise(text: str) -> str:
    """``text`` lower-cased, typographic apostrophes and blanks made plain, bounded."""
    return _collapsed(_lowered(text))


def _collapsed(lowered: str) -> str:
    """``lowered`` with each run of blanks made one space, none at the ends."""
    return " ".join(lowered.split())


def _lowered(text: str) -> str:
    """``text`` bounded, lower-cased, typographic apostrophes and blanks made plain (the
    blanks not yet collapsed)."""
    return text[:MAX_SCANNED].translate(_APOSTROPHES).lower()


def _words(text: str) -> frozenset[str]:
    """The ``\\w+`` runs of ``text``: by translation and split when it is ASCII (a tenth
    of the time of the regular expression), else by the regular expression."""
    if text.isascii():
        return frozenset(text.translate(_ASCII_NON_WORD_TO_BLANK).split())
    return frozenset(_WORD.findall(text))


def matching_sets(subject: str, text: str) -> list[tuple[PhraseSet, list[str]]]:
    """Every set with at least ``MIN_PHRASES`` distinct phrases in the subject and text,
    with the phrases found. Only the phrases whose words are all in the text are searched
    for (``phrase_gate``): the same result, at a fraction of the cost."""
    # The gate reads the text as the search will, but for the blanks: a literal such as
    # "monday's" must be found where the text spells it "monday\u2019s".
    lowered = _lowered(f"{subject}\n{text}")
    index, places = _gate()
    positions = index.possible_positions(_words(lowered), lowered)
    if not positions:
        return []
    by_set: dict[int, list[str]] = {}
    for position in positions:
        set_number, phrase = places[position]
        by_set.setdefault(set_number, []).append(phrase)
    candidates = [(PHRASE_SETS[number], tuple(phrases)) for number, phrases in by_set.items()]
    scanned = _collapsed(lowered)  # normalise(), from what is already lowered
    found = []
    for phrase_set, phrases in candidates:
        matched = list(
            dict.fromkeys(match.group(0) for match in _pattern(phrases).finditer(scanned))
        )
        if len(matched) >= MIN_PHRASES:
            found.append((phrase_set, matched))
    return found


@functools.cache
def _gate() -> tuple[PhraseIndex, tuple[tuple[int, str], ...]]:
    """One index of every set's phrases (one look-up per text, not one per set), and
    each indexed phrase's set number and pattern."""
    places = tuple(
        (number, phrase)
        for number, phrase_set in enumerate(PHRASE_SETS)
        for phrase in phrase_set.phrases
    )
    return PhraseIndex(tuple(phrase for _, phrase in places)), places
