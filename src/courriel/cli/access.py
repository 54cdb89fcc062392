"""``courriel account 2fa enable|confirm|disable|status|recovery-codes`` and
``courriel account app-password add|list|revoke``: second factors and app passwords."""

from __future__ import annotations

import argparse
import sys
import time

from courriel.cli.common import CommandError, add_data_option, print_table, with_services
from courriel.directory.app_passwords import PROTOCOLS, parse_protocols
from courriel.directory.totp import terminal_qr
from courriel.runtime.services import Services


def register_under(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``2fa`` and ``app-password`` groups under ``courriel account``."""
    two_factor = actions.add_parser("2fa", help="two-factor authentication (TOTP)")
    steps = two_factor.add_subparsers(dest="step", metavar="ACTION", required=True)
    enable = steps.add_parser(
        "enable",
        help="show a QR code to scan, ask for a first code, print recovery codes",
    )
    enable.add_argument("address")
    add_data_option(enable)
    enable.set_defaults(handler=enable_2fa)
    confirm = steps.add_parser("confirm", help="finish an enrolment with a code from the app")
    confirm.add_argument("address")
    confirm.add_argument("code")
    add_data_option(confirm)
    confirm.set_defaults(handler=confirm_2fa)
    disable = steps.add_parser("disable", help="turn two-factor authentication off")
    disable.add_argument("address")
    add_data_option(disable)
    disable.set_defaults(handler=disable_2fa)
    status = steps.add_parser("status", help="whether 2FA is on, and recovery codes left")
    status.add_argument("address")
    add_data_option(status)
    status.set_defaults(handler=status_2fa)
    recovery = steps.add_parser(
        "recovery-codes", help="print a new set of recovery codes (the old ones stop working)"
    )
    recovery.add_argument("address")
    add_data_option(recovery)
    recovery.set_defaults(handler=regenerate_recovery_codes)

    app = actions.add_parser("app-password", help="passwords for mail apps (needed with 2FA)")
    app_actions = app.add_subparsers(dest="step", metavar="ACTION", required=True)
    add = app_actions.add_parser("add", help="make an app password and print it once")
    add.add_argument("address")
    add.add_argument("--name", required=True, help='what it is for, e.g. "Thunderbird laptop"')
    add.add_argument(
        "--protocols",
        default=",".join(PROTOCOLS),
        help=f"comma-separated, among {','.join(PROTOCOLS)} (default: all)",
    )
    add_data_option(add)
    add.set_defaults(handler=add_app_password)
    list_ = app_actions.add_parser("list", help="app passwords with their last use")
    list_.add_argument("address")
    add_data_option(list_)
    list_.set_defaults(handler=list_app_passwords)
    revoke = app_actions.add_parser("revoke", help="delete an app password")
    revoke.add_argument("address")
    revoke.add_argument("name")
    add_data_option(revoke)
    revoke.set_defaults(handler=revoke_app_password)


def _print_codes(codes: list[str], heading: str = "Two-factor authentication is on.") -> None:
    print(f"{heading} Recovery codes (each works once; keep them safe):")
    for code in codes:
        print(f"  {code}")


def regenerate_recovery_codes(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        codes = await services.auth.regenerate_recovery_codes(args.address)
        _print_codes(codes, "New codes made; the earlier ones no longer work.")

    with_services(args, work)
    return 0


def enable_2fa(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        enrolment = await services.auth.begin_totp(args.address)
        print("Scan this QR code with an authenticator app, or enter the key by hand.")
        print(terminal_qr(enrolment.uri), end="")
        print(f"key: {enrolment.secret}")
        print(f"uri: {enrolment.uri}")
        print("Code shown by the app: ", end="", flush=True)
        code = sys.stdin.readline().strip()
        if not code:
            print()
            print(
                "No code given: 2FA is not on yet. Finish with "
                f"`courriel account 2fa confirm {args.address} CODE`."
            )
            return
        _print_codes(await services.auth.confirm_totp(args.address, code))

    with_services(args, work)
    return 0


def confirm_2fa(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        _print_codes(await services.auth.confirm_totp(args.address, args.code))

    with_services(args, work)
    return 0


def disable_2fa(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        await services.auth.disable_totp(args.address)
        print(f"two-factor authentication is off for {args.address}")

    with_services(args, work)
    return 0


def status_2fa(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        enabled, left = await services.auth.totp_status(args.address)
        if enabled:
            print(f"{args.address}: two-factor authentication on, {left} recovery codes left")
        else:
            print(f"{args.address}: two-factor authentication off")

    with_services(args, work)
    return 0


def add_app_password(args: argparse.Namespace) -> int:
    try:
        protocols = parse_protocols(args.protocols)
    except ValueError as error:
        raise CommandError(str(error), status=2) from None

    async def work(services: Services) -> None:
        record, password = await services.auth.add_app_password(args.address, args.name, protocols)
        print(f"app password {record.name!r} for {', '.join(record.protocols)}:")
        print(f"  {password}")
        print("It is shown only this once. Enter it in the app instead of your password.")

    with_services(args, work)
    return 0


def _when(timestamp: float | None) -> str:
    return (
        "never" if timestamp is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))
    )


def list_app_passwords(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        rows = [
            (
                record.name,
                ",".join(record.protocols),
                _when(record.created),
                _when(record.last_used),
                record.last_ip or "",
            )
            for record in await services.auth.list_app_passwords(args.address)
        ]
        print_table(rows, ("NAME", "PROTOCOLS", "CREATED", "LAST USED", "FROM"))

    with_services(args, work)
    return 0


def revoke_app_password(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        await services.auth.revoke_app_password(args.address, args.name)
        print(f"revoked app password {args.name!r} of {args.address}")

    with_services(args, work)
    return 0
