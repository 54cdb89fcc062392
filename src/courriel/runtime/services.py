"""Build the ``Services`` bundle from a ``Config``: backends first, domain services on top.

No module-level state: two bundles can live in one process (tests run two servers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from courriel.antivirus import ClamdClient, VirusScreen
from courriel.config import Config
from courriel.core.clock import Clock, SystemClock
from courriel.core.workers import WorkerPool
from courriel.delivery.mail_settings import MailSettings
from courriel.delivery.pipeline import DeliveryPipeline
from courriel.delivery.reading import READ_JOB, MessageReader
from courriel.directory.auth import AuthService
from courriel.directory.passwords import PasswordHasher
from courriel.directory.securitylog import SecurityLog
from courriel.directory.service import Directory
from courriel.dns import Resolver, StaticResolver, load_zones
from courriel.dns.system import SystemResolver
from courriel.mailstore.parsing import PREPARE_JOB, ParsePool
from courriel.mailstore.service import MailStore
from courriel.net.limits import ConnectionCounter
from courriel.pop3.state import MaildropLocks
from courriel.queue.service import OutboundQueue
from courriel.spam.external import ExternalScannerClient, ExternalSpamCheck
from courriel.spam.service import SpamFilter
from courriel.storage.changebus import InProcessChangeBus
from courriel.storage.sqlite import EmbeddedStore, open_embedded_store
from courriel.web.sessions import WebSessions


@dataclass
class Services:
    """Everything a protocol server or an admin command needs, built once."""

    config: Config
    clock: Clock
    store: EmbeddedStore
    bus: InProcessChangeBus
    mailstore: MailStore
    directory: Directory
    auth: AuthService
    security_log: SecurityLog
    queue: OutboundQueue
    delivery: DeliveryPipeline
    account_connections: ConnectionCounter[int]
    """Logged-in IMAP and POP3 sessions per account id, shared by every IMAP and POP3
    listener (``limits.max_connections_per_account``)."""
    resolver: Resolver
    """DNS for everything that asks (inbound checks, outbound routing): ``dns.resolver``."""
    spam: SpamFilter
    """The spam filter: ``check`` scores inbound mail, ``train_from_feedback`` learns from
    Junk moves, ``record_correspondent`` from submission, plus the allow and block lists."""
    web_sessions: WebSessions
    """Webmail sessions (``[web]`` idle timeout and lifetime)."""
    maildrop_locks: MaildropLocks = field(default_factory=MaildropLocks)
    """POP3 sessions in TRANSACTION, shared by every POP3 listener (RFC 2449 [IN-USE])."""

    async def aclose(self) -> None:
        """Stop the parse workers, finish pending writes and close the store."""
        await self.mailstore.close()
        self.store.close()
        self.security_log.close()


def open_services(
    config: Config,
    *,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    parse_workers: int | None = None,
) -> Services:
    """Open the store named by the config (creating or migrating it) and build the services.

    ``storage.backend`` is validated by the config schema; "sqlite" is the embedded default.
    ``parse_workers`` overrides the config (admin commands parse in-process).
    """
    clock = clock or SystemClock()
    store = open_embedded_store(
        config.storage.path,
        readers=config.storage.readers,
        batch_limit=config.storage.batch_limit,
        clock=clock,
    )
    bus = InProcessChangeBus()
    workers = config.storage.parse_workers if parse_workers is None else parse_workers
    # One pool of worker processes for the pure CPU work of delivery (job numbers are
    # positions in WORKER_JOBS); none at all with 0 workers.
    pool = WorkerPool(WORKER_JOBS, workers) if workers else None
    mailstore = MailStore(
        store.mail,
        store.blobs,
        bus,
        inline_limit=store.inline_limit,
        separator=config.mailbox.hierarchy_separator,
        clock=clock,
        parser=ParsePool(store.inline_limit, pool, WORKER_JOBS.index(PREPARE_JOB)),
    )
    hasher = hasher or PasswordHasher()
    security_log = SecurityLog(config.auth.security_log, clock)
    directory = Directory(
        store.directory,
        mailstore,
        hasher,
        default_quota=config.mailbox.default_quota,
        min_password_length=config.auth.min_password_length,
        security_log=security_log,
    )
    auth = AuthService(
        store.directory,
        store.security,
        hasher,
        config.auth,
        security_log,
        totp_issuer=config.auth.totp_issuer or config.server.hostname,
        clock=clock,
    )
    queue = OutboundQueue(
        store.queue, config.storage.path / "queue", inline_limit=store.inline_limit, clock=clock
    )
    resolver = make_resolver(config)
    spam = SpamFilter(
        store.spam,
        config.spam,
        resolver=resolver,
        clock=clock,
    )
    delivery = DeliveryPipeline(
        directory,
        mailstore,
        queue,
        hostname=config.server.hostname,
        clock=clock,
        resolver=resolver,
        mailauth=config.mailauth,
        spam=spam,
        antivirus=make_virus_screen(config),
        external_spam=make_external_spam_check(config),
        mail_settings=MailSettings(store.mail_settings, directory, clock),
    )
    delivery.reader = MessageReader(
        store.inline_limit,
        pool,
        WORKER_JOBS.index(READ_JOB),
        busy=lambda: delivery.in_progress > 1,
    )
    return Services(
        config,
        clock,
        store,
        bus,
        mailstore,
        directory,
        auth,
        security_log,
        queue,
        delivery,
        ConnectionCounter(config.limits.max_connections_per_account),
        resolver,
        spam,
        WebSessions(
            store.web_sessions,
            store.directory,
            clock,
            idle_timeout=config.web.session_idle_timeout,
            lifetime=config.web.session_lifetime,
        ),
    )


def make_resolver(config: Config) -> Resolver:
    """The resolver ``dns.resolver`` names: the system's, or the static zones file."""
    if config.dns.resolver == "static":
        zones = load_zones(config.dns.zones) if config.dns.zones.exists() else {}
        return StaticResolver(zones)
    return SystemResolver(timeout=config.dns.timeout)


WORKER_JOBS = (PREPARE_JOB, READ_JOB)
"""The jobs of the worker processes: parsing at ingest, reading mail from other servers
for the spam filter and the store at once (both pure CPU work that would otherwise hold
the event loop's core)."""


def make_virus_screen(config: Config) -> VirusScreen | None:
    """clamd as ``[antivirus]`` configures it, or None when ``antivirus.clamd`` is empty."""
    settings = config.antivirus
    if settings.clamd is None:
        return None
    return VirusScreen(
        ClamdClient(settings.clamd, timeout=settings.timeout),
        max_size=settings.max_size,
        on_unreachable=settings.on_unreachable,
    )


def make_external_spam_check(config: Config) -> ExternalSpamCheck | None:
    """The external spam scanner ``spam.external`` names, or None."""
    settings = config.spam
    if settings.external is None:
        return None
    return ExternalSpamCheck(
        ExternalScannerClient(settings.external, timeout=settings.external_timeout),
        max_size=settings.external_max_size,
        on_unreachable=settings.external_on_unreachable,
    )
