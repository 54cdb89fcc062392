"""load_config: defaults, every kind of problem (all at once), environment overrides."""

from __future__ import annotations

import json
import os
import pickle
import socket
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courriel.config import (
    Config,
    ConfigError,
    EnabledListener,
    Origin,
    Problem,
    default_config,
    load_config,
)
from courriel.config.schema import OPTIONS
from courriel.core.errors import CourrielError

MIB = 1024**2
NO_ENVIRONMENT: dict[str, str] = {}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory holding the default TLS certificate and key files."""
    (tmp_path / "tls").mkdir()
    (tmp_path / "tls" / "cert.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    (tmp_path / "tls" / "key.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    return tmp_path


def write_config(data_dir: Path, text: str) -> Path:
    path = data_dir / "courriel.toml"
    path.write_text(textwrap.dedent(text))
    return path


def load(path: Path, environ: dict[str, str] | None = None) -> Config:
    return load_config(path, environ=NO_ENVIRONMENT if environ is None else environ)


def problems(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(path, environ)
    return [str(problem) for problem in caught.value.problems]


# --- defaults and values ----------------------------------------------------------------


def test_an_empty_file_gives_every_default(data_dir: Path) -> None:
    path = write_config(data_dir, "")

    config = load(path)

    assert config.source == path
    assert config.data_dir == data_dir
    assert config.server.hostname == socket.getfqdn()
    assert config.server.dev is False
    assert config.storage.backend == "sqlite"
    assert config.storage.path == data_dir / "store"
    assert (config.storage.readers, config.storage.batch_limit) == (4, 256)
    assert config.tls.certificate == data_dir / "tls" / "cert.pem"
    assert config.tls.key == data_dir / "tls" / "key.pem"
    assert config.tls.min_version == "TLSv1.2"
    assert config.listeners.smtp.addresses == ("0.0.0.0", "::")
    assert config.limits.max_message_size == 50 * MIB
    assert config.limits.command_timeout == 300.0
    assert config.limits.idle_timeout == 1800.0
    assert config.mailbox.default_quota == 0
    assert config.mailbox.trash_retention == 30 * 86400.0
    assert config.mailbox.hierarchy_separator == "/"
    assert (config.log.level, config.log.format) == ("info", "text")
    assert {config.origin(key) for key in OPTIONS} == {Origin("default")}


def test_enabled_listeners_carry_protocol_tls_mode_and_standard_port(data_dir: Path) -> None:
    config = load(write_config(data_dir, ""))

    table = {(each.name, each.protocol, each.tls, each.port) for each in config.enabled_listeners()}

    assert table == {
        ("smtp", "smtp", "starttls", 25),
        ("submission", "submission", "starttls", 587),
        ("submissions", "submission", "implicit", 465),
        ("imap", "imap", "starttls", 143),
        ("imaps", "imap", "implicit", 993),
        ("pop3", "pop3", "starttls", 110),
        ("pop3s", "pop3", "implicit", 995),
        ("https", "http", "implicit", 443),
        ("http", "http", "none", 80),
    }


def test_values_from_the_file_are_typed_and_paths_resolved(data_dir: Path) -> None:
    path = write_config(
        data_dir,
        """
        [server]
        hostname = "mail.example.test"

        [storage]
        path = "/srv/courriel/store"

        [tls]
        certificate = "tls/cert.pem"
        min_version = "TLSv1.3"

        [listeners.pop3]
        enabled = false

        [listeners.imap]
        addresses = ["127.0.0.1", "::0"]
        port = 1143

        [limits]
        max_message_size = "10M"
        command_timeout = "90s"
        idle_timeout = 3600

        [mailbox]
        default_quota = "1.5 GB"
        junk_retention = "1w"

        [log]
        level = "debug"
        format = "json"
        """,
    )

    config = load(path)

    assert config.server.hostname == "mail.example.test"
    assert config.storage.path == Path("/srv/courriel/store")
    assert config.tls.min_version == "TLSv1.3"
    assert config.listeners.imap.addresses == ("127.0.0.1", "::")
    assert config.listeners.imap.port == 1143
    assert "pop3" not in [listener.name for listener in config.enabled_listeners()]
    assert EnabledListener("imap", "imap", "starttls", ("127.0.0.1", "::"), 1143) in (
        config.enabled_listeners()
    )
    assert config.limits.max_message_size == 10 * MIB
    assert config.limits.command_timeout == 90.0
    assert config.limits.idle_timeout == 3600.0
    assert config.mailbox.default_quota == 1_500_000_000
    assert config.mailbox.junk_retention == 7 * 86400.0
    assert (config.log.level, config.log.format) == ("debug", "json")
    assert config.origin("log.level") == Origin("file", str(path))
    assert config.origin("log.format").kind == "file"
    assert config.origin("limits.max_recipients") == Origin("default")
    assert config.value("listeners.imap.port") == 1143
    assert config.to_flat_dict()["limits.max_message_size"] == 10 * MIB


def test_default_config_resolves_paths_without_reading_anything(tmp_path: Path) -> None:
    config = default_config(tmp_path)

    assert config.source == tmp_path / "courriel.toml"
    assert config.storage.path == tmp_path / "store"
    assert config.tls.key == tmp_path / "tls" / "key.pem"
    assert len(config.enabled_listeners()) == 9


def test_tls_files_are_not_needed_when_no_tls_listener_is_enabled(tmp_path: Path) -> None:
    tls_listeners = ["smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s", "https"]
    disabled = "".join(f"[listeners.{name}]\nenabled = false\n" for name in tls_listeners)
    path = write_config(tmp_path, disabled)  # tmp_path holds no tls/ directory

    config = load(path)

    assert [listener.name for listener in config.enabled_listeners()] == ["http"]


# --- problems, one kind at a time -------------------------------------------------------


def test_out_of_range_port_reads_as_documented(data_dir: Path) -> None:
    path = write_config(data_dir, "[listeners.imap]\nport = 70000\n")

    assert problems(path) == [
        f"{path}: listeners.imap.port: must be between 1 and 65535, got 70000"
    ]


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[listener.imap]\nport = 1\n", "listener: unknown section; did you mean [listeners]?"),
        ("[logs]\nlevel = 'info'\n", "logs: unknown section; did you mean [log]?"),
        ("[zzz]\n", "zzz: unknown section"),
        (
            "hostname = 'a.test'\n[log]\n",
            "hostname: unknown setting; did you mean to put it under [server]?",
        ),
        ("colour = 'blue'\n", "colour: unknown setting"),
        (
            "[listeners.imap]\nprot = 143\n",
            'listeners.imap.prot: unknown setting; did you mean "port"?',
        ),
        (
            "[listeners.imap4]\nport = 143\n",
            "listeners.imap4: unknown section; did you mean [listeners.imap]?",
        ),
        (
            "[limits]\nmax_msg_size = 1\n",
            'limits.max_msg_size: unknown setting; did you mean "max_message_size"?',
        ),
    ],
)
def test_unknown_names_are_reported_with_the_closest_known_one(
    data_dir: Path, toml: str, expected: str
) -> None:
    path = write_config(data_dir, toml)

    assert problems(path) == [f"{path}: {expected}"]


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            "[listeners.imap]\nport = '143'\n",
            'listeners.imap.port: must be an integer, got a string ("143")',
        ),
        (
            "[listeners.imap]\nport = 143.0\n",
            "listeners.imap.port: must be an integer, got a float",
        ),
        ("[server]\ndev = 'yes'\n", 'server.dev: must be true or false, got a string ("yes")'),
        ("[storage]\nreaders = true\n", "storage.readers: must be an integer, got a boolean"),
        ("log = 'debug'\n", 'log: must be a table [log], got a string ("debug")'),
        (
            "[listeners]\nimap = 143\n",
            "listeners.imap: must be a table [listeners.imap], got an integer (143)",
        ),
        (
            "[listeners.smtp]\naddresses = '0.0.0.0'\n",
            "listeners.smtp.addresses: must be an array of IP addresses",
        ),
        ("[limits]\nmax_message_size = 1.5\n", "limits.max_message_size: must be a size like"),
        ("[limits]\ncommand_timeout = true\n", "limits.command_timeout: must be a duration like"),
        ("[log]\nlevel = 1979-05-27\n", "log.level: must be one of"),
        ("[storage]\npath = 42\n", "storage.path: must be a string holding a path"),
        ("[server]\nhostname = 'mail_server!'\n", "server.hostname: must be a domain name"),
    ],
)
def test_wrong_types_are_reported(data_dir: Path, toml: str, expected: str) -> None:
    path = write_config(data_dir, toml)

    [problem] = problems(path)
    assert problem.startswith(f"{path}: {expected}")


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[storage]\nreaders = 0\n", "storage.readers: must be between 1 and 64, got 0"),
        (
            "[storage]\nbatch_limit = 10001\n",
            "storage.batch_limit: must be between 1 and 10000, got 10001",
        ),
        ("[listeners.smtp]\nport = 0\n", "listeners.smtp.port: must be between 1 and 65535, got 0"),
        (
            "[limits]\nidle_timeout = '10m'\n",
            "limits.idle_timeout: must be at least 30m (RFC 9051 §5.4), got 10m",
        ),
        (
            "[limits]\nmax_message_size = '1 KiB'\n",
            "limits.max_message_size: must be at least 64 KiB (RFC 5321 §4.5.3.1.10), got 1 KiB",
        ),
        (
            "[limits]\nmax_recipients = 10\n",
            "limits.max_recipients: must be between 100 and 100000 (RFC 5321 §4.5.3.1.8), got 10",
        ),
        ("[mailbox]\ndefault_quota = -1\n", "mailbox.default_quota: must be at least 0 B, got -1"),
        ("[limits]\ncommand_timeout = 0\n", "limits.command_timeout: must be at least 1s, got 0s"),
    ],
)
def test_out_of_range_numbers_are_reported(data_dir: Path, toml: str, expected: str) -> None:
    path = write_config(data_dir, toml)

    assert problems(path) == [f"{path}: {expected}"]


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            "[log]\nlevel = 'verbose'\n",
            'log.level: must be one of "debug", "info", "warning", "error", '
            'got a string ("verbose")',
        ),
        (
            "[log]\nlevel = 'DEBUG'\n",
            'log.level: must be one of "debug", "info", "warning", "error", '
            'got a string ("DEBUG"); did you mean "debug"?',
        ),
        (
            "[tls]\nmin_version = 'TLSv1.1'\n",
            'tls.min_version: TLS versions before 1.2 are deprecated by RFC 8996; use "TLSv1.2" '
            'or "TLSv1.3"',
        ),
        (
            "[storage]\nbackend = 'postgres'\n",
            'storage.backend: the "postgres" backend is not available yet; '
            'use "sqlite" (the only backend today)',
        ),
        (
            "[mailbox]\nhierarchy_separator = ':'\n",
            'mailbox.hierarchy_separator: must be one of "/", ".", got a string (":")',
        ),
        (
            "[tls]\nmin_version = 'TLSv1.4'\n",
            'tls.min_version: must be one of "TLSv1.2", "TLSv1.3", got a string ("TLSv1.4"); '
            'did you mean "TLSv1.3"?',
        ),
    ],
)
def test_bad_choices_are_reported(data_dir: Path, toml: str, expected: str) -> None:
    path = write_config(data_dir, toml)

    assert problems(path) == [f"{path}: {expected}"]


def test_addresses_must_be_ip_literals(data_dir: Path) -> None:
    path = write_config(
        data_dir, '[listeners.imap]\naddresses = ["localhost", "10.0.0.1", 7, "10.0.0.1"]\n'
    )

    [problem] = problems(path)

    assert problem.startswith(f"{path}: listeners.imap.addresses: ")
    assert '"localhost" is not an IP address' in problem
    assert "an integer (7) is not an IP address" in problem
    assert '"10.0.0.1" is listed twice' in problem


def test_same_address_and_port_on_two_listeners_is_reported_once(data_dir: Path) -> None:
    path = write_config(data_dir, "[listeners.imaps]\nport = 143\n")

    assert problems(path) == [
        f"{path}: listeners.imaps.port: 0.0.0.0:143 is also used by [listeners.imap]"
    ]


def test_a_wildcard_overlapping_a_specific_address_is_a_clash(data_dir: Path) -> None:
    path = write_config(
        data_dir,
        """
        [listeners.imap]
        addresses = ["::1"]
        port = 2000

        [listeners.pop3]
        port = 2000
        """,
    )

    assert problems(path) == [
        f"{path}: listeners.pop3.port: [::]:2000 overlaps [::1]:2000 of [listeners.imap]: "
        "a wildcard address covers every address of its family on that port"
    ]


def test_distinct_addresses_on_one_port_and_disabled_listeners_do_not_clash(
    data_dir: Path,
) -> None:
    path = write_config(
        data_dir,
        """
        [listeners.imap]
        addresses = ["127.0.0.1"]
        port = 2000

        [listeners.pop3]
        addresses = ["127.0.0.2", "::1"]
        port = 2000

        [listeners.imaps]
        enabled = false
        port = 2000
        """,
    )

    config = load(path)

    assert config.listeners.pop3.port == config.listeners.imap.port == 2000


def test_one_listener_overlapping_itself_is_reported(data_dir: Path) -> None:
    path = write_config(data_dir, '[listeners.imap]\naddresses = ["0.0.0.0", "127.0.0.1"]\n')

    assert problems(path) == [
        f'{path}: listeners.imap.addresses: "127.0.0.1" and "0.0.0.0" overlap: a wildcard '
        "address already covers every address of its family"
    ]


def test_an_enabled_listener_needs_an_address(data_dir: Path) -> None:
    path = write_config(data_dir, "[listeners.smtp]\naddresses = []\n")

    assert problems(path) == [
        f"{path}: listeners.smtp.addresses: is empty but the listener is enabled; list at "
        "least one address or set enabled = false"
    ]


def test_dev_mode_refuses_addresses_beyond_loopback(data_dir: Path) -> None:
    listeners = ["smtp", "submission", "submissions", "imaps", "pop3", "pop3s", "https", "http"]
    loopback = "".join(
        f'[listeners.{name}]\naddresses = ["127.0.0.1"]\nport = {3000 + index}\n'
        for index, name in enumerate(listeners)
    )
    path = write_config(data_dir, "[server]\ndev = true\n" + loopback)

    assert problems(path) == [
        f"{path}: listeners.imap.addresses: dev mode (server.dev = true) listens on loopback "
        'only, but "0.0.0.0", "::" are not loopback addresses; use "127.0.0.1" or "::1"'
    ]


def test_a_missing_certificate_is_reported_with_the_listeners_needing_it(data_dir: Path) -> None:
    (data_dir / "tls" / "cert.pem").unlink()
    path = write_config(data_dir, "")

    assert problems(path) == [
        f"{path}: tls.certificate: file {data_dir / 'tls' / 'cert.pem'} does not exist; it is "
        "needed by the enabled TLS listeners (smtp, submission, submissions, imap, imaps, pop3, "
        "pop3s, https)"
    ]


def replace_with_directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


def empty(path: Path) -> None:
    path.write_bytes(b"")


def replace_with_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


@pytest.mark.parametrize(
    ("prepare", "reason"),
    [
        (replace_with_directory, "is a directory, not a file"),
        (empty, "is empty"),
        (replace_with_fifo, "is not a regular file"),
    ],
)
def test_an_unusable_key_file_is_reported(
    data_dir: Path, prepare: Callable[[Path], None], reason: str
) -> None:
    key = data_dir / "tls" / "key.pem"
    prepare(key)
    path = write_config(data_dir, "[listeners.https]\nenabled = true\n")

    [problem] = problems(path)

    assert problem.startswith(f"{path}: tls.key: ")
    assert f"{key} {reason}" in problem


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_key_file_is_reported(data_dir: Path) -> None:
    key = data_dir / "tls" / "key.pem"
    key.chmod(0)
    path = write_config(data_dir, "")

    [problem] = problems(path)

    assert problem.startswith(f"{path}: tls.key: file {key} cannot be read: permission denied")


# --- the file itself ----------------------------------------------------------------------


def test_a_syntax_error_gives_its_line_and_column(data_dir: Path) -> None:
    path = write_config(data_dir, '[server]\nhostname = "a.test"\ndev = \n[log]\n')

    [problem] = problems(path)

    assert problem.startswith(f"{path}: TOML syntax error at line 3, column 7: ")
    assert "Traceback" not in problem


def test_a_duplicate_key_is_a_syntax_error(data_dir: Path) -> None:
    path = write_config(data_dir, "[log]\nlevel = 'info'\nlevel = 'debug'\n")

    [problem] = problems(path)

    assert problem.startswith(f"{path}: TOML syntax error at line 3")


def test_a_missing_file_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "courriel.toml"

    assert problems(path) == [f"{path}: file not found; create one with `courriel init`"]


def test_a_directory_instead_of_the_file_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "courriel.toml"
    path.mkdir()

    assert problems(path) == [f"{path}: is a directory, not a configuration file"]


def test_a_file_that_is_not_utf8_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "courriel.toml"
    path.write_bytes(b'[server]\nhostname = "caf\xe9.test"\n')

    assert problems(path) == [f"{path}: line 2: not valid UTF-8 text"]


def test_every_problem_of_a_file_is_reported_at_once_in_reading_order(data_dir: Path) -> None:
    (data_dir / "tls" / "key.pem").unlink()
    path = write_config(
        data_dir,
        """
        [server]
        hostname = "mail.example.test"
        colour = "blue"

        [storage]
        backend = "postgres"
        readers = 100

        [listeners.imap]
        port = 70000

        [listeners.imaps]
        port = 587

        [limits]
        idle_timeout = "5m"
        max_message_size = "lots"

        [log]
        level = "verbose"
        """,
    )

    with pytest.raises(ConfigError) as caught:
        load(path)

    file = str(path)
    assert [(problem.file, problem.key) for problem in caught.value.problems] == [
        (file, "server.colour"),
        (file, "storage.backend"),
        (file, "storage.readers"),
        (file, "listeners.imap.port"),
        (file, "limits.idle_timeout"),
        (file, "limits.max_message_size"),
        (file, "log.level"),
        (file, "listeners.imaps.port"),
        (file, "tls.key"),
    ]
    lines = str(caught.value).splitlines()
    assert len(lines) == 9
    assert lines[3] == f"{path}: listeners.imap.port: must be between 1 and 65535, got 70000"
    assert (
        lines[7]
        == f"{path}: listeners.imaps.port: 0.0.0.0:587 is also used by [listeners.submission]"
    )
    assert all(line.startswith(f"{path}: ") for line in lines)


# --- environment overrides --------------------------------------------------------------


def test_environment_overrides_the_file_and_remembers_its_origin(data_dir: Path) -> None:
    path = write_config(data_dir, "[log]\nlevel = 'warning'\nformat = 'json'\n")
    environ = {
        "COURRIEL_LOG_LEVEL": "debug",
        "COURRIEL_LISTENERS_IMAP_PORT": "1143",
        "COURRIEL_LISTENERS_POP3_ENABLED": "no",
        "COURRIEL_LISTENERS_SMTP_ADDRESSES": "127.0.0.1, ::1",
        "COURRIEL_LIMITS_MAX_MESSAGE_SIZE": "1G",
        "COURRIEL_LIMITS_IDLE_TIMEOUT": "1h",
        "COURRIEL_STORAGE_PATH": "elsewhere",
        "COURRIEL_DATA_DIR": "/not/a/setting",
        "HOME": "/root",
    }

    config = load(path, environ)

    assert config.log.level == "debug"
    assert config.log.format == "json"
    assert config.listeners.imap.port == 1143
    assert config.listeners.pop3.enabled is False
    assert config.listeners.smtp.addresses == ("127.0.0.1", "::1")
    assert config.limits.max_message_size == 1024**3
    assert config.limits.idle_timeout == 3600.0
    assert config.storage.path == data_dir / "elsewhere"
    assert config.origin("log.level") == Origin("environment", "COURRIEL_LOG_LEVEL")
    assert str(config.origin("log.level")) == "environment variable COURRIEL_LOG_LEVEL"
    assert config.origin("log.format") == Origin("file", str(path))
    assert config.origin("server.dev") == Origin("default")


def test_environment_problems_name_the_variable(data_dir: Path) -> None:
    path = write_config(data_dir, "")
    environ = {
        "COURRIEL_LISTENERS_IMAP_PORT": "70000",
        "COURRIEL_STORAGE_READERS": "many",
        "COURRIEL_SERVER_DEV": "perhaps",
        "COURRIEL_LOG_LEVL": "debug",
    }

    assert problems(path, environ) == [
        "environment variable COURRIEL_LISTENERS_IMAP_PORT: listeners.imap.port: must be "
        "between 1 and 65535, got 70000",
        "environment variable COURRIEL_LOG_LEVL: not a courriel setting; did you mean "
        "COURRIEL_LOG_LEVEL?",
        "environment variable COURRIEL_SERVER_DEV: server.dev: must be true or false "
        "(or 1/0, yes/no, on/off), got 'perhaps'",
        "environment variable COURRIEL_STORAGE_READERS: storage.readers: must be an integer, "
        "got 'many'",
    ]


def test_a_clash_caused_by_the_environment_names_the_variable(data_dir: Path) -> None:
    path = write_config(data_dir, "")

    assert problems(path, {"COURRIEL_LISTENERS_IMAPS_PORT": "143"}) == [
        "environment variable COURRIEL_LISTENERS_IMAPS_PORT: listeners.imaps.port: "
        "0.0.0.0:143 is also used by [listeners.imap]"
    ]


def test_load_config_reads_os_environ_by_default(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COURRIEL_LOG_FORMAT", "json")

    config = load_config(write_config(data_dir, ""))

    assert config.log.format == "json"


# --- the error type -----------------------------------------------------------------------


def test_config_error_is_a_courriel_error_that_survives_pickling() -> None:
    error = ConfigError([Problem("courriel.toml", "log.level", "bad"), Problem("f", "", "worse")])

    copy = pickle.loads(pickle.dumps(error))

    assert isinstance(error, CourrielError)
    assert copy.problems == error.problems
    assert str(copy) == "courriel.toml: log.level: bad\nf: worse"


def test_config_error_needs_a_problem() -> None:
    with pytest.raises(ValueError, match="at least one problem"):
        ConfigError([])


# --- never a traceback ----------------------------------------------------------------------

_KEYS = sorted({key.rsplit(".", 1)[1] for key in OPTIONS} | {"bogus"})
_SECTIONS = sorted({key.rsplit(".", 1)[0] for key in OPTIONS} | {"listeners", "bogus"})
_SCALARS = (
    st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["10M", "5m", "0.0.0.0", "::1", "sqlite", "debug", "/", "TLSv1.3"])
)
_VALUES = _SCALARS | st.lists(_SCALARS, max_size=2)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(_SECTIONS),
        st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=3),
        max_size=3,
    )
)
def test_any_document_loads_or_raises_config_error(
    data_dir: Path, document: dict[str, dict[str, object]]
) -> None:
    text = "".join(
        f"[{section}]\n" + "".join(f"{key} = {_toml_value(v)}\n" for key, v in table.items())
        for section, table in document.items()
    )
    path = write_config(data_dir, text)
    try:
        config: Config | None = load(path)
    except ConfigError as error:
        config, found = None, error.problems
    else:
        found = ()
    assert isinstance(config, Config) != bool(found)
    assert all(problem.file and problem.message for problem in found)
