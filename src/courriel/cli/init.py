"""``courriel init DOMAIN``: a new data directory with its config, store, domain, TLS
certificate and DKIM keys. Refuses to touch an existing setup; on failure removes what it
made."""

from __future__ import annotations

import argparse
import asyncio
import shutil
from pathlib import Path

from courriel.cli.common import CONFIG_NAME, CommandError, add_data_option, data_dir
from courriel.config import dev_overrides, load_config, render_sample
from courriel.directory.addresses import normalize_domain
from courriel.directory.errors import InvalidAddress
from courriel.net.tls import make_self_signed
from courriel.runtime.services import open_services

DEV_CERTIFICATE_NAMES = ("localhost", "127.0.0.1", "::1")


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subcommands.add_parser(
        "init",
        help="set up a new mail server for DOMAIN",
        description=(
            "Write DIR/courriel.toml (every option, commented), create the store and the "
            "domain, a self-signed TLS certificate for HOST and the domain's DKIM keys."
        ),
    )
    parser.add_argument("domain", help="the mail domain, e.g. example.com")
    parser.add_argument(
        "--hostname",
        default=None,
        help="the server's name (default: mail.DOMAIN, or localhost with --dev)",
    )
    parser.add_argument(
        "--dev",
        action="store_true",
        help="development setup: every listener on 127.0.0.1 with the dev ports (2525, 2143, ...)",
    )
    add_data_option(parser)
    parser.set_defaults(handler=run_init)


def run_init(args: argparse.Namespace) -> int:
    directory = data_dir(args)
    try:
        domain = normalize_domain(args.domain)
    except InvalidAddress as error:
        raise CommandError(str(error), status=2) from None
    hostname = args.hostname or ("localhost" if args.dev else f"mail.{domain}")
    config_path = directory / CONFIG_NAME
    if config_path.exists() or (directory / "store").exists():
        raise CommandError(
            f"{directory} already holds a courriel setup; refusing to overwrite it", status=1
        )
    created: list[Path] = []
    try:
        _initialise(directory, config_path, domain, hostname, args.dev, created)
    except BaseException:
        for path in reversed(created):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        raise
    return 0


def _initialise(
    directory: Path, config_path: Path, domain: str, hostname: str, dev: bool, created: list[Path]
) -> None:
    if not directory.exists():
        directory.mkdir(parents=True, mode=0o700)
        created.append(directory)
    values: dict[str, object] = {"server.hostname": hostname}
    if dev:
        values.update(dev_overrides())
    config_path.write_text(render_sample(values), encoding="utf-8")
    created.append(config_path)
    # The certificate comes before loading the config: loading checks that it exists.
    tls_directory = directory / "tls"
    if not tls_directory.exists():
        tls_directory.mkdir(mode=0o700)
        created.append(tls_directory)
    certificate, key = tls_directory / "cert.pem", tls_directory / "key.pem"
    make_self_signed(hostname, certificate, key, extra_names=DEV_CERTIFICATE_NAMES if dev else ())
    created.extend((certificate, key))
    config = load_config(config_path)
    created.append(config.storage.path)

    async def create_domain() -> list[str]:
        services = open_services(config, parse_workers=0)
        try:
            await services.directory.add_domain(domain)
            return [
                f'  {key.selector}._domainkey.{domain}. TXT "{key.dns_record}"'
                for key in await services.directory.dkim_keys(domain)
            ]
        finally:
            await services.aclose()

    dkim_lines = asyncio.run(create_domain())
    print(f"Initialised {directory} for {domain} (host {hostname}{', dev ports' if dev else ''}).")
    print(f"  config:      {config_path}")
    print(f"  certificate: {certificate} (self-signed)")
    print(f"  store:       {config.storage.path}")
    print("DKIM records to publish in DNS:")
    print("\n".join(dkim_lines))
    print(
        f"Next: courriel account add USER@{domain} --data {directory}; "
        f"then courriel serve --data {directory}"
    )
