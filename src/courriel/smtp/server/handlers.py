"""One function per SMTP command, and the table that says in which states each is allowed.

A handler gets the session and the parsed command and returns an action: a reply to send,
or one of ``ReadData`` / ``ReadBdat`` / ``UpgradeTls`` / ``RunAuth`` / ``Close`` that the
session loop carries out (handlers never read the socket). Reading this table shows the
protocol: RFC 5321 §4.1.4 for the order of commands, RFC 3207 for STARTTLS, RFC 4954 for
AUTH, RFC 3030 for BDAT, RFC 6409 for what submission requires.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from courriel.delivery.model import Refusal, Role
from courriel.smtp.protocol import (
    Auth,
    Bdat,
    Command,
    Data,
    Ehlo,
    Expn,
    Helo,
    Help,
    MailFrom,
    Noop,
    Quit,
    RcptTo,
    Reply,
    Rset,
    StartTls,
    Vrfy,
    replies,
)
from courriel.smtp.server.refusals import RECIPIENT_REFUSALS, SENDER_REFUSALS
from courriel.smtp.server.state import Connected, Greeted, InTransaction

if TYPE_CHECKING:
    from courriel.smtp.server.session import SmtpSession


@dataclass(frozen=True)
class ReadData:
    """Send 354, read the message up to <CRLF>.<CRLF>, then finish the transaction."""


@dataclass(frozen=True)
class ReadBdat:
    size: int
    last: bool


@dataclass(frozen=True)
class UpgradeTls:
    """Send 220, discard anything pipelined, handshake, forget the session (RFC 3207 §4.2)."""


@dataclass(frozen=True)
class RunAuth:
    mechanism: str
    initial_response: str | None


@dataclass(frozen=True)
class Close:
    reply: Reply


Action = Reply | ReadData | ReadBdat | UpgradeTls | RunAuth | Close
Handler = Callable[["SmtpSession", Any], Awaitable[Action]]


async def helo(session: SmtpSession, command: Helo) -> Action:
    session.state = Greeted(command.domain, extended=False)  # RFC 5321 §4.1.1.1
    return replies.helo_reply(session.hostname)


async def ehlo(session: SmtpSession, command: Ehlo) -> Action:
    session.state = Greeted(command.domain, extended=True)  # also resets a transaction
    return session.ehlo_reply()


async def mail(session: SmtpSession, command: MailFrom) -> Action:
    state = session.state
    assert isinstance(state, Greeted)
    if session.role is Role.SUBMISSION:
        if not session.secure_enough():
            return replies.MUST_STARTTLS  # RFC 3207 §4: 530 5.7.0
        if session.principal is None:
            return replies.AUTH_REQUIRED  # RFC 4954 §6: 530 5.7.0
    sender = command.reverse_path.text if command.reverse_path is not None else ""
    parameters = command.parameters
    if parameters.size is not None and parameters.size > session.max_message_size:
        return replies.MESSAGE_TOO_BIG  # RFC 1870 §6: 552 5.3.4 at MAIL
    if session.role is Role.SUBMISSION:
        assert session.principal is not None
        refusal = await session.pipeline.check_sender(session.principal.address, sender)
        if refusal is not None:
            return SENDER_REFUSALS[refusal]  # RFC 6409 §6.1: 550 5.7.1
    session.state = InTransaction(state.helo, state.extended, sender, parameters)
    return replies.SENDER_OK


async def rcpt(session: SmtpSession, command: RcptTo) -> Action:
    state = session.state
    assert isinstance(state, InTransaction)
    if len(state.recipients) >= session.max_recipients:
        return replies.TOO_MANY_RECIPIENTS  # RFC 5321 §4.5.3.1.10: 452 4.5.3
    if command.is_bare_postmaster:
        address = await session.postmaster_address()  # RFC 5321 §4.1.1.3
    else:
        address = command.forward_path.text
    notify = None
    if command.parameters.notify is not None:
        notify = ",".join(sorted(value.value for value in command.parameters.notify))
    orcpt = None
    if command.parameters.orcpt is not None:
        orcpt = command.parameters.orcpt.to_parameter().partition("=")[2]
    verdict = await session.pipeline.check_recipient(
        address,
        role=session.role,
        authenticated=session.principal is not None,
        notify=notify,
        orcpt=orcpt,
    )
    if isinstance(verdict, Refusal):
        session.note_refusal(address, verdict)
        return RECIPIENT_REFUSALS[verdict]
    if any(r.address.lower() == verdict.address.lower() for r in state.recipients):
        return replies.RECIPIENT_OK  # a duplicate RCPT delivers once
    state.recipients.append(verdict)
    return replies.RECIPIENT_OK


async def data(session: SmtpSession, command: Data) -> Action:
    state = session.state
    assert isinstance(state, InTransaction)
    del command
    if not state.recipients:
        return replies.NO_VALID_RECIPIENTS  # RFC 5321 §3.3: 554 5.5.1
    if state.parameters.body is not None and state.parameters.body.value == "BINARYMIME":
        return replies.BINARYMIME_NEEDS_BDAT  # RFC 3030 §3
    return ReadData()


async def bdat(session: SmtpSession, command: Bdat) -> Action:
    del session
    return ReadBdat(command.size, command.last)


async def rset(session: SmtpSession, command: Rset) -> Action:
    del command
    state = session.state
    if isinstance(state, InTransaction):  # RFC 5321 §4.1.1.5: keep the EHLO
        session.state = Greeted(state.helo, state.extended)
    return replies.RESET_OK


async def noop(session: SmtpSession, command: Noop) -> Action:
    del session, command
    return replies.NOOP_OK


async def quit_(session: SmtpSession, command: Quit) -> Action:
    del command
    return Close(replies.closing(session.hostname))  # RFC 5321 §4.1.1.10: 221


async def vrfy(session: SmtpSession, command: Vrfy) -> Action:
    del session, command
    return replies.CANNOT_VRFY  # RFC 5321 §3.5.3: 252, never confirm addresses


async def expn(session: SmtpSession, command: Expn) -> Action:
    del session, command
    return Reply(502, "5.5.1", "EXPN is not offered")  # RFC 5321 §3.5.2: lists stay private


async def help_(session: SmtpSession, command: Help) -> Action:
    del session, command
    return replies.HELP


async def starttls(session: SmtpSession, command: StartTls) -> Action:
    del command
    if session.tls_active:
        return Reply(503, "5.5.1", "TLS already active")  # RFC 3207 §4.2
    if session.tls is None:
        return replies.TLS_NOT_AVAILABLE
    return UpgradeTls()


async def auth(session: SmtpSession, command: Auth) -> Action:
    if session.role is not Role.SUBMISSION:
        return replies.NOT_IMPLEMENTED  # AUTH is offered on submission only
    if session.principal is not None:
        return replies.ALREADY_AUTHENTICATED  # RFC 4954 §4
    if isinstance(session.state, InTransaction):
        return replies.AUTH_IN_TRANSACTION  # RFC 4954 §4
    if not session.secure_enough():
        return replies.ENCRYPTION_REQUIRED_FOR_AUTH  # RFC 4954 §6: 538 5.7.11
    return RunAuth(command.mechanism, command.initial_response)


@dataclass(frozen=True)
class Entry:
    handler: Handler
    states: tuple[type, ...]
    """The states in which the command is allowed; otherwise 503 5.5.1 (RFC 5321 §4.1.4)."""


ANY: tuple[type, ...] = (Connected, Greeted, InTransaction)
GREETED: tuple[type, ...] = (Greeted, InTransaction)

COMMANDS: dict[type, Entry] = {
    Helo: Entry(helo, ANY),
    Ehlo: Entry(ehlo, ANY),
    MailFrom: Entry(mail, (Greeted,)),
    RcptTo: Entry(rcpt, (InTransaction,)),
    Data: Entry(data, (InTransaction,)),
    Bdat: Entry(bdat, (InTransaction,)),
    Rset: Entry(rset, ANY),
    Noop: Entry(noop, ANY),
    Quit: Entry(quit_, ANY),
    Vrfy: Entry(vrfy, ANY),
    Expn: Entry(expn, ANY),
    Help: Entry(help_, ANY),
    StartTls: Entry(starttls, (Greeted,)),
    Auth: Entry(auth, (Greeted,)),
}


def lookup(command: Command) -> Entry:
    return COMMANDS[type(command)]
