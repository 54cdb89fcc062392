"""The ``courriel`` command: a table of subcommands.

Each module here adds its subcommands to the parser (``register``) and gives each a
handler ``(args) -> exit status``. ``main`` turns the errors users can cause into one clear
line and an exit status (2 for usage and configuration errors, 1 for the rest) — never a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from courriel import __version__
from courriel.cli import (
    accounts,
    aliases,
    cert,
    dkim,
    domains,
    init,
    mailboxes,
    queue,
    security,
    serve,
    spam,
)
from courriel.cli.common import CommandError, Handler
from courriel.config import ConfigError
from courriel.core.errors import CourrielError

COMMAND_GROUPS = (
    init,
    serve,
    domains,
    dkim,
    cert,
    accounts,
    aliases,
    mailboxes,
    queue,
    security,
    spam,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="courriel",
        description="courriel: a complete, self-hosted mail system.",
    )
    parser.add_argument("--version", action="version", version=f"courriel {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in COMMAND_GROUPS:
        group.register(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ConfigError as error:
        print(f"courriel: configuration error:\n{error}", file=sys.stderr)
        return 2
    except CommandError as error:
        print(f"courriel: {error}", file=sys.stderr)
        return error.status
    except CourrielError as error:
        print(f"courriel: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("courriel: interrupted", file=sys.stderr)
        return 130
