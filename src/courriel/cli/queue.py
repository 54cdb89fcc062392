"""``courriel queue list|show|retry|hold|release|drop``: the outbound queue."""

from __future__ import annotations

import argparse
import time

from courriel.cli.common import CommandError, add_data_option, print_table, with_services
from courriel.runtime.services import Services


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subcommands.add_parser("queue", help="mail waiting to leave for other servers")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    list_ = actions.add_parser("list", help="queued messages and their recipients")
    add_data_option(list_)
    list_.set_defaults(handler=list_queue)
    show = actions.add_parser("show", help="one message: envelope, recipients, headers")
    show.add_argument("id", type=int)
    add_data_option(show)
    show.set_defaults(handler=show_message)
    for name, help_text in (
        ("retry", "try now (all messages when no id is given)"),
        ("hold", "stop trying until released"),
        ("release", "resume held messages"),
    ):
        command = actions.add_parser(name, help=help_text)
        command.add_argument("id", type=int, nargs="?", default=None)
        add_data_option(command)
        command.set_defaults(handler=change_state, change=name)
    drop = actions.add_parser("drop", help="delete a message without sending a bounce")
    drop.add_argument("id", type=int)
    add_data_option(drop)
    drop.set_defaults(handler=drop_message)


def _when(timestamp: float | None) -> str:
    return "-" if timestamp is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def list_queue(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        rows = []
        for message, recipients in await services.queue.list_messages():
            for recipient in recipients:
                rows.append(
                    (
                        str(message.id),
                        message.sender or "<>",
                        recipient.address,
                        recipient.state,
                        str(recipient.attempts),
                        _when(recipient.next_attempt if recipient.state == "pending" else None),
                        (recipient.last_error or "")[:60],
                    )
                )
        print_table(rows, ("ID", "FROM", "TO", "STATE", "TRIES", "NEXT", "LAST ERROR"))

    with_services(args, work)
    return 0


def show_message(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        message, recipients, body = await services.queue.show(args.id)
        print(f"id: {message.id}\nfrom: <{message.sender}>\nsize: {message.size}")
        print(f"queued: {_when(message.created)}\nexpires: {_when(message.expires)}")
        for recipient in recipients:
            print(
                f"to: <{recipient.address}> {recipient.state}, {recipient.attempts} tries"
                + (f", last: {recipient.last_error}" if recipient.last_error else "")
            )
        end = body.find(b"\r\n\r\n")
        print()
        print(body[: end if end >= 0 else len(body)].decode("utf-8", "replace"))

    with_services(args, work)
    return 0


def change_state(args: argparse.Namespace) -> int:
    async def work(services: Services) -> int:
        change = {
            "retry": services.queue.retry,
            "hold": services.queue.hold,
            "release": services.queue.release,
        }[args.change]
        return await change(args.id)

    changed = with_services(args, work)
    if args.id is not None and changed == 0:
        raise CommandError(f"message {args.id} has no recipient to {args.change}")
    print(f"{args.change}: {changed} recipient(s)")
    return 0


def drop_message(args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        await services.queue.drop(args.id)

    with_services(args, work)
    print(f"dropped message {args.id}")
    return 0
