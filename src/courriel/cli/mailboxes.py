"""``courriel mailbox purge``: remove now what Trash and Junk kept longer than the retention
(``mailbox.trash_retention``, ``mailbox.junk_retention``). The running server does the same
every hour; this is for an operator who lowered a retention or wants the space back at
once."""

from __future__ import annotations

import argparse

from courriel.cli.common import add_data_option, with_services
from courriel.runtime.services import Services


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subcommands.add_parser("mailbox", help="mailbox maintenance")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    purge = actions.add_parser(
        "purge",
        help="delete what Trash and Junk have held longer than their retention, in every account",
    )
    add_data_option(purge)
    purge.set_defaults(handler=purge_expired)


def purge_expired(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        settings = services.config.mailbox
        purged = await services.mailstore.purge_expired(
            settings.trash_retention, settings.junk_retention
        )
        print(f"purged {purged.trash} message(s) from Trash and {purged.junk} from Junk")

    with_services(args, work)
    return 0
