"""Writing mail in the webmail, the pure half: form text in, an RFC 5322 message out.

Owns: reading the address fields a user typed (``parse_recipients``: valid mailboxes and
the pieces that are not addresses), the ``Composition`` a form stands for, and
``build_message``, which writes it as a MIME message: header fields through
``courriel.mail.compose`` (RFC 5322 §3.6 fields, RFC 2047 words, folding), a text/plain
body (quoted-printable when it is not short 7-bit lines, RFC 2045 §6.7) — or, for a message
written in rich text, multipart/alternative (RFC 2046 §5.1.4) of that text/plain and a
text/html part (RFC 2854) of the cleaned HTML (``web.rich_text``) — and, with
attachments, multipart/mixed (RFC 2046 §5.1.3) whose files are base64 (RFC 2045 §6.8)
with RFC 2231 names when they are not ASCII, and whose attached messages are message/rfc822
without an encoding of their own (RFC 2046 §5.2.1). Also what a reply or a forward starts
from: ``Re:``/``Fwd:`` subjects, In-Reply-To and References (RFC 5322 §3.6.4), the
reply-all recipients, the quoted text.

Bcc (RFC 5322 §3.6.3): the message given to the recipients never has the field; drafts and
the Sent copy keep it (``include_bcc``), so the writer still sees whom it went to.

Must not: speak HTTP, read the store, or check whether an address exists (``delivery``).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from courriel.mail.address import parse_address_list
from courriel.mail.compose import (
    encode_header_value,
    format_address,
    format_date,
    header_lines,
    mime_boundary,
    quoted_printable,
)
from courriel.mail.encoded_words import decode_encoded_words
from courriel.mail.envelope import Envelope
from courriel.mail.summary import message_ids
from courriel.web.rich_text import html_document

MAX_RECIPIENTS = 100
"""Addresses in To, Cc and Bcc together (the SMTP servers' ``max_recipients`` is higher)."""
MAX_FILENAME = 180
"""Characters of an attachment's name kept."""
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$")
_LINE_ENDINGS = re.compile(r"\r\n|\r|\n")
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|vs|réf|rif)\s*:", re.I)
_FORWARD_PREFIX = re.compile(r"^\s*(fwd?|tr|wg|enc|rv)\s*:", re.I)
_QUOTE_NEEDED = re.compile(r'[,;:<>@()\[\]"\\]')
# RFC 5322 §2.1.1: 78 columns per line is what 7-bit text may keep unencoded here.
_SHORT_LINE = 78


@dataclass(frozen=True)
class Mailbox:
    """One address of a field: an optional display name and an addr-spec."""

    name: str | None
    address: str

    def header_text(self) -> str:
        """The RFC 5322 form (encoded words for a non-ASCII name)."""
        return format_address(self.name, self.address)

    def display(self) -> str:
        """How the form shows it: ``Name <a@b>``, the name quoted only when it must be."""
        if not self.name:
            return self.address
        name = self.name
        if _QUOTE_NEEDED.search(name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{self.address}>"


@dataclass(frozen=True)
class Recipients:
    """An address field as typed: the mailboxes read, and the pieces that are not one."""

    mailboxes: tuple[Mailbox, ...]
    invalid: tuple[str, ...]


def _valid_addr_spec(local: str | None, domain: str | None) -> bool:
    if not local or not domain or "." not in domain.strip("."):
        return False
    text = f"{local}@{domain}"
    return not any(c.isspace() or ord(c) < 0x20 or c in "<>\x7f" for c in text)


def parse_recipients(text: str) -> Recipients:
    """The mailboxes of a To/Cc/Bcc field as typed (commas or semicolons between them;
    RFC 5322 §3.4 syntax, tolerantly). Pieces without a usable ``local@domain`` (no
    ``@``, no dot in the domain, spaces) are reported in ``invalid``, as typed."""
    mailboxes: list[Mailbox] = []
    invalid: list[str] = []
    for piece in _split_pieces(text):
        found = [a for a in parse_address_list(piece) if a.is_mailbox]
        if len(found) != 1 or not _valid_addr_spec(found[0].local, found[0].domain):
            invalid.append(piece)
            continue
        address = found[0]
        name = decode_encoded_words(address.name).strip() if address.name else None
        mailbox = Mailbox(name or None, address.addr_spec)
        if all(m.address.lower() != mailbox.address.lower() for m in mailboxes):
            mailboxes.append(mailbox)
    return Recipients(tuple(mailboxes), tuple(invalid))


def _split_pieces(text: str) -> list[str]:
    """``text`` cut at commas and semicolons outside quotes and angle brackets."""
    pieces: list[str] = []
    current: list[str] = []
    quoted = False
    angle = 0
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "<" and not quoted:
            angle += 1
        elif char == ">" and not quoted and angle:
            angle -= 1
        elif char in ",;" and not quoted and not angle:
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    return [piece.strip() for piece in pieces if piece.strip()]


@dataclass(frozen=True)
class FilePart:
    """An attachment: a file (or a message when ``content_type`` is message/rfc822)."""

    filename: str
    content_type: str
    data: bytes


def clean_filename(name: str) -> str:
    """A file name as given by a browser, without folders, controls or line breaks."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c.isprintable()).strip().strip(".")
    return cleaned[:MAX_FILENAME] or "attachment"


def clean_content_type(declared: str | None) -> str:
    """The declared media type when it is a plain ``type/subtype`` of tokens, else
    application/octet-stream (never a multipart: we build the structure)."""
    if declared:
        kind, _, subtype = declared.split(";", 1)[0].strip().lower().partition("/")
        if _TOKEN.match(kind) and _TOKEN.match(subtype) and kind != "multipart":
            return f"{kind}/{subtype}"
    return "application/octet-stream"


@dataclass(frozen=True)
class Composition:
    """A message as the form describes it."""

    sender: Mailbox
    to: tuple[Mailbox, ...] = ()
    cc: tuple[Mailbox, ...] = ()
    bcc: tuple[Mailbox, ...] = ()
    subject: str = ""
    body: str = ""
    html: str = ""
    """Clean editor HTML (``rich_text.clean_composed_html``) when written in rich text;
    ``body`` is then its plain-text alternative."""
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    attachments: tuple[FilePart, ...] = field(default=())

    @property
    def recipients(self) -> tuple[Mailbox, ...]:
        """Everyone the message goes to, once each (the SMTP envelope's RCPT TO)."""
        seen: dict[str, Mailbox] = {}
        for mailbox in (*self.to, *self.cc, *self.bcc):
            seen.setdefault(mailbox.address.lower(), mailbox)
        return tuple(seen.values())


def build_message(
    composition: Composition,
    *,
    message_id: str,
    date: float,
    include_bcc: bool,
) -> bytes:
    """The message as bytes (CRLF lines). ``include_bcc`` writes the Bcc field: for drafts
    and the Sent copy only, never for what recipients get (RFC 5322 §3.6.3)."""
    fields: list[tuple[str, str]] = [
        ("Date", format_date(date)),  # RFC 5322 §3.6.1
        ("From", composition.sender.header_text()),  # RFC 5322 §3.6.2
    ]
    for name, mailboxes in (("To", composition.to), ("Cc", composition.cc)):
        if mailboxes:
            fields.append((name, ", ".join(m.header_text() for m in mailboxes)))
    if include_bcc and composition.bcc:
        fields.append(("Bcc", ", ".join(m.header_text() for m in composition.bcc)))
    fields.append(("Subject", encode_header_value(composition.subject, field_name="Subject")))
    fields.append(("Message-ID", message_id))  # RFC 5322 §3.6.4
    if composition.in_reply_to:
        fields.append(("In-Reply-To", " ".join(composition.in_reply_to)))
    if composition.references:
        fields.append(("References", " ".join(composition.references)))
    fields.append(("MIME-Version", "1.0"))  # RFC 2045 §4
    content_fields, content = _text_part(composition.body)
    if composition.html:
        # RFC 2046 §5.1.4: alternatives in increasing faithfulness, the plain text first.
        html_fields, html_body = _html_part(composition.html)
        content_fields, content = _multipart(
            "alternative",
            [
                header_lines(content_fields) + b"\r\n" + content,
                header_lines(html_fields) + b"\r\n" + html_body,
            ],
        )
    if composition.attachments:
        parts = [header_lines(content_fields) + b"\r\n" + content]
        parts.extend(_attachment_part(item) for item in composition.attachments)
        content_fields, content = _multipart("mixed", parts)
    return header_lines(fields + content_fields) + b"\r\n" + content


def _multipart(subtype: str, parts: list[bytes]) -> tuple[list[tuple[str, str]], bytes]:
    """The Content-Type field and the body of a multipart of ``parts`` (each its header
    lines, an empty line and its body)."""
    boundary = mime_boundary(b"".join(parts))
    fields = [("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')]
    delimiter = b"--" + boundary.encode("ascii")
    # RFC 2046 §5.1.1: each part follows a delimiter line; the close delimiter ends them.
    body = b"".join(delimiter + b"\r\n" + part + b"\r\n" for part in parts) + delimiter + b"--\r\n"
    return fields, body


def normalize_text(text: str) -> str:
    """Lines ended by CRLF, without NUL, ending with one line break."""
    lines = _LINE_ENDINGS.split(text.replace("\x00", ""))
    while lines and not lines[-1].strip():
        lines.pop()
    return "".join(line.rstrip(" ") + "\r\n" for line in lines)


def _text_part(text: str) -> tuple[list[tuple[str, str]], bytes]:
    body = normalize_text(text)
    simple = body.isascii() and all(
        len(line) <= _SHORT_LINE and not line.startswith(("From ", "."))
        for line in body.split("\r\n")
    )
    fields = [("Content-Type", "text/plain; charset=utf-8")]
    if simple:
        fields.append(("Content-Transfer-Encoding", "7bit"))
        return fields, body.encode("ascii")
    fields.append(("Content-Transfer-Encoding", "quoted-printable"))
    return fields, quoted_printable(body.removesuffix("\r\n")) + b"\r\n"


def _html_part(fragment: str) -> tuple[list[tuple[str, str]], bytes]:
    """The text/html alternative: the whole document, quoted-printable (RFC 2045 §6.7),
    since editor HTML has long lines."""
    document = normalize_text(html_document(fragment))
    fields = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ]
    return fields, quoted_printable(document.removesuffix("\r\n")) + b"\r\n"


def _parameter(name: str, value: str) -> str:
    """``name="value"``, or the RFC 2231 §4 form ``name*=utf-8''...`` when it is not
    printable ASCII without quotes."""
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'{name}="{value}"'
    return f"{name}*=utf-8''{quote(value, safe='')}"


def _attachment_part(item: FilePart) -> bytes:
    name = clean_filename(item.filename)
    content_type = clean_content_type(item.content_type)
    disposition = f"attachment; {_parameter('filename', name)}"  # RFC 2183
    if content_type == "message/rfc822" and _fit_for_rfc822(item.data):
        # RFC 2046 §5.2.1: no encoding but 7bit, 8bit or binary for message/rfc822.
        encoding = "7bit" if item.data.isascii() else "8bit"
        data = item.data if item.data.endswith(b"\r\n") else item.data + b"\r\n"
        fields = [
            ("Content-Type", "message/rfc822"),
            ("Content-Disposition", disposition),
            ("Content-Transfer-Encoding", encoding),
        ]
        return header_lines(fields) + b"\r\n" + data.removesuffix(b"\r\n")
    if content_type == "message/rfc822":
        content_type = "application/octet-stream"
    fields = [
        ("Content-Type", f"{content_type}; {_parameter('name', name)}"),
        ("Content-Disposition", disposition),
        ("Content-Transfer-Encoding", "base64"),
    ]
    encoded = base64.encodebytes(item.data).replace(b"\n", b"\r\n")  # 76-character lines
    return header_lines(fields) + b"\r\n" + encoded.removesuffix(b"\r\n")


def _fit_for_rfc822(data: bytes) -> bool:
    """CRLF lines of at most 998 octets without NUL or bare CR/LF (RFC 5322 §2.1.1)."""
    if b"\x00" in data:
        return False
    lines = data.split(b"\r\n")
    return all(len(line) <= 998 and b"\r" not in line and b"\n" not in line for line in lines)


# --- replies and forwards -------------------------------------------------------------------


def reply_subject(subject: str) -> str:
    """``Re: subject``, without piling up prefixes (RFC 5322 §3.6.5)."""
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}".strip()


def forward_subject(subject: str) -> str:
    return subject if _FORWARD_PREFIX.match(subject) else f"Fwd: {subject}".strip()


def bracketed(ids: Iterable[str]) -> tuple[str, ...]:
    """Message ids as RFC 5322 §3.6.4 msg-id, ``<id>``, from ids with or without angle
    brackets; anything that cannot be one (blanks, controls, brackets inside) is dropped."""
    out = []
    for found in ids:
        bare = found.strip().removeprefix("<").removesuffix(">")
        usable = 0 < len(bare) <= 250 and bare.isascii() and bare.isprintable()
        if usable and not any(c in bare for c in " <>"):
            out.append(f"<{bare}>")
    return tuple(dict.fromkeys(out))


def form_message_ids(text: str) -> tuple[str, ...]:
    """The msg-ids of a hidden form field (In-Reply-To, References), bracketed."""
    return bracketed(message_ids(text))


def reply_threading(
    message_id: str | None, references: Sequence[str], in_reply_to: Sequence[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(In-Reply-To, References) of a reply (RFC 5322 §3.6.4): the parent's id, and the
    parent's References (or else its In-Reply-To) followed by the parent's id; bracketed."""
    parent = bracketed([message_id] if message_id else [])
    if not parent:
        return (), bracketed(references)
    chain = list(references) or list(in_reply_to)[:1]
    return parent, bracketed([*chain, *parent])


def mailboxes_of(addresses: Envelope | None, which: str) -> tuple[Mailbox, ...]:
    """The mailboxes of one envelope field, names decoded."""
    if addresses is None:
        return ()
    chosen = {
        "from": addresses.from_,
        "reply_to": addresses.reply_to,
        "to": addresses.to,
        "cc": addresses.cc,
        "bcc": addresses.bcc,
    }[which]
    out = []
    for address in chosen:
        if address.is_mailbox and address.local and address.domain:
            name = decode_encoded_words(address.name).strip() if address.name else None
            out.append(Mailbox(name or None, address.addr_spec))
    return tuple(out)


def reply_recipients(
    envelope: Envelope, own: Iterable[str], *, to_all: bool
) -> tuple[tuple[Mailbox, ...], tuple[Mailbox, ...]]:
    """(To, Cc) of a reply: Reply-To or else From (RFC 5322 §3.6.2); for reply-all also
    the original To and Cc in Cc, without our own addresses and without duplicates. A reply
    to one's own message (from Sent) goes to its recipients instead."""
    mine = {address.lower() for address in own}
    to = mailboxes_of(envelope, "reply_to") or mailboxes_of(envelope, "from")
    if to and all(mailbox.address.lower() in mine for mailbox in to):
        others = [m for m in mailboxes_of(envelope, "to") if m.address.lower() not in mine]
        to = tuple(others) or to
    seen = {mailbox.address.lower() for mailbox in to}
    cc: list[Mailbox] = []
    if to_all:
        for mailbox in (*mailboxes_of(envelope, "to"), *mailboxes_of(envelope, "cc")):
            key = mailbox.address.lower()
            if key in seen or key in mine:
                continue
            seen.add(key)
            cc.append(mailbox)
    return to, tuple(cc)


def quoted(text: str, intro: str) -> str:
    """A reply's body: an empty line to write in, ``intro``, then the text, quoted."""
    lines = _LINE_ENDINGS.split(text.rstrip())
    return "\n\n" + intro + "\n" + "\n".join(("> " + line).rstrip() for line in lines) + "\n"


def forwarded(text: str, intro: str, headers: Sequence[tuple[str, str]]) -> str:
    """An inline forward's body: the original's main header fields, then its text."""
    head = "\n".join(f"{name}: {value}" for name, value in headers if value)
    return f"\n\n{intro}\n{head}\n\n{text.rstrip()}\n"
