"""Links in a message: ``<a href>`` targets with their visible text, and bare URLs in text.

:func:`html_links` reads HTML with the standard library's tolerant ``html.parser`` (broken
markup, unclosed tags and stray ``</a>`` are fine) and returns each link's target and the
text shown for it. :func:`text_urls` finds ``http(s)://`` URLs in plain text.
:func:`url_host` and :func:`shown_domain` give the host a URL points to and the domain a
link's text *claims* to point to, which the link-mismatch rule compares;
:func:`is_shortener` tells a public URL shortener.

Must not: fetch anything, or follow more than ``MAX_LINKS`` links of one message.
"""

from __future__ import annotations

import ipaddress
import re
from html.parser import HTMLParser
from typing import NamedTuple
from urllib.parse import urlsplit

from courriel.mail.address import domain_to_ascii

# Public URL shorteners: a link through one hides where it goes until it is followed.
# (Shorteners of one company's own links, such as a social network's, are left out.)
SHORTENERS = frozenset(
    {
        "bit.ly", "bitly.com", "tinyurl.com", "goo.gl", "ow.ly", "is.gd", "v.gd", "buff.ly",
        "rebrand.ly", "cutt.ly", "shorturl.at", "rb.gy", "t.ly", "tiny.cc", "s.id", "bl.ink",
        "short.io", "tinu.be", "qrco.de", "shorturl.asia", "urlz.fr",
    }
)  # fmt: skip
#: Links read from one message; a message with more is judged on these.
MAX_LINKS = 500
# Characters of one anchor handed to the HTML parser at most.
_MAX_ANCHOR = 4096
_ANCHOR_START = re.compile(r"<a[\s>]", re.I)
_ANCHOR_END = re.compile(r"</a\s*>", re.I)
# Characters of text kept per link (enough for any URL a person would read).
_MAX_LINK_TEXT = 300
_BLANKS = re.compile(r"\s+")
_URL_IN_TEXT = re.compile(r"\bhttps?://[^\s<>\"'()\[\]{}]+", re.I)
# A domain as people write it: labels of letters, digits and hyphens, a final label of
# letters (a TLD), optionally followed by a path. Unicode letters count (IDN).
_SHOWN_DOMAIN = re.compile(
    r"^(?:www\.)?((?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63})(?::\d+)?(?:[/?#]\S*)?$"
)


class Link(NamedTuple):
    """An ``<a href>``: its target as written, and its visible text, blanks collapsed."""

    href: str
    text: str


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[Link] = []
        self._href: str | None = None
        self._text: list[str] = []
        self._text_size = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        self._close()  # an <a> inside an <a> ends the first (as browsers do)
        href = next((value for name, value in attrs if name == "href" and value), None)
        self._href = href.strip() if href is not None else None

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._close()

    def handle_data(self, data: str) -> None:
        if self._href is not None and self._text_size < _MAX_LINK_TEXT:
            self._text.append(data)
            self._text_size += len(data)

    def close(self) -> None:
        super().close()
        self._close()

    def _close(self) -> None:
        if self._href is not None and len(self.links) < MAX_LINKS:
            text = _BLANKS.sub(" ", "".join(self._text)).strip()[:_MAX_LINK_TEXT]
            self.links.append(Link(self._href, text))
        self._href = None
        self._text = []
        self._text_size = 0


def html_links(markup: str) -> list[Link]:
    """Every ``<a href=...>`` of an HTML document, in order, at most ``MAX_LINKS``.

    Only the anchors are parsed: each ``<a`` up to its ``</a>`` (or the next ``<a``, or
    ``_MAX_ANCHOR`` characters) goes to its own parser, which decodes the attributes and
    entities and collects the visible text. ``html.parser`` costs about a microsecond per
    character; a 256 KiB newsletter parsed whole would hold the event loop for a third of a
    second, its anchors alone take a few milliseconds."""
    starts = [match.start() for match in _ANCHOR_START.finditer(markup)]
    links: list[Link] = []
    for index, start in enumerate(starts):
        stop = min(len(markup), start + _MAX_ANCHOR)
        if index + 1 < len(starts):
            stop = min(stop, starts[index + 1])
        closing = _ANCHOR_END.search(markup, start, stop)
        if closing is not None:
            stop = closing.end()
        parser = _LinkParser()
        try:
            parser.feed(markup[start:stop])
            parser.close()
        except (AssertionError, ValueError):  # pragma: no cover - html.parser is tolerant
            continue
        links.extend(parser.links)
        if len(links) >= MAX_LINKS:
            break
    return links[:MAX_LINKS]


def text_urls(text: str) -> list[str]:
    """The ``http://`` and ``https://`` URLs written in plain text, at most ``MAX_LINKS``."""
    if "://" not in text:  # most text has none: one scan instead of the expression's
        return []
    urls = []
    for match in _URL_IN_TEXT.finditer(text):
        urls.append(match.group(0).rstrip(".,;:!?"))
        if len(urls) >= MAX_LINKS:
            break
    return urls


def url_host(url: str) -> str | None:
    """The lower-case host of an ``http(s)`` URL, IDN in A-label form (an IP address as
    it is); None for other schemes and unreadable URLs."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return domain_to_ascii(host.rstrip(".")).lower()


def is_ip_address(host: str) -> bool:
    """Whether ``host`` is an IPv4 or IPv6 address rather than a name."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def is_shortener(host: str) -> bool:
    """Whether ``host`` (lower case) is a public URL shortener of :data:`SHORTENERS`."""
    return host.removeprefix("www.") in SHORTENERS


def shown_domain(text: str) -> str | None:
    """The domain a link's visible text names — a URL (``https://bank.example/login``) or a
    bare domain (``www.bank.example``) — lower case, in A-label form; None when the text
    is not an address (``Click here``)."""
    shown = text.strip().strip("<>").strip()
    if not shown or " " in shown:
        return None
    if "://" in shown:
        return url_host(shown)
    match = _SHOWN_DOMAIN.match(shown)
    if match is None:
        return None
    return domain_to_ascii(match.group(1)).lower()
