"""``courriel spam allow|block|unallow|unblock|list|train|check``: the spam filter's
per-account allow and block lists, training now, and the score of a message file.

An entry is an address (``bob@example.org``) or a domain with its ``@`` (``@example.org``,
subdomains included). ``check`` prints the ``X-Spam-*`` fields a message would get for an
account — without authentication results, which only exist for a delivery — and changes
nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from courriel.cli.common import CommandError, add_data_option, print_table, with_services
from courriel.runtime.services import Services
from courriel.spam.lists import InvalidEntry, normalize_entry
from courriel.spam.verdict import score

_LIST_ACTIONS = {
    "allow": "put ENTRY on ACCOUNT's allow list (mail from it is not spam)",
    "block": "put ENTRY on ACCOUNT's block list (mail from it goes to Junk)",
    "unallow": "take ENTRY off ACCOUNT's allow list",
    "unblock": "take ENTRY off ACCOUNT's block list",
}


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subcommands.add_parser(
        "spam", help="per-account allow and block lists, training, message scores"
    )
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, help_text in _LIST_ACTIONS.items():
        action = actions.add_parser(name, help=help_text)
        action.add_argument("account")
        action.add_argument("entry", help="an address (bob@example.org) or @domain")
        add_data_option(action)
        action.set_defaults(handler=change_list)

    listing = actions.add_parser("list", help="show ACCOUNT's allow and block lists")
    listing.add_argument("account")
    add_data_option(listing)
    listing.set_defaults(handler=show_lists)

    train = actions.add_parser(
        "train", help="train the classifiers on the Junk moves not learnt yet"
    )
    add_data_option(train)
    train.set_defaults(handler=train_now)

    check = actions.add_parser(
        "check", help="print the X-Spam-* fields FILE (- for stdin) would get for ACCOUNT"
    )
    check.add_argument("account")
    check.add_argument("file")
    add_data_option(check)
    check.set_defaults(handler=check_message)


def change_list(args: argparse.Namespace) -> int:
    try:
        entry = normalize_entry(args.entry)
    except InvalidEntry as error:
        raise CommandError(str(error), status=2) from None

    async def work(services: Services) -> str:
        account = await services.directory.get_account(args.account)
        spam = services.spam
        if args.action == "allow":
            await spam.allow(account.id, entry)
            return f"{entry} is on the allow list of {account.address}"
        if args.action == "block":
            await spam.block(account.id, entry)
            return f"{entry} is on the block list of {account.address}"
        if args.action == "unallow":
            kind, removed = "allow", await spam.unallow(account.id, entry)
        else:
            kind, removed = "block", await spam.unblock(account.id, entry)
        if not removed:
            raise CommandError(f"{entry} is not on the {kind} list of {account.address}")
        return f"{entry} is off the {kind} list of {account.address}"

    print(with_services(args, work))
    return 0


def show_lists(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        account = await services.directory.get_account(args.account)
        rows = [
            (
                entry.kind,
                entry.entry,
                time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.created)),
            )
            for entry in await services.spam.list_entries(account.id)
        ]
        if not rows:
            print(f"{account.address} has no allow or block list entries")
            return
        print_table(rows, ("LIST", "ENTRY", "ADDED"))

    with_services(args, work)
    return 0


def train_now(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        summary = await services.spam.train_from_feedback(services.mailstore)
        print(
            f"{summary.reports} reports: {summary.trained} trained, {summary.retrained} "
            f"retrained, {summary.unchanged} already known, {summary.missing} gone"
        )

    with_services(args, work)
    return 0


def check_message(args: argparse.Namespace) -> int:
    if args.file == "-":
        raw = sys.stdin.buffer.read()
    else:
        try:
            raw = Path(args.file).read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {args.file}: {error.strerror}") from None

    async def work(services: Services) -> bytes:
        account = await services.directory.get_account(args.account)
        scored = await score(
            raw,
            account_ids=[account.id],
            auth_results=None,
            client_ip=None,
            resolver=None,
            repo=services.store.spam,
            settings=services.config.spam,
            recipient_domains=[account.address.rpartition("@")[2]],
        )
        verdict = scored.verdicts[account.id]
        if verdict.action == "none":
            raise CommandError("the spam filter is off (spam.enabled = false)")
        return verdict.headers() + f"Action: {verdict.action}\r\n".encode()

    sys.stdout.write(with_services(args, work).decode("ascii").replace("\r\n", "\n"))
    return 0
