"""Configuration errors: every problem found in one pass, each with where it came from.

::

    CourrielError                 (courriel.core.errors)
     └── ConfigError              one or more Problem(file, key, message)

``load_config`` never stops at the first mistake: it collects a ``Problem`` for each one and
raises a single ``ConfigError`` so that an operator fixes the whole file in one go. This
module only holds the two types; it does not know the schema or read files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from courriel.core.errors import CourrielError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration.

    ``file`` says where the faulty value came from: the configuration file's path, or
    ``environment variable COURRIEL_...`` for an override. ``key`` is the dotted name of the
    setting (``listeners.imap.port``), or ``""`` when the problem is about the whole file
    (missing, unreadable, not valid TOML).
    """

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        if self.key:
            return f"{self.file}: {self.key}: {self.message}"
        return f"{self.file}: {self.message}"


class ConfigError(CourrielError):
    """The configuration cannot be used; ``problems`` lists every reason, in reading order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("ConfigError needs at least one problem")
        # args holds the problems so that the error survives pickling (multiprocessing, logs).
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)
