"""When a certificate is renewed (``CertificateRenewal.due``), the backoff after failures,
the account key file, the CSR, and ``net.tls.install_certificate`` keeping a pair intact."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from courriel.acme.account import load_or_create_account_key
from courriel.acme.csr import make_certificate_request
from courriel.acme.errors import AcmeError
from courriel.acme.renewal import MAX_RETRY_DELAY, CertificateRenewal, RenewalSettings
from courriel.config.load import default_config
from courriel.net.errors import TlsConfigError
from courriel.net.tls import certificate_info, install_certificate, make_self_signed

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def ca_issued(names: list[str], not_after: dt.datetime) -> tuple[bytes, bytes]:
    """A chain (leaf, CA) and the leaf key, the leaf signed by a throwaway CA."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Test CA"))
        .issuer_name(_name("Test CA"))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - 30 * DAY)
        .not_valid_after(NOW + 3650 * DAY)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(NOW - 30 * DAY)
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    chain = b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in (leaf, ca))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return chain, key_pem


def renewal(tmp_path: Path, names: tuple[str, ...] = ("mail.example.org",)) -> CertificateRenewal:
    settings = RenewalSettings(
        names=names,
        cert_path=tmp_path / "tls" / "cert.pem",
        key_path=tmp_path / "tls" / "key.pem",
        data_dir=tmp_path,
        directory_url="https://ca.test/dir",
        renew_before=30 * 86400.0,
        retry_delay=600.0,
    )
    return CertificateRenewal(settings, now=lambda: NOW)


def install(renewal: CertificateRenewal, names: list[str], not_after: dt.datetime) -> None:
    chain, key = ca_issued(names, not_after)
    install_certificate(renewal.settings.cert_path, renewal.settings.key_path, chain, key)


def test_reasons_to_renew(tmp_path: Path) -> None:
    subject = renewal(tmp_path)
    assert subject.due() == "there is no readable certificate"
    make_self_signed("mail.example.org", subject.settings.cert_path, subject.settings.key_path)
    assert subject.due() == "the certificate is self-signed"
    install(subject, ["other.example.org"], NOW + 80 * DAY)
    assert subject.due() == "the certificate lacks mail.example.org"
    install(subject, ["mail.example.org"], NOW + 29 * DAY)
    assert subject.due() == "the certificate expires on 2026-06-30 00:00 UTC"
    install(subject, ["mail.example.org", "imap.example.org"], NOW + 31 * DAY)
    assert subject.due() is None


def test_backoff_doubles_up_to_a_day(tmp_path: Path) -> None:
    subject = renewal(tmp_path)
    assert [subject.retry_delay(failures) for failures in (1, 2, 3)] == [600.0, 1200.0, 2400.0]
    assert subject.retry_delay(10_000) == MAX_RETRY_DELAY


def test_settings_default_to_the_server_hostname(tmp_path: Path) -> None:
    config = default_config(tmp_path)
    config = dataclasses.replace(
        config,
        server=dataclasses.replace(config.server, hostname="Mail.Example.ORG"),
        acme=dataclasses.replace(config.acme, ca_bundle="ca.pem"),
    )
    settings = RenewalSettings.from_config(config)
    assert settings.names == ("mail.example.org",)
    assert settings.ca_bundle == config.data_dir / "ca.pem"
    assert settings.cert_path == config.tls.certificate


async def test_a_contact_that_is_not_an_address_is_refused_before_any_request(
    tmp_path: Path,
) -> None:
    subject = renewal(tmp_path)
    subject.settings = dataclasses.replace(subject.settings, contact_email="postmaster")
    with pytest.raises(AcmeError, match="not an email address"):
        await subject.renew()


def test_account_key_is_created_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "acme" / "account-key.pem"
    first = load_or_create_account_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    again = load_or_create_account_key(path)
    assert first.private_numbers() == again.private_numbers()
    path.write_text("not a key")
    with pytest.raises(AcmeError, match="cannot read the ACME account key"):
        load_or_create_account_key(path)


def test_csr_lists_every_name() -> None:
    request = make_certificate_request(["mail.example.org", "imap.example.org"])
    csr = x509.load_der_x509_csr(request.csr_der)
    assert csr.is_signature_valid
    names = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["mail.example.org", "imap.example.org"]
    assert csr.subject.rfc4514_string() == "CN=mail.example.org"
    with pytest.raises(ValueError, match="at least one name"):
        make_certificate_request([])


def test_install_refuses_a_key_that_is_not_the_certificates(tmp_path: Path) -> None:
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_self_signed("mail.example.org", cert_path, key_path)
    before = (cert_path.read_bytes(), key_path.read_bytes())
    chain, _ = ca_issued(["mail.example.org"], NOW + 90 * DAY)
    _, other_key = ca_issued(["mail.example.org"], NOW + 90 * DAY)
    with pytest.raises(TlsConfigError, match="not for the new key"):
        install_certificate(cert_path, key_path, chain, other_key)
    with pytest.raises(TlsConfigError, match="unreadable"):
        install_certificate(cert_path, key_path, b"junk", other_key)
    assert (cert_path.read_bytes(), key_path.read_bytes()) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cert.pem", "key.pem"]


def test_install_writes_the_pair_with_their_modes(tmp_path: Path) -> None:
    cert_path, key_path = tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem"
    chain, key = ca_issued(["mail.example.org"], NOW + 90 * DAY)
    install_certificate(cert_path, key_path, chain, key)
    assert key_path.read_bytes() == key and key_path.stat().st_mode & 0o777 == 0o600
    assert cert_path.stat().st_mode & 0o777 == 0o644
    assert certificate_info(cert_path).issuer == "CN=Test CA"


def test_a_name_too_long_for_a_common_name_is_only_an_alternative_name() -> None:
    long_name = "a" * 60 + ".example.org"  # 72 characters: a DNS name, not a CN (<= 64)
    for names in ([long_name, "mail.example.org"], ["mail.example.org"]):
        request = x509.load_der_x509_csr(make_certificate_request(names).csr_der)
        alternatives = request.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        assert alternatives.value.get_values_for_type(x509.DNSName) == names
        common = request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        assert [attribute.value for attribute in common] == (
            [] if names[0] == long_name else ["mail.example.org"]
        )
        assert request.is_signature_valid
