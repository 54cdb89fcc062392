"""The classifier's view of a message: a set of tokens from some header fields and the text.

Body words are lower-cased runs of letters, digits and ``$€£'-`` of 3 to 20 characters; a
longer run becomes one ``skip:<first character> <length in tens>`` token (a base64 blob or
a long URL says something, its exact bytes do not). Header tokens carry a prefix so the
same word means something else in a subject than in the body: ``subject:``, ``from:``
(address and ``@domain``), ``fromname:``, ``replyto:@``, ``url:`` (each link's host and its
organisation), ``ct:`` (part types), ``charset:``, ``ext:`` (attachment extensions),
``mailer:``, ``msgid:@`` (the Message-ID's domain) and ``has:`` (fields that are there).

Only fields the sender wrote are read — never ``X-Spam-*``, ``Authentication-Results`` or
``Received`` that this server adds — so a message tokenizes the same when it is scored
at delivery and when it is trained on later from the mailbox.

Must not: raise, or return more than ``MAX_TOKENS`` tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice

from courriel.mail.part import iter_parts
from courriel.mailauth.dmarc import organizational_domain
from courriel.spam.features import MessageFeatures
from courriel.spam.links import url_host

#: Distinct tokens kept per message (header tokens first, then body words in order).
MAX_TOKENS = 3000
_MIN_WORD, _MAX_WORD = 3, 20
# A word starts and ends with a letter, digit or currency sign (no quote or hyphen at
# either end: "'tis" and "re-" are "tis" and "re").
_WORDS = re.compile(r"[\w$€£](?:[\w$€£'-]*[\w$€£])?")
_MESSAGE_ID_DOMAIN = re.compile(r"@([^>\s]+)>?\s*$")
# Fields whose presence tells something (replies, lists, bulk mailers).
_PRESENCE_FIELDS = (
    "in-reply-to",
    "references",
    "list-id",
    "list-unsubscribe",
    "precedence",
    "x-mailer",
    "user-agent",
    "mime-version",
    "reply-to",
    "organization",
)


# ASCII characters that cannot be in a word (not ``\w``, ``$``, ``'`` or ``-``), as blanks.
_ASCII_NON_WORD_TO_BLANK = str.maketrans(
    {code: " " for code in range(128) if not (chr(code).isalnum() or chr(code) in "_$'-")}
)
_WORD_EDGES = "'-"


def word_runs(lowered: str) -> list[str]:
    """The words ``_WORDS`` finds in ``lowered``, distinct, in order of first appearance.

    ASCII text (most mail) is cut by translation and split, not by the regular
    expression (a third of its time): a word is a run of word characters, quotes and
    hyphens with the quotes and hyphens at its ends taken off, which is what the
    expression matches in each run."""
    if not lowered.isascii():
        return list(dict.fromkeys(_WORDS.findall(lowered)))
    runs = dict.fromkeys(lowered.translate(_ASCII_NON_WORD_TO_BLANK).split())
    return list(dict.fromkeys(word for run in runs if (word := run.strip(_WORD_EDGES))))


def _words(text: str) -> Iterator[str]:
    """The distinct word tokens of ``text`` in order of first appearance, lazily: the
    caller stops once it has enough."""
    for word in word_runs(text.lower()):
        length = len(word)
        if length < _MIN_WORD:
            continue
        if length > _MAX_WORD:
            yield f"skip:{word[0]} {length // 10 * 10}"
        else:
            yield word


def _header_tokens(features: MessageFeatures) -> list[str]:
    tokens = [f"subject:{word}" for word in _words(features.subject)]
    sender = features.from_address
    if sender is not None and sender.domain:
        tokens.append(f"from:{sender.addr_spec.lower()}")
        tokens.append(f"from:@{organizational_domain(sender.domain)}")
        tokens.extend(f"fromname:{word}" for word in _words(sender.name or ""))
    else:
        tokens.append("from:none")
    tokens.extend(
        f"replyto:@{organizational_domain(address.domain)}"
        for address in features.reply_to
        if address.domain
    )
    for url in features.urls:
        host = url_host(url)
        if host is not None:
            tokens.append(f"url:{host}")
            tokens.append(f"url:@{organizational_domain(host)}")
    for part in iter_parts(features.parsed.root):
        tokens.append(f"ct:{part.content_type}")
        charset = part.charset
        if charset:
            tokens.append(f"charset:{charset.lower()}")
    for attachment in features.attachments:
        extension = attachment.filename.rpartition(".")[2].lower()
        if extension and extension != attachment.filename.lower():
            tokens.append(f"ext:{extension[:10]}")
    mailer = features.field_value("X-Mailer") or features.field_value("User-Agent")
    if mailer:
        tokens.extend(f"mailer:{word}" for word in islice(_words(mailer), 2))
    message_id = features.field_value("Message-ID")
    if message_id:
        match = _MESSAGE_ID_DOMAIN.search(message_id)
        if match:
            tokens.append(f"msgid:@{match.group(1).lower()[:60]}")
    present = {field.lname for field in features.fields}
    tokens.extend(f"has:{name}" for name in _PRESENCE_FIELDS if name in present)
    return tokens


def tokenize(features: MessageFeatures) -> list[str]:
    """The distinct tokens of a message, at most ``MAX_TOKENS``."""
    unique = dict.fromkeys(_header_tokens(features))
    for word in _words(features.text):
        if len(unique) >= MAX_TOKENS:
            break
        unique.setdefault(word)
    return list(unique)[:MAX_TOKENS]
