"""The ``DaemonAddress`` kind of ``antivirus.clamd`` and ``spam.external``: forms, errors
that name the key, environment overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from courriel.config import ConfigError, load_config
from courriel.config.kinds import DaemonAddress, DaemonAddressKind, InvalidValue

CLAMD = DaemonAddressKind(example="127.0.0.1:3310")
EXTERNAL = DaemonAddressKind(protocols=("rspamd", "spamd"), example="rspamd:127.0.0.1:11333")


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (CLAMD, "", None),
        (CLAMD, "127.0.0.1:3310", DaemonAddress("", "127.0.0.1", 3310, "")),
        (CLAMD, "[::1]:3310", DaemonAddress("", "::1", 3310, "")),
        (CLAMD, "localhost:3310", DaemonAddress("", "localhost", 3310, "")),
        (CLAMD, "/run/clamav/clamd.ctl", DaemonAddress("", "", 0, "/run/clamav/clamd.ctl")),
        (EXTERNAL, "rspamd:127.0.0.1:11333", DaemonAddress("rspamd", "127.0.0.1", 11333, "")),
        (
            EXTERNAL,
            "rspamd:http://127.0.0.1:11333/",
            DaemonAddress("rspamd", "127.0.0.1", 11333, ""),
        ),
        (EXTERNAL, "SPAMD:/run/spamd.sock", DaemonAddress("spamd", "", 0, "/run/spamd.sock")),
    ],
)
def test_forms(kind: DaemonAddressKind, text: str, expected: DaemonAddress | None) -> None:
    assert kind.parse(text) == expected
    assert kind.parse(kind.to_toml(expected).strip('"')) == expected  # renders back


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (CLAMD, 3310),
        (CLAMD, "127.0.0.1"),
        (CLAMD, "127.0.0.1:0"),
        (CLAMD, "127.0.0.1:65536"),
        (CLAMD, "bad host:1"),
        (CLAMD, "relative/clamd.sock"),
        (CLAMD, "/" + "x" * 120),
        (CLAMD, "127.0.0.1:\u00b2"),
        (EXTERNAL, "127.0.0.1:11333"),
        (EXTERNAL, "spamassassin:127.0.0.1:783"),
    ],
)
def test_bad_values(kind: DaemonAddressKind, raw: object) -> None:
    with pytest.raises(InvalidValue):
        kind.parse(raw)


LISTENERS_OFF = "".join(
    f"[listeners.{name}]\nenabled = false\n"
    for name in ("smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s", "https")
)


def test_errors_name_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "courriel.toml"
    path.write_text(
        LISTENERS_OFF + '[antivirus]\nclamd = "clamd:3310x"\non_unreachable = "maybe"\n'
        '[spam]\nexternal = "spamassassin:127.0.0.1:783"\n'
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={})
    text = str(raised.value)
    assert f"{path}: antivirus.clamd: must be" in text
    assert f"{path}: antivirus.on_unreachable: must be one of" in text
    assert f'{path}: spam.external: must start with one of "rspamd:", "spamd:"' in text


def test_environment_override(tmp_path: Path) -> None:
    path = tmp_path / "courriel.toml"
    path.write_text(LISTENERS_OFF)
    config = load_config(
        path,
        environ={
            "COURRIEL_ANTIVIRUS_CLAMD": "/run/clamav/clamd.ctl",
            "COURRIEL_SPAM_EXTERNAL": "spamd:127.0.0.1:783",
        },
    )
    assert config.antivirus.clamd == DaemonAddress("", "", 0, "/run/clamav/clamd.ctl")
    assert config.spam.external == DaemonAddress("spamd", "127.0.0.1", 783, "")
    assert config.antivirus.on_unreachable == "tempfail"
    assert config.spam.external_on_unreachable == "accept"
