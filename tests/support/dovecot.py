"""A private Dovecot IMAP server on loopback, for differential tests against courriel.

``running_dovecot()`` writes a minimal configuration of its own in a fresh directory
(plain-text passwd-file, Maildir store, one IMAP listener on a free 127.0.0.1 port, no TLS,
no POP3, no LMTP), runs the ``dovecot`` master in the foreground as a child process, and
stops it on exit, even when the test fails. Nothing under ``/etc`` is read or written and
no system port is bound.

Users: Dovecot refuses to run its login processes or mail access as root. Started as root
(CI, the developer machines), the master stays root, login processes run as the packaged
``dovenull`` user and mail is accessed as ``nobody``, so the directory lives under the
system temporary directory with mode 0755 (pytest's ``tmp_path`` is 0700). Started as
another user, Dovecot runs "rootless": every process under that user, no chroot.

Tests call :func:`require_dovecot` (through ``running_dovecot``), which skips with the
package to install when the binary is missing (Debian ``dovecot-imapd``, listed in
``scripts/debian-packages.txt``).
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from support.daemon_process import stop
from support.server_process import free_port

HOST = "127.0.0.1"
USER = "alice"
PASSWORD = "dovecot secret"
#: Where Debian installs the master; /usr/sbin is not on every user's PATH.
_CANDIDATES = ("dovecot", "/usr/sbin/dovecot")
_START_TIMEOUT = 20.0


@dataclass(frozen=True)
class DovecotServer:
    """A running private Dovecot: where to connect and how to log in."""

    host: str
    port: int
    user: str
    password: str
    directory: Path
    version: str

    @property
    def log(self) -> Path:
        return self.directory / "dovecot.log"

    def log_text(self) -> str:
        return _log_text(self.directory)


def _log_text(directory: Path) -> str:
    log = directory / "dovecot.log"
    return log.read_text(errors="replace") if log.exists() else ""


def dovecot_binary() -> str | None:
    """The path of the ``dovecot`` master binary, or None when it is not installed."""
    for candidate in _CANDIDATES:
        found = shutil.which(candidate)
        if found is not None:
            return found
    return None


def require_dovecot() -> str:
    """The ``dovecot`` binary; skips the calling test, saying what to install, without it."""
    binary = dovecot_binary()
    if binary is None:
        import pytest  # noqa: PLC0415 - only tests call this

        pytest.skip(
            "dovecot is not installed (Debian package dovecot-imapd; "
            "scripts/install-debian-packages scripts/debian-packages.txt)"
        )
    return binary


def identity() -> tuple[str, str, str, int]:
    """(settings for the process users, mail user, mail group, mail uid) for this process."""
    if os.geteuid() == 0:
        # Login processes run as the packaged dovenull user (Dovecot's default); mail
        # access as nobody, since Dovecot refuses uid 0 for mail processes.
        mail_user = pwd.getpwnam("nobody")
        group = grp.getgrgid(mail_user.pw_gid).gr_name
        return "", mail_user.pw_name, group, mail_user.pw_uid
    me = pwd.getpwuid(os.geteuid())
    group = grp.getgrgid(me.pw_gid).gr_name
    rootless = (
        f"default_internal_user = {me.pw_name}\n"
        f"default_internal_group = {group}\n"
        f"default_login_user = {me.pw_name}\n"
    )
    return rootless, me.pw_name, group, me.pw_uid


def dovecot_config(
    directory: Path,
    port: int,
    *,
    protocol: str = "imap",
    instance: str = "courriel-differential",
    fsync: bool = False,
) -> str:
    """A Dovecot configuration living in ``directory``: one ``protocol`` ("imap" or
    "pop3") listener on loopback ``port`` without TLS, users in ``<directory>/users``,
    Maildirs in ``<directory>/mail``; ``fsync`` False skips Dovecot's fsyncs (tests)."""
    process_users, mail_user, mail_group, mail_uid = identity()
    durability = "" if fsync else "mail_fsync = never\n"
    return f"""# written by courriel's tests/support/dovecot.py
instance_name = {instance}-{port}
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
protocols = {protocol}
listen = {HOST}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{directory}/mail/%u
{durability}first_valid_uid = {mail_uid}
last_valid_uid = {mail_uid}
mail_uid = {mail_user}
mail_gid = {mail_group}
{process_users}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={directory}/mail/%u
}}
service {protocol}-login {{
  chroot =
  inet_listener {protocol} {{
    address = {HOST}
    port = {port}
  }}
  inet_listener {protocol}s {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def _greets(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=2) as connection:
            return connection.recv(100).startswith(b"* OK")
    except OSError:
        return False


@contextmanager
def running_dovecot(user: str = USER, password: str = PASSWORD) -> Iterator[DovecotServer]:
    """A private Dovecot with one user whose INBOX is empty; stopped and removed on exit."""
    binary = require_dovecot()
    directory = Path(tempfile.mkdtemp(prefix="courriel-dovecot-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        directory.chmod(0o755)  # the mail user must reach mail/
        for name in ("run", "state", "mail"):
            (directory / name).mkdir()
        _, mail_user, mail_group, _ = identity()
        shutil.chown(directory / "mail", mail_user, mail_group)
        (directory / "users").write_text(f"{user}:{{PLAIN}}{password}\n")
        port = free_port()
        config = directory / "dovecot.conf"
        config.write_text(dovecot_config(directory, port))
        version = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()
        with (directory / "master.out").open("wb") as master_output:
            # -F: stay in the foreground, so this Popen is the master and can be stopped.
            process = subprocess.Popen(
                [binary, "-F", "-c", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=master_output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + _START_TIMEOUT
        while not _greets(port):
            if process.poll() is not None or time.monotonic() > deadline:
                output = (directory / "master.out").read_text(errors="replace")
                raise AssertionError(
                    f"dovecot did not start on port {port}:\n{output}{_log_text(directory)}"
                )
            time.sleep(0.05)
        yield DovecotServer(HOST, port, user, password, directory, version)
    finally:
        if process is not None:
            stop(process)
        with suppress(OSError):
            shutil.rmtree(directory)
