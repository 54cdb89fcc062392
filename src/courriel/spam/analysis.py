"""What the spam filter reads in a message, apart from the store: the part of scoring that
is pure CPU, so that it can run in a worker process (``core.workers``).

:func:`analyze` reads the message's features once (``features``), runs the header,
structure, content and authentication rules (``rules``) and makes the classifier's tokens
(``tokens``): everything that depends only on the message and the delivery's
:class:`RuleContext`. ``verdict.score`` adds what the store and the DNS know (blocklists,
reputation, each account's classifier counts and lists). Delivery reads a message for the
filter and for the store in one worker job (``delivery.reading``): the context and the
analysis cross the pipe as the plain tuples of :func:`context_fields` and
:func:`analysis_fields` (``marshal``: both ends run the same interpreter).

Must not: touch the store, the network or the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from courriel.mail import ParsedMessage
from courriel.mailauth.results import MethodResult
from courriel.spam.features import read_features
from courriel.spam.rules import RuleContext, run_rules
from courriel.spam.tokens import tokenize
from courriel.spam.weights import Hit


@dataclass(frozen=True, slots=True)
class Analysis:
    """The rules that fired (the same for every recipient), the classifier's tokens and
    the From address (lower case; None without one that has a domain)."""

    hits: tuple[Hit, ...]
    tokens: tuple[str, ...]
    from_address: str | None


def analyze(raw: bytes, context: RuleContext, parsed: ParsedMessage | None = None) -> Analysis:
    """The :class:`Analysis` of ``raw`` (``parsed``: its parse, when the caller has it)."""
    features = read_features(raw, parsed)
    sender = features.from_address
    return Analysis(
        tuple(run_rules(features, context)),
        tuple(tokenize(features)),
        sender.addr_spec.lower() if sender is not None and sender.domain else None,
    )


ContextFields = tuple[Any, tuple[str, ...]]
AnalysisFields = tuple[tuple[tuple[Any, ...], ...], tuple[str, ...], str | None]


def context_fields(context: RuleContext) -> ContextFields:
    """``context`` as plain tuples."""
    results = (
        None
        if context.auth_results is None
        else tuple(
            (result.method, result.result, result.reason, result.properties)
            for result in context.auth_results
        )
    )
    return results, tuple(context.recipient_domains)


def context_from_fields(fields: ContextFields) -> RuleContext:
    """The :class:`RuleContext` :func:`context_fields` gave."""
    results, domains = fields
    return RuleContext(
        None if results is None else tuple(MethodResult(*result) for result in results),
        tuple(domains),
    )


def analysis_fields(found: Analysis) -> AnalysisFields:
    """``found`` as plain tuples."""
    return tuple(tuple(hit) for hit in found.hits), found.tokens, found.from_address


def analysis_from_fields(fields: AnalysisFields) -> Analysis:
    """The :class:`Analysis` :func:`analysis_fields` gave."""
    hits, tokens, from_address = fields
    return Analysis(tuple(Hit(*hit) for hit in hits), tuple(tokens), from_address)
