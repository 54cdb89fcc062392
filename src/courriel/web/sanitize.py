"""HTML mail made safe to show: nh3 (ammonia) with a mail-friendly allow list.

Owns: which tags, attributes, URL schemes and inline style properties survive; dropping
remote images until the user asks for them (and counting them, for the "show images" bar);
links opening outside the frame without a referrer; the small document the sandboxed
frame shows.

Defence in depth, each layer enough on its own against script: (1) this allow list (no
script, no event handler, no SVG/MathML, no form, no base, no meta, no javascript: URL);
(2) the frame's sandbox without ``allow-scripts``; (3) the frame's CSP with no script source
(``security.message_frame_policy``).

Must not: fetch anything, or decide about HTTP headers.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass

import nh3

_TAGS = frozenset(nh3.ALLOWED_TAGS | {"font", "center", "big", "section", "main"})
CLEAN_CONTENT = frozenset(
    {
        "script",
        "style",
        "title",
        "template",
        "noscript",
        "svg",
        "math",
        "object",
        "iframe",
        "embed",
        "applet",
        "xml",
        "noembed",
        "noframes",
        "textarea",
        "select",
    }
)
_PRESENTATION = {"align", "valign", "width", "height", "bgcolor", "border", "style", "dir"}
_ATTRIBUTES: dict[str, set[str]] = {
    tag: set(values) for tag, values in nh3.ALLOWED_ATTRIBUTES.items()
}
for _tag in (
    "table",
    "tbody",
    "thead",
    "tr",
    "td",
    "th",
    "div",
    "p",
    "span",
    "img",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "center",
    "hr",
    "pre",
    "b",
    "i",
    "u",
    "em",
    "strong",
    "section",
    "main",
    "font",
    "small",
    "big",
    "header",
    "footer",
    "caption",
    "col",
    "colgroup",
):
    _ATTRIBUTES.setdefault(_tag, set()).update(_PRESENTATION)
_ATTRIBUTES["font"].update({"color", "face", "size"})
_ATTRIBUTES["table"].update({"cellpadding", "cellspacing", "background"})
_ATTRIBUTES["td"].update({"colspan", "rowspan", "nowrap"})
_ATTRIBUTES["th"].update({"colspan", "rowspan", "nowrap"})
_ATTRIBUTES["img"].update({"src", "alt"})
_ATTRIBUTES["a"].discard("target")  # set below on every link
_ATTRIBUTES["a"].discard("rel")  # nh3 sets rel itself (link_rel)

_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "data"})
_STYLE_PROPERTIES = frozenset(
    {
        "color",
        "background-color",
        "font",
        "font-family",
        "font-size",
        "font-style",
        "font-weight",
        "text-align",
        "text-decoration",
        "text-transform",
        "line-height",
        "letter-spacing",
        "white-space",
        "vertical-align",
        "width",
        "max-width",
        "min-width",
        "height",
        "max-height",
        "min-height",
        "margin",
        "margin-top",
        "margin-right",
        "margin-bottom",
        "margin-left",
        "padding",
        "padding-top",
        "padding-right",
        "padding-bottom",
        "padding-left",
        "border",
        "border-top",
        "border-right",
        "border-bottom",
        "border-left",
        "border-color",
        "border-style",
        "border-width",
        "border-radius",
        "border-collapse",
        "border-spacing",
        "display",
        "list-style",
        "list-style-type",
        "direction",
        "word-break",
        "overflow-wrap",
        "table-layout",
    }
)
_IMAGE_DATA = ("data:image/png", "data:image/gif", "data:image/jpeg", "data:image/webp")
_URL_ATTRIBUTES = frozenset({"src", "href", "background", "cite"})


_STYLE_DANGERS = ("expression(", "url(", "javascript:", "behavior", "binding", "\\", "@import")


def _safe_style(value: str) -> str | None:
    """The declarations of a ``style`` attribute without any that could load or run
    something (IE ``expression()``, ``url()`` loads that would bypass the image blocking,
    CSS escapes that could hide either); None when nothing is left."""
    kept = [
        declaration
        for declaration in value.split(";")
        if declaration.strip()
        and not any(danger in declaration.lower() for danger in _STYLE_DANGERS)
    ]
    return ";".join(kept) or None


def embed_images(markup: str, images: dict[str, tuple[str, bytes]]) -> str:
    """``cid:`` references (RFC 2392) replaced by ``data:`` URLs of the message's own
    images, given as Content-ID → (media type, bytes); unknown ids stay and are dropped by
    the sanitiser. The frame's CSP allows ``data:`` images only, so nothing is fetched."""
    if not images:
        return markup

    def replace(found: re.Match[str]) -> str:
        image = images.get(found.group(1))
        if image is None:
            return found.group(0)
        media_type, data = image
        return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"

    return _CID.sub(replace, markup)


_CID = re.compile(r"cid:([^\s\"'<>)]{1,200})", re.I)


def cid_references(markup: str) -> set[str]:
    """The Content-IDs an HTML part refers to (``<img src="cid:logo@x">``, RFC 2392)."""
    return {found.group(1) for found in _CID.finditer(markup)}


@dataclass(frozen=True)
class SafeHtml:
    """Sanitised markup and how many remote images were left out of it."""

    markup: str
    blocked_images: int


def sanitize_html(markup: str, *, remote_images: bool) -> SafeHtml:
    """Markup safe to put in the message frame. Remote images (``http:``/``https:``
    sources) are removed unless ``remote_images``; ``data:`` URLs survive only as image
    sources of the common raster types."""
    blocked = 0

    def keep(tag: str, attribute: str, value: str) -> str | None:
        nonlocal blocked
        if attribute == "style":
            return _safe_style(value)
        if attribute not in _URL_ATTRIBUTES:
            return value
        lowered = value.strip().lower()
        if lowered.startswith("data:"):
            if tag == "img" and attribute == "src" and lowered.startswith(_IMAGE_DATA):
                return value
            return None
        is_image = (tag == "img" and attribute == "src") or attribute == "background"
        if is_image and not remote_images and lowered.startswith(("http:", "https:", "//")):
            blocked += 1
            return None
        return value

    cleaned = nh3.clean(
        markup,
        tags=set(_TAGS),
        clean_content_tags=set(CLEAN_CONTENT),
        attributes={tag: set(values) for tag, values in _ATTRIBUTES.items()},
        attribute_filter=keep,
        strip_comments=True,
        link_rel="noopener noreferrer",
        url_schemes=set(_URL_SCHEMES),
        set_tag_attribute_values={"a": {"target": "_blank"}},
        filter_style_properties=set(_STYLE_PROPERTIES),
    )
    return SafeHtml(cleaned, blocked)


FRAME_STYLE = (
    "body{margin:0;padding:12px;font:15px/1.5 system-ui,sans-serif;color:#1d1d1f;"
    "background:#fff;overflow-wrap:anywhere}"
    "img{max-width:100%;height:auto}table{max-width:100%}"
    "pre.plain{white-space:pre-wrap;font:14px/1.45 ui-monospace,monospace;margin:0 0 1em}"
)


def frame_document(pieces: list[str], language: str) -> str:
    """The whole document of the message frame around already safe ``pieces``."""
    body = "\n".join(pieces)
    return (
        f'<!doctype html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer">'
        f"<style>{FRAME_STYLE}</style></head><body>{body}</body></html>"
    )


def plain_block(text: str) -> str:
    """Plain text as an escaped block for the frame."""
    return f'<pre class="plain">{html.escape(text)}</pre>'
