"""The generated reference page and the schema's own consistency."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tomllib
import typing
from pathlib import Path

import pytest

from courriel.config import render_reference
from courriel.config.kinds import (
    AddressList,
    Boolean,
    ByteSize,
    Choice,
    DaemonAddress,
    DaemonAddressKind,
    DomainList,
    Duration,
    FilePath,
    Hostname,
    Integer,
    NetworkList,
    Number,
    Text,
    WeightedDomainList,
)
from courriel.config.schema import OPTIONS, SECTIONS

REPOSITORY = Path(__file__).resolve().parents[3]
REFERENCE_PAGE = REPOSITORY / "docs" / "configuration.md"
REGENERATE = "python -m courriel.config.docs > docs/configuration.md"


def test_the_checked_in_reference_page_is_up_to_date() -> None:
    checked_in = REFERENCE_PAGE.read_text() if REFERENCE_PAGE.exists() else "(missing)"

    assert checked_in == render_reference(), (
        f"docs/configuration.md differs from the schema; regenerate it with: {REGENERATE}"
    )


def test_the_docs_command_prints_the_reference() -> None:
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-m", "courriel.config.docs"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert completed.stdout == render_reference()
    assert completed.stderr == ""


def test_the_reference_has_a_table_row_for_every_setting() -> None:
    page = render_reference()
    for top in SECTIONS:
        for section in top.walk():
            heading = f"[{section.key}]"
            assert f"# {heading}\n" in page, heading
            part = page.split(f"# {heading}\n", 1)[1].split("\n#", 1)[0]
            for option in section.options:
                assert f"| `{option.name}` |" in part, option.key


def test_every_default_renders_as_toml_that_parses_back() -> None:
    for key, option in OPTIONS.items():
        default = option.default()
        raw = tomllib.loads(f"value = {option.kind.to_toml(default)}")["value"]
        assert option.kind.parse(raw) == default, key


def test_environment_variable_names_are_unique() -> None:
    names = [option.env_var for option in OPTIONS.values()]

    assert len(set(names)) == len(names)
    assert OPTIONS["listeners.imap.port"].env_var == "COURRIEL_LISTENERS_IMAP_PORT"


def test_each_kind_matches_the_annotation_of_its_field() -> None:
    # The annotation is what code reading the Config sees; the kind is what loading
    # produces. They must agree, or mypy would vouch for values that never occur.
    expected_types = {
        Boolean: bool,
        Integer: int,
        ByteSize: int,
        Duration: float,
        FilePath: Path,
        Hostname: str,
        AddressList: tuple[str, ...],
        NetworkList: tuple[str, ...],
        DomainList: tuple[str, ...],
        Text: str,
        Number: float,
        WeightedDomainList: tuple[tuple[str, float], ...],
        DaemonAddressKind: DaemonAddress | None,
    }
    for top in SECTIONS:
        for section in top.walk():
            settings_class = type(section.factory(**_required_arguments(section)))
            hints = typing.get_type_hints(settings_class)
            for option in section.options:
                annotation = hints[option.name]
                if isinstance(option.kind, Choice):
                    assert typing.get_origin(annotation) is typing.Literal, option.key
                    assert typing.get_args(annotation) == option.kind.values, option.key
                else:
                    assert annotation == expected_types[type(option.kind)], option.key


def _required_arguments(section: typing.Any) -> dict[str, typing.Any]:
    return {option.name: option.default() for option in section.options} | {
        sub.name: sub.factory() for sub in section.subsections
    }


def test_settings_objects_are_immutable() -> None:
    for top in SECTIONS:
        for section in top.walk():
            instance = section.factory(**_required_arguments(section))
            name = dataclasses.fields(instance)[0].name
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(instance, name, None)
