"""``courriel dkim show|rotate|activate|remove``: a domain's DKIM keys, the DNS records for
them, and rotating them without a moment where mail fails to verify.

Keys come in pairs (RSA-2048 and Ed25519, RFC 8463 §4) that are active (they sign),
pending or retired (see ``directory/dkim_rotation.py``). ``rotate`` adds a pending pair and
prints its records; the active pair keeps signing until ``activate`` makes the new pair
the one that signs and retires the old one; ``remove`` forgets a retired (or pending) pair
once its record may leave DNS. The web admin's domain page does the same through the same
``Directory`` methods.
"""

from __future__ import annotations

import argparse

from courriel.cli.common import CommandError, add_data_option, with_services
from courriel.directory.addresses import normalize_domain
from courriel.directory.dkim_rotation import KeyState
from courriel.mailauth.dkimkeys import DkimKey
from courriel.runtime.services import Services
from courriel.storage.errors import NotFound
from courriel.storage.records import DkimKeyRecord


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subcommands.add_parser(
        "dkim", help="show, rotate, activate and remove a domain's DKIM keys"
    )
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    show = actions.add_parser("show", help="print the DNS TXT records to publish for DOMAIN")
    show.add_argument("domain")
    add_data_option(show)
    show.set_defaults(handler=show_records)

    rotate = actions.add_parser(
        "rotate", help="add a new RSA and Ed25519 key pair (pending: the old keys keep signing)"
    )
    rotate.add_argument("domain")
    add_data_option(rotate)
    rotate.set_defaults(handler=rotate_keys)

    activate = actions.add_parser(
        "activate", help="sign with the pair of SELECTOR from now on and retire the others"
    )
    activate.add_argument("domain")
    activate.add_argument("selector", help="a selector of the pair, or the pair's base name")
    add_data_option(activate)
    activate.set_defaults(handler=activate_keys)

    remove = actions.add_parser(
        "remove", help="forget SELECTOR's key (or a whole pair, by its base name)"
    )
    remove.add_argument("domain")
    remove.add_argument("selector")
    add_data_option(remove)
    remove.set_defaults(handler=remove_key)


def show_records(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        domain = await _domain(services, args.domain)
        pairs = await services.directory.dkim_key_pairs(domain)
        if not pairs:
            raise CommandError(f"{domain} has no DKIM key: run `courriel dkim rotate {domain}`")
        for pair in pairs:
            print(f"; {pair.base}: {pair.state}")
            for record in pair.keys:
                print(_zone_line(record))

    with_services(args, work)
    return 0


def rotate_keys(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        domain = await _domain(services, args.domain)
        pair = await services.directory.rotate_dkim_keys(domain)
        print(f"added DKIM keys {pair.base} for {domain} ({pair.state}); publish:")
        for record in pair.keys:
            print(_zone_line(record))
        if pair.state is KeyState.PENDING:
            print(
                "the active keys keep signing: once the new records are published, "
                f"run `courriel dkim activate {domain} {pair.base}`"
            )

    with_services(args, work)
    return 0


def activate_keys(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        domain = await _domain(services, args.domain)
        try:
            pair = await services.directory.activate_dkim_keys(domain, args.selector)
        except NotFound as error:
            raise CommandError(str(error)) from None
        retired = [
            other.base
            for other in await services.directory.dkim_key_pairs(domain)
            if other.state is KeyState.RETIRED
        ]
        print(f"{domain} signs with {', '.join(pair.selectors)} from now on")
        if retired:
            print(
                f"retired: {', '.join(retired)}; keep their DNS records a few days (mail in "
                f"transit), then `courriel dkim remove {domain} NAME` and delete the records"
            )

    with_services(args, work)
    return 0


def remove_key(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        domain = await _domain(services, args.domain)
        try:
            removed = await services.directory.remove_dkim_keys(domain, args.selector)
        except NotFound as error:
            raise CommandError(str(error)) from None
        for record in removed:
            print(f"removed DKIM selector {record.selector} of {domain}; its DNS record can go too")

    with_services(args, work)
    return 0


async def _domain(services: Services, name: str) -> str:
    domain = normalize_domain(name)
    if not await services.directory.is_local_domain(domain):
        raise CommandError(f"{domain} is not a domain served here")
    return domain


def _zone_line(record: DkimKeyRecord) -> str:
    """A master-file line; long values split into 255-byte strings (RFC 1035 §3.3.14)."""
    return DkimKey.from_private_key_pem(
        record.selector, record.private_key.encode("ascii")
    ).zone_file_line(record.domain)
