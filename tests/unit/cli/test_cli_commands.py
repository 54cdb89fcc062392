"""The ``courriel`` admin commands, run in-process through ``main`` on a real data dir."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from courriel.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    directory = str(tmp_path / "data")
    status, out, _ = run(capsys, "init", "example.test", "--dev", "--data", directory)
    assert status == 0, out
    return directory


def test_init_writes_config_certificate_store_and_dkim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "fresh"
    status, out, err = run(capsys, "init", "Example.Test", "--data", str(directory))
    assert status == 0, err
    config = (directory / "courriel.toml").read_text()
    assert 'hostname = "mail.example.test"' in config
    assert (directory / "tls" / "cert.pem").exists()
    assert (directory / "tls" / "key.pem").stat().st_mode & 0o077 == 0
    assert (directory / "store" / "mail.db").exists()
    assert '_domainkey.example.test. TXT "v=DKIM1; k=rsa; p=' in out
    assert "k=ed25519" in out
    # A second init refuses and changes nothing.
    before = (directory / "courriel.toml").read_bytes()
    status, _, err = run(capsys, "init", "example.test", "--data", str(directory))
    assert status == 1 and "refusing to overwrite" in err
    assert (directory / "courriel.toml").read_bytes() == before


def test_init_dev_uses_dev_ports_on_loopback(data: str) -> None:
    config = (Path(data) / "courriel.toml").read_text()
    assert "port = 2525" in config and "port = 2993" in config
    assert 'addresses = ["127.0.0.1"]' in config
    assert "dev = true" in config


def test_init_rejects_a_bad_domain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "init", "not a domain", "--data", str(tmp_path / "x"))
    assert status == 2 and "not a valid domain name" in err
    assert not (tmp_path / "x").exists()


def test_accounts_aliases_and_domains(
    data: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    status, out, err = run(
        capsys,
        "account",
        "add",
        "Alice@example.test",
        "--name",
        "Alice",
        "--password-stdin",
        "--quota",
        "1 GiB",
        "--data",
        data,
    )
    assert status == 0, err
    assert out.strip() == "added account alice@example.test"
    status, out, _ = run(capsys, "account", "list", "--data", data)
    assert "alice@example.test" in out and "1 GiB" in out and "Alice" in out
    status, out, _ = run(capsys, "account", "quota", "alice@example.test", "0", "--data", data)
    assert "unlimited" in out
    assert run(capsys, "account", "disable", "alice@example.test", "--data", data)[0] == 0
    assert "disabled" in run(capsys, "account", "list", "--data", data)[1]
    status, out, _ = run(capsys, "account", "admin", "alice@example.test", "--data", data)
    assert status == 0 and out.strip() == "alice@example.test is an admin"
    assert "disabled,admin" in run(capsys, "account", "list", "--data", data)[1]
    status, out, _ = run(
        capsys, "account", "admin", "alice@example.test", "--revoke", "--data", data
    )
    assert out.strip() == "alice@example.test is no longer an admin"
    assert "admin" not in run(capsys, "account", "list", "--data", data)[1].splitlines()[1]
    status, out, _ = run(
        capsys,
        "alias",
        "add",
        "team@example.test",
        "alice@example.test",
        "x@outside.test",
        "--data",
        data,
    )
    assert status == 0 and "team@example.test -> alice@example.test, x@outside.test" in out
    assert (
        run(capsys, "alias", "add", "@example.test", "alice@example.test", "--data", data)[0] == 0
    )
    out = run(capsys, "alias", "list", "--data", data)[1]
    assert "@example.test" in out and "team@example.test" in out
    status, _, err = run(capsys, "domain", "remove", "example.test", "--data", data)
    assert status == 1 and "still has 1 account(s) and 2 alias(es)" in err
    assert run(capsys, "alias", "remove", "team@example.test", "--data", data)[0] == 0
    status, _, err = run(capsys, "alias", "remove", "team@example.test", "--data", data)
    assert status == 1 and "does not exist" in err
    assert run(capsys, "account", "remove", "alice@example.test", "--data", data)[0] == 0
    status, out, _ = run(capsys, "domain", "add", "second.test", "--data", data)
    assert status == 0 and "second.test" in out
    assert "second.test" in run(capsys, "domain", "list", "--data", data)[1]


def test_password_errors(
    data: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    status, _, err = run(
        capsys, "account", "add", "a@example.test", "--password-stdin", "--data", data
    )
    assert status == 2 and "no password" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("whatever\n"))
    status, _, err = run(capsys, "account", "add", "a@example.test", "--data", data)
    assert status == 2 and "--password-stdin" in err


def test_missing_data_dir_and_bad_config(
    tmp_path: Path, data: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "account", "list", "--data", str(tmp_path / "none"))
    assert status == 2 and "courriel init" in err
    config = Path(data) / "courriel.toml"
    config.write_text(
        config.read_text()
        .replace("port = 2143", "port = 70000")
        .replace("[log]", "[log]\ncolour = true")
    )
    status, _, err = run(capsys, "account", "list", "--data", data)
    assert status == 2
    assert "listeners.imap.port" in err and "log.colour" in err
    assert "Traceback" not in err


def test_help_on_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        [],
        ["init"],
        ["serve"],
        ["domain"],
        ["domain", "add"],
        ["account"],
        ["account", "add"],
        ["account", "passwd"],
        ["account", "quota"],
        ["alias"],
        ["alias", "add"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main([*argv, "--help"])
        assert exit_info.value.code == 0
        assert "usage: courriel" in capsys.readouterr().out
