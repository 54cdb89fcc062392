"""``courriel alias add|list|remove``."""

from __future__ import annotations

import argparse

from courriel.cli.common import add_data_option, print_table, with_services
from courriel.runtime.services import Services


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subcommands.add_parser("alias", help="manage aliases and catch-alls")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser(
        "add",
        help="make ADDRESS deliver to TARGETs ('@domain' is the domain's catch-all)",
    )
    add.add_argument("address")
    add.add_argument("targets", nargs="+", metavar="TARGET")
    add_data_option(add)
    add.set_defaults(handler=add_alias)

    list_ = actions.add_parser("list", help="list aliases")
    list_.add_argument("--domain", default=None, help="only this domain")
    add_data_option(list_)
    list_.set_defaults(handler=list_aliases)

    remove = actions.add_parser("remove", help="remove an alias")
    remove.add_argument("address")
    add_data_option(remove)
    remove.set_defaults(handler=remove_alias)


def add_alias(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        alias = await services.directory.add_alias(args.address, args.targets)
        print(f"added alias {alias.address} -> {', '.join(alias.targets)}")

    with_services(args, work)
    return 0


def list_aliases(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        rows = [
            (alias.address, ", ".join(alias.targets))
            for alias in await services.directory.list_aliases(args.domain)
        ]
        print_table(rows, ("ALIAS", "TARGETS"))

    with_services(args, work)
    return 0


def remove_alias(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        await services.directory.remove_alias(args.address)
        print(f"removed alias {args.address}")

    with_services(args, work)
    return 0
