"""Bytes to text: MIME charset labels and the fallbacks used when a label lies.

Owns: mapping a MIME charset label (RFC 2045 §5.1 ``charset`` parameter, RFC 2047 §2
encoded-word charset, RFC 2231 §4 ``charset'lang'`` prefix) to a Python codec, and decoding
bytes with it without ever raising. Header bytes that are not encoded words are read as
UTF-8 (RFC 6532 §3.2) and, when that fails, as windows-1252, so 8-bit junk still becomes
readable text.

Labels follow the WHATWG Encoding Standard where mail practice agrees with it: ``us-ascii``
and ``iso-8859-1`` mean windows-1252, ``gb2312`` means GB18030, ``ks_c_5601-1987`` means
windows-949, ``shift_jis`` means windows-31J.

Must not: raise, log, or keep state between calls.
"""

from __future__ import annotations

import codecs

# Labels whose Python codec is missing, narrower than what senders really use, or wrong.
_ALIASES: dict[str, str] = {
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ansi_x3.4-1968": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "iso-8859-8-i": "iso8859-8",
    "iso-8859-6-i": "iso8859-6",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "gb_2312-80": "gb18030",
    "chinese": "gb18030",
    "csgb2312": "gb18030",
    "big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601-1989": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "korean": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
}

# Codecs that can turn input into lone surrogates, which UTF-8 cannot carry.
_SURROGATE_PRONE = frozenset(
    {"utf-7", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}
)

# Python codecs that are not text charsets at all (``charset=base64`` must not work).
_NOT_TEXT = frozenset(
    {
        "base64",
        "hex",
        "quopri",
        "rot-13",
        "uu",
        "zlib",
        "bz2",
        "punycode",
        "idna",
        "undefined",
        "unicode-escape",
        "raw-unicode-escape",
        "unicode-internal",
        "string-escape",
        "mbcs",
        "oem",
    }
)


# Labels seen on nearly every message, answered by one dictionary lookup.
_COMMON: dict[str, str] = {
    **_ALIASES,
    "utf-8": "utf-8",
    "UTF-8": "utf-8",
    "US-ASCII": "cp1252",
    "ISO-8859-1": "cp1252",
    "windows-1252": "cp1252",
    "iso-8859-15": "iso8859-15",
    "ISO-8859-15": "iso8859-15",
    "iso-2022-jp": "iso2022_jp",
    "ISO-2022-JP": "iso2022_jp",
    "koi8-r": "koi8-r",
    "windows-1251": "cp1251",
    "windows-1250": "cp1250",
    "iso-8859-2": "iso8859-2",
    "euc-jp": "euc_jp",
}


def codec_name(label: str | None) -> str | None:
    """The Python codec for a MIME charset label, or None when the label is unknown.

    Quotes, case, surrounding blanks and an RFC 2231 §5 ``*language`` suffix are ignored.
    """
    if not label:
        return None
    common = _COMMON.get(label)
    if common is not None:
        return common
    key = label.strip().strip("\"'").lower()
    star = key.find("*")
    if star >= 0:
        key = key[:star]
    if not key:
        return None
    alias = _ALIASES.get(key)
    if alias is not None:
        return alias
    try:
        name = codecs.lookup(key).name
    except (LookupError, ValueError):
        return None
    if name in _NOT_TEXT:
        return None
    return name


def decode_bytes(data: bytes, label: str | None) -> str:
    """Decode ``data`` declared as charset ``label``; never raises.

    An unknown or missing label, and text labelled ASCII that is valid UTF-8, are read as
    UTF-8 first, then windows-1252. Undecodable bytes become U+FFFD.
    """
    if not data:
        return ""
    name = codec_name(label)
    if name is None or name == "cp1252":
        if data.isascii():
            return data.decode("ascii")
        # Mislabelled or unlabelled 8-bit text is far more often UTF-8 than anything else.
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp1252", "replace")
    if name == "utf-8":
        return data.decode("utf-8", "replace")
    try:
        text = data.decode(name, "replace")
    except (LookupError, ValueError, TypeError):  # codec crashes on odd input
        return data.decode("utf-8", "replace")
    if name in _SURROGATE_PRONE:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def header_bytes_to_str(data: bytes) -> str:
    """Header bytes as text: ASCII fast path, UTF-8 (RFC 6532 §3.2), else windows-1252."""
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")
