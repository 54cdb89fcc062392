"""Loading ``courriel.toml``: read, parse, apply environment overrides, build, check.

Owns the order of resolution (default, then file, then ``COURRIEL_<SECTION>_<KEY>``
variables), the origin of every value, the resolution of relative paths against the data
directory (the directory holding the file), and gathering every problem into one
``ConfigError``. Nothing in here raises anything else: an operator sees a list of mistakes,
never a traceback.

Must not declare settings (``schema``) nor judge combinations of values (``checks``).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from courriel.config.checks import check_config
from courriel.config.errors import ConfigError, Problem
from courriel.config.kinds import InvalidValue, closest, describe_raw
from courriel.config.metadata import SectionSpec
from courriel.config.schema import OPTIONS, SECTIONS, Config, Origin

ENV_PREFIX = "COURRIEL_"

_TOML_POSITION = re.compile(r"^(?P<reason>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$")


def load_config(path: Path, *, environ: Mapping[str, str] | None = None) -> Config:
    """Load, override from the environment, and validate the configuration file at ``path``.

    ``environ`` defaults to ``os.environ``. Raises ``ConfigError`` listing every problem.
    """
    label = str(path)
    document = _read_document(path, label)
    resolution = _Resolution()
    resolution.read_document(document, Origin("file", label))
    resolution.read_environment(os.environ if environ is None else environ)
    config = resolution.build(path.absolute())
    problems = resolution.problems + check_config(config, resolution.failed, label)
    if problems:
        raise ConfigError(problems)
    return config


def default_config(data_dir: Path) -> Config:
    """The Config an empty ``courriel.toml`` in ``data_dir`` gives, for tests and tools.

    Reads neither files nor the environment and checks nothing (the TLS files may be absent).
    """
    return _Resolution().build(data_dir.absolute() / "courriel.toml")


def _read_document(path: Path, label: str) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        reason = "file not found; create one with `courriel init`"
    except IsADirectoryError:
        reason = "is a directory, not a configuration file"
    except PermissionError:
        reason = "cannot be read: permission denied"
    except OSError as error:
        reason = f"cannot be read: {error.strerror or error}"
    else:
        reason = ""
    if reason:
        raise ConfigError([Problem(label, "", reason)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ConfigError([Problem(label, "", f"line {line}: not valid UTF-8 text")]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([Problem(label, "", _describe_syntax_error(error))]) from None


def _describe_syntax_error(error: tomllib.TOMLDecodeError) -> str:
    # Python 3.11's tomllib puts the position only in the message text.
    message = str(error)
    match = _TOML_POSITION.match(message)
    if match is None:
        return f"TOML syntax error: {message}"
    return f"TOML syntax error at line {match['line']}, column {match['column']}: {match['reason']}"


@dataclass
class _Resolution:
    """Values and origins gathered so far, with the problems met on the way."""

    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Keys whose final value is unusable: later checks skip them to avoid knock-on noise.
    failed: set[str] = field(default_factory=set)

    def read_document(self, document: Mapping[str, Any], origin: Origin) -> None:
        sections = {spec.name: spec for spec in SECTIONS}
        for name, raw in document.items():
            spec = sections.get(name)
            if spec is None:
                self._problem(origin, name, _unknown_top_level(name, raw, list(sections)))
            elif not isinstance(raw, dict):
                self._problem(origin, name, f"must be a table [{name}], got {describe_raw(raw)}")
            else:
                self._read_section(spec, raw, origin)

    def _read_section(self, spec: SectionSpec, table: Mapping[str, Any], origin: Origin) -> None:
        options = {option.name: option for option in spec.options}
        subsections = {subsection.name: subsection for subsection in spec.subsections}
        for name, raw in table.items():
            key = f"{spec.key}.{name}"
            option = options.get(name)
            subsection = subsections.get(name)
            if option is not None:
                try:
                    self._set(key, option.kind.parse(raw), origin)
                except InvalidValue as error:
                    self._problem(origin, key, str(error))
                    self.failed.add(key)
            elif subsection is None:
                suggestion = closest(name, spec.child_names())
                if suggestion in subsections:
                    suggestion = f"[{spec.key}.{suggestion}]"
                elif suggestion is not None:
                    suggestion = f'"{suggestion}"'
                self._problem(origin, key, _unknown(raw, suggestion))
            elif not isinstance(raw, dict):
                self._problem(origin, key, f"must be a table [{key}], got {describe_raw(raw)}")
            else:
                self._read_section(subsection, raw, origin)

    def read_environment(self, environ: Mapping[str, str]) -> None:
        by_variable = {option.env_var: option for option in OPTIONS.values()}
        # Only variables that start like a section are ours to judge: others named
        # COURRIEL_* (a data directory for the CLI, say) are not configuration.
        section_prefixes = tuple(f"{ENV_PREFIX}{spec.name.upper()}_" for spec in SECTIONS)
        for variable in sorted(environ):
            if not variable.startswith(section_prefixes):
                continue
            origin = Origin("environment", variable)
            option = by_variable.get(variable)
            if option is None:
                suggestion = closest(variable, list(by_variable))
                hint = f"; did you mean {suggestion}?" if suggestion else ""
                self._problem(origin, "", f"not a courriel setting{hint}")
                continue
            try:
                value = option.kind.parse_text(environ[variable])
            except InvalidValue as error:
                self._problem(origin, option.key, str(error))
                self.failed.add(option.key)
            else:
                self._set(option.key, value, origin)

    def build(self, source: Path) -> Config:
        data_dir = source.parent
        sections = {spec.name: self._build_section(spec, data_dir) for spec in SECTIONS}
        origins = {key: self.origins.get(key, Origin("default")) for key in OPTIONS}
        return Config(
            data_dir=data_dir, source=source, origins=MappingProxyType(origins), **sections
        )

    def _build_section(self, spec: SectionSpec, data_dir: Path) -> Any:
        arguments: dict[str, Any] = {}
        for option in spec.options:
            value = self.values[option.key] if option.key in self.values else option.default()
            arguments[option.name] = option.kind.resolve(value, data_dir)
        for subsection in spec.subsections:
            arguments[subsection.name] = self._build_section(subsection, data_dir)
        return spec.factory(**arguments)

    def _set(self, key: str, value: Any, origin: Origin) -> None:
        self.values[key] = value
        self.origins[key] = origin
        self.failed.discard(key)

    def _problem(self, origin: Origin, key: str, message: str) -> None:
        self.problems.append(Problem(str(origin), key, message))


def _unknown_top_level(name: str, raw: object, section_names: list[str]) -> str:
    if not isinstance(raw, dict):
        # A setting written before any [section] header lands at the top level.
        homes = [option.section for option in OPTIONS.values() if option.name == name]
        if homes:
            return f"unknown setting; did you mean to put it under [{homes[0]}]?"
    suggestion = closest(name, section_names)
    return _unknown(raw, f"[{suggestion}]" if suggestion else None)


def _unknown(raw: object, suggestion: str | None) -> str:
    what = "unknown section" if isinstance(raw, dict) else "unknown setting"
    return f"{what}; did you mean {suggestion}?" if suggestion else what
