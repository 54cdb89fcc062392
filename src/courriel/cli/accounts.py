"""``courriel account add|list|passwd|remove|quota|disable|enable|admin``."""

from __future__ import annotations

import argparse

from courriel.cli import access
from courriel.cli.common import (
    CommandError,
    add_data_option,
    add_password_stdin_option,
    print_table,
    read_password,
    with_services,
)
from courriel.config import format_size, parse_size
from courriel.runtime.services import Services


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subcommands.add_parser("account", help="manage mail accounts")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="create an account with its default mailboxes")
    add.add_argument("address")
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--quota", default=None, help="storage quota, e.g. '5 GiB' (0 = none)")
    add.add_argument("--admin", action="store_true", help="give the admin role")
    add_password_stdin_option(add)
    add_data_option(add)
    add.set_defaults(handler=add_account)

    list_ = actions.add_parser("list", help="list accounts")
    list_.add_argument("--domain", default=None, help="only this domain")
    add_data_option(list_)
    list_.set_defaults(handler=list_accounts)

    passwd = actions.add_parser("passwd", help="set an account's password")
    passwd.add_argument("address")
    add_password_stdin_option(passwd)
    add_data_option(passwd)
    passwd.set_defaults(handler=set_password)

    remove = actions.add_parser("remove", help="delete an account and all its mail")
    remove.add_argument("address")
    add_data_option(remove)
    remove.set_defaults(handler=remove_account)

    quota = actions.add_parser("quota", help="show usage, or set the quota ('0' = unlimited)")
    quota.add_argument("address")
    quota.add_argument("size", nargs="?", default=None, help="new quota, e.g. '2 GiB'")
    add_data_option(quota)
    quota.set_defaults(handler=account_quota)

    access.register_under(actions)

    for name, disabled in (("disable", True), ("enable", False)):
        command = actions.add_parser(
            name, help=f"{name} an account (a disabled account cannot log in or receive)"
        )
        command.add_argument("address")
        add_data_option(command)
        command.set_defaults(handler=set_disabled, disabled=disabled)

    admin = actions.add_parser(
        "admin", help="give an account the admin role (the webmail's /admin pages)"
    )
    admin.add_argument("address")
    admin.add_argument("--revoke", action="store_true", help="take the admin role away")
    add_data_option(admin)
    admin.set_defaults(handler=set_admin)


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as error:
        raise CommandError(f"bad size {text!r}: {error}", status=2) from None


def add_account(args: argparse.Namespace) -> int:
    password = read_password(args)
    quota = None if args.quota is None else _size(args.quota)

    async def work(services: Services) -> None:
        account = await services.directory.add_account(
            args.address, password, display_name=args.name, quota_bytes=quota, admin=args.admin
        )
        print(f"added account {account.address}")

    with_services(args, work)
    return 0


def list_accounts(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        rows = [
            (
                account.address,
                account.display_name,
                format_size(account.used_bytes),
                format_size(account.quota_bytes) if account.quota_bytes else "unlimited",
                str(account.message_count),
                ",".join(
                    flag
                    for flag, on in (("disabled", account.disabled), ("admin", account.admin))
                    if on
                ),
            )
            for account in await services.directory.list_accounts(args.domain)
        ]
        print_table(rows, ("ADDRESS", "NAME", "USED", "QUOTA", "MESSAGES", "FLAGS"))

    with_services(args, work)
    return 0


def set_password(args: argparse.Namespace) -> int:
    password = read_password(args, "New password: ")

    async def work(services: Services) -> None:
        await services.directory.set_password(args.address, password)
        print(f"password changed for {args.address}")

    with_services(args, work)
    return 0


def remove_account(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        await services.directory.remove_account(args.address)
        print(f"removed account {args.address} and its mail")

    with_services(args, work)
    return 0


def account_quota(args: argparse.Namespace) -> int:
    new_quota = None if args.size is None else _size(args.size)

    async def work(services: Services) -> None:
        if new_quota is not None:
            await services.directory.set_quota(args.address, new_quota)
        account = await services.directory.get_account(args.address)
        limit = format_size(account.quota_bytes) if account.quota_bytes else "unlimited"
        print(
            f"{account.address}: {format_size(account.used_bytes)} used of {limit}, "
            f"{account.message_count} messages"
        )

    with_services(args, work)
    return 0


def set_disabled(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        await services.directory.set_disabled(args.address, args.disabled)
        print(f"{args.address} {'disabled' if args.disabled else 'enabled'}")

    with_services(args, work)
    return 0


def set_admin(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        account = await services.directory.set_admin(args.address, not args.revoke)
        print(f"{account.address} is {'no longer ' if args.revoke else ''}an admin")

    with_services(args, work)
    return 0
