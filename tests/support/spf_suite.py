"""The SPF project's RFC 7208 test suite, fetched from PyPI at test time.

The suite (``rfc7208-tests.yml``, BSD-licensed, by the SPF project) is not kept in this
repository: :func:`fetch_suite` downloads the pyspf source distribution it ships in with
``pip download`` (the package registry's own client), checks the archive against a pinned
SHA-256, reads ``test/rfc7208-tests.yml`` out of it without extracting anything else, and
keeps that file in a cache directory (pytest's cache) so later runs need no network.

When the download fails, :class:`SuiteUnavailable` says why; the tests turn it into a
failure, or into a skip when ``COURRIEL_OFFLINE=1`` is set.

:func:`load_cases` turns the YAML documents (one scenario each: tests and zone data) into
:class:`SuiteCase` values; ``spf_zones.SuiteResolver`` serves the zone data.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

PYSPF_VERSION = "2.0.14"
PYSPF_SDIST_SHA256 = "57a7ef01bda090173aafb6af0106251686ed73f03db4e911fcd34c57fc347186"
SUITE_SHA256 = "901f561a6e2b1c1590a40a61b1ac7601226fd7045a7aae591a4d25421358d6f9"
SUITE_MEMBER = f"pyspf-{PYSPF_VERSION}/test/rfc7208-tests.yml"
OFFLINE_VARIABLE = "COURRIEL_OFFLINE"
_DOWNLOAD_TIMEOUT = 300


class SuiteUnavailable(Exception):
    """The suite could not be fetched (no network, registry trouble, wrong checksum)."""


@dataclass(frozen=True, slots=True)
class SuiteCase:
    """One test of the suite: the SMTP inputs and the results it accepts (best first)."""

    scenario: str
    name: str
    spec: str
    helo: str
    host: str
    mailfrom: str
    results: tuple[str, ...]
    explanation: str | None
    zonedata: dict[str, list[Any]]

    @property
    def id(self) -> str:
        return f"{self.name} ({self.scenario})"


def offline() -> bool:
    """Whether the tests may skip what needs the package registry."""
    return os.environ.get(OFFLINE_VARIABLE) == "1"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_suite(cache_dir: Path) -> Path:
    """The path of ``rfc7208-tests.yml`` in ``cache_dir``, downloaded if not there yet."""
    target = cache_dir / f"rfc7208-tests-pyspf-{PYSPF_VERSION}.yml"
    if target.is_file() and _sha256(target.read_bytes()) == SUITE_SHA256:
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pyspf-") as temporary:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"pyspf=={PYSPF_VERSION}",
            "--dest",
            temporary,
        ]
        try:
            finished = subprocess.run(
                command, capture_output=True, text=True, timeout=_DOWNLOAD_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise SuiteUnavailable(f"pip download pyspf=={PYSPF_VERSION}: {error}") from None
        archive = Path(temporary) / f"pyspf-{PYSPF_VERSION}.tar.gz"
        if finished.returncode != 0 or not archive.is_file():
            output = (finished.stderr or finished.stdout).strip().splitlines()[-5:]
            raise SuiteUnavailable(
                f"pip download pyspf=={PYSPF_VERSION} failed: " + " | ".join(output)
            )
        sdist = archive.read_bytes()
        if _sha256(sdist) != PYSPF_SDIST_SHA256:
            raise SuiteUnavailable(f"{archive.name}: SHA-256 differs from the pinned one")
        with tarfile.open(archive) as tar:
            member = tar.extractfile(SUITE_MEMBER)
            if member is None:
                raise SuiteUnavailable(f"{archive.name} has no {SUITE_MEMBER}")
            suite = member.read()
    if _sha256(suite) != SUITE_SHA256:
        raise SuiteUnavailable(f"{SUITE_MEMBER}: SHA-256 differs from the pinned one")
    partial = target.with_suffix(".part")
    partial.write_bytes(suite)
    partial.replace(target)
    return target


def load_cases(path: Path) -> list[SuiteCase]:
    """Every test of every scenario, in file order."""
    cases: list[SuiteCase] = []
    with path.open("rb") as handle:
        for document in yaml.safe_load_all(handle):
            scenario = str(document["description"])
            zonedata = document.get("zonedata") or {}
            for name, test in document["tests"].items():
                result = test["result"]
                results = tuple(result) if isinstance(result, list) else (result,)
                explanation = test.get("explanation")
                cases.append(
                    SuiteCase(
                        scenario=scenario,
                        name=str(name),
                        spec=str(test.get("spec", "")),
                        helo=str(test["helo"]),
                        host=str(test["host"]),
                        mailfrom=str(test["mailfrom"]),
                        results=tuple(str(value) for value in results),
                        explanation=None if explanation is None else str(explanation),
                        zonedata=zonedata,
                    )
                )
    return cases
