"""What the subcommands share: the data directory, opening the services, reading passwords."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from courriel.config import Config, load_config
from courriel.core.errors import CourrielError
from courriel.runtime.services import Services, open_services

T = TypeVar("T")
Handler = Callable[[argparse.Namespace], int]

CONFIG_NAME = "courriel.toml"


class CommandError(CourrielError):
    """A user-facing failure of a command, with its exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        metavar="DIR",
        type=Path,
        default=None,
        help="the data directory (default: $COURRIEL_DATA, else ./courriel-data)",
    )


def data_dir(args: argparse.Namespace) -> Path:
    explicit: Path | None = args.data
    if explicit is not None:
        return explicit
    return Path(os.environ.get("COURRIEL_DATA", "courriel-data"))


def load(args: argparse.Namespace) -> Config:
    path = data_dir(args) / CONFIG_NAME
    if not path.exists():
        raise CommandError(
            f"{path} does not exist: run `courriel init DOMAIN --data {data_dir(args)}` first",
            status=2,
        )
    return load_config(path)


def with_services(args: argparse.Namespace, work: Callable[[Services], Awaitable[T]]) -> T:
    """Open the services of the data directory, run ``work``, close them."""
    config = load(args)

    async def run() -> T:
        services = open_services(config, parse_workers=0)
        try:
            return await work(services)
        finally:
            await services.aclose()

    return asyncio.run(run())


def read_password(args: argparse.Namespace, prompt: str = "Password: ") -> str:
    """From stdin (``--password-stdin``, one line) or an interactive prompt, confirmed."""
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if not password:
            raise CommandError("no password on standard input", status=2)
        return password
    if not sys.stdin.isatty():
        raise CommandError("standard input is not a terminal: use --password-stdin", status=2)
    first = getpass.getpass(prompt)
    if first != getpass.getpass("Again: "):
        raise CommandError("the two passwords differ", status=2)
    return first


def add_password_stdin_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input instead of a prompt",
    )


def print_table(rows: Sequence[tuple[str, ...]], headers: tuple[str, ...]) -> None:
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)
    ]
    for row in (headers, *rows):
        print(
            "  ".join(
                str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)
            ).rstrip()
        )
