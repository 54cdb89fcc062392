"""``courriel security bans|unban|log``: brute-force bans and the security log."""

from __future__ import annotations

import argparse
import json
import time

from courriel.cli.common import CommandError, add_data_option, load, print_table, with_services
from courriel.config import parse_duration
from courriel.directory.securitylog import SecurityLog
from courriel.runtime.services import Services


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subcommands.add_parser("security", help="bans and the security log")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    bans = actions.add_parser("bans", help="addresses banned after failed logins")
    add_data_option(bans)
    bans.set_defaults(handler=list_bans)
    unban = actions.add_parser("unban", help="lift the ban of an address")
    unban.add_argument("ip")
    add_data_option(unban)
    unban.set_defaults(handler=lift_ban)
    log = actions.add_parser("log", help="logins, failures, bans and credential changes")
    log.add_argument("--account", default=None, help="only events of this account")
    log.add_argument(
        "--since",
        default=None,
        help="only events after this: a date (2026-11-22, 2026-11-22T10:00) or an age (2h, 3d)",
    )
    log.add_argument("--json", action="store_true", help="print the raw JSON lines")
    add_data_option(log)
    log.set_defaults(handler=show_log)


def list_bans(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        rows = [
            (
                ban.scope.removeprefix("ip:"),
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ban.until)),
                str(ban.count),
                ban.reason,
            )
            for ban in await services.auth.list_bans()
        ]
        print_table(rows, ("ADDRESS", "UNTIL", "BANS", "REASON"))

    with_services(args, work)
    return 0


def lift_ban(args: argparse.Namespace) -> int:
    async def work(services: Services) -> bool:
        return await services.auth.unban(args.ip)

    if not with_services(args, work):
        raise CommandError(f"{args.ip} is not banned")
    print(f"lifted the ban of {args.ip}")
    return 0


def parse_since(text: str, now: float) -> float:
    """A date/time (local) or an age like ``2h``."""
    for pattern in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return time.mktime(time.strptime(text, pattern))
        except ValueError:
            continue
    try:
        return now - parse_duration(text)
    except ValueError:
        raise CommandError(
            f"--since {text!r}: give a date like 2026-11-22 or an age like 2h", status=2
        ) from None


def show_log(args: argparse.Namespace) -> int:
    config = load(args)
    since = None if args.since is None else parse_since(args.since, time.time())
    account = None if args.account is None else args.account.strip().lower()
    for record in SecurityLog(config.auth.security_log).read(account=account, since=since):
        if args.json:
            print(json.dumps(record, ensure_ascii=False))
            continue
        fields = " ".join(
            f"{key}={record[key]}"
            for key in ("protocol", "ip", "account", "result", "reason", "detail")
            if key in record
        )
        print(f"{record.get('time', '?')} {record.get('event', '?')} {fields}")
    return 0
