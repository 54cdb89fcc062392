"""core.log: the server's background logging writes every record, in order, with the
values of the moment it was logged, and the text and JSON formats."""

from __future__ import annotations

import json
import logging
import logging.handlers
from collections.abc import Iterator

import pytest

from courriel.core.log import background_logging


@pytest.fixture(autouse=True)
def restore_the_courriel_logger() -> Iterator[None]:
    """These tests configure the ``courriel`` logger as the server does; put it back so
    that later tests' ``caplog`` sees records again."""
    logger = logging.getLogger("courriel")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def test_queued_records_are_all_written_in_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = logging.getLogger("courriel.test")
    values = ["first"]
    with background_logging("info", "text"):
        handler = logging.getLogger("courriel").handlers[0]
        assert isinstance(handler, logging.handlers.QueueHandler)
        for index in range(200):
            log.info("line %d of %s", index, values[0])
        values[0] = "changed after logging"  # the record keeps what was true then
        log.debug("not at info level")
    # Leaving the block wrote everything queued and restored direct logging.
    err = capsys.readouterr().err.splitlines()
    assert [line.split(": ", 1)[1] for line in err] == [
        f"line {index} of first" for index in range(200)
    ]
    assert "courriel.test" in err[0] and " INFO " in err[0]
    assert isinstance(logging.getLogger("courriel").handlers[0], logging.StreamHandler)


def test_exceptions_and_json_in_the_background(capsys: pytest.CaptureFixture[str]) -> None:
    log = logging.getLogger("courriel.test")
    with background_logging("info", "json"):
        try:
            raise ValueError("broken")
        except ValueError:
            log.exception("it failed for %s", "alice@example.test")
    line = json.loads(capsys.readouterr().err.strip())
    assert line["message"] == "it failed for alice@example.test"
    assert line["level"] == "error" and "ValueError: broken" in line["exception"]
