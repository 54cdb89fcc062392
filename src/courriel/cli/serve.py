"""``courriel serve``: run the mail server of a data directory in the foreground."""

from __future__ import annotations

import argparse
import asyncio

from courriel.cli.common import add_data_option, load
from courriel.core.log import background_logging
from courriel.runtime.server import run_server


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subcommands.add_parser(
        "serve",
        help="run every listener of the config until SIGTERM or Ctrl-C",
        description=(
            "Run the mail server in the foreground. SIGTERM or Ctrl-C stops it cleanly; "
            "SIGHUP reloads the TLS certificate."
        ),
    )
    add_data_option(parser)
    parser.set_defaults(handler=serve)


def serve(args: argparse.Namespace) -> int:
    config = load(args)
    with background_logging(config.log.level, config.log.format):
        asyncio.run(run_server(config))
    return 0
