"""The metadata that turns plain dataclasses into a configuration schema, and its reader.

A settings class is a frozen dataclass; each field carries, in ``field(metadata=...)``, either
``option(kind, help)`` (a leaf setting) or ``section(help)`` (a nested TOML table whose type is
another settings class). ``describe_sections`` walks those classes once and yields
``SectionSpec``/``OptionSpec`` records: loading, the sample file and the reference page all
read these records, so none of them lists settings by hand.

Must not hold any actual setting (that is ``schema``) nor read files or the environment.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_type_hints

from courriel.config.kinds import ValueKind

_OPTION = "courriel.config.option"
_SECTION = "courriel.config.section"

TlsMode = Literal["starttls", "implicit", "none"]
ListenerProtocol = Literal["smtp", "submission", "imap", "pop3", "http"]


@dataclass(frozen=True)
class OptionInfo:
    """What the schema says about one setting besides its type and default."""

    kind: ValueKind
    help: str
    # How the reference page shows a default computed at load time (e.g. the host name).
    default_doc: str | None = None


@dataclass(frozen=True)
class ListenerRole:
    """What a ``[listeners.NAME]`` table serves: fixed by the name, not configurable."""

    protocol: ListenerProtocol
    tls: TlsMode
    # The standard port is the default of the table's ``port`` setting, not repeated here.
    dev_port: int

    def summary(self, standard_port: int) -> str:
        """One sentence for the sample file and the reference page."""
        return (
            f"Protocol: {self.protocol}; TLS: {_TLS_MODE_TEXT[self.tls]}; "
            f"port {standard_port}, or {self.dev_port} with `courriel init --dev`."
        )


_TLS_MODE_TEXT: dict[str, str] = {
    "starttls": "STARTTLS (starts in plaintext, then upgrades)",
    "implicit": "implicit (TLS from the first byte)",
    "none": "none",
}


@dataclass(frozen=True)
class SectionInfo:
    """What the schema says about one TOML table."""

    help: str
    listener: ListenerRole | None = None


def option(kind: ValueKind, help: str, *, default_doc: str | None = None) -> dict[str, Any]:
    """Field metadata for a leaf setting: ``field(default=..., metadata=option(...))``."""
    return {_OPTION: OptionInfo(kind=kind, help=help, default_doc=default_doc)}


def section(help: str, *, listener: ListenerRole | None = None) -> dict[str, Any]:
    """Field metadata for a nested table: ``field(default_factory=Cls, metadata=section(...))``."""
    return {_SECTION: SectionInfo(help=help, listener=listener)}


@dataclass(frozen=True)
class OptionSpec:
    """One leaf setting as seen from outside: dotted key, kind, help and default."""

    section: str
    name: str
    info: OptionInfo
    _default: Callable[[], Any] = dataclasses.field(repr=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"

    @property
    def env_var(self) -> str:
        return "COURRIEL_" + self.key.replace(".", "_").upper()

    @property
    def kind(self) -> ValueKind:
        return self.info.kind

    @property
    def help(self) -> str:
        return self.info.help

    def default(self) -> Any:
        """The default value, typed as on the Config (paths still relative)."""
        return self._default()


@dataclass(frozen=True)
class SectionSpec:
    """One TOML table: its options, its nested tables and how to build its settings object."""

    key: str
    name: str
    info: SectionInfo
    factory: Callable[..., Any] = dataclasses.field(repr=False, compare=False)
    options: tuple[OptionSpec, ...]
    subsections: tuple[SectionSpec, ...]

    @property
    def help(self) -> str:
        return self.info.help

    def walk(self) -> Iterator[SectionSpec]:
        """This section, then every nested one, depth first in declaration order."""
        yield self
        for subsection in self.subsections:
            yield from subsection.walk()

    def option(self, name: str) -> OptionSpec:
        """The option called ``name`` in this table."""
        for spec in self.options:
            if spec.name == name:
                return spec
        raise KeyError(f"{self.key}.{name}")

    def listener_summary(self) -> str | None:
        """The listener sentence of a ``[listeners.NAME]`` table, None for other tables."""
        if self.info.listener is None:
            return None
        return self.info.listener.summary(self.option("port").default())

    def child_names(self) -> list[str]:
        return [spec.name for spec in self.options] + [spec.name for spec in self.subsections]


def describe_sections(root: type) -> tuple[SectionSpec, ...]:
    """The top-level sections of ``root`` (the Config class), fully described."""
    return tuple(_describe_children(root, prefix=""))


def _describe_children(owner: type, prefix: str) -> Iterator[SectionSpec]:
    hints = get_type_hints(owner)
    for field in dataclasses.fields(owner):
        info = field.metadata.get(_SECTION)
        if info is None:
            continue
        if field.default_factory is dataclasses.MISSING:
            raise TypeError(f"section {owner.__name__}.{field.name} needs a default_factory")
        yield _describe_section(
            hints[field.name], field.name, prefix + field.name, info, field.default_factory
        )


def _describe_section(
    cls: type, name: str, key: str, info: SectionInfo, factory: Callable[..., Any]
) -> SectionSpec:
    options: list[OptionSpec] = []
    for field in dataclasses.fields(cls):
        option_info = field.metadata.get(_OPTION)
        if option_info is None:
            if _SECTION not in field.metadata:
                raise TypeError(f"{cls.__name__}.{field.name} has neither option() nor section()")
            continue
        options.append(OptionSpec(key, field.name, option_info, _default_getter(field, factory)))
    subsections = tuple(_describe_children(cls, prefix=key + "."))
    return SectionSpec(key, name, info, factory, tuple(options), subsections)


def _default_getter(
    field: dataclasses.Field[Any], factory: Callable[..., Any]
) -> Callable[[], Any]:
    if field.default is not dataclasses.MISSING:
        return functools.partial(_constant, field.default)
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory
    # No default on the class: the enclosing section's factory supplies it (listener ports).
    return functools.partial(_attribute_of_default, factory, field.name)


def _constant(value: Any) -> Any:
    return value


def _attribute_of_default(factory: Callable[..., Any], name: str) -> Any:
    return getattr(factory(), name)


def index_options(sections: tuple[SectionSpec, ...]) -> Mapping[str, OptionSpec]:
    """Every option by dotted key, in declaration order."""
    return {
        spec.key: spec
        for top in sections
        for section_spec in top.walk()
        for spec in section_spec.options
    }
