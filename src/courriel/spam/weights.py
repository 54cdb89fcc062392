"""Every rule of the spam filter, its weight and what it means: the one table.

A rule that fires adds its weight to the message's score and appears, with that weight and
its description (plus what it found), in the ``X-Spam-Report`` field, so a user or an
administrator can see why a message was filed where it was. Positive weights point to
spam, negative ones to legitimate mail. The DNS blocklist weights are configured per zone
(``spam.dnsbl_zones``); the table holds their name and description only.

The weights were set by hand against the rules' intent and checked on the labelled corpus
of ``bench/spam_quality.py``: no single rule except GTUBE and the block list reaches the
default junk threshold (5.0) alone; two strong signals together do.

Must not: compute anything. Rules live in ``rules``, the combination in ``verdict``.
"""

from __future__ import annotations

from typing import NamedTuple


class Rule(NamedTuple):
    """A rule's name (as shown in reports), weight and short description."""

    name: str
    weight: float
    description: str


class Hit(NamedTuple):
    """A rule that fired for one message: name, the weight it adds, and a description of
    what it found (the rule's description, with details)."""

    name: str
    weight: float
    description: str


_TABLE = (
    # The standard test string: a message carrying it is spam by definition.
    Rule("GTUBE", 1000.0, "the GTUBE anti-spam test string"),
    # Authentication results (mailauth.inbound), RFC 7208, RFC 6376, RFC 7489, RFC 8601.
    Rule("SPF_FAIL", 2.0, "SPF: the sending server is not allowed to send for the domain"),
    Rule("SPF_SOFTFAIL", 1.0, "SPF softfail: the domain doubts the sending server"),
    Rule("DKIM_FAIL", 1.5, "a DKIM signature does not verify"),
    Rule("DMARC_FAIL", 3.0, "the From domain fails DMARC"),
    Rule("DMARC_PASS", -0.5, "the From domain passes DMARC"),
    Rule("NO_AUTHENTICATION", 1.0, "neither SPF nor DKIM vouches for the sender"),
    Rule("IPREV_FAIL", 1.0, "the sending server's address has no matching reverse DNS"),
    # DNS blocklists (RFC 5782); weight per zone from the configuration.
    Rule("DNSBL_LISTED", 0.0, "the sending server is on a DNS blocklist"),
    # Header rules.
    Rule("FROM_NAME_HAS_ADDRESS", 2.5, "the From display name shows another address"),
    Rule("FROM_NAME_HAS_DOMAIN", 1.5, "the From display name shows another domain"),
    Rule("FROM_DOMAIN_MIXED_SCRIPT", 3.0, "the From domain mixes alphabets (IDN homograph)"),
    Rule("FROM_LOOKALIKE_DOMAIN", 3.5, "the From domain imitates the recipient's domain"),
    Rule("REPLY_TO_OTHER_DOMAIN", 1.0, "Reply-To goes to another domain than From"),
    Rule("MISSING_FROM", 2.0, "no From address"),
    Rule("MISSING_DATE", 1.0, "no Date field"),
    Rule("MISSING_MESSAGE_ID", 1.0, "no Message-ID field"),
    Rule("MISSING_SUBJECT", 0.5, "no subject"),
    Rule("SUBJECT_ALL_CAPS", 1.0, "the subject is written in capitals"),
    Rule("FROM_NAME_BRAND", 2.0, "the From display name names a brand its domain is not"),
    Rule("FROM_DOMAIN_IMITATES_BRAND", 3.0, "the From domain imitates a brand's name"),
    Rule("FAKE_REPLY", 1.0, 'the subject says "Re:" but the message answers nothing'),
    Rule("UNDISCLOSED_RECIPIENTS", 0.5, "sent to hidden recipients (no To, or undisclosed)"),
    # Structure rules.
    Rule("LINK_TEXT_MISMATCH", 3.5, "a link shows one address and goes to another"),
    Rule("LINK_TO_IP_ADDRESS", 1.5, "a link goes to a bare IP address"),
    Rule("LINK_SHORTENER", 1.0, "a link goes through a URL shortener, hiding its target"),
    Rule("LINK_MIXED_SCRIPT", 3.0, "a link's domain mixes alphabets (IDN homograph)"),
    Rule("EXECUTABLE_ATTACHMENT", 4.0, "an attached program or script"),
    Rule(
        "EXECUTABLE_DOUBLE_EXTENSION",
        3.0,
        "an attached program disguised by a second extension",
    ),
    Rule("ARCHIVE_WITH_EXECUTABLE", 4.0, "an attached archive holds a program or script"),
    Rule("MACRO_ATTACHMENT", 2.0, "an attached Office document with macros"),
    Rule("CONTAINER_ATTACHMENT", 3.0, "an attached disk image or OneNote file"),
    Rule("HTML_ATTACHMENT", 2.0, "an attached web page (a local form no link check sees)"),
    Rule("HTML_ONLY", 0.5, "HTML without a plain-text version"),
    Rule("HTML_IMAGE_ONLY", 2.0, "HTML showing images with next to no text"),
    # Content: stock phrases of a kind of fraud, two or more (phrases.PHRASE_SETS).
    Rule("PHRASES_PHISHING", 2.0, "phrases of credential phishing"),
    Rule("PHRASES_ADVANCE_FEE", 2.5, "phrases of advance-fee fraud"),
    Rule("PHRASES_PRIZE", 1.5, "phrases of a fake prize"),
    Rule("PHRASES_EXTORTION", 3.0, "phrases of extortion"),
    Rule("PHRASES_PHARMACY", 2.5, "phrases of pharmacy spam"),
    Rule("PHRASES_CRYPTO_SCAM", 2.0, "phrases of a crypto-currency scam"),
    Rule("PHRASES_EASY_MONEY", 1.5, "phrases of easy-money offers"),
    Rule("BITCOIN_ADDRESS", 1.5, "a Bitcoin address in the text"),
    # What the recipient's classifier says (trained on their Junk moves).
    Rule("BAYES_00", -2.5, "the classifier gives a spam probability under 1%"),
    Rule("BAYES_05", -1.0, "the classifier gives a spam probability of 1 to 5%"),
    Rule("BAYES_20", -0.5, "the classifier gives a spam probability of 5 to 20%"),
    Rule("BAYES_50", 0.0, "the classifier gives a spam probability of 20 to 80%"),
    Rule("BAYES_80", 2.0, "the classifier gives a spam probability of 80 to 95%"),
    Rule("BAYES_95", 3.0, "the classifier gives a spam probability of 95 to 99%"),
    Rule("BAYES_99", 4.0, "the classifier gives a spam probability over 99%"),
    # Sender reputation (server-wide) and the recipient's own relations.
    Rule("SENDER_BAD_REPUTATION", 2.5, "users reported this sender's mail as spam"),
    Rule("SENDER_GOOD_REPUTATION", -1.5, "users reported this sender's mail as not spam"),
    Rule("KNOWN_CORRESPONDENT", -3.0, "the recipient wrote to this sender"),
    Rule("USER_ALLOWLIST", -20.0, "the sender is on the recipient's allow list"),
    Rule("USER_BLOCKLIST", 10.0, "the sender is on the recipient's block list"),
)

RULES: dict[str, Rule] = {rule.name: rule for rule in _TABLE}


def hit(name: str, detail: str = "", *, weight: float | None = None) -> Hit:
    """The hit of rule ``name`` with its table weight (or ``weight``), its description
    followed by ``detail`` when given."""
    rule = RULES[name]
    description = f"{rule.description}: {detail}" if detail else rule.description
    return Hit(name, rule.weight if weight is None else weight, description)
