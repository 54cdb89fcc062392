"""render_sample and dev_overrides: the file `courriel init` writes loads back unchanged."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from courriel.config import ConfigError, dev_overrides, load_config, render_sample
from courriel.config.schema import OPTIONS

HOSTNAME = {"server.hostname": "mail.example.test"}

# docs/DESIGN.md §5: standard and --dev ports of every listener.
DESIGN_PORTS = {
    "smtp": (25, 2525),
    "submission": (587, 2587),
    "submissions": (465, 2465),
    "imap": (143, 2143),
    "imaps": (993, 2993),
    "pop3": (110, 2110),
    "pop3s": (995, 2995),
    "https": (443, 8443),
    "http": (80, 8080),
}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "tls").mkdir()
    (tmp_path / "tls" / "cert.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    (tmp_path / "tls" / "key.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    return tmp_path


def load_text(data_dir: Path, text: str) -> dict[str, Any]:
    path = data_dir / "courriel.toml"
    path.write_text(text)
    return load_config(path, environ={}).to_flat_dict()


def test_the_default_sample_loads_to_the_defaults(data_dir: Path) -> None:
    sample = render_sample(HOSTNAME)

    loaded = load_text(data_dir, sample)

    assert loaded == load_text(data_dir, '[server]\nhostname = "mail.example.test"\n')
    assert loaded["server.hostname"] == "mail.example.test"
    assert loaded["storage.path"] == data_dir / "store"


def test_the_sample_lists_every_setting_once(data_dir: Path) -> None:
    document = tomllib.loads(render_sample(HOSTNAME))

    def flatten(table: dict[str, Any], prefix: str = "") -> list[str]:
        keys = []
        for name, value in table.items():
            if isinstance(value, dict):
                keys += flatten(value, f"{prefix}{name}.")
            else:
                keys.append(prefix + name)
        return keys

    assert sorted(flatten(document)) == sorted(OPTIONS)


def test_every_setting_is_preceded_by_its_help(data_dir: Path) -> None:
    lines = render_sample(HOSTNAME).splitlines()
    section = ""
    seen = []
    for index, line in enumerate(lines):
        if header := re.fullmatch(r"\[(.+)\]", line):
            section = header[1]
        elif assignment := re.match(r"(\w+) = ", line):
            comment: list[str] = []
            for previous in reversed(lines[:index]):
                if not previous.startswith("# "):
                    break
                comment.insert(0, previous[2:])
            key = f"{section}.{assignment[1]}"
            assert OPTIONS[key].help in " ".join(comment), key
            seen.append(key)
    assert seen == list(OPTIONS)


def test_the_dev_sample_loads_to_the_dev_values(data_dir: Path) -> None:
    sample = render_sample({**dev_overrides(), **HOSTNAME})

    path = data_dir / "courriel.toml"
    path.write_text(sample)
    config = load_config(path, environ={})

    assert config.server.dev is True
    assert {
        listener.name: (listener.addresses, listener.port)
        for listener in config.enabled_listeners()
    } == {name: (("127.0.0.1",), dev) for name, (_, dev) in DESIGN_PORTS.items()}


def test_dev_overrides_bind_every_listener_to_loopback_on_the_design_ports() -> None:
    overrides = dev_overrides()

    assert overrides["server.dev"] is True
    assert overrides["auth.plaintext_on_loopback"] is True
    for name, (_, dev_port) in DESIGN_PORTS.items():
        assert overrides[f"listeners.{name}.addresses"] == ["127.0.0.1"]
        assert overrides[f"listeners.{name}.port"] == dev_port
    assert overrides["dns.resolver"] == "static"
    assert len(overrides) == 4 + 2 * len(DESIGN_PORTS)


def test_standard_ports_match_the_design() -> None:
    for name, (standard, _) in DESIGN_PORTS.items():
        assert OPTIONS[f"listeners.{name}.port"].default() == standard


def test_chosen_values_of_every_kind_round_trip(data_dir: Path) -> None:
    values: dict[str, Any] = {
        **HOSTNAME,
        "storage.path": Path("/var/lib/courriel/store"),
        "storage.readers": 8,
        "tls.certificate": "tls/cert.pem",
        "tls.min_version": "TLSv1.3",
        "listeners.http.enabled": False,
        "listeners.imap.addresses": ("::1", "127.0.0.1"),
        "limits.max_message_size": "10M",
        "limits.command_timeout": 90,
        "limits.idle_timeout": "1h30m",
        "mailbox.default_quota": 1536,
        "mailbox.trash_retention": 0.5,
        "mailbox.junk_retention": 0,
        "mailbox.hierarchy_separator": ".",
        "log.format": "json",
    }

    loaded = load_text(data_dir, render_sample(values))

    assert loaded["storage.path"] == Path("/var/lib/courriel/store")
    assert loaded["storage.readers"] == 8
    assert loaded["tls.certificate"] == data_dir / "tls" / "cert.pem"
    assert loaded["tls.min_version"] == "TLSv1.3"
    assert loaded["listeners.http.enabled"] is False
    assert loaded["listeners.imap.addresses"] == ("::1", "127.0.0.1")
    assert loaded["limits.max_message_size"] == 10 * 1024**2
    assert loaded["limits.command_timeout"] == 90.0
    assert loaded["limits.idle_timeout"] == 5400.0
    assert loaded["mailbox.default_quota"] == 1536
    assert loaded["mailbox.trash_retention"] == 0.5
    assert loaded["mailbox.junk_retention"] == 0.0
    assert loaded["mailbox.hierarchy_separator"] == "."
    assert loaded["log.format"] == "json"


def test_values_are_written_in_their_friendly_form() -> None:
    sample = render_sample({**HOSTNAME, "limits.max_message_size": 25 * 1024**2})

    assert 'max_message_size = "25 MiB"' in sample
    assert 'idle_timeout = "30m"' in sample
    assert 'trash_retention = "30d"' in sample
    assert "default_quota = 0" in sample


def test_a_hostname_needing_escapes_is_rejected_not_written_raw() -> None:
    with pytest.raises(ConfigError) as caught:
        render_sample({"server.hostname": 'evil"\nhost'})

    [problem] = caught.value.problems
    assert (problem.file, problem.key) == ("sample values", "server.hostname")


def test_invalid_values_are_all_reported() -> None:
    with pytest.raises(ConfigError) as caught:
        render_sample({"listeners.smtp.port": 70000, "log.level": "loud"})

    assert [problem.key for problem in caught.value.problems] == [
        "listeners.smtp.port",
        "log.level",
    ]


def test_an_unknown_key_is_a_programming_error() -> None:
    with pytest.raises(KeyError, match=r"listeners\.smtp\.prot"):
        render_sample({"listeners.smtp.prot": 25})
