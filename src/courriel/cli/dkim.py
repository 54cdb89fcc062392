"""``courriel dkim show|rotate|remove``: a domain's DKIM keys and the DNS records for them.

Every key of a domain signs outgoing mail (RSA-2048 and Ed25519 side by side, RFC 8463 §4).
A rotation adds a new pair of selectors; the old pair keeps signing and stays published, so
mail verifies whether a receiver's DNS has the new records yet or not, until the operator
removes the old selectors once the new records are published.
"""

from __future__ import annotations

import argparse
import time

from courriel.cli.common import CommandError, add_data_option, with_services
from courriel.directory.addresses import normalize_domain
from courriel.directory.service import dkim_selector_base
from courriel.mailauth.dkimkeys import DkimKey, unused_selector_base
from courriel.runtime.services import Services
from courriel.storage.records import DkimKeyRecord


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subcommands.add_parser("dkim", help="show, rotate and remove a domain's DKIM keys")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    show = actions.add_parser("show", help="print the DNS TXT records to publish for DOMAIN")
    show.add_argument("domain")
    add_data_option(show)
    show.set_defaults(handler=show_records)

    rotate = actions.add_parser(
        "rotate", help="add a new RSA and Ed25519 key pair (the old keys keep signing)"
    )
    rotate.add_argument("domain")
    add_data_option(rotate)
    rotate.set_defaults(handler=rotate_keys)

    remove = actions.add_parser("remove", help="stop signing with SELECTOR and forget its key")
    remove.add_argument("domain")
    remove.add_argument("selector")
    add_data_option(remove)
    remove.set_defaults(handler=remove_key)


def show_records(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        domain, records = await _domain_keys(services, args.domain)
        if not records:
            raise CommandError(f"{domain} has no DKIM key: run `courriel dkim rotate {domain}`")
        for record in records:
            print(_zone_line(record))

    with_services(args, work)
    return 0


def rotate_keys(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        domain, records = await _domain_keys(services, args.domain)
        taken = {record.selector for record in records}
        base = unused_selector_base(dkim_selector_base(time.time()), taken)
        added = await services.directory.add_dkim_keys(domain, base)
        print(f"added DKIM keys for {domain}; publish:")
        for record in added:
            print(_zone_line(record))
        if taken:
            print(
                f"selectors {', '.join(sorted(taken))} keep signing: once the new records "
                f"are published, remove each with `courriel dkim remove {domain} SELECTOR`"
            )

    with_services(args, work)
    return 0


def remove_key(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        domain, records = await _domain_keys(services, args.domain)
        selector = args.selector.strip().lower()
        removed = next((record for record in records if record.selector == selector), None)
        if removed is None:
            raise CommandError(f"{domain} has no DKIM selector {selector}")
        algorithm = _key(removed).algorithm
        if not any(
            _key(record).algorithm == algorithm for record in records if record is not removed
        ):
            raise CommandError(
                f"{selector} is the last {algorithm} key of {domain}: "
                f"run `courriel dkim rotate {domain}` first"
            )
        await services.directory.remove_dkim_key(domain, selector)
        print(f"removed DKIM selector {selector} of {domain}; its DNS record can go too")

    with_services(args, work)
    return 0


async def _domain_keys(services: Services, name: str) -> tuple[str, list[DkimKeyRecord]]:
    domain = normalize_domain(name)
    if not await services.directory.is_local_domain(domain):
        raise CommandError(f"{domain} is not a domain served here")
    return domain, await services.directory.dkim_keys(domain)


def _key(record: DkimKeyRecord) -> DkimKey:
    return DkimKey.from_private_key_pem(record.selector, record.private_key.encode("ascii"))


def _zone_line(record: DkimKeyRecord) -> str:
    """A master-file line; long values split into 255-byte strings (RFC 1035 §3.3.14)."""
    return _key(record).zone_file_line(record.domain)
