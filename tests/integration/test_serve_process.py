"""``courriel serve`` as a real process: start, SIGHUP reload, SIGTERM stop, config errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from courriel.net.tls import certificate_info, make_self_signed
from support.server_process import init_data

pytestmark = pytest.mark.integration

COURRIEL = [sys.executable, "-m", "courriel"]


def courriel(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COURRIEL, *argv], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def wait_for(path: Path, text: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = path.read_text() if path.exists() else ""
        if text in content:
            return content
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not seen in {path}:\n{content}")


def test_serve_starts_reloads_and_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    init_data(data, accounts=("demo@example.test",))
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [*COURRIEL, "serve", "--data", str(data)], stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_for(log, "courriel ready")
        old = certificate_info(data / "tls" / "cert.pem")
        make_self_signed(
            "renewed.example.test", data / "tls" / "cert.pem", data / "tls" / "key.pem"
        )
        process.send_signal(signal.SIGHUP)
        content = wait_for(log, "CN=renewed.example.test")
        assert "reloaded" in content
        assert (
            old.fingerprint_sha256 != certificate_info(data / "tls" / "cert.pem").fingerprint_sha256
        )
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
    content = log.read_text()
    assert "stopped" in content and "Traceback" not in content
    # The store is intact after the stop: the account is still there.
    listed = courriel("account", "list", "--data", str(data))
    assert "demo@example.test" in listed.stdout


def test_sigint_stops_like_ctrl_c(tmp_path: Path) -> None:
    data = tmp_path / "data"
    init_data(data)
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [*COURRIEL, "serve", "--data", str(data)], stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_for(log, "courriel ready")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_config_errors_are_listed_with_file_and_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert courriel("init", "example.test", "--dev", "--data", str(data)).returncode == 0
    config = data / "courriel.toml"
    text = (
        config.read_text()
        .replace("port = 2525", "port = 0x10000")
        .replace('level = "info"', 'level = "loud"')
    )
    config.write_text(text + "\n[smtpd]\nbanner = 'hi'\n")
    os.remove(data / "tls" / "key.pem")
    result = courriel("serve", "--data", str(data))
    assert result.returncode == 2
    for expected in ("listeners.smtp.port", "log.level", "smtpd", "tls.key"):
        assert expected in result.stderr, result.stderr
    assert str(config) in result.stderr
    assert "Traceback" not in result.stderr
