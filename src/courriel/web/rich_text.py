"""Rich text written in the webmail's editor, the pure half: HTML in, safe HTML and its
plain-text twin out.

Owns: the allow list of what the compose editor may send (``clean_composed_html``: bold,
italic, underline, lists, links, quotes, line breaks — nh3 with an allow list, in the style
of ``web.sanitize``, but far smaller, since this HTML leaves the server in our name); the
text/plain alternative derived from it (``html_to_plain``: RFC 2046 §5.1.4 wants the same
content in each alternative, so quotes keep their ``> `` and links their address); plain
text turned into editor HTML (``text_to_html``: a signature, a quote written in plain mode);
a reply's quote as a blockquote (``quoted_html``); and the document the text/html part
carries (``html_document``).

Must not: trust the browser (every function that takes editor HTML cleans it first), speak
HTTP, or build MIME (``web.compose``).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3
from markupsafe import Markup

# Elements dropped with their content (script, style, svg, ...): the same as for mail shown.
from courriel.web.sanitize import CLEAN_CONTENT

_TAGS = frozenset({"b", "strong", "i", "em", "u", "ul", "ol", "li", "a", "blockquote"})
_BLOCKS = frozenset({"p", "div", "br"})
_ATTRIBUTES = {"a": {"href"}}
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
_WHITESPACE = re.compile(r"\s+")
_QUOTE_MARK = re.compile(r"^> ?")
_LINE_ENDINGS = re.compile(r"\r\n|\r|\n")


def clean_composed_html(markup: str) -> str:
    """``markup`` from the editor (or from a draft, or a message quoted) with only the
    allowed elements left: no script, no event handler, no style, no image, no
    ``javascript:`` link (nh3 drops every attribute not listed and every other scheme)."""
    return nh3.clean(
        markup.replace("\x00", ""),
        tags=set(_TAGS | _BLOCKS),
        clean_content_tags=set(CLEAN_CONTENT),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        strip_comments=True,
        url_schemes=set(_URL_SCHEMES),
        url_relative="deny",
    ).strip()


class _PlainWriter(HTMLParser):
    """Walks clean editor HTML and writes lines: blocks and ``<br>`` end a line, list items
    start with ``- `` or ``1. ``, each blockquote level prefixes ``> ``, a link is followed
    by its address in angle brackets (RFC 3986 Appendix C) unless its text is the address."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.depth = 0
        self.lists: list[list[int]] = []  # [number of the next item, or 0 for bullets]
        self.links: list[tuple[str, int]] = []  # (href, where its text starts)

    def end_line(self, *, always: bool = False) -> None:
        text = "".join(self.current).strip()
        if text or always:
            self.lines.append(("> " * self.depth + text).rstrip())
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "div", "ul", "ol"):
            self.end_line()
        if tag == "br":
            self.end_line(always=True)
        elif tag == "blockquote":
            self.end_line()
            self.depth += 1
        elif tag in ("ul", "ol"):
            self.lists.append([1 if tag == "ol" else 0])
        elif tag == "li":
            self.end_line()
            indent = "  " * max(len(self.lists) - 1, 0)
            marker = "- "
            if self.lists and self.lists[-1][0]:
                marker = f"{self.lists[-1][0]}. "
                self.lists[-1][0] += 1
            self.current.append(indent + marker)
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append((href, len(self.current)))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "div", "li"):
            self.end_line()
        elif tag == "blockquote":
            self.end_line()
            self.depth = max(self.depth - 1, 0)
        elif tag in ("ul", "ol"):
            self.end_line()
            if self.lists:
                self.lists.pop()
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.current[start:]).strip()
            shown = href.removeprefix("mailto:")
            if href and shown not in (text, ""):
                self.current.append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        text = _WHITESPACE.sub(" ", data)
        if not "".join(self.current).strip():
            text = text.lstrip()
        if text:
            self.current.append(text)


def html_to_plain(markup: str) -> str:
    """The plain-text alternative of editor HTML (cleaned first), lines ended by ``\\n``."""
    writer = _PlainWriter()
    writer.feed(clean_composed_html(markup))
    writer.close()
    writer.end_line()
    lines = writer.lines
    while lines and not lines[-1].strip("> "):
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def text_to_html(text: str) -> str:
    """Plain text as editor HTML: a ``<div>`` per line (an empty one holds a ``<br>``, as
    the editor writes it), lines quoted with ``>`` inside ``<blockquote>``, nested by
    level; everything escaped. Trailing blank lines are dropped."""
    lines = _LINE_ENDINGS.split(text.replace("\x00", ""))
    while lines and not lines[-1].strip():
        lines.pop()
    return _lines_html(lines)


def _lines_html(lines: list[str]) -> str:
    out: list[str] = []
    index = 0
    while index < len(lines):
        if lines[index].startswith(">"):
            quoted: list[str] = []
            while index < len(lines) and lines[index].startswith(">"):
                quoted.append(_QUOTE_MARK.sub("", lines[index], count=1))
                index += 1
            out.append("<blockquote>" + _lines_html(quoted) + "</blockquote>")
            continue
        line = lines[index].rstrip()
        out.append(f"<div>{html.escape(line, quote=False)}</div>" if line else "<div><br></div>")
        index += 1
    return "".join(out)


_BLOCK_TAG = re.compile(
    r"<(/?)(table|thead|tbody|tfoot|tr|h[1-6]|pre|section|article|header|footer|dl|dd|dt)\b",
    re.I,
)
_CELL_TAG = re.compile(r"<(/?)t[dh]\b", re.I)


def quotable_html(markup: str) -> str:
    """A received message's HTML as editor HTML: its tables, rows and headings first made
    ``<div>`` and its cells spaced (the allow list removes them, and their texts must not
    run together), then cleaned."""
    blocks = _BLOCK_TAG.sub(lambda found: f"<{found.group(1)}div", markup)
    cells = _CELL_TAG.sub(lambda found: " </span" if found.group(1) else "<span", blocks)
    return clean_composed_html(cells)


def quoted_html(intro: str, original: str) -> str:
    """A reply's starting HTML: two empty lines to write in, ``intro``, then the original
    (editor HTML, cleaned again here) inside a blockquote."""
    return (
        "<div><br></div><div><br></div>"
        f"<div>{html.escape(intro, quote=False)}</div>"
        f"<blockquote>{clean_composed_html(original)}</blockquote>"
    )


def editor_markup(markup: str) -> Markup:
    """Editor HTML for the compose template, cleaned: the one place where HTML from a
    browser is marked safe to put in our own page (a refused form comes back with it)."""
    return Markup(clean_composed_html(markup))  # noqa: S704 -- cleaned by the allow list


def html_document(fragment: str) -> str:
    """The text/html part's document around clean editor HTML (UTF-8, RFC 2854)."""
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8"></head>\n'
        f"<body>\n{clean_composed_html(fragment)}\n</body></html>\n"
    )
