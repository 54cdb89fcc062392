"""Value kinds: how one setting is parsed, checked, rendered as TOML and described in docs.

Each schema option names a kind (``Integer(1, 65535)``, ``Duration(minimum=...)``,
``Choice.of(LogLevel)``...). A kind turns a raw TOML value, or the text of an environment
variable, into the typed Python value stored on the Config, or raises ``InvalidValue`` with a
message that completes "``<file>: <key>: ``". It also renders a typed value back to TOML for
the sample file, and names its type and constraints for the reference page.

Must not know option names, files or the environment: that context belongs to ``load``.
"""

from __future__ import annotations

import datetime
import difflib
import ipaddress
import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, get_args

from courriel.config.types import (
    DURATION_EXAMPLES,
    SIZE_EXAMPLES,
    format_duration,
    format_size,
    parse_duration,
    parse_size,
)


class InvalidValue(ValueError):
    """A value does not fit its kind; ``str()`` is the operator-facing reason."""


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are a subset of TOML's, with ASCII-only output."""
    return json.dumps(text)


def describe_raw(raw: object) -> str:
    """Name a raw TOML value for an error message: ``a string ("25")``."""
    if isinstance(raw, bool):
        return f"a boolean ({'true' if raw else 'false'})"
    if isinstance(raw, int):
        return f"an integer ({raw})"
    if isinstance(raw, float):
        return f"a float ({raw!r})"
    if isinstance(raw, str):
        return f"a string ({toml_string(raw)})"
    if isinstance(raw, list):
        return "an array"
    if isinstance(raw, dict):
        return "a table"
    if isinstance(raw, datetime.datetime | datetime.date | datetime.time):
        return f"a date/time ({raw.isoformat()})"
    return f"a {type(raw).__name__}"


def closest(word: str, candidates: list[str] | tuple[str, ...]) -> str | None:
    """The candidate nearest to ``word`` (for "did you mean ...?"), or None if none is close."""
    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    if not matches:
        lowered = {candidate.lower(): candidate for candidate in candidates}
        matches = [lowered[m] for m in difflib.get_close_matches(word.lower(), list(lowered), 1)]
    return matches[0] if matches else None


class ValueKind(ABC):
    """The contract every kind fulfils; see the module docstring."""

    @property
    @abstractmethod
    def type_name(self) -> str:
        """The type as the reference page names it: ``integer``, ``duration``..."""

    def constraint(self) -> str | None:
        """Allowed values or range for the reference page, if narrower than the type."""
        return None

    @abstractmethod
    def parse(self, raw: object) -> Any:
        """Turn a value read from TOML into its typed form, or raise ``InvalidValue``."""

    def parse_text(self, text: str) -> Any:
        """Turn the text of an environment variable into its typed form."""
        return self.parse(text)

    @abstractmethod
    def to_toml(self, value: Any) -> str:
        """Render a typed value as a TOML value that ``parse`` reads back unchanged."""

    def resolve(self, value: Any, data_dir: Path) -> Any:
        """Finish a parsed value once the data directory is known (paths override this)."""
        del data_dir
        return value


def _range_message(
    minimum: str | None, maximum: str | None, got: str, reason: str | None = None
) -> str:
    because = f" ({reason})" if reason else ""
    if minimum is not None and maximum is not None:
        return f"must be between {minimum} and {maximum}{because}, got {got}"
    if minimum is not None:
        return f"must be at least {minimum}{because}, got {got}"
    return f"must be at most {maximum}{because}, got {got}"


def _range_text(minimum: str | None, maximum: str | None) -> str | None:
    if minimum is not None and maximum is not None:
        return f"{minimum}–{maximum}"
    if minimum is not None:
        return f"at least {minimum}"
    if maximum is not None:
        return f"at most {maximum}"
    return None


_BOOLEAN_WORDS: Mapping[str, bool] = {
    **dict.fromkeys(("true", "1", "yes", "on"), True),
    **dict.fromkeys(("false", "0", "no", "off"), False),
}


@dataclass(frozen=True)
class Boolean(ValueKind):
    """``true`` or ``false``; from the environment also 1/0, yes/no, on/off."""

    @property
    def type_name(self) -> str:
        return "boolean"

    def parse(self, raw: object) -> bool:
        if not isinstance(raw, bool):
            raise InvalidValue(f"must be true or false, got {describe_raw(raw)}")
        return raw

    def parse_text(self, text: str) -> bool:
        value = _BOOLEAN_WORDS.get(text.strip().lower())
        if value is None:
            raise InvalidValue(f"must be true or false (or 1/0, yes/no, on/off), got {text!r}")
        return value

    def to_toml(self, value: Any) -> str:
        return "true" if value else "false"


@dataclass(frozen=True)
class Integer(ValueKind):
    """A whole number within ``minimum``..``maximum`` (either may be None)."""

    minimum: int | None = None
    maximum: int | None = None
    reason: str | None = None

    @property
    def type_name(self) -> str:
        return "integer"

    def constraint(self) -> str | None:
        text = _range_text(_maybe_str(self.minimum), _maybe_str(self.maximum))
        if text and self.reason:
            return f"{text} ({self.reason})"
        return text

    def parse(self, raw: object) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise InvalidValue(f"must be an integer, got {describe_raw(raw)}")
        too_small = self.minimum is not None and raw < self.minimum
        too_large = self.maximum is not None and raw > self.maximum
        if too_small or too_large:
            raise InvalidValue(
                _range_message(
                    _maybe_str(self.minimum), _maybe_str(self.maximum), str(raw), self.reason
                )
            )
        return raw

    def parse_text(self, text: str) -> int:
        try:
            number = int(text.strip())
        except ValueError:
            raise InvalidValue(f"must be an integer, got {text!r}") from None
        return self.parse(number)

    def to_toml(self, value: Any) -> str:
        return str(int(value))


def _maybe_str(number: int | None) -> str | None:
    return None if number is None else str(number)


@dataclass(frozen=True)
class Choice(ValueKind):
    """One string out of a fixed set; ``unavailable`` explains known-but-refused values."""

    values: tuple[str, ...]
    unavailable: Mapping[str, str] = field(default_factory=dict, hash=False)

    @classmethod
    def of(cls, literal: Any, unavailable: Mapping[str, str] | None = None) -> Choice:
        """The choice of a ``Literal[...]`` type, so the allowed values are written once."""
        return cls(tuple(get_args(literal)), dict(unavailable or {}))

    @property
    def type_name(self) -> str:
        return "string"

    def constraint(self) -> str | None:
        return "one of " + ", ".join(toml_string(value) for value in self.values)

    def parse(self, raw: object) -> str:
        if isinstance(raw, str) and raw in self.values:
            return raw
        if isinstance(raw, str) and raw in self.unavailable:
            raise InvalidValue(self.unavailable[raw])
        allowed = ", ".join(toml_string(value) for value in self.values)
        got = describe_raw(raw)
        message = f"must be one of {allowed}, got {got}"
        if isinstance(raw, str):
            suggestion = closest(raw, self.values)
            if suggestion is not None:
                message += f"; did you mean {toml_string(suggestion)}?"
        raise InvalidValue(message)

    def parse_text(self, text: str) -> str:
        return self.parse(text.strip())

    def to_toml(self, value: Any) -> str:
        return toml_string(str(value))


@dataclass(frozen=True)
class ByteSize(ValueKind):
    """A number of bytes: an integer, or a string with a unit (see ``types.parse_size``)."""

    minimum: int = 0
    maximum: int | None = None
    reason: str | None = None

    @property
    def type_name(self) -> str:
        return "size"

    def constraint(self) -> str | None:
        text = _range_text(
            format_size(self.minimum) if self.minimum else None,
            None if self.maximum is None else format_size(self.maximum),
        )
        if text and self.reason:
            return f"{text} ({self.reason})"
        return text

    def parse(self, raw: object) -> int:
        if isinstance(raw, str):
            try:
                size = parse_size(raw)
            except ValueError as error:
                raise InvalidValue(str(error)) from None
        elif isinstance(raw, int) and not isinstance(raw, bool):
            size = raw
        else:
            raise InvalidValue(f"must be a size like {SIZE_EXAMPLES}, got {describe_raw(raw)}")
        if size < self.minimum or (self.maximum is not None and size > self.maximum):
            raise InvalidValue(
                _range_message(
                    format_size(self.minimum),
                    None if self.maximum is None else format_size(self.maximum),
                    format_size(size) if size >= 0 else str(size),
                    self.reason,
                )
            )
        return size

    def to_toml(self, value: Any) -> str:
        text = format_size(int(value))
        # Round numbers read best with their unit; anything else is clearest as plain bytes.
        return str(int(value)) if text.endswith(" B") else toml_string(text)


@dataclass(frozen=True)
class Duration(ValueKind):
    """Seconds: a number, or a string with units (see ``types.parse_duration``)."""

    minimum: float = 0.0
    maximum: float | None = None
    reason: str | None = None

    @property
    def type_name(self) -> str:
        return "duration"

    def constraint(self) -> str | None:
        text = _range_text(
            format_duration(self.minimum) if self.minimum else None,
            None if self.maximum is None else format_duration(self.maximum),
        )
        if text and self.reason:
            return f"{text} ({self.reason})"
        return text

    def parse(self, raw: object) -> float:
        if isinstance(raw, str):
            try:
                seconds = parse_duration(raw)
            except ValueError as error:
                raise InvalidValue(str(error)) from None
        elif isinstance(raw, int | float) and not isinstance(raw, bool):
            seconds = float(raw)
            if not math.isfinite(seconds):
                raise InvalidValue(f"must be a finite duration, got {describe_raw(raw)}")
        else:
            raise InvalidValue(
                f"must be a duration like {DURATION_EXAMPLES}, got {describe_raw(raw)}"
            )
        if seconds < self.minimum or (self.maximum is not None and seconds > self.maximum):
            raise InvalidValue(
                _range_message(
                    format_duration(self.minimum),
                    None if self.maximum is None else format_duration(self.maximum),
                    format_duration(seconds) if seconds >= 0 else repr(seconds),
                    self.reason,
                )
            )
        return seconds

    def to_toml(self, value: Any) -> str:
        return toml_string(format_duration(float(value)))


@dataclass(frozen=True)
class FilePath(ValueKind):
    """A filesystem path; a relative one is relative to the data directory."""

    @property
    def type_name(self) -> str:
        return "path"

    def parse(self, raw: object) -> Path:
        if not isinstance(raw, str):
            raise InvalidValue(f"must be a string holding a path, got {describe_raw(raw)}")
        if not raw.strip():
            raise InvalidValue("must not be empty")
        if "\0" in raw:
            raise InvalidValue("must not contain a NUL character")
        return Path(raw)

    def to_toml(self, value: Any) -> str:
        return toml_string(str(value))

    def resolve(self, value: Any, data_dir: Path) -> Path:
        return data_dir / Path(value)


_HOSTNAME_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


@dataclass(frozen=True)
class Hostname(ValueKind):
    """A fully qualified domain name made of letter-digit-hyphen labels (RFC 1123 §2.1)."""

    @property
    def type_name(self) -> str:
        return "string"

    def constraint(self) -> str | None:
        return "a domain name"

    def parse(self, raw: object) -> str:
        if not isinstance(raw, str):
            raise InvalidValue(f"must be a domain name, got {describe_raw(raw)}")
        labels = raw.split(".")
        # RFC 1035 §2.3.4: at most 253 characters in text form, labels of 1 to 63.
        if len(raw) > 253 or not all(_HOSTNAME_LABEL.fullmatch(label) for label in labels):
            raise InvalidValue(
                f'must be a domain name like "mail.example.com" (letters, digits, hyphens '
                f"and dots), got {toml_string(raw)}"
            )
        return raw

    def parse_text(self, text: str) -> str:
        return self.parse(text.strip())

    def to_toml(self, value: Any) -> str:
        return toml_string(str(value))


@dataclass(frozen=True)
class AddressList(ValueKind):
    """IP literals to bind, canonicalised (``"::0"`` becomes ``"::"``); comma-separated in env."""

    @property
    def type_name(self) -> str:
        return "array of IP addresses"

    def parse(self, raw: object) -> tuple[str, ...]:
        if not isinstance(raw, list | tuple):
            raise InvalidValue(
                f'must be an array of IP addresses like ["0.0.0.0", "::"], got {describe_raw(raw)}'
            )
        addresses: list[str] = []
        problems: list[str] = []
        for item in raw:
            if not isinstance(item, str):
                problems.append(f"{describe_raw(item)} is not an IP address")
                continue
            try:
                address = ipaddress.ip_address(item.strip())
            except ValueError:
                problems.append(f"{toml_string(item)} is not an IP address")
                continue
            canonical = str(address)
            if canonical in addresses:
                problems.append(f"{toml_string(item)} is listed twice")
                continue
            addresses.append(canonical)
        if problems:
            raise InvalidValue(
                "; ".join(problems)
                + ' (listeners bind to IP literals such as "127.0.0.1", "::1", "0.0.0.0" or "::")'
            )
        return tuple(addresses)

    def parse_text(self, text: str) -> tuple[str, ...]:
        return self.parse([part for part in text.split(",") if part.strip()])

    def to_toml(self, value: Any) -> str:
        return "[" + ", ".join(toml_string(address) for address in value) + "]"


@dataclass(frozen=True)
class Text(ValueKind):
    """A line of text up to ``maximum`` characters, without control characters."""

    maximum: int = 200

    @property
    def type_name(self) -> str:
        return "string"

    def parse(self, raw: object) -> str:
        if not isinstance(raw, str):
            raise InvalidValue(f"must be a string, got {describe_raw(raw)}")
        if len(raw) > self.maximum:
            raise InvalidValue(f"must be at most {self.maximum} characters, got {len(raw)}")
        if any(ord(character) < 0x20 or ord(character) == 0x7F for character in raw):
            raise InvalidValue("must not contain control characters")
        return raw

    def to_toml(self, value: Any) -> str:
        return toml_string(value)


@dataclass(frozen=True)
class NetworkList(ValueKind):
    """IP networks in CIDR form (``"192.0.2.0/24"``, ``"2001:db8::/32"``); a bare address is
    a single-host network. Comma-separated in the environment."""

    @property
    def type_name(self) -> str:
        return "array of IP networks"

    def parse(self, raw: object) -> tuple[str, ...]:
        if not isinstance(raw, list | tuple):
            raise InvalidValue(
                f'must be an array of networks like ["192.0.2.0/24"], got {describe_raw(raw)}'
            )
        networks: list[str] = []
        problems: list[str] = []
        for item in raw:
            if not isinstance(item, str):
                problems.append(f"{describe_raw(item)} is not an IP network")
                continue
            try:
                network = ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                problems.append(f"{toml_string(item)} is not an IP network")
                continue
            if str(network) not in networks:
                networks.append(str(network))
        if problems:
            raise InvalidValue("; ".join(problems) + ' (write networks as "192.0.2.0/24")')
        return tuple(networks)

    def parse_text(self, text: str) -> tuple[str, ...]:
        return self.parse([part for part in text.split(",") if part.strip()])

    def to_toml(self, value: Any) -> str:
        return "[" + ", ".join(toml_string(network) for network in value) + "]"


@dataclass(frozen=True)
class DomainList(ValueKind):
    """Domain names (letter-digit-hyphen labels, RFC 1123 §2.1), lower-cased, each once;
    comma-separated in the environment."""

    @property
    def type_name(self) -> str:
        return "array of domain names"

    def parse(self, raw: object) -> tuple[str, ...]:
        if not isinstance(raw, list | tuple):
            raise InvalidValue(
                f'must be an array of domain names like ["example.org"], got {describe_raw(raw)}'
            )
        domains: list[str] = []
        problems: list[str] = []
        for item in raw:
            try:
                domain = Hostname().parse(
                    item.strip().rstrip(".") if isinstance(item, str) else item
                )
            except InvalidValue:
                problems.append(f"{describe_raw(item)} is not a domain name")
                continue
            if domain.lower() not in domains:
                domains.append(domain.lower())
        if problems:
            raise InvalidValue("; ".join(problems) + ' (write domains as "lists.example.org")')
        return tuple(domains)

    def parse_text(self, text: str) -> tuple[str, ...]:
        return self.parse([part for part in text.split(",") if part.strip()])

    def to_toml(self, value: Any) -> str:
        return "[" + ", ".join(toml_string(domain) for domain in value) + "]"


def _format_number(value: float) -> str:
    """A float as TOML: ``5.0``, ``-1.5``, ``0.25`` (always with a decimal point)."""
    text = repr(float(value))
    return text if "." in text or "e" in text else text + ".0"


@dataclass(frozen=True)
class Number(ValueKind):
    """A finite decimal number within ``minimum``..``maximum`` (either may be None); an
    integer is accepted as the same number."""

    minimum: float | None = None
    maximum: float | None = None
    reason: str | None = None

    @property
    def type_name(self) -> str:
        return "number"

    def constraint(self) -> str | None:
        text = _range_text(
            None if self.minimum is None else _format_number(self.minimum),
            None if self.maximum is None else _format_number(self.maximum),
        )
        if text and self.reason:
            return f"{text} ({self.reason})"
        return text

    def parse(self, raw: object) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise InvalidValue(f"must be a number, got {describe_raw(raw)}")
        number = float(raw)
        if not math.isfinite(number):
            raise InvalidValue(f"must be a finite number, got {describe_raw(raw)}")
        too_small = self.minimum is not None and number < self.minimum
        too_large = self.maximum is not None and number > self.maximum
        if too_small or too_large:
            raise InvalidValue(
                _range_message(
                    None if self.minimum is None else _format_number(self.minimum),
                    None if self.maximum is None else _format_number(self.maximum),
                    _format_number(number),
                    self.reason,
                )
            )
        return number

    def parse_text(self, text: str) -> float:
        try:
            number = float(text.strip())
        except ValueError:
            raise InvalidValue(f"must be a number, got {text!r}") from None
        return self.parse(number)

    def to_toml(self, value: Any) -> str:
        return _format_number(value)


@dataclass(frozen=True)
class WeightedDomainList(ValueKind):
    """Domain names each with a number, written ``"name=weight"`` (``"zen.spamhaus.org=3.5"``),
    lower-cased, each name once (the last weight wins); comma-separated in the environment.
    Typed as a tuple of ``(name, weight)`` pairs."""

    @property
    def type_name(self) -> str:
        return 'array of "domain=weight" strings'

    def parse(self, raw: object) -> tuple[tuple[str, float], ...]:
        if not isinstance(raw, list | tuple):
            raise InvalidValue(
                f'must be an array like ["zone.example.org=2.5"], got {describe_raw(raw)}'
            )
        weights: dict[str, float] = {}
        problems: list[str] = []
        for item in raw:
            if not isinstance(item, str) or "=" not in item:
                problems.append(f'{describe_raw(item)} is not "domain=weight"')
                continue
            name, _, number = item.rpartition("=")
            try:
                domain = Hostname().parse(name.strip().rstrip("."))
                weight = Number().parse_text(number)
            except InvalidValue:
                problems.append(f'{describe_raw(item)} is not "domain=weight"')
                continue
            weights[domain.lower()] = weight
        if problems:
            raise InvalidValue("; ".join(problems) + ' (write each as "zone.example.org=2.5")')
        return tuple(weights.items())

    def parse_text(self, text: str) -> tuple[tuple[str, float], ...]:
        return self.parse([part.strip() for part in text.split(",") if part.strip()])

    def to_toml(self, value: Any) -> str:
        return (
            "["
            + ", ".join(toml_string(f"{name}={_format_number(weight)}") for name, weight in value)
            + "]"
        )


class DaemonAddress(NamedTuple):
    """Where a helper daemon (clamd, rspamd, spamd) listens: a TCP ``host`` and ``port``, or
    a unix socket ``path``; ``protocol`` is the prefix that named its protocol (``"rspamd"``)
    when the setting takes several, else ``""``."""

    protocol: str
    host: str
    port: int
    path: str

    def __str__(self) -> str:
        prefix = f"{self.protocol}:" if self.protocol else ""
        if self.path:
            return prefix + self.path
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{prefix}{host}:{self.port}"


# The longest unix socket path Linux accepts (sun_path holds 108 bytes with the NUL).
_MAX_SOCKET_PATH = 107


@dataclass(frozen=True)
class DaemonAddressKind(ValueKind):
    """A helper daemon's address: ``"host:port"`` (``"[::1]:3310"`` for IPv6) or an absolute
    unix socket path, after a ``"protocol:"`` prefix when ``protocols`` names several; ``""``
    turns the feature off (typed ``None``)."""

    protocols: tuple[str, ...] = ()
    example: str = "127.0.0.1:3310"

    @property
    def type_name(self) -> str:
        return "string"

    def constraint(self) -> str | None:
        forms = '"host:port" or "/path/to/socket"'
        if self.protocols:
            prefixes = " or ".join(f'"{protocol}:"' for protocol in self.protocols)
            return f'{prefixes} then {forms}; "" for off'
        return f'{forms}; "" for off'

    def parse(self, raw: object) -> DaemonAddress | None:
        if not isinstance(raw, str):
            raise InvalidValue(
                f"must be an address like {toml_string(self.example)}, got {describe_raw(raw)}"
            )
        text = raw.strip()
        if not text:
            return None
        protocol = ""
        if self.protocols:
            protocol, colon, text = text.partition(":")
            if not colon or protocol.lower() not in self.protocols:
                names = ", ".join(f'"{name}:"' for name in self.protocols)
                raise InvalidValue(
                    f"must start with one of {names} (e.g. {toml_string(self.example)}), "
                    f"got {toml_string(raw)}"
                )
            protocol = protocol.lower()
            if text.lower().startswith("http://"):  # rspamd's address is written as a URL
                text = text[len("http://") :].rstrip("/")
        if text.startswith("/"):
            if len(text.encode("utf-8", "surrogateescape")) > _MAX_SOCKET_PATH:
                raise InvalidValue(f"a unix socket path has at most {_MAX_SOCKET_PATH} bytes")
            return DaemonAddress(protocol, "", 0, text)
        host, colon, port_text = text.rpartition(":")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        port = (
            int(port_text)
            if port_text.isascii() and port_text.isdigit() and len(port_text) <= 5
            else 0
        )
        if not colon or not 1 <= port <= 65535 or not _is_host(host):
            raise InvalidValue(
                f'must be "host:port" or an absolute socket path like {toml_string(self.example)}, '
                f"got {toml_string(raw)}"
            )
        return DaemonAddress(protocol, host, port, "")

    def to_toml(self, value: Any) -> str:
        return toml_string("" if value is None else str(value))


def _is_host(text: str) -> bool:
    """An IP literal or a domain name."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        try:
            Hostname().parse(text)
        except InvalidValue:
            return False
    return True
