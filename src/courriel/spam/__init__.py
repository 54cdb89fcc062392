"""The spam filter that explains itself (issue 7).

A message's score is the sum of the weights of the rules that fired, each listed in its
``X-Spam-Report`` field. Module map::

    weights      the one table: every rule's name, weight and description
    features     what the rules read from a message, extracted once (bounded)
    links        <a href> targets with their text (html.parser), URLs in text
    domains      organisational domains, mixed scripts, digit-for-letter lookalikes
    phrases      the phrase tables of the content rules (English and French)
    rules        header, structure and authentication rules: pure functions
    dnsbl        DNS blocklists (RFC 5782) through the Resolver port, cached
    tokens       the classifier's tokens of a message
    classifier   per-account Robinson-Fisher classifier (pure arithmetic over counts)
    reputation   server-wide sender reputation, per-account correspondents
    lists        per-account allow and block lists: entries and matching
    verdict      score(): everything combined per account, action, X-Spam-* fields
    training     train classifiers and reputation from users' Junk moves
    service      SpamFilter: the service runtime builds (check, train, lists)
    external     Rspamd or spamd as one more rule (spam.external), off by default:
                 external_wire, rspamd_protocol and spamd_protocol are their pure wire code

Storage goes through the ``SpamRepo`` port (``storage.ports``).
"""

from courriel.spam.service import SpamFilter
from courriel.spam.training import TrainingSummary, train_from_feedback
from courriel.spam.verdict import (
    SPAM_FIELDS,
    ScoredMessage,
    SpamVerdict,
    remove_spam_fields,
    score,
)
from courriel.spam.weights import RULES, Hit, Rule

__all__ = [
    "RULES",
    "SPAM_FIELDS",
    "Hit",
    "Rule",
    "ScoredMessage",
    "SpamFilter",
    "SpamVerdict",
    "TrainingSummary",
    "remove_spam_fields",
    "score",
    "train_from_feedback",
]
