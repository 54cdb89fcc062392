"""The ``[mailauth]`` section: defaults, values from the file and the environment, problems."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from courriel.config import ConfigError, default_config, load_config
from courriel.config.schema import LISTENERS


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "courriel.toml"
    # No TLS listener: the test needs no certificate files.
    listeners = "".join(f"[listeners.{spec.name}]\nenabled = false\n" for spec in LISTENERS)
    path.write_text(listeners + textwrap.dedent(text))
    return path


def test_defaults(tmp_path: Path) -> None:
    settings = default_config(tmp_path).mailauth
    assert settings.enabled is True
    assert settings.dmarc_reject == "reject"
    assert settings.trusted_arc_sealers == ()
    assert settings.timeout == 15.0


def test_values_from_the_file_and_the_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [mailauth]
        dmarc_reject = "quarantine"
        trusted_arc_sealers = ["Lists.Example.org.", "lists.example.org", "fwd.example.net"]
        timeout = "30s"
        """,
    )
    settings = load_config(path, environ={}).mailauth
    assert settings.dmarc_reject == "quarantine"
    assert settings.trusted_arc_sealers == ("lists.example.org", "fwd.example.net")
    assert settings.timeout == 30.0
    environ = {
        "COURRIEL_MAILAUTH_ENABLED": "false",
        "COURRIEL_MAILAUTH_TRUSTED_ARC_SEALERS": "a.example, b.example",
    }
    overridden = load_config(path, environ=environ).mailauth
    assert overridden.enabled is False
    assert overridden.trusted_arc_sealers == ("a.example", "b.example")


def test_problems_are_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [mailauth]
        dmarc_reject = "bounce"
        trusted_arc_sealers = ["ok.example", "not a domain", 7]
        timeout = "0s"
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    reported = [str(problem).partition(": ")[2] for problem in caught.value.problems]
    assert reported == [
        'mailauth.dmarc_reject: must be one of "reject", "quarantine", "none", got a string '
        '("bounce")',
        'mailauth.trusted_arc_sealers: a string ("not a domain") is not a domain name; an '
        'integer (7) is not a domain name (write domains as "lists.example.org")',
        "mailauth.timeout: must be between 1s and 5m, got 0s",
    ]
