"""``courriel queue list|show|retry|hold|release|drop`` on a real store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from courriel.cli import main
from courriel.config import load_config
from courriel.runtime.services import open_services
from courriel.storage.records import QueueRecipientInput


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def enqueue(data: Path) -> int:
    async def work() -> int:
        services = open_services(load_config(data / "courriel.toml"), parse_workers=0)
        try:
            return await services.queue.enqueue(
                "alice@example.test",
                [
                    QueueRecipientInput("friend@elsewhere.example"),
                    QueueRecipientInput("x@other.example"),
                ],
                b"Subject: queued\r\nFrom: alice@example.test\r\n\r\nbody\r\n",
            )
        finally:
            await services.aclose()

    return asyncio.run(work())


def test_queue_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert run(capsys, "init", "example.test", "--dev", "--data", data)[0] == 0
    assert run(capsys, "queue", "list", "--data", data)[1].startswith("ID")
    message_id = enqueue(Path(data))
    status, out, _ = run(capsys, "queue", "list", "--data", data)
    assert status == 0
    assert "friend@elsewhere.example" in out and "x@other.example" in out and "pending" in out
    status, out, _ = run(capsys, "queue", "show", str(message_id), "--data", data)
    assert "from: <alice@example.test>" in out and "Subject: queued" in out
    assert (
        "hold: 2 recipient(s)" in run(capsys, "queue", "hold", str(message_id), "--data", data)[1]
    )
    assert out.count("pending") == 2
    assert run(capsys, "queue", "list", "--data", data)[1].count("held") == 2
    assert "release: 2" in run(capsys, "queue", "release", "--data", data)[1]
    assert "retry: 2" in run(capsys, "queue", "retry", str(message_id), "--data", data)[1]
    status, _, err = run(capsys, "queue", "show", "999", "--data", data)
    assert status == 1 and "no queued message 999" in err
    assert run(capsys, "queue", "drop", str(message_id), "--data", data)[0] == 0
    assert "friend@" not in run(capsys, "queue", "list", "--data", data)[1]
    status, _, err = run(capsys, "queue", "drop", str(message_id), "--data", data)
    assert status == 1
