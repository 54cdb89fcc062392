"""Spam-filter quality on a labelled corpus: precision, recall, F1 and the confusion matrix.

The corpus is ``tests/data/spam-corpus/{spam,ham}/*.eml``: the label is the folder. Most
messages were written for courriel, with the ``Authentication-Results:`` the receiving
server ``mx.example.test`` wrote; the ones whose names start with a prefix of
:data:`IMPORTED` were copied from packages (see the corpus README for provenance and
licences), carry no result of ours and are scored as unchecked, and are also reported
apart: nobody here wrote them, so the rules cannot have been written for them.

Two settings are measured with k-fold cross-validation (messages dealt into ``--folds``
folds by label, each fold scored by a store trained on the others through the real
``SpamRepo.train`` path, as if the user had moved those into or out of Junk):

- rules only: a fresh account, no training (the classifier and reputation are silent);
- everything: the account's classifier and the sender reputation trained on the other folds.

DNS blocklists and correspondents are not exercised (no network; nobody wrote to anyone).
A message counts as classified spam when its verdict is ``junk`` or ``reject``
(``spam.junk_score``, default 5.0). Run: ``.venv/bin/python bench/spam_quality.py [-v]``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import re
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from courriel.config.schema import SpamSettings
from courriel.mail import normalize_line_endings
from courriel.mail.headers import find_header_end, split_header_fields
from courriel.mailauth.results import MethodResult
from courriel.spam.features import read_features
from courriel.spam.reputation import sender_keys
from courriel.spam.tokens import tokenize
from courriel.spam.verdict import SpamVerdict, score
from courriel.storage.records import HAM, SPAM
from courriel.storage.sqlite import EmbeddedStore, open_embedded_store

REPOSITORY = Path(__file__).resolve().parents[1]
CORPUS = REPOSITORY / "tests" / "data" / "spam-corpus"
#: File-name prefixes of the imported samples, and where they come from.
IMPORTED = {
    "sa-": "Apache SpamAssassin examples (Debian package spamassassin)",
    "mp-": "mail-parser test mails (PyPI package mail-parser)",
}
RECIPIENT = "bob@example.test"
RECEIVER = "mx.example.test"
SWEEP = (3.0, 4.0, 5.0, 6.0, 8.0)
_PROPERTY = re.compile(r"([a-z]+\.[a-z-]+)=(\S+)")


@dataclass(frozen=True)
class Sample:
    name: str
    label: str
    raw: bytes

    @property
    def is_spam(self) -> bool:
        return self.label == SPAM

    @property
    def imported(self) -> bool:
        return self.name.startswith(tuple(IMPORTED))


def load(folder: Path, label: str) -> list[Sample]:
    return [
        Sample(path.name, label, normalize_line_endings(path.read_bytes()))
        for path in sorted(folder.glob("*.eml"))
    ]


def auth_results(raw: bytes) -> tuple[MethodResult, ...] | None:
    """The results of the ``Authentication-Results:`` field ``mx.example.test`` wrote; None
    for a message received elsewhere (the imported samples): what another server found is
    not what this one would find, so those are scored as unchecked."""
    header_end, _ = find_header_end(raw)
    for field in split_header_fields(raw, 0, header_end):
        if field.lname != "authentication-results":
            continue
        clauses = field.unfolded.decode("utf-8", "replace").split(";")
        if clauses[0].strip() != RECEIVER:
            continue
        results = []
        for clause in clauses[1:]:
            words = clause.split()
            if not words or "=" not in words[0]:
                continue
            method, _, result = words[0].partition("=")
            properties = tuple(_PROPERTY.findall(" ".join(words[1:])))
            results.append(MethodResult(method, result, None, properties))
        return tuple(results)
    return None


@dataclass
class Confusion:
    spam_as_spam: int = 0
    spam_as_ham: int = 0
    ham_as_spam: int = 0
    ham_as_ham: int = 0
    ham_rejected: int = 0

    def add(self, sample: Sample, verdict: SpamVerdict) -> None:
        if sample.is_spam and verdict.is_spam:
            self.spam_as_spam += 1
        elif sample.is_spam:
            self.spam_as_ham += 1
        elif verdict.is_spam:
            self.ham_as_spam += 1
            self.ham_rejected += verdict.action == "reject"
        else:
            self.ham_as_ham += 1

    def rates(self) -> tuple[float, float, float, float]:
        """Precision, recall, F1 and accuracy for the class "spam"."""
        flagged = self.spam_as_spam + self.ham_as_spam
        spam = self.spam_as_spam + self.spam_as_ham
        total = spam + self.ham_as_spam + self.ham_as_ham
        precision = self.spam_as_spam / flagged if flagged else 1.0
        recall = self.spam_as_spam / spam if spam else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        accuracy = (self.spam_as_spam + self.ham_as_ham) / total if total else 1.0
        return precision, recall, f1, accuracy

    def summary(self) -> str:
        precision, recall, f1, accuracy = self.rates()
        return (
            f"precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}  accuracy {accuracy:.3f}"
        )

    def report(self, title: str) -> str:
        spam = self.spam_as_spam + self.spam_as_ham
        total = spam + self.ham_as_spam + self.ham_as_ham
        return (
            f"{title}\n"
            f"                 classified spam  classified ham\n"
            f"  spam ({spam:3d})     {self.spam_as_spam:13d}  {self.spam_as_ham:14d}\n"
            f"  ham  ({total - spam:3d})     {self.ham_as_spam:13d}  {self.ham_as_ham:14d}\n"
            f"  {self.summary()}  ham refused at DATA: {self.ham_rejected}"
        )


async def open_account(root: Path) -> tuple[EmbeddedStore, int]:
    store = open_embedded_store(root)
    await store.directory.add_domain("example.test")
    account = await store.directory.add_account(RECIPIENT, password_hash=None, scram_keys=None)
    return store, account.id


async def train(store: EmbeddedStore, account_id: int, samples: Sequence[Sample]) -> None:
    for index, sample in enumerate(samples):
        features = read_features(sample.raw)
        sender = features.from_address
        senders = sender_keys(sender.addr_spec if sender is not None and sender.domain else None)
        await store.spam.train(
            account_id, f"{index}:{sample.name}", sample.label, tokenize(features), senders, 0.0
        )


async def score_all(
    store: EmbeddedStore, account_id: int, samples: Sequence[Sample], settings: SpamSettings
) -> list[SpamVerdict]:
    verdicts = []
    for sample in samples:
        scored = await score(
            sample.raw,
            account_ids=[account_id],
            auth_results=auth_results(sample.raw),
            client_ip=None,
            resolver=None,
            repo=store.spam,
            settings=settings,
            recipient_domains=["example.test"],
        )
        verdicts.append(scored.verdicts[account_id])
    return verdicts


def deal(samples: Sequence[Sample], folds: int) -> list[list[Sample]]:
    """Spam and ham dealt in turn into ``folds`` folds (each fold gets both)."""
    dealt: list[list[Sample]] = [[] for _ in range(folds)]
    for label in (SPAM, HAM):
        for index, sample in enumerate(s for s in samples if s.label == label):
            dealt[index % folds].append(sample)
    return dealt


def _shown(path: Path) -> str:
    resolved = path.resolve()
    return (
        str(resolved.relative_to(REPOSITORY)) if resolved.is_relative_to(REPOSITORY) else str(path)
    )


def describe(sample: Sample, verdict: SpamVerdict) -> str:
    mark = "ok " if sample.is_spam == verdict.is_spam else "BAD"
    rules = " ".join(f"{hit.name}({hit.weight:g})" for hit in verdict.hits)
    return (
        f"  {mark} {sample.label:4} {verdict.score:7.1f} {verdict.action:7} {sample.name}: {rules}"
    )


async def evaluate(corpus: Path, samples: list[Sample], folds: int, verbose: bool) -> None:
    settings = SpamSettings()
    rules_only = Confusion()
    everything = Confusion()
    imported_rules = Confusion()
    imported_everything = Confusion()
    fired: dict[str, Counter[str]] = {SPAM: Counter(), HAM: Counter()}
    lines: list[str] = []
    scored: list[tuple[Sample, SpamVerdict]] = []
    dealt = deal(samples, folds)
    with tempfile.TemporaryDirectory() as temporary:
        for index, test in enumerate(dealt):
            training = [
                sample for other, fold in enumerate(dealt) if other != index for sample in fold
            ]
            fresh, fresh_id = await open_account(Path(temporary) / f"fresh{index}")
            trained, trained_id = await open_account(Path(temporary) / f"trained{index}")
            try:
                await train(trained, trained_id, training)
                for sample, verdict in zip(
                    test, await score_all(fresh, fresh_id, test, settings), strict=True
                ):
                    rules_only.add(sample, verdict)
                    if sample.imported:
                        imported_rules.add(sample, verdict)
                for sample, verdict in zip(
                    test, await score_all(trained, trained_id, test, settings), strict=True
                ):
                    everything.add(sample, verdict)
                    if sample.imported:
                        imported_everything.add(sample, verdict)
                    fired[sample.label].update(hit.name for hit in verdict.hits)
                    scored.append((sample, verdict))
                    lines.append(describe(sample, verdict))
            finally:
                fresh.close()
                trained.close()
        print(
            f"corpus: {_shown(corpus)}: {sum(s.is_spam for s in samples)} spam, "
            f"{sum(not s.is_spam for s in samples)} ham; {folds}-fold cross-validation; "
            f"junk_score {settings.junk_score}, reject_score {settings.reject_score}\n"
        )
        print(rules_only.report("rules only (untrained account)"))
        print()
        print(everything.report("rules + per-account classifier + sender reputation"))
        print("\nother junk thresholds, trained setting (precision / recall):")
        for threshold in SWEEP:
            swept = Confusion()
            for sample, verdict in scored:
                swept.add(
                    sample,
                    dataclasses.replace(
                        verdict,
                        junk_score=threshold,
                        action="junk" if verdict.score >= threshold else "headers",
                    ),
                )
            print(f"  {threshold:4.1f}: {swept.summary()}")
        print("\nrules fired (spam / ham), trained setting:")
        for name in sorted(set(fired[SPAM]) | set(fired[HAM])):
            print(f"  {name:28} {fired[SPAM][name]:3d} / {fired[HAM][name]:3d}")
        if verbose:
            print("\nper message, trained setting:")
            print("\n".join(sorted(lines)))
        print()
        print(imported_rules.report("imported samples only, rules only"))
        print(imported_everything.report("imported samples only, trained"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every message")
    args = parser.parse_args()
    samples = load(args.corpus / "spam", SPAM) + load(args.corpus / "ham", HAM)
    asyncio.run(evaluate(args.corpus, samples, args.folds, args.verbose))


if __name__ == "__main__":
    main()
