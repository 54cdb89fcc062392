"""Checks that need several settings at once, run on a built Config.

Owns: listeners that cannot all bind (the same address and port twice, or a wildcard address
that covers another on the same port), enabled listeners without addresses, dev mode bound
beyond loopback, and the TLS certificate and key being readable when a listener needs TLS.
Each problem names the setting to change and where its value came from.

Must not parse values (kinds do) nor raise: it returns problems for ``load`` to report.
Sockets are not opened here; a port taken by another program shows up at ``courriel serve``.
"""

from __future__ import annotations

import ipaddress
import stat
from collections.abc import Set
from dataclasses import dataclass
from pathlib import Path

from courriel.config.errors import Problem
from courriel.config.schema import Config, EnabledListener


def check_config(config: Config, skip: Set[str], file_label: str) -> list[Problem]:
    """Every cross-setting problem of ``config``, ignoring keys in ``skip`` (already reported)."""
    checker = _Checker(config, skip, file_label)
    listeners = [
        listener
        for listener in config.enabled_listeners()
        if not {_key(listener, "addresses"), _key(listener, "port")} & skip
    ]
    checker.check_addresses_present(listeners)
    checker.check_dev_loopback(listeners)
    checker.check_bindings(listeners)
    checker.check_tls_files(config.enabled_listeners())
    return checker.problems


def _key(listener: EnabledListener, name: str) -> str:
    return f"listeners.{listener.name}.{name}"


def _endpoint(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


@dataclass(frozen=True)
class _Binding:
    listener: EnabledListener
    address: ipaddress.IPv4Address | ipaddress.IPv6Address

    @property
    def endpoint(self) -> str:
        return _endpoint(str(self.address), self.listener.port)

    def clashes_with(self, other: _Binding) -> bool:
        # Linux refuses to bind 127.0.0.1:25 next to 0.0.0.0:25 (and the reverse). The two
        # families never clash: the runtime opens IPv6 sockets with IPV6_V6ONLY.
        if self.listener.port != other.listener.port:
            return False
        if self.address.version != other.address.version:
            return False
        return (
            self.address == other.address
            or self.address.is_unspecified
            or other.address.is_unspecified
        )


class _Checker:
    def __init__(self, config: Config, skip: Set[str], file_label: str) -> None:
        self.config = config
        self.skip = skip
        self.file_label = file_label
        self.problems: list[Problem] = []

    def report(self, key: str, message: str) -> None:
        origin = self.config.origin(key)
        where = self.file_label if origin.kind == "default" else str(origin)
        self.problems.append(Problem(where, key, message))

    def check_addresses_present(self, listeners: list[EnabledListener]) -> None:
        for listener in listeners:
            if not listener.addresses:
                self.report(
                    _key(listener, "addresses"),
                    "is empty but the listener is enabled; list at least one address "
                    "or set enabled = false",
                )

    def check_dev_loopback(self, listeners: list[EnabledListener]) -> None:
        if not self.config.server.dev or "server.dev" in self.skip:
            return
        for listener in listeners:
            outside = [
                address
                for address in listener.addresses
                if not ipaddress.ip_address(address).is_loopback
            ]
            if outside:
                self.report(
                    _key(listener, "addresses"),
                    "dev mode (server.dev = true) listens on loopback only, but "
                    + ", ".join(f'"{address}"' for address in outside)
                    + (
                        " is not a loopback address"
                        if len(outside) == 1
                        else " are not loopback addresses"
                    )
                    + '; use "127.0.0.1" or "::1"',
                )

    def check_bindings(self, listeners: list[EnabledListener]) -> None:
        seen: list[_Binding] = []
        for listener in listeners:
            clashing_listeners: set[str] = set()
            for address in listener.addresses:
                binding = _Binding(listener, ipaddress.ip_address(address))
                for earlier in seen:
                    if not binding.clashes_with(earlier):
                        continue
                    if earlier.listener.name == listener.name:
                        self.report(
                            _key(listener, "addresses"),
                            f'"{binding.address}" and "{earlier.address}" overlap: a wildcard '
                            "address already covers every address of its family",
                        )
                    elif earlier.listener.name not in clashing_listeners:
                        clashing_listeners.add(earlier.listener.name)
                        self.report(_key(listener, "port"), _clash(binding, earlier))
                seen.append(binding)

    def check_tls_files(self, listeners: tuple[EnabledListener, ...]) -> None:
        needing_tls = [listener.name for listener in listeners if listener.tls != "none"]
        if not needing_tls:
            return
        for key in ("tls.certificate", "tls.key"):
            if key in self.skip:
                continue
            reason = _unreadable_reason(self.config.value(key))
            if reason is not None:
                self.report(
                    key,
                    f"{reason}; it is needed by the enabled TLS listeners "
                    f"({', '.join(needing_tls)})",
                )


def _clash(binding: _Binding, earlier: _Binding) -> str:
    where = f"[listeners.{earlier.listener.name}]"
    if binding.address == earlier.address:
        return f"{binding.endpoint} is also used by {where}"
    return (
        f"{binding.endpoint} overlaps {earlier.endpoint} of {where}: a wildcard address "
        "covers every address of its family on that port"
    )


def _unreadable_reason(path: Path) -> str | None:
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            return f"{path} is a directory, not a file"
        if not stat.S_ISREG(mode):
            # Opening a FIFO or a device could block or read forever.
            return f"{path} is not a regular file"
        with path.open("rb") as file:
            first_byte = file.read(1)
    except FileNotFoundError:
        return f"file {path} does not exist"
    except PermissionError:
        return f"file {path} cannot be read: permission denied"
    except OSError as error:
        return f"file {path} cannot be read: {error.strerror or error}"
    if not first_byte:
        return f"file {path} is empty"
    return None
