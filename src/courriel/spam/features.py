"""What the spam rules and the tokenizer read from a message, extracted once.

:func:`read_features` parses the message with ``courriel.mail.parse_message`` (the MIME
tree with offsets, the envelope, the summary) and collects, within fixed bounds: the
top-level header fields, the From and Reply-To addresses with decoded display names, the
readable text (``mail.text.extract_text``), the links of HTML parts with their visible text
and the URLs written in text, the images HTML parts show, and the attachments' names and
types, with the names of the files inside ZIP archives (Office Open XML documents are ZIP
archives too: a ``vbaProject.bin`` inside one is a macro).

Must not: raise on any input (``parse_message`` never does; decoding is tolerant), read more
than the bounds below of a large message, or look anything up.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from courriel.mail import (
    Address,
    ParsedMessage,
    decode_bytes,
    decode_encoded_words,
    decode_header_value,
    decode_transfer_encoding,
    extract_text,
    iter_parts,
    parse_message,
    split_header_fields,
)
from courriel.mail.headers import HeaderField
from courriel.mail.part import Part
from courriel.spam.links import MAX_LINKS, Link, html_links, text_urls

#: Characters of readable text the rules and the classifier read.
MAX_TEXT = 100_000
# Encoded bytes of HTML read per part, and parts read, to find links.
_MAX_HTML_BYTES = 256 * 1024
_MAX_HTML_PARTS = 8
# ZIP archives opened per message, encoded bytes read of each, and names kept per archive.
_MAX_ARCHIVES = 4
_MAX_ARCHIVE_BYTES = 8 * 1024 * 1024
_MAX_ARCHIVE_NAMES = 200
_ZIP_TYPES = frozenset(
    {"application/zip", "application/x-zip-compressed", "application/x-zip", "multipart/x-zip"}
)
_ZIP_EXTENSIONS = frozenset(
    {"zip", "docx", "docm", "dotm", "xlsx", "xlsm", "xltm", "xlam", "pptx", "pptm", "potm", "ppsm"}
)
_IMAGE_TAG = re.compile(r"<img[\s>]", re.I)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A part carrying a file: its name as given (``""`` when none) and its media type."""

    filename: str
    content_type: str
    members: tuple[str, ...] = ()
    """For a ZIP archive: the names of the files inside (at most 200), else empty."""


@dataclass(frozen=True, slots=True)
class MessageFeatures:
    """One message as the rules see it (see the module docstring)."""

    parsed: ParsedMessage
    fields: tuple[HeaderField, ...]
    from_addresses: tuple[Address, ...]
    """Mailboxes of the From field, display names RFC 2047 decoded."""
    reply_to: tuple[Address, ...]
    """Mailboxes of the Reply-To field; empty when there is none (unlike the ENVELOPE)."""
    subject: str
    text: str
    links: tuple[Link, ...]
    urls: tuple[str, ...]
    """URLs written in the text, and every link target: what the message points to."""
    attachments: tuple[Attachment, ...]
    html_only: bool
    html_images: int
    """``<img>`` elements in the HTML parts read (bounded like the links)."""

    def has_field(self, name: str) -> bool:
        """Whether the top-level header has a field called ``name`` (any case)."""
        lname = name.lower()
        return any(field.lname == lname for field in self.fields)

    def field_value(self, name: str) -> str | None:
        """The first ``name`` field's value, unfolded and RFC 2047 decoded, or None."""
        lname = name.lower()
        for field in self.fields:
            if field.lname == lname:
                return decode_header_value(field.value)
        return None

    @property
    def from_address(self) -> Address | None:
        """The first From mailbox, or None."""
        return self.from_addresses[0] if self.from_addresses else None


def _mailboxes(addresses: tuple[Address, ...]) -> tuple[Address, ...]:
    return tuple(
        address._replace(name=decode_encoded_words(address.name).strip() or None)
        if address.name
        else address
        for address in addresses
        if address.is_mailbox and address.domain
    )


def _html_sources(raw: bytes, root: Part) -> list[str]:
    sources = []
    for part in iter_parts(root):
        if part.type == "text" and part.subtype == "html" and not part.is_attachment:
            end = min(part.end, part.body_start + _MAX_HTML_BYTES)
            data = decode_transfer_encoding(raw[part.body_start : end], part.encoding)
            sources.append(decode_bytes(data, part.charset))
            if len(sources) >= _MAX_HTML_PARTS:
                break
    return sources


def _is_zip(part: Part) -> bool:
    extension = (part.filename or "").rpartition(".")[2].lower()
    return part.content_type in _ZIP_TYPES or extension in _ZIP_EXTENSIONS


def archive_members(data: bytes) -> tuple[str, ...]:
    """The file names in the central directory of a ZIP archive (encrypted ones too: names
    are not encrypted), at most 200; empty when ``data`` is not a readable archive.
    Nothing is decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return tuple(info.filename for info in archive.infolist()[:_MAX_ARCHIVE_NAMES])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return ()


def _attachments(raw: bytes, root: Part) -> tuple[Attachment, ...]:
    found = []
    archives = 0
    for part in iter_parts(root):
        if part.children or (part is root and not part.has_filename):
            continue
        if part.has_filename or part.is_attachment or part.type == "application":
            members: tuple[str, ...] = ()
            if archives < _MAX_ARCHIVES and _is_zip(part):
                archives += 1
                end = min(part.end, part.body_start + _MAX_ARCHIVE_BYTES)
                data = decode_transfer_encoding(raw[part.body_start : end], part.encoding)
                members = archive_members(data)
            found.append(Attachment(part.filename or "", part.content_type, members))
    return tuple(found)


def _html_only(root: Part) -> bool:
    """An HTML body with no plain-text part anywhere beside it."""
    types = {(part.type, part.subtype) for part in iter_parts(root) if not part.is_attachment}
    return ("text", "html") in types and ("text", "plain") not in types


def read_features(raw: bytes, parsed: ParsedMessage | None = None) -> MessageFeatures:
    """The features of ``raw`` (``parsed``: its parse, when the caller has it)."""
    if parsed is None:
        parsed = parse_message(raw)
    root = parsed.root
    fields = tuple(split_header_fields(raw, 0, root.body_start))
    reply_to_present = any(field.lname == "reply-to" for field in fields)
    text = extract_text(raw, root, limit=MAX_TEXT)
    links: list[Link] = []
    images = 0
    for source in _html_sources(raw, root):
        links.extend(html_links(source))
        images += min(MAX_LINKS, len(_IMAGE_TAG.findall(source)))
    urls = list(dict.fromkeys([*text_urls(text), *(link.href for link in links)]))
    return MessageFeatures(
        parsed=parsed,
        fields=fields,
        from_addresses=_mailboxes(parsed.envelope.from_),
        reply_to=_mailboxes(parsed.envelope.reply_to) if reply_to_present else (),
        subject=parsed.summary.subject,
        text=text,
        links=tuple(links[:MAX_LINKS]),
        urls=tuple(urls[:MAX_LINKS]),
        attachments=_attachments(raw, root),
        html_only=_html_only(root),
        html_images=images,
    )
