"""``courriel domain add|list|remove``."""

from __future__ import annotations

import argparse
import time

from courriel.cli.common import add_data_option, print_table, with_services
from courriel.runtime.services import Services


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subcommands.add_parser("domain", help="manage the mail domains served here")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add a domain (with its DKIM keys)")
    add.add_argument("domain")
    add_data_option(add)
    add.set_defaults(handler=add_domain)

    list_ = actions.add_parser("list", help="list the domains")
    add_data_option(list_)
    list_.set_defaults(handler=list_domains)

    remove = actions.add_parser("remove", help="remove a domain that has no accounts or aliases")
    remove.add_argument("domain")
    add_data_option(remove)
    remove.set_defaults(handler=remove_domain)


def add_domain(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        domain = await services.directory.add_domain(args.domain)
        print(f"added domain {domain.name}")
        for key in await services.directory.dkim_keys(domain.name):
            print(f'publish: {key.selector}._domainkey.{domain.name} TXT "{key.dns_record}"')

    with_services(args, work)
    return 0


def list_domains(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        domains = await services.directory.list_domains()
        usage = await services.directory.domain_usage()  # counted in SQL, not loaded
        rows = [
            (
                domain.name,
                str(usage[domain.name].accounts),
                str(usage[domain.name].aliases),
                time.strftime("%Y-%m-%d", time.localtime(domain.created)),
            )
            for domain in domains
            if domain.name in usage
        ]
        print_table(rows, ("DOMAIN", "ACCOUNTS", "ALIASES", "CREATED"))

    with_services(args, work)
    return 0


def remove_domain(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        await services.directory.remove_domain(args.domain)
        print(f"removed domain {args.domain}")

    with_services(args, work)
    return 0
