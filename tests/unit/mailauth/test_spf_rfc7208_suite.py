"""The SPF project's RFC 7208 test suite (rfc7208-tests.yml), every test, through check_host.

The suite is fetched from PyPI (the pyspf sdist ships it) into pytest's cache on first use,
see ``support.spf_suite``; without network the test fails, unless ``COURRIEL_OFFLINE=1``
makes it skip. Each test is run as the suite's drivers run it: the MAIL FROM identity, or
``postmaster@<helo>`` for an empty one (RFC 7208 §2.4), with "DEFAULT" as the default
explanation, against a resolver serving the scenario's zone data.

Where the suite accepts several results, courriel must give the first (preferred) one
unless ``CHOSEN_ALTERNATIVES`` says otherwise and why; explanations must match exactly
unless ``EXPLANATION_CASE_ONLY`` says why only the case differs.
"""

from __future__ import annotations

import pytest

from courriel.mailauth.spf import check_host
from support.spf_suite import SuiteCase, SuiteUnavailable, fetch_suite, load_cases, offline
from support.spf_zones import SuiteResolver

#: Tests whose accepted results list alternatives where courriel gives one that is not the
#: first, with the reason. (Empty: courriel gives the preferred result everywhere.)
CHOSEN_ALTERNATIVES: dict[str, tuple[str, str]] = {}

#: Tests whose expected explanation courriel matches except for letter case, and why.
EXPLANATION_CASE_ONLY: dict[str, str] = {
    "v-macro-ip6": (
        "%{ir} of an IPv6 address: the suite expects upper-case nibbles (pyspf's output); "
        "courriel writes them in lower case as RFC 7208 §7.4's example does. DNS names are "
        "case-insensitive (RFC 4343), so lookups are the same."
    ),
}

#: 16 scenarios, 203 tests in the 2014.04 release shipped with pyspf 2.0.14.
SUITE_SIZE = 203


@pytest.fixture(scope="module")
def suite_cases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> list[SuiteCase]:
    # pytest's cache keeps the download between runs; without it, this session's temp dir.
    cache: pytest.Cache | None = getattr(request.config, "cache", None)
    directory = cache.mkdir("rfc7208-suite") if cache else tmp_path_factory.mktemp("rfc7208")
    try:
        path = fetch_suite(directory)
    except SuiteUnavailable as error:
        problem = str(error)
    else:
        return load_cases(path)
    if offline():
        pytest.skip(f"RFC 7208 test suite not available offline: {problem}")
    pytest.fail(
        f"could not fetch the RFC 7208 test suite from PyPI: {problem}\n"
        "Set COURRIEL_OFFLINE=1 to skip this test on a machine without network.",
        pytrace=False,
    )


async def _run(case: SuiteCase) -> tuple[str, str | None]:
    # RFC 7208 §2.4: a null reverse-path is checked as postmaster@<HELO>.
    sender = case.mailfrom or f"postmaster@{case.helo}"
    outcome = await check_host(
        case.host,
        sender.rpartition("@")[2],
        sender,
        helo=case.helo,
        resolver=SuiteResolver(case.zonedata),
        receiver="receiver.example.test",
        default_explanation="DEFAULT",
    )
    return outcome.result, outcome.explanation


def _explanation_matches(case: SuiteCase, explanation: str | None) -> bool:
    if case.explanation is None:
        return True
    if case.name in EXPLANATION_CASE_ONLY:
        return explanation is not None and explanation.lower() == case.explanation.lower()
    return explanation == case.explanation


async def test_every_suite_test_passes(suite_cases: list[SuiteCase]) -> None:
    failures: list[str] = []
    for case in suite_cases:
        expected = case.results[0]
        if case.name in CHOSEN_ALTERNATIVES:
            expected = CHOSEN_ALTERNATIVES[case.name][0]
            assert expected in case.results, case.id
        result, explanation = await _run(case)
        if result != expected:
            failures.append(f"{case.id} [RFC 7208 {case.spec}]: {result}, expected {expected}")
        elif not _explanation_matches(case, explanation):
            failures.append(
                f"{case.id} [RFC 7208 {case.spec}]: explanation {explanation!r}, "
                f"expected {case.explanation!r}"
            )
    assert not failures, f"{len(failures)} of {len(suite_cases)} failed:\n" + "\n".join(failures)


def test_the_whole_suite_is_run(suite_cases: list[SuiteCase]) -> None:
    assert len(suite_cases) == SUITE_SIZE
    assert len({case.id for case in suite_cases}) == SUITE_SIZE
    names = {case.name for case in suite_cases}
    # The exception tables name real tests, so they cannot outlive what they excuse.
    assert set(CHOSEN_ALTERNATIVES) <= names
    assert set(EXPLANATION_CASE_ONLY) <= names
    assert sum(case.explanation is not None for case in suite_cases) > 20
