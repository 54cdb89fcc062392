"""The Markdown reference of every setting, from which ``docs/configuration.md`` is generated.

Owns the page's layout: the overview, then one table per section (key, type, default,
description), with the listeners' protocols, TLS modes and ports summed up. Regenerate the
page with ``python -m courriel.config.docs > docs/configuration.md``; a test fails when the
checked-in page differs from ``render_reference()``.

Must not compute anything at load time: the page is the same on every machine (defaults
that depend on the machine, like the host name, are described, not evaluated).
"""

from __future__ import annotations

from courriel.config.metadata import OptionSpec, SectionSpec
from courriel.config.schema import OVERVIEW, SECTIONS

REGENERATE_COMMAND = "python -m courriel.config.docs > docs/configuration.md"


def render_reference() -> str:
    """The whole reference page as Markdown, ending with a newline."""
    lines = [
        "# Configuration reference",
        "",
        f"<!-- Generated from courriel.config.schema by `{REGENERATE_COMMAND}`; "
        "do not edit by hand. -->",
    ]
    for paragraph in OVERVIEW:
        lines += ["", paragraph]
    for top in SECTIONS:
        for spec in top.walk():
            lines += ["", *_render_section(spec)]
    return "\n".join(lines) + "\n"


def _render_section(spec: SectionSpec) -> list[str]:
    depth = spec.key.count(".") + 2
    lines = [f"{'#' * depth} [{spec.key}]", "", spec.help]
    summary = spec.listener_summary()
    if summary is not None:
        lines += ["", summary]
    listeners = [sub for sub in spec.subsections if sub.info.listener is not None]
    if listeners:
        lines += [
            "",
            "| Listener | Protocol | TLS | Port | Port with `--dev` |",
            "|---|---|---|---|---|",
        ]
        for sub in listeners:
            role = sub.info.listener
            assert role is not None
            standard_port = sub.option("port").default()
            lines.append(
                f"| `{sub.name}` | {role.protocol} | {role.tls} | {standard_port} "
                f"| {role.dev_port} |"
            )
    if spec.options:
        lines += ["", "| Key | Type | Default | Description |", "|---|---|---|---|"]
        lines += [_render_option(option) for option in spec.options]
    return lines


def _render_option(option: OptionSpec) -> str:
    constraint = option.kind.constraint()
    kind = option.kind.type_name + (f", {constraint}" if constraint else "")
    if option.info.default_doc is not None:
        default = option.info.default_doc
    else:
        default = f"`{option.kind.to_toml(option.default())}`"
    cells = [f"`{option.name}`", kind, default, option.help]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
