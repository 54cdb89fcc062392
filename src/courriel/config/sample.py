"""The commented ``courriel.toml`` that ``courriel init`` writes, and the ``--dev`` values.

Owns the layout of the sample file: every section and every setting, each with its help as a
comment and its value (given, or the default). What it writes loads back with
``load_config`` to the same values.

Must not write files or pick values of its own beyond the schema defaults and
``dev_overrides``: ``courriel init`` decides the host name and writes the file.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from courriel.config.errors import ConfigError, Problem
from courriel.config.kinds import InvalidValue
from courriel.config.metadata import OptionSpec, SectionSpec
from courriel.config.schema import LISTENERS, OPTIONS, OVERVIEW, SECTIONS

_WIDTH = 92
_VALUES_LABEL = "sample values"


def dev_overrides() -> dict[str, Any]:
    """Values for ``courriel init --dev``: dev mode, every listener on 127.0.0.1, dev ports."""
    overrides: dict[str, Any] = {
        "server.dev": True,
        "auth.plaintext_on_loopback": True,
        "dns.resolver": "static",
        "queue.remote_port": 2525,
    }
    for spec in LISTENERS:
        role = spec.info.listener
        assert role is not None
        overrides[f"{spec.key}.addresses"] = ["127.0.0.1"]
        overrides[f"{spec.key}.port"] = role.dev_port
    return overrides


def render_sample(values: Mapping[str, Any]) -> str:
    """A complete, commented ``courriel.toml``.

    ``values`` maps dotted keys (``"listeners.smtp.port"``) to values written as in TOML
    (``2525``, ``"50 MiB"``, ``["127.0.0.1"]``) or already typed (``Path``, a tuple); other
    settings get their default. Raises ``KeyError`` for a key the schema does not know and
    ``ConfigError`` for a value it rejects.
    """
    unknown = sorted(set(values) - set(OPTIONS))
    if unknown:
        raise KeyError(f"not courriel settings: {', '.join(unknown)}")
    chosen: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in values.items():
        try:
            chosen[key] = OPTIONS[key].kind.parse(_as_toml_value(value))
        except InvalidValue as error:
            problems.append(Problem(_VALUES_LABEL, key, str(error)))
    if problems:
        raise ConfigError(problems)

    lines = ["# courriel.toml", "#"]
    for paragraph in OVERVIEW:
        lines += [*_comment(paragraph), "#"]
    lines += _comment(
        "Every setting is described in docs/configuration.md, which "
        "`python -m courriel.config.docs` prints."
    )
    for top in SECTIONS:
        for spec in top.walk():
            lines += ["", ""] if spec is top else [""]
            lines += _render_section(spec, chosen)
    return "\n".join(lines) + "\n"


def _render_section(spec: SectionSpec, chosen: Mapping[str, Any]) -> list[str]:
    lines = _comment(spec.help)
    summary = spec.listener_summary()
    if summary is not None:
        lines += _comment(summary)
    if not spec.options:
        return lines
    lines.append(f"[{spec.key}]")
    for option in spec.options:
        value = chosen[option.key] if option.key in chosen else option.default()
        lines += ["", *_comment(option.help), *_comment(_type_and_default(option))]
        lines.append(f"{option.name} = {option.kind.to_toml(value)}")
    return lines


def _type_and_default(option: OptionSpec) -> str:
    constraint = option.kind.constraint()
    kind = f"{option.kind.type_name}, {constraint}" if constraint else option.kind.type_name
    default = option.info.default_doc or option.kind.to_toml(option.default())
    return f"Type: {kind}. Default: {default}."


# "RFC 9051 §5.4" or "`courriel init --dev`" read badly split over two lines: glue them.
_UNBREAKABLE = re.compile(r"RFC \d+(?: §[\d.]+)?|`[^`]*`")


def _comment(text: str) -> list[str]:
    glued = _UNBREAKABLE.sub(lambda match: match[0].replace(" ", "\0"), text)
    wrapped = textwrap.wrap(glued, _WIDTH - 2, break_long_words=False, break_on_hyphens=False)
    return ["# " + line.replace("\0", " ") for line in wrapped]


def _as_toml_value(value: Any) -> Any:
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value
