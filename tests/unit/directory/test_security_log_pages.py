"""The security log read a page at a time, newest first (issue 8, the admin's log page):
pages anchored at the file length page 1 saw stay put while events are appended, only the
needed tail is read, a rotated (shorter) file is read from its end."""

from __future__ import annotations

from pathlib import Path

from courriel.directory.securitylog import SecurityLog


def numbers(events: list[dict[str, object]]) -> list[int]:
    return [int(str(event["detail"])) for event in events]


def test_pages_newest_first_anchored_at_the_first_page(tmp_path: Path) -> None:
    log = SecurityLog(tmp_path / "security.log")
    assert log.page(limit=10).events == [] and not log.page(limit=10).more
    for number in range(250):
        log.write("login-failed", detail=str(number))
    first = log.page(limit=100)
    assert numbers(first.events) == list(range(249, 149, -1)) and first.more
    for number in range(250, 260):
        log.write("login-failed", detail=str(number))
    second = log.page(end=first.end, skip=100, limit=100)
    assert numbers(second.events) == list(range(149, 49, -1)) and second.more
    third = log.page(end=first.end, skip=200, limit=100)
    assert numbers(third.events) == list(range(49, -1, -1)) and not third.more
    assert numbers(log.page(limit=5).events) == [259, 258, 257, 256, 255]
    assert log.page(end=first.end, skip=300, limit=100).events == []
    log.close()


def test_a_line_cut_by_the_block_boundary_and_a_rotated_file(tmp_path: Path) -> None:
    path = tmp_path / "security.log"
    log = SecurityLog(path)
    for number in range(3000):  # more than one 64 KiB block
        log.write("login-failed", detail=str(number), reason="x" * 40)
    page = log.page(skip=1500, limit=1000)
    assert numbers(page.events) == list(range(1499, 499, -1))
    anchor = log.page(limit=1).end
    log.reopen()
    path.write_text("")  # rotated: the anchor now lies past the end
    log.write("login-ok", detail="1")
    assert numbers(log.page(end=anchor, limit=10).events) == [1]
    log.close()
    path.write_text('{"event": "a", "detail": "7"}\nnot json\n[1]\n')
    assert numbers(log.page(limit=10).events) == [7]
