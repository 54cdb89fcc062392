"""``courriel cert show|renew``: the TLS certificate and its ACME renewal (RFC 8555).

``renew`` runs one renewal as the server's housekeeping task would, when it is due (or with
``--force``). The http-01 challenge is answered on the ``http`` listener's port: by a
listener this command opens for the occasion, or, when that port is taken because
``courriel serve`` is running, by the server's own listener, which serves the same challenge
directory. A running server picks the new certificate up on SIGHUP or at its next check.
"""

from __future__ import annotations

import argparse
import asyncio

from courriel.acme import CertificateRenewal, ChallengeDirectory, RenewalSettings
from courriel.cli.common import add_data_option, load
from courriel.config import Config
from courriel.net import BindError, Listener, certificate_info
from courriel.net.tls import CertificateInfo


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subcommands.add_parser("cert", help="show or renew the TLS certificate (ACME)")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    show = actions.add_parser("show", help="print the certificate's names, issuer and validity")
    add_data_option(show)
    show.set_defaults(handler=show_certificate)

    renew = actions.add_parser(
        "renew", help="obtain a new certificate from the [acme] CA if the current one is due"
    )
    renew.add_argument(
        "--force", action="store_true", help="renew even when the certificate is not due"
    )
    add_data_option(renew)
    renew.set_defaults(handler=renew_certificate)


def show_certificate(args: argparse.Namespace) -> int:
    config = load(args)
    _print_certificate(certificate_info(config.tls.certificate))
    renewal = CertificateRenewal(RenewalSettings.from_config(config))
    reason = renewal.due()
    if not config.acme.enabled:
        print("automatic renewal: off ([acme] enabled = false)")
    else:
        print(f"automatic renewal: {reason or 'not due'}")
    return 0


def renew_certificate(args: argparse.Namespace) -> int:
    config = load(args)
    renewal = CertificateRenewal(RenewalSettings.from_config(config))
    reason = renewal.due()
    if reason is None and not args.force:
        info = certificate_info(config.tls.certificate)
        print(
            f"the certificate is valid until {info.not_after:%Y-%m-%d}: nothing to do "
            "(--force renews anyway)"
        )
        return 0
    print(f"renewing: {reason or 'forced'}")
    installed = asyncio.run(_renew_answering_challenges(config, renewal))
    _print_certificate(installed)
    print("a running `courriel serve` uses it after SIGHUP, or by itself within 12 hours")
    if not config.acme.enabled:
        print("note: automatic renewal is off ([acme] enabled = false)")
    return 0


async def _renew_answering_challenges(
    config: Config, renewal: CertificateRenewal
) -> CertificateInfo:
    """Renew with an ``http`` listener of our own when its port is free."""
    # Imported here: the web stack (uvicorn, starlette) is only needed by this command.
    from courriel.web.app import redirect_app  # noqa: PLC0415
    from courriel.web.server import HttpOnConnection  # noqa: PLC0415

    http = config.listeners.http
    listener: Listener | None = None
    if http.enabled:
        assert isinstance(renewal.challenges, ChallengeDirectory)
        app = redirect_app(config.listeners.https.port, renewal.challenges)
        served = HttpOnConnection(app)
        listener = Listener("http", http.addresses, http.port, served.serve)
        try:
            await listener.start()
        except BindError:
            listener = None
            print(f"port {http.port} is in use: the running server answers the challenge")
    try:
        return await renewal.renew()
    finally:
        if listener is not None:
            await listener.stop(1.0)


def _print_certificate(info: CertificateInfo) -> None:
    print(f"names:       {', '.join(info.names)}")
    print(f"issuer:      {info.issuer}")
    print(f"valid until: {info.not_after:%Y-%m-%d %H:%M} UTC")
    print(f"sha-256:     {info.fingerprint_sha256}")
