"""The link extractor (anchors only, through html.parser) and the domain helpers the rules
compare with."""

from __future__ import annotations

import pytest

from courriel.spam.domains import (
    has_known_suffix,
    lookalike_of,
    mixed_script_label,
    same_organisation,
    skeleton,
)
from courriel.spam.links import MAX_LINKS, Link, html_links, shown_domain, text_urls, url_host


def test_anchors_with_entities_markup_and_case() -> None:
    markup = (
        "<html><head><title>x</title></head><body>"
        '<A HREF="https://a.example/?x=1&amp;y=2">Visit   <b>our</b>\n site</A>'
        "<a name=top>no href</a>"
        "<a href='https://b.example/'>caf&eacute;</a>"
        '<a href="https://c.example/">unclosed'
    )
    assert html_links(markup) == [
        Link("https://a.example/?x=1&y=2", "Visit our site"),
        Link("https://b.example/", "café"),
        Link("https://c.example/", "unclosed"),
    ]


def test_nested_anchors_end_the_first() -> None:
    markup = '<a href="https://a.example/">one <a href="https://b.example/">two</a></a>'
    assert html_links(markup) == [
        Link("https://a.example/", "one"),
        Link("https://b.example/", "two"),
    ]


def test_links_are_bounded() -> None:
    markup = '<a href="https://a.example/">x</a>' * (MAX_LINKS + 50)
    assert len(html_links(markup)) == MAX_LINKS
    assert len(text_urls("http://a.example/ " * (MAX_LINKS + 5))) == MAX_LINKS


def test_text_urls() -> None:
    text = "See https://a.example/x, or (http://b.example/y). Not ftp://c.example/."
    assert text_urls(text) == ["https://a.example/x", "http://b.example/y"]


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://WWW.Example.COM/a", "www.example.com"),
        ("http://user:pw@bank.example:8080/x", "bank.example"),
        ("https://bücher.example/", "xn--bcher-kva.example"),
        ("http://[2001:db8::1]/", "2001:db8::1"),
        ("mailto:a@example.com", None),
        ("javascript:alert(1)", None),
        ("http://[broken/", None),
    ],
)
def test_url_host(url: str, host: str | None) -> None:
    assert url_host(url) == host


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("https://www.paypal.com/signin", "www.paypal.com"),
        ("www.bank.example", "bank.example"),
        ("bank.example/login?x=1", "bank.example"),
        ("<https://a.example>", "a.example"),
        ("Click here", None),
        ("bank . example", None),
        ("12.50", None),
    ],
)
def test_shown_domain(text: str, domain: str | None) -> None:
    assert shown_domain(text) == domain


def test_organisations() -> None:
    assert same_organisation("mail.example.co.uk", "news.example.co.uk")
    assert not same_organisation("example.co.uk", "other.co.uk")
    assert same_organisation("a.b.example.test", "example.test")


def test_known_suffixes() -> None:
    assert has_known_suffix("paypal.com")
    assert has_known_suffix("gov.uk.example")  # RFC 2606 names count
    assert not has_known_suffix("report.pdf")
    assert not has_known_suffix("com")


def test_mixed_scripts() -> None:
    assert mixed_script_label("xn--pple-43d.com") == "\u0430pple"  # Cyrillic а + Latin
    assert mixed_script_label("p\u0430ypal.com") == "p\u0430ypal"
    assert mixed_script_label("\u03b1bc.example") == "\u03b1bc"  # Greek alpha + Latin
    assert mixed_script_label("example.com") is None
    assert mixed_script_label("xn--mnchen-3ya.de") is None  # münchen
    assert mixed_script_label("\u043f\u0440\u0438\u043c\u0435\u0440.example") is None  # пример
    assert mixed_script_label("\u6771\u4eac-tokyo.jp") is None  # Han with Latin


def test_lookalikes() -> None:
    assert skeleton("examp1e.com") == skeleton("example.com")
    assert skeleton("rnicrosoft.com") == skeleton("microsoft.com")
    assert lookalike_of("examp1e.com", ["example.com"]) == "example.com"
    assert lookalike_of("mail.examp1e.com", ["other.org", "example.com"]) == "example.com"
    assert lookalike_of("example.com", ["example.com"]) is None
    assert lookalike_of("sample.com", ["example.com"]) is None
