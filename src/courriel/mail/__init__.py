"""Pure email-format code: parse a message once at ingest, serve everything from the result.

``parse_message(raw)`` scans the bytes of an RFC 5322/MIME message and returns a
:class:`ParsedMessage` (MIME tree with byte offsets, ENVELOPE, search/sort/thread summary,
RFC 8970 preview); ``encode``/``decode`` store it as one compact value; ``extract_text``
gives the text for full-text search; ``find_section``/``section_range`` answer IMAP section
addressing. Module map::

    charset        MIME charset labels -> codecs, tolerant byte decoding
    headers        header block end, fields with offsets, unfolding      (RFC 5322 §2.2)
    lines          CRLF normalisation, size on the wire                  (RFC 1939 §11)
    encoded_words  RFC 2047 encoded words
    params         Content-Type/Disposition parameters                   (RFC 2045, 2183, 2231)
    transfer       base64 / quoted-printable                             (RFC 2045 §6)
    address        address lists, IMAP address records, IDNA             (RFC 5322 §3.4)
    dates          Date header -> UTC timestamp, and the day it names    (RFC 5322 §3.3)
    subject        base subject                                          (RFC 5256 §2.1)
    envelope       IMAP ENVELOPE                                         (RFC 9051 §7.5.2)
    part           Part tree, section addressing                         (RFC 9051 §6.4.5)
    mime           the byte scanner that builds the Part tree            (RFC 2045, 2046)
    text           search text and preview                               (RFC 8970)
    summary        SEARCH/SORT/THREAD values                             (RFC 5256, 5957)
    message        ParsedMessage, parse_message
    codec          encode / decode of ParsedMessage

Nothing here does I/O, logs, reads configuration or keeps mutable global state.
"""

from courriel.mail.address import (
    Address,
    domain_to_ascii,
    domain_to_unicode,
    format_address,
    format_address_list,
    parse_address_list,
)
from courriel.mail.charset import decode_bytes, header_bytes_to_str
from courriel.mail.codec import DecodeError, decode, encode
from courriel.mail.compose import (
    add_missing_headers,
    encode_header_value,
    fold_value,
    format_date,
    has_header,
    header_end,
    header_lines,
    make_message_id,
)
from courriel.mail.dates import parse_date, parse_date_day
from courriel.mail.dsn import RecipientStatus, build_dsn, is_bounce_loop_risk, parse_dsn
from courriel.mail.encoded_words import (
    decode_encoded_words,
    decode_header_block,
    decode_header_value,
)
from courriel.mail.envelope import Envelope, build_envelope
from courriel.mail.headers import HeaderField, find_header_end, split_header_fields, unfold
from courriel.mail.lines import WireSizeCounter, normalize_line_endings, wire_size
from courriel.mail.message import ParsedMessage, find_section, parse_message, section_range
from courriel.mail.mime import MAX_DEPTH, MAX_PARTS
from courriel.mail.params import decode_params, get_param, parse_content_type, parse_disposition
from courriel.mail.part import Part, find_part, iter_parts, part_range
from courriel.mail.received import received_header, received_protocol, return_path_header
from courriel.mail.subject import base_subject
from courriel.mail.summary import Summary, message_ids
from courriel.mail.text import (
    MAX_TEXT_CHARS,
    PREVIEW_CHARS,
    extract_text,
    html_to_text,
    part_text,
    preview_text,
)
from courriel.mail.transfer import decode_base64, decode_quoted_printable, decode_transfer_encoding

__all__ = [
    "MAX_DEPTH",
    "MAX_PARTS",
    "MAX_TEXT_CHARS",
    "PREVIEW_CHARS",
    "Address",
    "DecodeError",
    "Envelope",
    "HeaderField",
    "ParsedMessage",
    "Part",
    "RecipientStatus",
    "Summary",
    "WireSizeCounter",
    "add_missing_headers",
    "base_subject",
    "build_dsn",
    "build_envelope",
    "decode",
    "decode_base64",
    "decode_bytes",
    "decode_encoded_words",
    "decode_header_block",
    "decode_header_value",
    "decode_params",
    "decode_quoted_printable",
    "decode_transfer_encoding",
    "domain_to_ascii",
    "domain_to_unicode",
    "encode",
    "encode_header_value",
    "extract_text",
    "find_header_end",
    "find_part",
    "find_section",
    "fold_value",
    "format_address",
    "format_address_list",
    "format_date",
    "get_param",
    "has_header",
    "header_bytes_to_str",
    "header_end",
    "header_lines",
    "html_to_text",
    "is_bounce_loop_risk",
    "iter_parts",
    "make_message_id",
    "message_ids",
    "normalize_line_endings",
    "parse_address_list",
    "parse_content_type",
    "parse_date",
    "parse_date_day",
    "parse_disposition",
    "parse_dsn",
    "parse_message",
    "part_range",
    "part_text",
    "preview_text",
    "received_header",
    "received_protocol",
    "return_path_header",
    "section_range",
    "split_header_fields",
    "unfold",
    "wire_size",
]
