"""Each header, structure and authentication rule on messages that should and should not
make it fire."""

from __future__ import annotations

import pytest

from courriel.mailauth.results import MethodResult
from courriel.spam.features import read_features
from courriel.spam.rules import (
    GTUBE,
    RuleContext,
    executable_extension,
    run_rules,
)
from courriel.spam.weights import RULES, Hit

from .messages import message

R = MethodResult
PASSING = (
    MethodResult("spf", "pass", properties=(("smtp.mailfrom", "alice@example.org"),)),
    MethodResult("dkim", "pass", properties=(("header.d", "example.org"),)),
    MethodResult("dmarc", "pass", properties=(("header.from", "example.org"),)),
    MethodResult("iprev", "pass"),
)


def fired(raw: bytes, context: RuleContext | None = None) -> dict[str, Hit]:
    hits = run_rules(read_features(raw), context or RuleContext())
    return {found.name: found for found in hits}


def test_an_ordinary_message_fires_nothing() -> None:
    assert fired(message()) == {}
    assert set(fired(message(), RuleContext(PASSING))) == {"DMARC_PASS"}


def test_every_rule_has_a_weight_and_a_description() -> None:
    for rule in RULES.values():
        assert rule.name.isupper()
        assert rule.description
    assert RULES["GTUBE"].weight >= 1000


# -- GTUBE ----------------------------------------------------------------------------------


def test_gtube_in_the_text() -> None:
    raw = message(text=f"This is a test.\r\n\r\n{GTUBE}\r\n")
    assert fired(raw)["GTUBE"].weight == 1000.0


def test_gtube_in_a_base64_html_part() -> None:
    raw = message(text=None, html=f"<p>{GTUBE}</p>")
    assert "GTUBE" in fired(raw)


def test_gtube_must_be_whole() -> None:
    assert "GTUBE" not in fired(message(text=GTUBE[:-1] + "Y"))


# -- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ((R("spf", "fail"),), {"SPF_FAIL"}),
        ((R("spf", "softfail"),), {"SPF_SOFTFAIL"}),
        ((R("spf", "none"), R("dkim", "none")), {"NO_AUTHENTICATION"}),
        ((R("spf", "neutral"),), {"NO_AUTHENTICATION"}),
        ((R("spf", "pass"), R("dkim", "fail")), {"DKIM_FAIL"}),
        # One valid signature is enough: lists break the author's and add their own.
        ((R("spf", "pass"), R("dkim", "fail"), R("dkim", "pass")), set()),
        ((R("spf", "none"), R("dkim", "pass")), set()),
        (
            (R("spf", "fail"), R("dkim", "none"), R("dmarc", "fail")),
            {"SPF_FAIL", "DMARC_FAIL"},
        ),
        ((R("spf", "pass"), R("dmarc", "pass")), {"DMARC_PASS"}),
        ((R("spf", "pass"), R("iprev", "fail")), {"IPREV_FAIL"}),
        ((R("spf", "pass"), R("iprev", "permerror")), {"IPREV_FAIL"}),
        ((R("spf", "pass"), R("iprev", "temperror")), set()),
        # DNS trouble is not the sender's fault.
        ((R("spf", "temperror"), R("dkim", "none")), set()),
    ],
)
def test_authentication_results(results: tuple[MethodResult, ...], expected: set[str]) -> None:
    assert set(fired(message(), RuleContext(results))) == expected


def test_unchecked_mail_gets_no_authentication_rule() -> None:
    assert fired(message(), RuleContext(None)) == {}


def test_authentication_hits_name_the_identity() -> None:
    results = (
        MethodResult("spf", "fail", properties=(("smtp.mailfrom", "x@bank.example"),)),
        MethodResult("dmarc", "fail", properties=(("header.from", "bank.example"),)),
    )
    hits = fired(message(), RuleContext(results))
    assert hits["SPF_FAIL"].description.endswith(": x@bank.example")
    assert hits["DMARC_FAIL"].description.endswith(": bank.example")


# -- forged display names --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "rule"),
    [
        ('"service@paypal.com" <alerts@secure-login.example>', "FROM_NAME_HAS_ADDRESS"),
        ('"PayPal <service@paypal.com>" <x@evil.example>', "FROM_NAME_HAS_ADDRESS"),
        ("=?utf-8?q?support=40bank=2Eexample?= <x@evil.example>", "FROM_NAME_HAS_ADDRESS"),
        ('"Amazon.com Customer Service" <orders@shipping-notice.example>', "FROM_NAME_HAS_DOMAIN"),
        ('"www.irs.gov" <refund@mailer.example>', "FROM_NAME_HAS_DOMAIN"),
    ],
)
def test_forged_display_names(sender: str, rule: str) -> None:
    hits = fired(message(sender=sender))
    assert set(hits) == {rule}
    assert "sent from" in hits[rule].description


@pytest.mark.parametrize(
    "sender",
    [
        '"alice@example.org" <alice@example.org>',  # the same address
        '"Amazon.com" <ship-confirm@amazon.com>',  # its own domain
        '"News from mail.example.org" <news@lists.example.org>',  # the same organisation
        '"Dr. Jane Smith" <jane@example.org>',  # not a domain
        '"Report.pdf" <jane@example.org>',  # not a real suffix
        "Alice <alice@example.org>",
    ],
)
def test_honest_display_names(sender: str) -> None:
    assert fired(message(sender=sender)) == {}


# -- lookalike and IDN homograph domains --------------------------------------------------------


def test_mixed_script_from_domain() -> None:
    # "pаypal" with a Cyrillic а (U+0430) between Latin letters, in A-label form.
    hits = fired(message(sender="PayPal <service@xn--pypal-4ve.com>"))
    # The name claims PayPal too, from a domain that is not PayPal's: two signals.
    assert set(hits) == {"FROM_DOMAIN_MIXED_SCRIPT", "FROM_NAME_BRAND"}
    assert "\u0430" in hits["FROM_DOMAIN_MIXED_SCRIPT"].description
    # The same domain written in Unicode (RFC 6532).
    assert "FROM_DOMAIN_MIXED_SCRIPT" in fired(message(sender="x <service@p\u0430ypal.com>"))


@pytest.mark.parametrize(
    "domain",
    [
        "xn--mnchen-3ya.de",  # münchen: Latin only
        "xn--80ak6aa92e.com",  # all Cyrillic: not mixed (whole-script lookalikes are out of scope)
        "xn--wgv71a119e.jp",  # Japanese: Han and Katakana belong together
    ],
)
def test_single_script_idn_domains(domain: str) -> None:
    assert fired(message(sender=f"x <info@{domain}>")) == {}


@pytest.mark.parametrize(
    "domain", ["examp1e.test", "exarnple.test", "ex4mple.test", "mail.examp1e.test"]
)
def test_lookalike_of_the_recipients_domain(domain: str) -> None:
    context = RuleContext(recipient_domains=("example.test",))
    hits = fired(message(sender=f"IT desk <it@{domain}>"), context)
    assert set(hits) == {"FROM_LOOKALIKE_DOMAIN"}
    assert hits["FROM_LOOKALIKE_DOMAIN"].description.endswith("for example.test")


@pytest.mark.parametrize("domain", ["example.test", "mail.example.test", "sample.test"])
def test_not_a_lookalike(domain: str) -> None:
    context = RuleContext(recipient_domains=("example.test",))
    assert fired(message(sender=f"x <it@{domain}>"), context) == {}


# -- Reply-To ---------------------------------------------------------------------------------


def test_reply_to_another_domain() -> None:
    raw = message(headers=[("Reply-To", "claims@winner-desk.example")])
    hits = fired(raw)
    assert set(hits) == {"REPLY_TO_OTHER_DOMAIN"}
    assert "claims@winner-desk.example" in hits["REPLY_TO_OTHER_DOMAIN"].description


@pytest.mark.parametrize(
    "headers",
    [
        [("Reply-To", "support@help.example.org")],  # the same organisation
        [("Reply-To", "alice@example.org")],
        # A mailing list sets Reply-To to itself.
        [("Reply-To", "users@lists.example.net"), ("List-Id", "<users.lists.example.net>")],
    ],
)
def test_reply_to_left_alone(headers: list[tuple[str, str]]) -> None:
    assert fired(message(headers=headers)) == {}


# -- header fields ----------------------------------------------------------------------------


def test_missing_fields() -> None:
    raw = message(sender=None, subject=None, date=False, message_id=False)
    assert set(fired(raw)) == {
        "MISSING_FROM",
        "MISSING_DATE",
        "MISSING_MESSAGE_ID",
        "MISSING_SUBJECT",
    }


@pytest.mark.parametrize(
    ("subject", "caps"),
    [
        ("URGENT BUSINESS PROPOSAL", True),
        ("YOU HAVE WON 1,000,000 $$$", True),
        ("RE: OK", False),  # too few letters
        ("Meeting notes for NASA and ESA", False),
        ("Hello", False),
    ],
)
def test_subject_in_capitals(subject: str, caps: bool) -> None:
    assert ("SUBJECT_ALL_CAPS" in fired(message(subject=subject))) is caps


# -- links ------------------------------------------------------------------------------------


def test_link_text_showing_another_domain() -> None:
    html = (
        '<p>Please <a href="http://secure-check.example/verify?id=1">'
        "https://www.paypal.com/signin</a> today.</p>"
    )
    hits = fired(message(text=None, html=html))
    assert set(hits) == {"LINK_TEXT_MISMATCH", "HTML_ONLY"}
    description = hits["LINK_TEXT_MISMATCH"].description
    assert description.endswith("shows www.paypal.com, goes to secure-check.example")


def test_link_text_with_a_bare_domain_and_markup() -> None:
    html = '<a href="https://203.0.113.9/login"><b>www.bank.example</b></a>'
    hits = fired(message(html=html))
    assert hits["LINK_TEXT_MISMATCH"].description.endswith(
        "shows bank.example, goes to 203.0.113.9"
    )
    assert "LINK_TO_IP_ADDRESS" in hits


def test_several_mismatches_are_one_hit() -> None:
    html = (
        '<a href="http://a.example/">www.bank.example</a>'
        '<a href="http://b.example/">www.bank.example/help</a>'
    )
    [found] = [hit for hit in run_rules(read_features(message(html=html)), RuleContext())
               if hit.name == "LINK_TEXT_MISMATCH"]  # fmt: skip
    assert found.description.endswith("(and 1 more)")


@pytest.mark.parametrize(
    "html",
    [
        '<a href="https://www.example.org/offers">www.example.org/offers</a>',
        '<a href="https://shop.example.net/a">https://www.example.net/b</a>',  # same org
        '<a href="https://tracker.example.net/c?u=1">Click here</a>',  # no address shown
        '<a href="https://files.example.net/report.pdf">report.pdf</a>',  # a file name
        '<a href="mailto:someone@example.net">www.example.com</a>',  # not http
        '<a href="https://www.example.net/x">Mr.Smith</a>',
    ],
)
def test_honest_links(html: str) -> None:
    assert fired(message(html=html)) == {}


def test_a_tracking_redirect_showing_the_senders_own_site() -> None:
    html = '<a href="https://click.tracker.example/r?u=9">https://www.example.org/sale</a>'
    raw = message(html=html)
    assert fired(raw, RuleContext(PASSING)).keys() == {"DMARC_PASS"}
    failing = (MethodResult("spf", "fail"), MethodResult("dmarc", "fail"))
    assert "LINK_TEXT_MISMATCH" in fired(raw, RuleContext(failing))


def test_a_link_to_an_ip_address_in_plain_text() -> None:
    hits = fired(message(text="Log in at http://198.51.100.7/account now\r\n"))
    assert hits["LINK_TO_IP_ADDRESS"].description.endswith("198.51.100.7")


def test_broken_html_does_not_break_the_rules() -> None:
    html = '<a href="http://x.example/">www.bank.example<a href=http://y.example>y</a></b></a><a'
    assert "LINK_TEXT_MISMATCH" in fired(message(html=html))


# -- attachments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename",
    [
        "setup.exe",
        "screensaver.scr",
        "invoice.js",
        "macro.vbs",
        "run.bat",
        "run.cmd",
        "command.com",
        "old.pif",
        "tool.jar",
        "installer.msi",
        "script.ps1",
        "page.hta",
        "shortcut.lnk",
        "SETUP.EXE",
        "update.exe.",  # Windows drops trailing dots
        "file.exe ",
    ],
)
def test_executable_attachments_by_name(filename: str) -> None:
    raw = message(attachments=[(filename, "application/octet-stream", b"MZ\x90\x00")])
    hits = fired(raw)
    assert set(hits) == {"EXECUTABLE_ATTACHMENT"}
    assert filename.strip() in hits["EXECUTABLE_ATTACHMENT"].description


@pytest.mark.parametrize(
    "content_type",
    ["application/x-msdownload", "application/x-msdos-program", "application/java-archive"],
)
def test_executable_attachments_by_type(content_type: str) -> None:
    raw = message(attachments=[("update.bin", content_type, b"MZ\x90\x00")])
    assert set(fired(raw)) == {"EXECUTABLE_ATTACHMENT"}


@pytest.mark.parametrize(
    "filename", ["invoice.pdf.exe", "photo.jpg.scr", "Scan.DOCX.js", "statement.pdf      .exe"]
)
def test_double_extensions(filename: str) -> None:
    raw = message(attachments=[(filename, "application/octet-stream", b"MZ")])
    assert set(fired(raw)) == {"EXECUTABLE_ATTACHMENT", "EXECUTABLE_DOUBLE_EXTENSION"}


@pytest.mark.parametrize(
    "filename", ["report.pdf", "archive.zip", "notes.txt", "exe", "photo.jpeg", "setup.v2.exe"]
)
def test_no_double_extension(filename: str) -> None:
    raw = message(attachments=[(filename, "application/octet-stream", b"data")])
    assert "EXECUTABLE_DOUBLE_EXTENSION" not in fired(raw)


def test_executable_extension() -> None:
    assert executable_extension("a.pdf.exe") == ("exe", "pdf")
    assert executable_extension("a.exe") == ("exe", None)
    assert executable_extension("a.pdf") is None
    assert executable_extension("exe") is None


def test_an_executable_inside_a_forwarded_message() -> None:
    inner = message(attachments=[("tool.exe", "application/octet-stream", b"MZ")])
    outer = (
        b"From: Alice <alice@example.org>\r\nTo: bob@example.test\r\nSubject: Fwd\r\n"
        b"Date: Sat, 22 Nov 2025 10:00:00 +0000\r\nMessage-ID: <f@example.org>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=out\r\n\r\n"
        b"--out\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
        b"--out\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--out--\r\n"
    )
    assert "EXECUTABLE_ATTACHMENT" in fired(outer)


def test_html_only() -> None:
    assert set(fired(message(text=None, html="<p>Hello</p>"))) == {"HTML_ONLY"}
    assert fired(message(html="<p>Hello</p>")) == {}  # with a plain-text alternative


def test_garbage_never_raises() -> None:
    for raw in (
        b"",
        b"\x00\xff" * 100,
        b"From: <>\r\n\r\n",
        b"Content-Type: multipart/mixed\r\n\r\n--",
    ):
        run_rules(read_features(raw), RuleContext(PASSING))
