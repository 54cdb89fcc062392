"""courriel.config: one typed schema for the static settings in ``courriel.toml``.

The schema (``schema``) yields the defaults, loading with validation that reports every
problem at once (``load``, ``checks``), the commented sample file ``courriel init`` writes
(``sample``) and the reference page ``docs/configuration.md`` (``reference``).

Dynamic data (domains, accounts, aliases, keys) is not configuration: it lives in the store.
Nothing in this package opens sockets or starts services; ``runtime`` reads the Config.
"""

from courriel.config.errors import ConfigError, Problem
from courriel.config.load import default_config, load_config
from courriel.config.metadata import ListenerProtocol, TlsMode
from courriel.config.reference import render_reference
from courriel.config.sample import dev_overrides, render_sample
from courriel.config.schema import (
    AuthSettings,
    Config,
    EnabledListener,
    LimitsSettings,
    ListenerSettings,
    ListenersSettings,
    LogSettings,
    MailboxSettings,
    Origin,
    ServerSettings,
    StorageSettings,
    TlsSettings,
)
from courriel.config.types import format_duration, format_size, parse_duration, parse_size

__all__ = [
    "AuthSettings",
    "Config",
    "ConfigError",
    "EnabledListener",
    "LimitsSettings",
    "ListenerProtocol",
    "ListenerSettings",
    "ListenersSettings",
    "LogSettings",
    "MailboxSettings",
    "Origin",
    "Problem",
    "ServerSettings",
    "StorageSettings",
    "TlsMode",
    "TlsSettings",
    "default_config",
    "dev_overrides",
    "format_duration",
    "format_size",
    "load_config",
    "parse_duration",
    "parse_size",
    "render_reference",
    "render_sample",
]
