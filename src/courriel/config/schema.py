"""The schema of ``courriel.toml``: every static setting, its type, default, limits and help.

This is the single source for defaults, validation (``load``), the sample file (``sample``)
and the reference page (``reference``, rendered to ``docs/configuration.md``). Each settings
class is a frozen dataclass; each field's metadata says whether it is a setting
(``option(kind, help)``) or a nested table (``section(help)``).

To add a section (``[smtp]``, ``[queue]``...): write a ``@dataclass(frozen=True, kw_only=True)``
class whose fields all have a default and ``metadata=option(...)``, add it to ``Config`` with
``field(default_factory=TheClass, metadata=section(...))``, then regenerate the reference page
(``python -m courriel.config.docs > docs/configuration.md``). Loading, environment overrides,
the sample and the docs follow on their own.

Dynamic data (domains, accounts, aliases, keys) is not configuration: it lives in the store.
This module must not read files or the environment; it only declares.
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from courriel.config.kinds import (
    AddressList,
    Boolean,
    ByteSize,
    Choice,
    DaemonAddress,
    DaemonAddressKind,
    DomainList,
    Duration,
    FilePath,
    Hostname,
    Integer,
    NetworkList,
    Number,
    Text,
    WeightedDomainList,
)
from courriel.config.metadata import (
    ListenerProtocol,
    ListenerRole,
    OptionSpec,
    SectionSpec,
    TlsMode,
    describe_sections,
    index_options,
    option,
    section,
)
from courriel.config.types import KIB, MIB, MINUTE

StorageBackend = Literal["sqlite"]
TlsVersion = Literal["TLSv1.2", "TLSv1.3"]
HierarchySeparator = Literal["/", "."]
LogLevel = Literal["debug", "info", "warning", "error"]
LogFormat = Literal["text", "json"]

PORT = Integer(1, 65535)

# Facts about the whole file, shown at the top of the sample file and of the reference page.
OVERVIEW: tuple[str, ...] = (
    "`courriel.toml` holds the static settings of one courriel server. It lives in the data "
    "directory; relative paths in it are relative to that directory.",
    "Any setting can be overridden by an environment variable named "
    "`COURRIEL_<SECTION>_<KEY>`, for example `COURRIEL_LOG_LEVEL=debug` or "
    "`COURRIEL_LISTENERS_IMAP_PORT=1143`; lists are comma-separated there.",
    'Sizes are a number of bytes or a string such as "50 MiB", "10M" or "1.5 GB" (K, M, G, T '
    "and KiB, MiB, GiB, TiB are powers of 1024; KB, MB, GB, TB powers of 1000). Durations "
    'are a number of seconds or a string such as "30s", "15m", "4h", "5d" or "1h30m".',
    "Domains, accounts, aliases and keys are not configured here: they live in the store "
    "and are managed with the `courriel` command or the admin web interface.",
)


@dataclass(frozen=True, kw_only=True)
class ServerSettings:
    hostname: str = field(
        default_factory=socket.getfqdn,
        metadata=option(
            Hostname(),
            "Fully qualified name of this server: used in SMTP, IMAP and POP3 greetings, in "
            "Received header fields and as the name on the TLS certificate. `courriel init` "
            "always writes it.",
            default_doc="this machine's fully qualified name (`socket.getfqdn()`), "
            "looked up at load",
        ),
    )
    dev: bool = field(
        default=False,
        metadata=option(
            Boolean(),
            "Development mode: every listener must be on a loopback address, plaintext "
            "authentication is allowed on loopback and DNS answers come from a mock resolver. "
            "Never enable it on a server reachable from other machines.",
        ),
    )


@dataclass(frozen=True, kw_only=True)
class StorageSettings:
    backend: StorageBackend = field(
        default="sqlite",
        metadata=option(
            Choice.of(
                StorageBackend,
                unavailable={
                    "postgres": 'the "postgres" backend is not available yet; '
                    'use "sqlite" (the only backend today)'
                },
            ),
            'Where mail, accounts and the queue are kept. "sqlite": one SQLite database plus '
            "message files under `path`, on this machine.",
        ),
    )
    path: Path = field(
        default=Path("store"),
        metadata=option(FilePath(), "Directory holding the database and the message files."),
    )
    readers: int = field(
        default=4,
        metadata=option(
            Integer(1, 64),
            "Read-only database connections that serve lookups in parallel with the single writer.",
        ),
    )
    batch_limit: int = field(
        default=256,
        metadata=option(
            Integer(1, 10000),
            "Most writes the writer groups into one commit. Bigger batches give more "
            "throughput under load; every write is still acknowledged only once durable.",
        ),
    )
    parse_workers: int = field(
        default=1,
        metadata=option(
            Integer(0, 16),
            "Processes that parse incoming messages (and read them for the spam filter) while "
            "the server process serves and writes, so delivery uses a second CPU core (a lone "
            "message is still handled in-process, without the round trip). 0 does everything "
            "in the server process; more than one only helps with more than two cores.",
        ),
    )


@dataclass(frozen=True, kw_only=True)
class TlsSettings:
    certificate: Path = field(
        default=Path("tls/cert.pem"),
        metadata=option(
            FilePath(),
            "PEM file with the server certificate followed by its chain. Must exist and be "
            "readable when any listener using TLS is enabled.",
        ),
    )
    key: Path = field(
        default=Path("tls/key.pem"),
        metadata=option(
            FilePath(),
            "PEM file with the certificate's private key; keep it readable by the courriel "
            "user only. Must exist and be readable when any listener using TLS is enabled.",
        ),
    )
    min_version: TlsVersion = field(
        default="TLSv1.2",
        metadata=option(
            Choice.of(
                TlsVersion,
                unavailable=dict.fromkeys(
                    ("SSLv3", "TLSv1", "TLSv1.0", "TLSv1.1"),
                    'TLS versions before 1.2 are deprecated by RFC 8996; use "TLSv1.2" or '
                    '"TLSv1.3"',
                ),
            ),
            "Oldest TLS version accepted. TLS 1.0 and 1.1 are never offered (RFC 8996).",
        ),
    )


LETS_ENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory"


@dataclass(frozen=True, kw_only=True)
class AcmeSettings:
    enabled: bool = field(
        default=False,
        metadata=option(
            Boolean(),
            "Obtain and renew the TLS certificate automatically from an ACME certificate "
            "authority (RFC 8555) such as Let's Encrypt, proving each name with an http-01 "
            "challenge (RFC 8555 §8.3) answered by the `http` listener: the names must point "
            "at this server in DNS and port 80 must reach it. The certificate and key are "
            "written to `[tls]` `certificate` and `key`, and every TLS listener uses them for "
            "new connections without a restart. `courriel cert renew` does the same once.",
        ),
    )
    directory: str = field(
        default=LETS_ENCRYPT_DIRECTORY,
        metadata=option(
            Text(maximum=2000),
            "The directory URL of the ACME certificate authority (https). The default is "
            "Let's Encrypt's production service; its staging service is "
            '"https://acme-staging-v02.api.letsencrypt.org/directory".',
        ),
    )
    contact: str = field(
        default="",
        metadata=option(
            Text(),
            "Email address the certificate authority may write to about your certificates "
            "(expiry warnings, incidents). Empty: none.",
        ),
    )
    names: tuple[str, ...] = field(
        default=(),
        metadata=option(
            DomainList(),
            "Host names on the certificate, first one as its subject. Empty: the server's "
            "`hostname` alone. Add the names your users type, e.g. "
            '`["mail.example.com", "imap.example.com"]`.',
        ),
    )
    renew_before: float = field(
        default=30 * 86400.0,
        metadata=option(
            Duration(minimum=86400.0),
            "Renew when the certificate has less than this left (Let's Encrypt certificates "
            "last 90 days). A self-signed certificate, or one lacking a configured name, is "
            "replaced at once.",
        ),
    )
    retry_delay: float = field(
        default=10 * MINUTE,
        metadata=option(
            Duration(minimum=1.0),
            "Wait after a failed attempt before the next; it doubles after each failure in a "
            "row, up to a day. The current certificate stays in service meanwhile.",
        ),
    )
    ca_bundle: str = field(
        default="",
        metadata=option(
            Text(maximum=1000),
            "PEM file of the certificate authorities trusted for the ACME server's own HTTPS "
            "(a private CA, or a test CA), relative to the data directory. Empty: the "
            "system's trust store.",
        ),
    )


@dataclass(frozen=True, kw_only=True)
class ListenerSettings:
    """One ``[listeners.NAME]`` table; the default port depends on NAME (see ListenersSettings)."""

    enabled: bool = field(
        default=True, metadata=option(Boolean(), "Whether to open this listener.")
    )
    addresses: tuple[str, ...] = field(
        default=("0.0.0.0", "::"),  # noqa: S104 - a mail server listens on every interface
        metadata=option(
            AddressList(),
            'IP addresses to listen on: "0.0.0.0" is every IPv4 address, "::" every IPv6 address.',
        ),
    )
    port: int = field(metadata=option(PORT, "TCP port to listen on."))


@dataclass(frozen=True, kw_only=True)
class ListenersSettings:
    """The fixed set of listeners; each table name implies its protocol, TLS mode and ports."""

    smtp: ListenerSettings = field(
        default_factory=functools.partial(ListenerSettings, port=25),
        metadata=section(
            "SMTP MX: receives mail for your domains from other servers (RFC 5321), with "
            "STARTTLS (RFC 3207).",
            listener=ListenerRole("smtp", "starttls", dev_port=2525),
        ),
    )
    submission: ListenerSettings = field(
        default_factory=functools.partial(ListenerSettings, port=587),
        metadata=section(
            "Message submission from your users' mail clients (RFC 6409), with STARTTLS "
            "(RFC 3207) before authentication.",
            listener=ListenerRole("submission", "starttls", dev_port=2587),
        ),
    )
    submissions: ListenerSettings = field(
        default_factory=functools.partial(ListenerSettings, port=465),
        metadata=section(
            "Message submission over implicit TLS (RFC 8314 §3.3).",
            listener=ListenerRole("submission", "implicit", dev_port=2465),
        ),
    )
    imap: ListenerSettings = field(
        default_factory=functools.partial(ListenerSettings, port=143),
        metadata=section(
            "IMAP (RFC 9051) with STARTTLS.",
            listener=ListenerRole("imap", "starttls", dev_port=2143),
        ),
    )
    imaps: ListenerSettings = field(
        default_factory=functools.partial(ListenerSettings, port=993),
        metadata=section(
            "IMAP over implicit TLS (RFC 8314 §3).",
            listener=ListenerRole("imap", "implicit", dev_port=2993),
        ),
    )
    pop3: ListenerSettings = field(
        default_factory=functools.partial(ListenerSettings, port=110),
        metadata=section(
            "POP3 (RFC 1939) with STLS (RFC 2595).",
            listener=ListenerRole("pop3", "starttls", dev_port=2110),
        ),
    )
    pop3s: ListenerSettings = field(
        default_factory=functools.partial(ListenerSettings, port=995),
        metadata=section(
            "POP3 over implicit TLS (RFC 8314 §3).",
            listener=ListenerRole("pop3", "implicit", dev_port=2995),
        ),
    )
    https: ListenerSettings = field(
        default_factory=functools.partial(ListenerSettings, port=443),
        metadata=section(
            "HTTPS: webmail, administration, CalDAV/CardDAV, ActiveSync and autoconfig.",
            listener=ListenerRole("http", "implicit", dev_port=8443),
        ),
    )
    http: ListenerSettings = field(
        default_factory=functools.partial(ListenerSettings, port=80),
        metadata=section(
            "Plain HTTP: ACME http-01 challenges (RFC 8555 §8.3) and a redirect to HTTPS.",
            listener=ListenerRole("http", "none", dev_port=8080),
        ),
    )


@dataclass(frozen=True, kw_only=True)
class LimitsSettings:
    max_message_size: int = field(
        default=50 * 1024 * 1024,
        metadata=option(
            ByteSize(minimum=64 * KIB, reason="RFC 5321 §4.5.3.1.10"),
            "Largest message accepted by SMTP, submission and IMAP APPEND; advertised with "
            "the SMTP SIZE extension (RFC 1870).",
        ),
    )
    max_recipients: int = field(
        default=100,
        metadata=option(
            Integer(100, 100_000, reason="RFC 5321 §4.5.3.1.8"),
            "Most recipients in one SMTP transaction. RFC 5321 §4.5.3.1.8 requires accepting "
            "at least 100.",
        ),
    )
    max_connections_per_ip: int = field(
        default=20,
        metadata=option(
            Integer(1, 100_000),
            "Most simultaneous connections from one IP address, over all listeners.",
        ),
    )
    max_connections_per_account: int = field(
        default=50,
        metadata=option(
            Integer(1, 100_000),
            "Most simultaneous logged-in IMAP and POP3 sessions of one account, from all "
            "addresses together. A login over the limit is refused (IMAP `NO [LIMIT]`, "
            "RFC 5530; POP3 `-ERR [SYS/TEMP]`, RFC 3206) and the connection stays open.",
        ),
    )
    commands_per_second: int = field(
        default=500,
        metadata=option(
            Integer(0, 1_000_000),
            "Commands one IMAP or POP3 connection may send per second once its "
            "`command_burst` is spent. Faster commands are not refused: the server waits "
            "before reading each one (at most 1/rate seconds), so pipelining clients are "
            "slowed, never failed. 0 turns pacing off.",
        ),
    )
    command_burst: int = field(
        default=10_000,
        metadata=option(
            Integer(1, 10_000_000),
            "Commands a new IMAP or POP3 connection may send at full speed before "
            "`commands_per_second` applies; unused rate refills it. Large enough for a "
            "client downloading 10,000 messages one command each.",
        ),
    )
    max_line_length: int = field(
        default=8192,
        metadata=option(
            Integer(1000, 1024 * 1024, reason="RFC 5321 §4.5.3.1.6"),
            "Longest command or text line accepted, in bytes including CRLF. SMTP needs "
            "1000 (RFC 5321 §4.5.3.1.6); IMAP clients may send 8192 (RFC 7162 §4).",
        ),
    )
    command_timeout: float = field(
        default=5 * MINUTE,
        metadata=option(
            Duration(minimum=1.0),
            "How long a client may stay silent while the server waits for its next command "
            "(SMTP, POP3, IMAP before login) before the connection is closed. RFC 5321 "
            "§4.5.3.2.7 asks SMTP servers to wait at least 5 minutes.",
        ),
    )
    idle_timeout: float = field(
        default=30 * MINUTE,
        metadata=option(
            Duration(minimum=30 * MINUTE, reason="RFC 9051 §5.4"),
            "How long an authenticated IMAP session may stay inactive, IDLE included, "
            "before it is logged out. RFC 9051 §5.4 requires at least 30 minutes.",
        ),
    )


@dataclass(frozen=True, kw_only=True)
class MailboxSettings:
    default_quota: int = field(
        default=0,
        metadata=option(
            ByteSize(),
            "Storage quota of a new account; 0 means unlimited. Each account may override it.",
        ),
    )
    trash_retention: float = field(
        default=30 * 86400.0,
        metadata=option(
            Duration(),
            "How long messages stay in Trash before they are deleted for good; 0 keeps them "
            "forever.",
        ),
    )
    junk_retention: float = field(
        default=30 * 86400.0,
        metadata=option(
            Duration(),
            "How long messages stay in Junk before they are deleted for good; 0 keeps them "
            "forever.",
        ),
    )
    hierarchy_separator: HierarchySeparator = field(
        default="/",
        metadata=option(
            Choice.of(HierarchySeparator),
            'Character between levels of IMAP mailbox names, as in "Archive/2024" '
            "(RFC 9051 §5.1.1). Choose it before creating accounts.",
        ),
    )


@dataclass(frozen=True, kw_only=True)
class Pop3Settings:
    mark_seen: bool = field(
        default=False,
        metadata=option(
            Boolean(),
            "Whether a message downloaded whole with RETR is flagged `\\Seen` when the POP3 "
            "session ends with QUIT, as IMAP and webmail then show it. Off by default: "
            "reading mail over POP3 does not mark it `\\Seen`, so a client that leaves "
            "mail on the server does not make it look read elsewhere. TOP never marks it.",
        ),
    )


@dataclass(frozen=True, kw_only=True)
class WebSettings:
    session_idle_timeout: float = field(
        default=2 * 3600.0,
        metadata=option(
            Duration(minimum=5 * MINUTE, maximum=30 * 24 * 3600.0),
            "How long a webmail session may go unused before the user has to log in again.",
        ),
    )
    session_lifetime: float = field(
        default=7 * 24 * 3600.0,
        metadata=option(
            Duration(minimum=5 * MINUTE, maximum=90 * 24 * 3600.0),
            "Longest a webmail session lasts, however often it is used.",
        ),
    )
    page_size: int = field(
        default=50,
        metadata=option(Integer(10, 500), "Messages per page in the webmail message list."),
    )
    # -- HTTP server: access log and slow request bodies (web/server.py, web/access.py) --
    access_log: bool = field(
        default=True,
        metadata=option(
            Boolean(),
            "Whether each HTTP request is logged in one line (logger `courriel.web.access`): "
            "client address, account (`-` when not logged in), method, path without its "
            "query string, status, response bytes, duration.",
        ),
    )
    body_timeout: float = field(
        default=20.0,
        metadata=option(
            Duration(minimum=1.0, maximum=3600.0),
            "How long a request body may take to arrive, plus one second per "
            "`body_min_rate` bytes received. A slower client is answered 408 Request "
            "Timeout (RFC 9110 §15.5.9) and disconnected.",
        ),
    )
    body_min_rate: int = field(
        default=500,
        metadata=option(
            Integer(0, 100 * 1024 * 1024),
            "Bytes per second a request body must keep up beyond `body_timeout` (uploads "
            "of attachments take as long as they need at this rate); 0: the whole body "
            "must arrive within `body_timeout`.",
        ),
    )


@dataclass(frozen=True, kw_only=True)
class AuthSettings:
    min_password_length: int = field(
        default=12,
        metadata=option(
            Integer(8, 128),
            "Shortest password accepted when one is set. Passwords are also refused when they "
            "contain the account name or are among the most common ones.",
        ),
    )
    plaintext_on_loopback: bool = field(
        default=False,
        metadata=option(
            Boolean(),
            "Accept passwords without TLS from 127.0.0.1 and ::1 (local scripts and tests). "
            "Everywhere else, credentials are refused until the connection is encrypted.",
        ),
    )
    max_failures_per_ip: int = field(
        default=10,
        metadata=option(
            Integer(1, 10000),
            "Failed logins from one IP address (one /64 for IPv6) within `failure_window` "
            "before that address is banned.",
        ),
    )
    max_failures_per_account: int = field(
        default=5,
        metadata=option(
            Integer(1, 10000),
            "Failed logins for one account within `failure_window` after which every further "
            "attempt on it is slowed down (accounts are never locked: that would let anyone "
            "lock a user out).",
        ),
    )
    failure_window: float = field(
        default=15 * 60.0,
        metadata=option(Duration(1.0), "Period over which failed logins are counted."),
    )
    failure_delay: float = field(
        default=0.5,
        metadata=option(
            Duration(),
            "Delay before answering a failed login; it doubles with each further failure "
            "from the same address, up to `max_failure_delay`.",
        ),
    )
    max_failure_delay: float = field(
        default=8.0,
        metadata=option(Duration(), "Longest delay before answering a failed login."),
    )
    ban_time: float = field(
        default=3600.0,
        metadata=option(
            Duration(1.0),
            "How long an address is banned the first time; each new ban of the same address "
            "lasts twice as long, up to `max_ban_time`.",
        ),
    )
    max_ban_time: float = field(
        default=7 * 86400.0,
        metadata=option(Duration(1.0), "Longest ban."),
    )
    password_cache_ttl: float = field(
        default=3600.0,
        metadata=option(
            Duration(),
            "How long a password that was just verified is accepted again without the "
            "argon2id work (kept in memory only, as a keyed digest; a wrong password is "
            "always fully checked). Mail apps log in often; 0 turns the cache off.",
        ),
    )
    trusted_networks: tuple[str, ...] = field(
        default=(),
        metadata=option(
            NetworkList(),
            "Networks whose addresses are never delayed or banned (your office, a "
            "monitoring host). Their failures are still logged.",
        ),
    )
    security_log: Path = field(
        default=Path("log/security.log"),
        metadata=option(
            FilePath(),
            "Where logins, failures, bans and changes to 2FA and app passwords are written, "
            "one JSON object per line.",
        ),
    )
    totp_issuer: str = field(
        default="",
        metadata=option(
            Text(),
            "Name authenticator apps show for this server's accounts; empty means the "
            "server's hostname.",
        ),
    )


DnsResolverKind = Literal["system", "static"]
SmarthostTls = Literal["starttls", "implicit", "none"]


@dataclass(frozen=True, kw_only=True)
class DnsSettings:
    resolver: DnsResolverKind = field(
        default="system",
        metadata=option(
            Choice.of(DnsResolverKind),
            '"system": the DNS servers of /etc/resolv.conf. "static": only the records in '
            "`zones` — for tests and the --dev setup, where nothing may reach the internet.",
        ),
    )
    zones: Path = field(
        default=Path("dns-zones.toml"),
        metadata=option(
            FilePath(),
            'With `resolver = "static"`: a TOML file of records, e.g. '
            '`[zones."example.com"]` with `MX = ["10 mx.example.com"]`.',
        ),
    )
    timeout: float = field(
        default=5.0,
        metadata=option(Duration(0.1, 60.0), "Longest wait for one DNS answer."),
    )


DmarcRejectAction = Literal["reject", "quarantine", "none"]
OnUnreachable = Literal["accept", "tempfail"]


@dataclass(frozen=True, kw_only=True)
class MailauthSettings:
    enabled: bool = field(
        default=True,
        metadata=option(
            Boolean(),
            "Check mail that other servers deliver on the `smtp` listener (not mail from your "
            "users): SPF (RFC 7208), DKIM (RFC 6376), DMARC (RFC 7489), ARC (RFC 8617) and "
            "iprev (RFC 8601 §3), recorded in an `Authentication-Results:` field, and apply "
            "the sender domain's DMARC policy. A DNS failure never loses mail: the message "
            "is delivered with `temperror`.",
        ),
    )
    dmarc_reject: DmarcRejectAction = field(
        default="reject",
        metadata=option(
            Choice.of(DmarcRejectAction),
            'What to do with a message that fails DMARC when its domain asks for "p=reject": '
            '"reject" refuses it at the end of DATA (`550 5.7.1`), "quarantine" delivers it '
            'to the Junk mailbox, "none" delivers it normally. "p=quarantine" always means '
            "Junk.",
        ),
    )
    trusted_arc_sealers: tuple[str, ...] = field(
        default=(),
        metadata=option(
            DomainList(),
            "Mailing lists and forwarders whose ARC seal (RFC 8617) you trust, by the `d=` "
            "domain of their ARC-Seal: a message that fails DMARC but reached you through "
            "one of them with a valid ARC chain is delivered normally (RFC 8617 §7.2.1).",
        ),
    )
    timeout: float = field(
        default=15.0,
        metadata=option(
            Duration(1.0, 300.0),
            "Longest time each check (SPF, DKIM, DMARC, ARC, iprev) may take for one "
            "message; a check that takes longer gives `temperror`.",
        ),
    )


@dataclass(frozen=True, kw_only=True)
class SpamSettings:
    enabled: bool = field(
        default=True,
        metadata=option(
            Boolean(),
            "Score mail that other servers deliver on the `smtp` listener: authentication "
            "results, DNS blocklists, header and structure rules, sender reputation and each "
            "recipient's own classifier, allow and block lists. Every message gets "
            "`X-Spam-Score`, `X-Spam-Status` and `X-Spam-Report` fields listing each rule "
            "that fired with its weight.",
        ),
    )
    junk_score: float = field(
        default=5.0,
        metadata=option(
            Number(0.1, 1000.0),
            "Score from which a message is filed into the recipient's Junk mailbox "
            "(`X-Spam-Status: Yes`).",
        ),
    )
    reject_score: float = field(
        default=15.0,
        metadata=option(
            Number(0.0, 1000.0),
            "Score from which a message is refused at the end of DATA (`550 5.7.1`), so the "
            "sender learns it was not delivered; 0 never refuses (such mail goes to Junk).",
        ),
    )
    dnsbl_zones: tuple[tuple[str, float], ...] = field(
        default=(),
        metadata=option(
            WeightedDomainList(),
            "DNS blocklists (RFC 5782) the sending server's address is looked up in, each "
            'with the score a listing adds, e.g. `["zen.spamhaus.org=3.5", '
            '"bl.spamcop.net=2.0"]`. Answers are cached; a list that does not answer in '
            "time counts as not listed. Check each list's terms of use first.",
        ),
    )
    dnsbl_timeout: float = field(
        default=3.0,
        metadata=option(
            Duration(0.1, 30.0), "Longest wait for the DNS blocklists' answers for one message."
        ),
    )
    external: DaemonAddress | None = field(
        default=None,
        metadata=option(
            DaemonAddressKind(protocols=("rspamd", "spamd"), example="rspamd:127.0.0.1:11333"),
            "An external spam scanner consulted for mail from other servers, as one more rule "
            'of this filter: "rspamd:127.0.0.1:11333" (Rspamd\'s normal worker, HTTP), '
            '"spamd:127.0.0.1:783" (SpamAssassin\'s spamd), or either with a unix socket path. '
            "Its score, scaled onto ours (spamd's threshold onto `junk_score`, Rspamd's reject "
            "score onto `reject_score`), is added as the rule `RSPAMD` or `SPAMD`, listed in "
            "`X-Spam-Report` with the scanner's own rules. "
            "Empty: none.",
        ),
    )
    external_timeout: float = field(
        default=15.0,
        metadata=option(Duration(0.5, 300.0), "Longest wait for the external scanner's answer."),
    )
    external_max_size: int = field(
        default=2 * MIB,
        metadata=option(
            ByteSize(minimum=64 * KIB),
            "Larger messages are not sent to the external scanner (noted in `X-Spam-Report`).",
        ),
    )
    external_on_unreachable: OnUnreachable = field(
        default="accept",
        metadata=option(
            Choice.of(OnUnreachable),
            'When the external scanner does not answer: "accept" scores the message without it '
            '(the report says so), "tempfail" answers `451 4.7.0` so the sender retries later.',
        ),
    )


@dataclass(frozen=True, kw_only=True)
class AntivirusSettings:
    clamd: DaemonAddress | None = field(
        default=None,
        metadata=option(
            DaemonAddressKind(example="127.0.0.1:3310"),
            'ClamAV\'s clamd, as "host:port" (its `TCPSocket`) or the path of its `LocalSocket` '
            '("/run/clamav/clamd.ctl" on Debian). Every message, received or sent by your users, '
            "is scanned before it is stored or queued; a virus is refused at the end of DATA "
            "(`554 5.7.0`). Clean mail gets `X-Virus-Scan: clean (clamd)`. Empty: no scanning.",
        ),
    )
    timeout: float = field(
        default=30.0,
        metadata=option(Duration(1.0, 600.0), "Longest wait for clamd's verdict on one message."),
    )
    max_size: int = field(
        default=25 * MIB,
        metadata=option(
            ByteSize(minimum=64 * KIB),
            "Larger messages are delivered unscanned with `X-Virus-Scan: not run (message too "
            "large)`. Keep it at most clamd's `StreamMaxLength` (25 MiB by default).",
        ),
    )
    on_unreachable: OnUnreachable = field(
        default="tempfail",
        metadata=option(
            Choice.of(OnUnreachable),
            'When clamd does not answer or fails: "tempfail" answers `451 4.7.0` so the sender '
            'retries later; "accept" delivers with `X-Virus-Scan: not run (clamd unreachable)`.',
        ),
    )


@dataclass(frozen=True, kw_only=True)
class QueueSettings:
    lifetime: float = field(
        default=5 * 86400.0,
        metadata=option(
            Duration(60.0),
            "How long delivery to another server is retried before the message bounces "
            "(RFC 5321 §4.5.4.1: 4-5 days).",
        ),
    )
    delay_notice: float = field(
        default=4 * 3600.0,
        metadata=option(
            Duration(),
            "When the sender is told that a message is delayed (once); 0 never tells.",
        ),
    )
    remote_port: int = field(
        default=25,
        metadata=option(
            Integer(1, 65535),
            "Port of the other servers' MX hosts (25; tests and the --dev setup use 2525).",
        ),
    )
    concurrency: int = field(
        default=8,
        metadata=option(Integer(1, 256), "Deliveries to other servers in parallel."),
    )
    smarthost: str = field(
        default="",
        metadata=option(
            Text(),
            'Send everything through this relay instead of the recipients\' MX, as "host:port" '
            "(residential connections often cannot use port 25). Empty: direct delivery.",
        ),
    )
    smarthost_tls: SmarthostTls = field(
        default="starttls",
        metadata=option(
            Choice.of(SmarthostTls),
            "How to encrypt the connection to the smarthost; its certificate is verified.",
        ),
    )
    smarthost_username: str = field(
        default="",
        metadata=option(Text(), "Login at the smarthost (empty: no AUTH)."),
    )
    smarthost_password_file: Path = field(
        default=Path("smarthost-password"),
        metadata=option(
            FilePath(),
            "File holding the smarthost password (kept out of this file), read at start.",
        ),
    )


@dataclass(frozen=True, kw_only=True)
class LogSettings:
    level: LogLevel = field(
        default="info",
        metadata=option(Choice.of(LogLevel), "Least severe events that are logged."),
    )
    format: LogFormat = field(
        default="text",
        metadata=option(
            Choice.of(LogFormat),
            '"text": one readable line per event; "json": one JSON object per line, for log '
            "collectors.",
        ),
    )


@dataclass(frozen=True)
class Origin:
    """Where a resolved value came from: the file, an environment variable, or the default."""

    kind: Literal["default", "file", "environment"]
    name: str = ""

    def __str__(self) -> str:
        if self.kind == "environment":
            return f"environment variable {self.name}"
        if self.kind == "file":
            return self.name
        return "default"


@dataclass(frozen=True)
class EnabledListener:
    """A listener to open, with what its name implies."""

    name: str
    protocol: ListenerProtocol
    tls: TlsMode
    addresses: tuple[str, ...]
    port: int


@dataclass(frozen=True, kw_only=True)
class Config:
    """The resolved configuration of one courriel instance.

    Relative paths are already resolved against ``data_dir`` (the directory holding
    ``source``); sizes are ``int`` bytes and durations ``float`` seconds.
    """

    data_dir: Path
    source: Path
    server: ServerSettings = field(
        default_factory=ServerSettings, metadata=section("Identity and mode of this server.")
    )
    storage: StorageSettings = field(
        default_factory=StorageSettings,
        metadata=section("Where mail and accounts are stored, relative to the data directory."),
    )
    tls: TlsSettings = field(
        default_factory=TlsSettings,
        metadata=section("Certificate and protocol versions shared by every TLS listener."),
    )
    acme: AcmeSettings = field(
        default_factory=AcmeSettings,
        metadata=section(
            "Automatic TLS certificates from an ACME certificate authority (RFC 8555), "
            "renewed before they expire (off by default)."
        ),
    )
    listeners: ListenersSettings = field(
        default_factory=ListenersSettings,
        metadata=section(
            "Network listeners. The name of each table fixes its protocol and TLS mode: "
            '"starttls" listeners start in plaintext and upgrade, "implicit" ones speak TLS '
            'from the first byte, "none" never uses TLS.'
        ),
    )
    limits: LimitsSettings = field(
        default_factory=LimitsSettings,
        metadata=section("Limits on what clients may send or hold, for every protocol."),
    )
    mailbox: MailboxSettings = field(
        default_factory=MailboxSettings,
        metadata=section("Defaults and housekeeping for users' mailboxes."),
    )
    pop3: Pop3Settings = field(
        default_factory=Pop3Settings,
        metadata=section("How POP3 sessions treat the mail they serve (RFC 1939)."),
    )
    web: WebSettings = field(
        default_factory=WebSettings,
        metadata=section(
            "The webmail, served on the `https` listener (the `http` listener redirects to it)."
        ),
    )
    dns: DnsSettings = field(
        default_factory=DnsSettings,
        metadata=section("How names are looked up (MX, SPF, DKIM...)."),
    )
    mailauth: MailauthSettings = field(
        default_factory=MailauthSettings,
        metadata=section(
            "Authentication of incoming mail: SPF, DKIM, DMARC, ARC, iprev (RFC 8601)."
        ),
    )
    spam: SpamSettings = field(
        default_factory=SpamSettings,
        metadata=section(
            "The spam filter for incoming mail: thresholds and DNS blocklists. Allow "
            "and block lists are per account: `courriel spam allow|block ACCOUNT ENTRY`."
        ),
    )
    antivirus: AntivirusSettings = field(
        default_factory=AntivirusSettings,
        metadata=section("Virus scanning of every message with ClamAV's clamd (off by default)."),
    )
    queue: QueueSettings = field(
        default_factory=QueueSettings,
        metadata=section("Delivery to other servers: retries, bounces, smarthost."),
    )
    auth: AuthSettings = field(
        default_factory=AuthSettings,
        metadata=section("Passwords, brute-force protection and the security log."),
    )
    log: LogSettings = field(
        default_factory=LogSettings, metadata=section("What is logged and how.")
    )
    origins: Mapping[str, Origin] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )

    def origin(self, key: str) -> Origin:
        """Where the value of the dotted ``key`` came from."""
        if key not in OPTIONS:
            raise KeyError(key)
        return self.origins.get(key, Origin("default"))

    def value(self, key: str) -> Any:
        """The typed value of the dotted ``key`` (``"listeners.imap.port"``)."""
        spec = OPTIONS[key]
        settings: Any = self
        for part in spec.section.split("."):
            settings = getattr(settings, part)
        return getattr(settings, spec.name)

    def to_flat_dict(self) -> dict[str, Any]:
        """Every setting by dotted key, typed as on this object."""
        return {key: self.value(key) for key in OPTIONS}

    def enabled_listeners(self) -> tuple[EnabledListener, ...]:
        """The listeners to open, in schema order, with their protocol and TLS mode."""
        enabled = []
        for spec in LISTENERS:
            role = spec.info.listener
            assert role is not None
            settings: ListenerSettings = getattr(self.listeners, spec.name)
            if settings.enabled:
                enabled.append(
                    EnabledListener(
                        spec.name, role.protocol, role.tls, settings.addresses, settings.port
                    )
                )
        return tuple(enabled)


SECTIONS: tuple[SectionSpec, ...] = describe_sections(Config)
OPTIONS: Mapping[str, OptionSpec] = MappingProxyType(dict(index_options(SECTIONS)))
LISTENERS: tuple[SectionSpec, ...] = tuple(
    spec for top in SECTIONS for spec in top.walk() if spec.info.listener is not None
)
