"""The ``[spam]`` section: defaults, values from the file and the environment, problems, and
the two kinds it brought (numbers, and domains with weights)."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest

from courriel.config import ConfigError, default_config, load_config
from courriel.config.kinds import InvalidValue, Number, WeightedDomainList
from courriel.config.schema import LISTENERS


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "courriel.toml"
    listeners = "".join(f"[listeners.{spec.name}]\nenabled = false\n" for spec in LISTENERS)
    path.write_text(listeners + textwrap.dedent(text))
    return path


def test_defaults(tmp_path: Path) -> None:
    settings = default_config(tmp_path).spam
    assert settings.enabled is True
    assert (settings.junk_score, settings.reject_score) == (5.0, 15.0)
    assert settings.dnsbl_zones == ()
    assert settings.dnsbl_timeout == 3.0


def test_values_from_the_file_and_the_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [spam]
        junk_score = 6
        reject_score = 12.5
        dnsbl_zones = ["Zen.Spamhaus.org.=3.5", "bl.example=1", "bl.example=2.25"]
        dnsbl_timeout = "2s"
        """,
    )
    settings = load_config(path, environ={}).spam
    assert (settings.junk_score, settings.reject_score) == (6.0, 12.5)
    assert settings.dnsbl_zones == (("zen.spamhaus.org", 3.5), ("bl.example", 2.25))
    assert settings.dnsbl_timeout == 2.0
    environ = {
        "COURRIEL_SPAM_ENABLED": "false",
        "COURRIEL_SPAM_JUNK_SCORE": "4.5",
        "COURRIEL_SPAM_DNSBL_ZONES": "a.example=1.5, b.example=-1",
    }
    overridden = load_config(path, environ=environ).spam
    assert overridden.enabled is False
    assert overridden.junk_score == 4.5
    assert overridden.dnsbl_zones == (("a.example", 1.5), ("b.example", -1.0))


def test_problems_are_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [spam]
        junk_score = 0
        reject_score = "high"
        dnsbl_zones = ["zen.spamhaus.org", "bad zone=1", "ok.example=x"]
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    reported = [str(problem).partition(": ")[2] for problem in caught.value.problems]
    assert reported == [
        "spam.junk_score: must be between 0.1 and 1000.0, got 0.0",
        'spam.reject_score: must be a number, got a string ("high")',
        'spam.dnsbl_zones: a string ("zen.spamhaus.org") is not "domain=weight"; a string '
        '("bad zone=1") is not "domain=weight"; a string ("ok.example=x") is not '
        '"domain=weight" (write each as "zone.example.org=2.5")',
    ]


def test_the_kinds_render_what_they_read() -> None:
    number = Number(0.0, 10.0)
    for number_value in (0.0, 2.5, 10.0, 3.0):
        rendered = number.to_toml(number_value)
        assert number.parse(tomllib.loads(f"v = {rendered}")["v"]) == number_value
    assert number.constraint() == "0.0–10.0"
    with pytest.raises(InvalidValue, match="finite"):
        number.parse(float("nan"))
    with pytest.raises(InvalidValue, match="number"):
        number.parse(True)
    zones = WeightedDomainList()
    weighted = (("zen.spamhaus.org", 3.5), ("bl.example", -1.0))
    assert zones.to_toml(weighted) == '["zen.spamhaus.org=3.5", "bl.example=-1.0"]'
    assert zones.parse(tomllib.loads(f"v = {zones.to_toml(weighted)}")["v"]) == weighted
    with pytest.raises(InvalidValue, match="array"):
        zones.parse("zen.spamhaus.org=3")
