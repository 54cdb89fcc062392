"""The rules added for recall (issue 7): brand impersonation, fake replies, hidden
recipients, shorteners and homograph links, archives, macros, containers, attached web
pages, image-only HTML, fraud phrases and Bitcoin addresses; each shown firing and not
firing, with its name and weight as X-Spam-Report shows them."""

from __future__ import annotations

import io
import zipfile

import pytest

from courriel.spam.domains import brand_named, imitated_brand, impersonated_brand
from courriel.spam.features import archive_members, read_features
from courriel.spam.links import is_shortener
from courriel.spam.phrases import MIN_PHRASES, PHRASE_SETS, matching_sets
from courriel.spam.rules import RuleContext, run_rules
from courriel.spam.weights import RULES, Hit

from .messages import message

NEW_RULES = (
    "FROM_NAME_BRAND",
    "FROM_DOMAIN_IMITATES_BRAND",
    "FAKE_REPLY",
    "UNDISCLOSED_RECIPIENTS",
    "LINK_SHORTENER",
    "LINK_MIXED_SCRIPT",
    "ARCHIVE_WITH_EXECUTABLE",
    "MACRO_ATTACHMENT",
    "CONTAINER_ATTACHMENT",
    "HTML_ATTACHMENT",
    "HTML_IMAGE_ONLY",
    "BITCOIN_ADDRESS",
    *(phrase_set.rule for phrase_set in PHRASE_SETS),
)


def fired(raw: bytes) -> dict[str, Hit]:
    return {found.name: found for found in run_rules(read_features(raw), RuleContext())}


def zipped(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, b"MZ" + bytes(64))
    return buffer.getvalue()


def test_every_new_rule_is_explained_below_the_junk_threshold() -> None:
    for name in NEW_RULES:
        rule = RULES[name]
        assert rule.description
        assert 0 < rule.weight < 5.0  # no new rule files a message alone


# -- brands -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ('"PayPal Service" <service@account-review.example>', True),
        ('"Microsoft Office365" <noreply@mailbox-update.example>', True),
        ('"DHL Express" <noreply@dhl.com>', False),  # the brand's own domain
        ('"Amazon Web Services" <aws@amazonaws.com>', False),  # one of its organisations
        ('"Hugo Groups" <hugo@example.org>', False),  # "ups" inside a word is no brand
        ("Alice Martin <alice@example.org>", False),
    ],
)
def test_from_name_brand(sender: str, expected: bool) -> None:
    hits = fired(message(sender=sender))
    assert ("FROM_NAME_BRAND" in hits) is expected
    if expected:
        assert "sent from" in hits["FROM_NAME_BRAND"].description


def test_brand_helpers() -> None:
    assert brand_named("Your Apple ID") == "apple"
    assert brand_named("Pineapple Farm") is None
    assert impersonated_brand("Netflix", "streaming-renewal.example") == "netflix"
    assert impersonated_brand("Netflix", "mailer.netflix.com") is None
    assert imitated_brand("paypa1-resolution.example") == "paypal"
    assert imitated_brand("rnicrosoft.com") == "microsoft"
    assert imitated_brand("paypal.com") is None
    assert imitated_brand("example.org") is None


def test_from_domain_imitating_a_brand() -> None:
    hits = fired(message(sender="Billing <billing@paypa1-resolution.example>"))
    assert hits["FROM_DOMAIN_IMITATES_BRAND"].weight == RULES["FROM_DOMAIN_IMITATES_BRAND"].weight
    assert "paypal" in hits["FROM_DOMAIN_IMITATES_BRAND"].description
    assert "FROM_DOMAIN_IMITATES_BRAND" not in fired(message(sender="x <a@paypal.com>"))


# -- header fields ----------------------------------------------------------------------------


def test_fake_reply() -> None:
    assert "FAKE_REPLY" in fired(message(subject="Re: your order"))
    assert "FAKE_REPLY" in fired(message(subject="RE: Outstanding invoice"))
    real_reply = message(subject="Re: your order", headers=[("In-Reply-To", "<a@example.org>")])
    assert "FAKE_REPLY" not in fired(real_reply)
    threaded = message(subject="Re: your order", headers=[("References", "<a@example.org>")])
    assert "FAKE_REPLY" not in fired(threaded)
    assert "FAKE_REPLY" not in fired(message(subject="Regarding your order"))


def test_undisclosed_recipients() -> None:
    assert "UNDISCLOSED_RECIPIENTS" in fired(message(to="undisclosed-recipients:;"))
    assert "UNDISCLOSED_RECIPIENTS" not in fired(message(to="Bob <bob@example.test>"))


# -- links ------------------------------------------------------------------------------------


def test_link_shortener() -> None:
    hits = fired(message(text="Visit our shop: https://bit.ly/3xR8lux\r\n"))
    assert hits["LINK_SHORTENER"].description.endswith("bit.ly")
    assert is_shortener("www.tinyurl.com")
    assert not is_shortener("bitly.example.org")
    assert "LINK_SHORTENER" not in fired(message(text="See https://example.org/a\r\n"))


def test_link_mixed_script() -> None:
    html = '<a href="https://xn--micrsoft-qbh.example/review">Review recent activity</a>'
    hits = fired(message(text=None, html=html))
    assert "LINK_MIXED_SCRIPT" in hits
    plain = '<a href="https://caf\u00e9.example/menu">Menu</a>'  # one script, accented
    assert "LINK_MIXED_SCRIPT" not in fired(message(text=None, html=plain))


# -- attachments ------------------------------------------------------------------------------


def test_archive_members_are_read_without_decompressing() -> None:
    assert archive_members(zipped("a/report.pdf", "run.exe")) == ("a/report.pdf", "run.exe")
    assert archive_members(b"PK\x03\x04 not really a zip") == ()
    assert archive_members(b"") == ()


def test_archive_with_executable() -> None:
    raw = message(attachments=[("Invoice.zip", "application/zip", zipped("Invoice.pdf.exe"))])
    hits = fired(raw)
    assert hits["ARCHIVE_WITH_EXECUTABLE"].description.endswith("Invoice.pdf.exe in Invoice.zip")
    logs = message(attachments=[("logs.zip", "application/zip", zipped("gw1/error.log"))])
    assert "ARCHIVE_WITH_EXECUTABLE" not in fired(logs)
    broken = message(attachments=[("broken.zip", "application/zip", b"PK garbage")])
    assert "ARCHIVE_WITH_EXECUTABLE" not in fired(broken)


def test_macro_documents() -> None:
    by_name = message(attachments=[("advice.docm", "application/octet-stream", b"PK")])
    assert "MACRO_ATTACHMENT" in fired(by_name)
    by_type = message(
        attachments=[("sheet.bin", "application/vnd.ms-excel.sheet.macroEnabled.12", b"PK")]
    )
    assert "MACRO_ATTACHMENT" in fired(by_type)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    renamed = message(attachments=[("budget.xlsx", xlsx, zipped("xl/vbaProject.bin"))])
    assert "MACRO_ATTACHMENT" in fired(renamed)
    plain = message(attachments=[("budget.xlsx", xlsx, zipped("xl/workbook.xml"))])
    assert "MACRO_ATTACHMENT" not in fired(plain)


@pytest.mark.parametrize(
    ("filename", "content_type", "rule"),
    [
        ("statement.iso", "application/octet-stream", "CONTAINER_ATTACHMENT"),
        ("Agreement.one", "application/octet-stream", "CONTAINER_ATTACHMENT"),
        ("Payment.html", "text/html", "HTML_ATTACHMENT"),
        ("VM_Play.htm", "application/octet-stream", "HTML_ATTACHMENT"),
        ("logo.svg", "image/svg+xml", "HTML_ATTACHMENT"),
    ],
)
def test_containers_and_web_pages(filename: str, content_type: str, rule: str) -> None:
    assert rule in fired(message(attachments=[(filename, content_type, b"data")]))


def test_ordinary_attachments_fire_nothing() -> None:
    raw = message(
        attachments=[
            ("Facture.pdf", "application/pdf", b"%PDF-1.7"),
            ("IMG_4412.jpg", "image/jpeg", b"\xff\xd8\xff"),
            ("invite.ics", "text/calendar", b"BEGIN:VCALENDAR"),
        ]
    )
    assert fired(raw) == {}


# -- HTML -------------------------------------------------------------------------------------


def test_image_only_html() -> None:
    html = '<a href="https://offers.example/r"><img src="https://offers.example/i.jpg"></a>'
    hits = fired(message(text=None, html=html))
    assert hits["HTML_IMAGE_ONLY"].description.endswith("1 image(s)")
    newsletter = (
        '<img src="https://news.example/logo.png"><p>This week: three ways to push back on a '
        "queue that grows without bound, reject, block or shed, and when each is right.</p>"
    )
    assert "HTML_IMAGE_ONLY" not in fired(message(text=None, html=newsletter))
    assert "HTML_IMAGE_ONLY" not in fired(message(text=None, html="<p>Hi</p>"))


# -- content ----------------------------------------------------------------------------------


def test_every_phrase_set_needs_two_phrases() -> None:
    assert MIN_PHRASES == 2
    one = "We will never ask you to verify your account by email."
    assert matching_sets("", one) == []
    two = "Verify your account within 24 hours or it will be closed."
    assert [found.rule for found, _ in matching_sets("", two)] == ["PHRASES_PHISHING"]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Dear Customer, your account has been suspended. Verify it.", "PHRASES_PHISHING"),
        ("Votre compte a été suspendu. Répondez sous 48 heures.", "PHRASES_PHISHING"),
        ("Stand as the next of kin. The transaction is risk free.", "PHRASES_ADVANCE_FEE"),
        ("Congratulations! Ticket number 55-4471 won. Claim your prize.", "PHRASES_PRIZE"),
        ("I recorded you through your webcam. Send $1450 in bitcoin.", "PHRASES_EXTORTION"),
        ("Viagra 100mg 0.89$ per pill, no prescription needed.", "PHRASES_PHARMACY"),
        ("Guaranteed returns and passive income with our trading robot.", "PHRASES_CRYPTO_SCAM"),
        ("You are pre-approved, no credit check, bad credit welcome.", "PHRASES_EASY_MONEY"),
    ],
)  # fmt: skip
def test_phrase_sets_fire(text: str, rule: str) -> None:
    hits = fired(message(text=text))
    assert rule in hits
    assert hits[rule].weight == RULES[rule].weight
    assert '"' in hits[rule].description  # the phrases found are named


@pytest.mark.parametrize(
    "text",
    [
        "Your verification code is 482913. It expires in 10 minutes.",
        "Someone asked to reset your password. If you did not ask, ignore this email.",
        "Did you declare the bitcoin you sold last year? I have no idea how it works.",
        "Les médicaments de votre ordonnance sont prêts, venez avec votre carte Vitale.",
        "Voici les numéros gagnants de la tombola de l'école : 0412 et 0077.",
    ],
)
def test_ordinary_text_fires_no_phrase_set(text: str) -> None:
    hits = fired(message(text=text))
    assert not [name for name in hits if name.startswith("PHRASES_")]


def test_subject_counts_with_the_text() -> None:
    raw = message(subject="Your account has been suspended", text="Dear customer, act today.")
    assert "PHRASES_PHISHING" in fired(raw)


def test_bitcoin_address() -> None:
    bech32 = message(text="Wallet: bc1q9h6tkv3t8zqx4n2ml0yk5c7wdp8r3f6s2ujzvx\r\n")
    assert "bc1q9h6" in fired(bech32)["BITCOIN_ADDRESS"].description
    base58 = message(text="Pay to 1Lx8Gv2fQ3N7nWkqP5rR9tY4mZs6aJ2bXc within 48 hours\r\n")
    assert "BITCOIN_ADDRESS" in fired(base58)
    tracking = message(text="Parcel 1ZXY99AA88BB77CC66DD55EE44FF33 is on its way\r\n")
    assert "BITCOIN_ADDRESS" not in fired(tracking)  # capitals and digits only: a code
    assert "BITCOIN_ADDRESS" not in fired(message())
