"""Keeping the TLS certificate issued and fresh: when to renew, the renewal, the background task.

``CertificateRenewal.due()`` says why the certificate on disk must be replaced (missing,
self-signed, lacking a configured name, or within ``renew_before`` of its end);
``renew()`` obtains a new one with ``AcmeClient``, installs the pair atomically
(``net.tls.install_certificate``) and reloads the listeners' ``TlsContextProvider``, so new
connections get it without a restart. ``run()`` is the housekeeping task of ``courriel serve``:
a check every ``CHECK_INTERVAL``, and after a failure (logged, the current certificate kept)
a retry after ``retry_delay``, doubled after each failure in a row up to ``MAX_RETRY_DELAY``.

Must not: answer challenges itself (the ``http`` listener serves ``ChallengeDirectory``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from courriel.acme.account import account_key_path, load_or_create_account_key
from courriel.acme.challenges import ChallengeDirectory, challenge_directory
from courriel.acme.client import AcmeClient, ChallengeResponder
from courriel.acme.errors import AcmeError
from courriel.acme.transport import UrllibTransport
from courriel.config import Config
from courriel.config.types import format_duration
from courriel.net.errors import TlsConfigError
from courriel.net.tls import (
    CertificateInfo,
    TlsContextProvider,
    certificate_info,
    install_certificate,
)

log = logging.getLogger("courriel.acme")

CHECK_INTERVAL = 12 * 3600.0
"""How often the running server looks at the certificate's remaining validity."""
MAX_RETRY_DELAY = 86400.0
"""The longest wait between two failed attempts."""


@dataclass(frozen=True, slots=True)
class RenewalSettings:
    """What to obtain, from where, and when (``from_config`` reads ``[acme]`` and ``[tls]``)."""

    names: tuple[str, ...]
    cert_path: Path
    key_path: Path
    data_dir: Path
    directory_url: str
    contact_email: str = ""
    ca_bundle: Path | None = None
    renew_before: float = 30 * 86400.0
    retry_delay: float = 600.0
    http_listener: bool = True
    """Whether our ``http`` listener is enabled to answer the CA's http-01 requests."""

    @classmethod
    def from_config(cls, config: Config) -> RenewalSettings:
        acme = config.acme
        ca_bundle = config.data_dir / acme.ca_bundle if acme.ca_bundle else None
        return cls(
            names=acme.names or (config.server.hostname.lower().rstrip("."),),
            cert_path=config.tls.certificate,
            key_path=config.tls.key,
            data_dir=config.data_dir,
            directory_url=acme.directory,
            contact_email=acme.contact,
            ca_bundle=ca_bundle,
            renew_before=acme.renew_before,
            retry_delay=acme.retry_delay,
            http_listener=config.listeners.http.enabled,
        )


class CertificateRenewal:
    """Renews one certificate; ``tls`` (the listeners' provider) is reloaded after each."""

    def __init__(
        self,
        settings: RenewalSettings,
        *,
        tls: TlsContextProvider | None = None,
        challenges: ChallengeResponder | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        poll_interval: float = 1.0,
    ) -> None:
        self.settings = settings
        self.tls = tls
        self.challenges = challenges or ChallengeDirectory(challenge_directory(settings.data_dir))
        self.now = now
        self.poll_interval = poll_interval

    def due(self) -> str | None:
        """Why the certificate on disk must be replaced now, or None while it is fine."""
        try:
            current = certificate_info(self.settings.cert_path)
        except TlsConfigError:
            return "there is no readable certificate"
        if current.self_signed:
            return "the certificate is self-signed"
        missing = [name for name in self.settings.names if name not in current.names]
        if missing:
            return f"the certificate lacks {', '.join(missing)}"
        left = current.not_after - self.now()
        if left.total_seconds() < self.settings.renew_before:
            return f"the certificate expires on {current.not_after:%Y-%m-%d %H:%M} UTC"
        return None

    async def renew_if_due(self) -> CertificateInfo | None:
        """Renew when ``due()`` says so; the new certificate, or None when none was needed."""
        self._adopt_newer_file()
        reason = self.due()
        if reason is None:
            return None
        log.info("certificate renewal for %s: %s", ", ".join(self.settings.names), reason)
        return await self.renew()

    async def renew(self) -> CertificateInfo:
        """Obtain a certificate for the names now, install it and reload TLS."""
        settings = self.settings
        if settings.contact_email and "@" not in settings.contact_email:
            raise AcmeError(f"the ACME contact {settings.contact_email!r} is not an email address")
        client = AcmeClient(
            UrllibTransport(ca_bundle=settings.ca_bundle),
            settings.directory_url,
            load_or_create_account_key(account_key_path(settings.data_dir)),
            contact_email=settings.contact_email,
            poll_interval=self.poll_interval,
        )
        issued = await client.obtain_certificate(settings.names, self.challenges)
        await asyncio.to_thread(
            install_certificate,
            settings.cert_path,
            settings.key_path,
            issued.chain_pem,
            issued.key_pem,
        )
        installed = certificate_info(settings.cert_path)
        log.info(
            "certificate installed: %s, issued by %s, valid until %s",
            ", ".join(installed.names),
            installed.issuer,
            installed.not_after.isoformat(),
        )
        if self.tls is not None:
            self.tls.reload()
        return installed

    def _adopt_newer_file(self) -> None:
        """Reload TLS when the file on disk is not the certificate in service (a
        ``courriel cert renew`` beside the running server wrote it)."""
        if self.tls is None:
            return
        try:
            on_disk = certificate_info(self.settings.cert_path)
        except TlsConfigError:
            return
        if on_disk.fingerprint_sha256 != self.tls.certificate.fingerprint_sha256:
            self.tls.reload()

    def retry_delay(self, failures: int) -> float:
        """The wait after ``failures`` failed attempts in a row."""
        doubled = self.settings.retry_delay * float(2 ** min(failures - 1, 32))
        return min(doubled, MAX_RETRY_DELAY)

    async def run(self) -> None:
        """The housekeeping task: check now, then every ``CHECK_INTERVAL``; retry failures
        with backoff. Runs until cancelled."""
        if not self.settings.http_listener:
            log.warning(
                "[listeners.http] is disabled: ACME http-01 validation needs port 80 to reach "
                "this server's acme/http-01 directory some other way"
            )
        failures = 0
        while True:
            try:
                await self.renew_if_due()
            except Exception as error:
                # Whatever failed, the certificate in service stays; only the log changes.
                failures += 1
                delay = self.retry_delay(failures)
                log.error(
                    "certificate renewal failed (%d in a row), keeping the current "
                    "certificate; next attempt in %s: %s",
                    failures,
                    format_duration(delay),
                    error,
                    exc_info=not isinstance(error, AcmeError | OSError),
                )
            else:
                failures, delay = 0, CHECK_INTERVAL
            await asyncio.sleep(delay)
