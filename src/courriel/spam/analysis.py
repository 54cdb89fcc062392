"""What the spam filter reads in a message, apart from the store: the part of scoring that
is pure CPU, so that it can run in a worker process (``core.workers``).

:func:`analyze` reads the message's features once (``features``), runs the header,
structure, content and authentication rules (``rules``) and makes the classifier's tokens
(``tokens``): everything that depends only on the message and the delivery's
:class:`RuleContext`. ``verdict.score`` adds what the store and the DNS know (blocklists,
reputation, each account's classifier counts and lists). As a worker job,
:func:`analyze_wire` takes :func:`encode_request` bytes and answers bytes that
:func:`decode_analysis` reads back (``marshal``: both ends run the same interpreter).

Must not: touch the store, the network or the clock.
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass

from courriel.mailauth.results import MethodResult
from courriel.spam.features import read_features
from courriel.spam.rules import RuleContext, run_rules
from courriel.spam.tokens import tokenize
from courriel.spam.weights import Hit

ANALYZE_JOB = "courriel.spam.analysis:analyze_wire"


@dataclass(frozen=True, slots=True)
class Analysis:
    """The rules that fired (the same for every recipient), the classifier's tokens and
    the From address (lower case; None without one that has a domain)."""

    hits: tuple[Hit, ...]
    tokens: tuple[str, ...]
    from_address: str | None


def analyze(raw: bytes, context: RuleContext) -> Analysis:
    """The :class:`Analysis` of ``raw``."""
    features = read_features(raw)
    sender = features.from_address
    return Analysis(
        tuple(run_rules(features, context)),
        tuple(tokenize(features)),
        sender.addr_spec.lower() if sender is not None and sender.domain else None,
    )


def encode_request(raw: bytes, context: RuleContext) -> bytes:
    """The bytes :func:`analyze_wire` reads: the message and the context."""
    results = (
        None
        if context.auth_results is None
        else tuple(
            (result.method, result.result, result.reason, result.properties)
            for result in context.auth_results
        )
    )
    return marshal.dumps((raw, results, context.recipient_domains))


def analyze_wire(request: bytes) -> bytes:
    """The worker job: :func:`encode_request` bytes in, the analysis out."""
    raw, results, domains = marshal.loads(request)  # noqa: S302 - our own server's bytes
    context = RuleContext(
        None if results is None else tuple(MethodResult(*result) for result in results),
        tuple(domains),
    )
    found = analyze(raw, context)
    return marshal.dumps(
        (tuple(tuple(hit) for hit in found.hits), found.tokens, found.from_address)
    )


def decode_analysis(payload: bytes) -> Analysis:
    """The :class:`Analysis` :func:`analyze_wire` answered."""
    hits, tokens, from_address = marshal.loads(payload)  # noqa: S302 - our own worker
    return Analysis(tuple(Hit(*hit) for hit in hits), tuple(tokens), from_address)
