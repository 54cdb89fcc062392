"""The HTML mail sanitiser alone: what survives, what goes, remote images counted."""

from __future__ import annotations

import pytest

from courriel.web.sanitize import frame_document, plain_block, sanitize_html

DANGEROUS = (
    ("<script>alert(1)</script>ok", "alert"),
    ('<img src="x" onerror="alert(1)">', "onerror"),
    ('<svg onload="alert(1)"><circle r="1"/></svg>', "svg"),
    ('<a href="javascript:alert(1)">x</a>', "javascript:"),
    ('<a href="JaVaScRiPt&#58;alert(1)">x</a>', "alert"),
    ('<a href="vbscript:msgbox(1)">x</a>', "vbscript"),
    ('<a href="data:text/html,<script>alert(1)</script>">x</a>', "data:"),
    ('<base href="https://evil.example/">', "base"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example/">', "refresh"),
    ('<form action="https://evil.example/"><input name="a"></form>', "form"),
    ('<iframe src="https://evil.example/"></iframe>', "iframe"),
    ('<object data="x.swf"></object><embed src="x.swf">', "swf"),
    ("<style>body{background:url(https://evil.example/)}</style>", "evil"),
    ('<link rel="stylesheet" href="https://evil.example/x.css">', "link"),
    ('<div style="width:expression(alert(1))">x</div>', "expression"),
    ('<div style="background:url(https://evil.example/t.gif)">x</div>', "evil"),
    ('<p style="behavior:url(x.htc)">x</p>', "behavior"),
    ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "onerror"),
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>', "onerror"),
    ('<details open ontoggle="alert(1)">x</details>', "ontoggle"),
    ('<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">', "svg"),
    ('<a href="https://example.org/" target="_top" formaction="x">x</a>', "_top"),
)


@pytest.mark.parametrize(("markup", "forbidden"), DANGEROUS)
def test_dangerous_markup_is_removed(markup: str, forbidden: str) -> None:
    cleaned = sanitize_html(markup, remote_images=True).markup
    assert forbidden.lower() not in cleaned.lower(), cleaned


def test_mail_layout_survives() -> None:
    markup = (
        '<table width="600" cellpadding="4" bgcolor="#eeeeee"><tr><td align="center" '
        'style="color: #333; font-size: 14px; position: fixed">Hi <b>there</b></td></tr>'
        '</table><font color="red" face="Arial">red</font>'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="logo">'
    )
    cleaned = sanitize_html(markup, remote_images=False).markup
    assert 'width="600"' in cleaned and 'bgcolor="#eeeeee"' in cleaned
    assert "color:#333" in cleaned.replace(" ", "") and "position" not in cleaned
    assert '<font color="red" face="Arial">' in cleaned
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in cleaned


def test_remote_images_are_blocked_and_counted_until_allowed() -> None:
    markup = (
        '<img src="https://t.example/a.gif"><img src="http://t.example/b.gif">'
        '<img src="//t.example/c.gif"><table background="https://t.example/bg.png"></table>'
    )
    blocked = sanitize_html(markup, remote_images=False)
    assert blocked.blocked_images == 4
    assert "t.example" not in blocked.markup
    shown = sanitize_html(markup, remote_images=True)
    assert shown.blocked_images == 0
    assert "https://t.example/a.gif" in shown.markup


def test_links_open_outside_without_referrer() -> None:
    cleaned = sanitize_html('<a href="https://example.org/">x</a>', remote_images=False).markup
    assert 'target="_blank"' in cleaned and 'rel="noopener noreferrer"' in cleaned


def test_the_frame_document_escapes_plain_text() -> None:
    document = frame_document([plain_block("<script>alert(1)</script> & co")], "fr")
    assert "<script>" not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in document
    assert document.startswith('<!doctype html><html lang="fr">')
