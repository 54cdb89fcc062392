"""Domain names as the rules compare them: organisational domains, real top-level
domains, scripts mixed in one label, and digit-for-letter lookalikes.

- :func:`same_organisation`: two names under one registered domain (RFC 7489 §3.2's
  organisational domain, from the public suffix list ``mailauth.dmarc`` already loads), so
  ``mail.example.org`` and ``news.example.org`` are one sender.
- :func:`has_known_suffix`: ``paypal.com`` ends in a real public suffix, ``report.pdf`` does
  not, which keeps file names in link texts from looking like domains.
- :func:`mixed_script_label`: a label whose letters come from several scripts, such as
  Latin ``p`` and ``l`` around a Cyrillic ``а`` (the IDN homograph attack, Unicode TR #39
  §5.1 "mixed-script confusables"). Only the mixing is detected; whole-script lookalikes and
  brand lists are out of scope.
- :func:`lookalike_of`: the sender's domain written with digits for letters (``examp1e``,
  ``rnicrosoft``) of one of the recipient's own domains.
- :func:`impersonated_brand` and :func:`imitated_brand`: a display name naming a brand that
  phishing often imitates (:data:`BRANDS`) from a domain of another organisation, and a
  domain written to look like such a brand (``paypa1``).

Must not: look anything up in DNS.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from courriel.mail.address import domain_to_unicode
from courriel.mailauth.dmarc import organizational_domain, public_suffixes

# Scripts that legitimately share a label with Latin letters or with each other: Japanese
# mixes Han, Hiragana and Katakana (and Latin), Korean Han and Hangul (Unicode TR #39 §5.1,
# "Highly Restrictive").
_COMPATIBLE = (
    frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "CJK", "HANGUL"}),
    frozenset({"LATIN", "CJK", "BOPOMOFO"}),
)
_RESERVED_TOP_LEVEL = frozenset({"test", "example", "invalid"})
# Digits and letter pairs that read as a letter; compared after lower-casing.
_LOOKALIKE_SEQUENCES = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_LOOKALIKE_CHARACTERS = str.maketrans(
    {"0": "o", "1": "l", "i": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "$": "s"}
)


def same_organisation(first: str, second: str) -> bool:
    """Whether two domain names share their organisational domain."""
    return organizational_domain(first) == organizational_domain(second)


def has_known_suffix(domain: str) -> bool:
    """Whether ``domain`` has a label in front of a suffix of the public suffix list, or of
    a top-level name reserved for tests and examples (RFC 2606 §2), which behave alike."""
    name = domain.strip().rstrip(".").lower()
    if "." not in name:
        return False
    if name.rpartition(".")[2] in _RESERVED_TOP_LEVEL:
        return True
    return public_suffixes().publicsuffix(name, accept_unknown=False) is not None


def _script(character: str) -> str | None:
    """The script of a letter, from its Unicode name (``CYRILLIC SMALL LETTER A`` →
    ``CYRILLIC``); None for digits, hyphens and other shared characters."""
    if not character.isalpha():
        return None
    name = unicodedata.name(character, "")
    return name.split(" ", 1)[0] if name else None


def label_scripts(label: str) -> set[str]:
    """The scripts of the letters of one label."""
    return {script for script in map(_script, label) if script is not None}


def mixed_script_label(domain: str) -> str | None:
    """The first label of ``domain`` (A-labels decoded) whose letters mix scripts that do
    not belong together, or None."""
    for label in domain_to_unicode(domain).split("."):
        if label.isascii():
            continue
        scripts = label_scripts(label)
        if len(scripts) > 1 and not any(scripts <= allowed for allowed in _COMPATIBLE):
            return label
    return None


def skeleton(domain: str) -> str:
    """``domain`` with lookalike digits and letter pairs replaced by the letter they imitate:
    ``examp1e.com`` and ``example.com`` have the same skeleton."""
    text = domain.lower()
    for sequence, letter in _LOOKALIKE_SEQUENCES:
        text = text.replace(sequence, letter)
    return text.translate(_LOOKALIKE_CHARACTERS)


def lookalike_of(domain: str, protected: Iterable[str]) -> str | None:
    """The first of ``protected`` (the recipient's own domains) that ``domain`` imitates:
    another organisational domain with the same skeleton. None when it imitates none."""
    sender = organizational_domain(domain)
    sender_skeleton = skeleton(sender)
    for candidate in protected:
        own = organizational_domain(candidate)
        if own != sender and skeleton(own) == sender_skeleton:
            return own
    return None


# Brands that phishing imitates most (the brands named by the APWG and national CERT
# phishing reports), each with the words its own organisational domains carry. A display
# name naming the brand, or a domain written to look like it, from an organisation whose
# domain carries none of these words, is impersonation.
BRANDS: dict[str, tuple[str, ...]] = {
    "paypal": ("paypal",),
    "microsoft": ("microsoft", "office", "office365", "outlook", "live", "hotmail", "msn"),
    "office365": ("microsoft", "office", "office365", "outlook"),
    "office 365": ("microsoft", "office", "office365", "outlook"),
    "microsoft 365": ("microsoft", "office", "office365", "outlook"),
    "outlook": ("microsoft", "outlook", "office", "live", "hotmail"),
    "onedrive": ("microsoft", "onedrive", "live", "sharepoint"),
    "sharepoint": ("microsoft", "sharepoint"),
    "apple": ("apple", "icloud", "itunes"),
    "icloud": ("apple", "icloud"),
    "amazon": ("amazon", "amazonaws", "amazonses"),
    "netflix": ("netflix",),
    "dhl": ("dhl",),
    "fedex": ("fedex",),
    "ups": ("ups",),
    "docusign": ("docusign",),
    "dropbox": ("dropbox", "dropboxmail"),
    "wetransfer": ("wetransfer",),
    "facebook": ("facebook", "facebookmail", "meta"),
    "instagram": ("instagram", "facebookmail"),
    "linkedin": ("linkedin",),
    "google": ("google", "gmail", "youtube"),
    "gmail": ("google", "gmail"),
    "ledger": ("ledger",),
    "metamask": ("metamask",),
    "coinbase": ("coinbase",),
    "binance": ("binance",),
    "colissimo": ("laposte", "colissimo"),
    "la poste": ("laposte",),
    "chronopost": ("chronopost",),
    "ameli": ("ameli", "assurance-maladie"),
    "impots.gouv": ("impots", "dgfip"),
}
_BRAND_IN_TEXT = re.compile(
    r"(?<![\w.-])(" + "|".join(re.escape(brand) for brand in sorted(BRANDS, key=len)[::-1]) + r")"
    r"(?![\w-])"
)


def _carries(domain: str, words: tuple[str, ...]) -> bool:
    organisation = organizational_domain(domain.lower())
    return any(word in organisation for word in words)


def brand_named(text: str) -> str | None:
    """The first brand of :data:`BRANDS` that ``text`` (a display name) names, or None."""
    match = _BRAND_IN_TEXT.search(text.lower())
    return match.group(1) if match is not None else None


def impersonated_brand(name: str, domain: str) -> str | None:
    """The brand a display ``name`` claims when the sender's ``domain`` is none of that
    brand's organisations, else None."""
    brand = brand_named(name)
    if brand is None or _carries(domain, BRANDS[brand]):
        return None
    return brand


def imitated_brand(domain: str) -> str | None:
    """The brand that ``domain``'s organisational domain imitates with lookalike characters
    (``paypa1-support``, ``rnicrosoft``), or None; a domain that really carries the brand's
    name is not an imitation of it."""
    label = domain_to_unicode(organizational_domain(domain.lower()).partition(".")[0])
    shape = skeleton(label)
    for brand, words in BRANDS.items():
        if " " in brand or "." in brand or len(brand) < 5:
            continue
        if skeleton(brand) in shape and not any(word in label for word in words):
            return brand
    return None
