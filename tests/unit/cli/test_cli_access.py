"""``courriel account 2fa``, ``account app-password`` and ``security`` from the command line."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pyotp
import pytest

from courriel.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


class CodeFromPrintedSecret(io.StringIO):
    """Standard input that answers the code prompt from the key printed just before."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        super().__init__()
        self.capsys = capsys
        self.printed = ""

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        del size
        self.printed = self.capsys.readouterr().out
        secret = re.search(r"key: ([A-Z2-7]+)", self.printed)
        assert secret is not None, self.printed
        return pyotp.TOTP(secret.group(1)).now() + "\n"


@pytest.fixture
def data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> str:
    directory = str(tmp_path / "data")
    assert run(capsys, "init", "example.test", "--dev", "--data", directory)[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    assert (
        run(
            capsys, "account", "add", "alice@example.test", "--password-stdin", "--data", directory
        )[0]
        == 0
    )
    return directory


def test_two_factor_enrolment(
    data: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = CodeFromPrintedSecret(capsys)
    monkeypatch.setattr("sys.stdin", stdin)
    status, out, err = run(capsys, "account", "2fa", "enable", "alice@example.test", "--data", data)
    assert status == 0, err
    assert "otpauth://totp/" in stdin.printed
    assert "\u2588" in stdin.printed or "\u2580" in stdin.printed or "\u2584" in stdin.printed
    codes = re.findall(r"^  (\S+)$", out, re.M)
    assert len(codes) == 10
    status, out, _ = run(capsys, "account", "2fa", "status", "alice@example.test", "--data", data)
    assert "on, 10 recovery codes left" in out
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    status, _, err = run(capsys, "account", "2fa", "enable", "alice@example.test", "--data", data)
    assert status == 1 and "already on" in err
    assert run(capsys, "account", "2fa", "disable", "alice@example.test", "--data", data)[0] == 0
    assert "off" in run(capsys, "account", "2fa", "status", "alice@example.test", "--data", data)[1]


def test_new_recovery_codes_replace_the_old_ones(
    data: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ("account", "2fa", "recovery-codes", "alice@example.test", "--data", data)
    status, _, err = run(capsys, *argv)
    assert status == 1 and "not on" in err and "Traceback" not in err
    monkeypatch.setattr("sys.stdin", CodeFromPrintedSecret(capsys))
    status, out, err = run(capsys, "account", "2fa", "enable", "alice@example.test", "--data", data)
    assert status == 0, err
    old = re.findall(r"^  (\S+)$", out, re.M)
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    assert "the earlier ones no longer work" in out
    new = re.findall(r"^  (\S+)$", out, re.M)
    assert len(new) == 10 and set(new).isdisjoint(old)
    status, out, _ = run(capsys, "account", "2fa", "status", "alice@example.test", "--data", data)
    assert "on, 10 recovery codes left" in out


def test_two_factor_without_a_code_stays_off(
    data: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    status, out, _ = run(capsys, "account", "2fa", "enable", "alice@example.test", "--data", data)
    assert status == 0 and "not on yet" in out
    status, _, err = run(
        capsys, "account", "2fa", "confirm", "alice@example.test", "000000", "--data", data
    )
    assert status == 1 and "not valid" in err


def test_app_passwords(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(
        capsys,
        "account",
        "app-password",
        "add",
        "alice@example.test",
        "--name",
        "Thunderbird laptop",
        "--protocols",
        "imap,smtp",
        "--data",
        data,
    )
    assert status == 0, err
    assert re.search(r"^  [a-z]{4}( [a-z]{4}){4}$", out, re.M)
    status, out, _ = run(
        capsys, "account", "app-password", "list", "alice@example.test", "--data", data
    )
    assert "Thunderbird laptop" in out and "imap,smtp" in out and "never" in out
    status, _, err = run(
        capsys,
        "account",
        "app-password",
        "add",
        "alice@example.test",
        "--name",
        "x",
        "--protocols",
        "imap,gopher",
        "--data",
        data,
    )
    assert status == 2 and "gopher" in err
    assert (
        run(
            capsys,
            "account",
            "app-password",
            "revoke",
            "alice@example.test",
            "Thunderbird laptop",
            "--data",
            data,
        )[0]
        == 0
    )
    status, _, err = run(
        capsys,
        "account",
        "app-password",
        "revoke",
        "alice@example.test",
        "Thunderbird laptop",
        "--data",
        data,
    )
    assert status == 1 and "no app password" in err


def test_security_log_and_bans(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "security", "bans", "--data", data)
    assert status == 0 and out.splitlines() == ["ADDRESS  UNTIL  BANS  REASON"]
    status, _, err = run(capsys, "security", "unban", "192.0.2.1", "--data", data)
    assert status == 1 and "not banned" in err
    run(
        capsys,
        "account",
        "app-password",
        "add",
        "alice@example.test",
        "--name",
        "phone",
        "--data",
        data,
    )
    status, out, _ = run(
        capsys, "security", "log", "--account", "alice@example.test", "--data", data
    )
    assert "app-password-added" in out and "detail=phone" in out
    today = time.strftime("%Y-%m-%d")
    assert (
        "app-password-added" in run(capsys, "security", "log", "--since", today, "--data", data)[1]
    )
    assert (
        run(
            capsys,
            "security",
            "log",
            "--since",
            "1s",
            "--account",
            "bob@example.test",
            "--data",
            data,
        )[1]
        == ""
    )
    status, _, err = run(capsys, "security", "log", "--since", "yesterday-ish", "--data", data)
    assert status == 2 and "--since" in err
