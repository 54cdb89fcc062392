"""Rich text from the compose editor: the allow list (what a hostile editor DOM cannot get
through), the plain-text alternative derived from the HTML, plain text made editor HTML,
and the two agreeing with each other."""

from __future__ import annotations

import pytest

from courriel.web.rich_text import (
    clean_composed_html,
    html_document,
    html_to_plain,
    quotable_html,
    quoted_html,
    text_to_html,
)

HOSTILE = (
    "<script>alert('XSS-1')</script>",
    "<b onclick=\"alert('XSS-2')\">bold</b>",
    "<img src=x onerror=\"alert('XSS-3')\">",
    "<a href=\"javascript:alert('XSS-4')\">js link</a>",
    "<a href=\"data:text/html,<script>alert('XSS-5')</script>\">data link</a>",
    "<svg onload=\"alert('XSS-6')\"><script>alert('XSS-7')</script></svg>",
    "<style>body { background: url(http://beacon.test/) }</style>",
    '<p style="background:url(http://beacon.test/x)">styled</p>',
    '<iframe src="http://beacon.test/"></iframe>',
    '<form action="http://beacon.test/"><input name="q"></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=\"alert('XSS-8')\">",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('XSS-9')>\"></noscript>",
    '<a href="/relative">relative</a>',
    '<div id="x" class="y" data-z="1">attributes</div>',
)


@pytest.mark.parametrize("payload", HOSTILE)
def test_nothing_active_survives_the_allow_list(payload: str) -> None:
    cleaned = clean_composed_html(payload)
    lowered = cleaned.lower()
    for forbidden in ("<script", "<svg", "<img", "<style", "<iframe", "<form", "<input", "<math"):
        assert forbidden not in lowered, cleaned
    for forbidden in ("onclick", "onerror", "onload", "javascript:", "data:", "style=", "xss"):
        assert forbidden not in lowered, cleaned
    assert "beacon.test" not in lowered and "/relative" not in cleaned
    assert " id=" not in cleaned and "class=" not in cleaned and "data-z" not in cleaned


def test_what_the_editor_writes_is_kept() -> None:
    markup = (
        "<div>Hello <b>bold</b> <i>italic</i> <u>under</u> <strong>s</strong> <em>e</em></div>"
        "<ul><li>one</li></ul><ol><li>two</li></ol><blockquote><p>quoted</p></blockquote>"
        '<div><a href="https://example.org/a?b=1&amp;c=2">site</a><br></div>'
        '<a href="mailto:bob@example.test">mail</a>'
    )
    cleaned = clean_composed_html(markup)
    for kept in (
        "<b>bold</b>",
        "<i>italic</i>",
        "<u>under</u>",
        "<strong>s</strong>",
        "<em>e</em>",
        "<ul><li>one</li></ul>",
        "<ol><li>two</li></ol>",
        "<blockquote><p>quoted</p></blockquote>",
        'href="https://example.org/a?b=1&amp;c=2"',
        'href="mailto:bob@example.test"',
        "<br>",
    ):
        assert kept in cleaned, (kept, cleaned)


def test_the_plain_alternative() -> None:
    markup = (
        "<div>Dear <b>Bob</b>,</div><div><br></div>"
        "<div>see   the <a href='https://example.org/'>report</a> and "
        "<a href='mailto:carol@example.test'>carol@example.test</a>:</div>"
        "<ul><li>first</li><li>second</li></ul>"
        "<ol><li>one</li><li>two</li></ol>"
        "<blockquote><div>You wrote</div><blockquote>deeper</blockquote></blockquote>"
        "<p>Caf&eacute; &lt;3</p><div><br></div><div><br></div>"
    )
    assert html_to_plain(markup) == (
        "Dear Bob,\n"
        "\n"
        "see the report <https://example.org/> and carol@example.test:\n"
        "- first\n"
        "- second\n"
        "1. one\n"
        "2. two\n"
        "> You wrote\n"
        "> > deeper\n"
        "Café <3\n"
    )
    assert html_to_plain("<script>alert(1)</script><b onclick='x'>hi</b>") == "hi\n"
    assert html_to_plain("") == ""


def test_plain_text_as_editor_html_and_back() -> None:
    text = "\n\nOn Monday, Bob wrote:\n> Lunch <at> noon?\n> > & you?\n>\n> Bob\nEnd"
    markup = text_to_html(text)
    assert markup == (
        "<div><br></div><div><br></div><div>On Monday, Bob wrote:</div>"
        "<blockquote><div>Lunch &lt;at&gt; noon?</div>"
        "<blockquote><div>&amp; you?</div></blockquote>"
        "<div><br></div><div>Bob</div></blockquote><div>End</div>"
    )
    assert clean_composed_html(markup) == markup  # the editor's own shapes are allowed
    assert html_to_plain(markup) == text + "\n"


def test_a_reply_quote_and_the_document() -> None:
    markup = quoted_html("Bob <b> wrote:", "<p>Hi <b>there</b><script>x()</script></p>")
    assert markup == (
        "<div><br></div><div><br></div><div>Bob &lt;b&gt; wrote:</div>"
        "<blockquote><p>Hi <b>there</b></p></blockquote>"
    )
    document = html_document("<b onmouseover='x()'>hi</b>")
    assert document.startswith("<!doctype html>") and '<meta charset="utf-8">' in document
    assert "<b>hi</b>" in document and "onmouseover" not in document


def test_a_received_table_quoted_keeps_its_words_apart() -> None:
    markup = "<table><tr><td>Soup</td><td>4 €</td></tr><tr><th>Bread</th></tr></table><h2>Hi</h2>x"
    quoted = quotable_html(markup)
    assert "<table" not in quoted and "<td" not in quoted
    assert html_to_plain(quoted) == "Soup 4 €\nBread\nHi\nx\n"
