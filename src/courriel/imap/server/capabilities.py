"""What the server announces in CAPABILITY (RFC 9051 §6.1.1, §7.2.2): exactly what it does.

Before login the list also says how to log in: ``STARTTLS`` while TLS can still start,
``LOGINDISABLED`` and no ``AUTH=`` mechanisms while passwords may not be sent (RFC 9051
§6.2.3, §11.1), ``AUTH=...`` with ``SASL-IR`` once they may (RFC 4959). After login,
``COMPRESS=DEFLATE`` until compression is on (RFC 4978 §3).

Must not: decide whether a command is allowed (the dispatch table and handlers do).
"""

from __future__ import annotations

#: Extensions served in every state, each with its RFC.
EXTENSIONS: tuple[str, ...] = (
    "IMAP4rev2",  # RFC 9051
    "IMAP4rev1",  # RFC 3501
    "LITERAL+",  # RFC 7888
    "SASL-IR",  # RFC 4959
    "ID",  # RFC 2971
    "ENABLE",  # RFC 5161
    "IDLE",  # RFC 2177
    "NAMESPACE",  # RFC 2342
    "UIDPLUS",  # RFC 4315
    "MOVE",  # RFC 6851
    "UNSELECT",  # RFC 3691
    "CHILDREN",  # RFC 3348
    "SPECIAL-USE",  # RFC 6154
    "CREATE-SPECIAL-USE",  # RFC 6154 §3
    "LIST-EXTENDED",  # RFC 5258
    "LIST-STATUS",  # RFC 5819
    "CONDSTORE",  # RFC 7162
    "QRESYNC",  # RFC 7162
    "ESEARCH",  # RFC 4731
    "SEARCHRES",  # RFC 5182
    "SORT",  # RFC 5256
    "SORT=DISPLAY",  # RFC 5957
    "THREAD=ORDEREDSUBJECT",  # RFC 5256
    "THREAD=REFERENCES",  # RFC 5256
    "QUOTA",  # RFC 9208
    "QUOTA=RES-STORAGE",  # RFC 9208 §5.1
    "STATUS=SIZE",  # RFC 8438
    "BINARY",  # RFC 3516
    "MULTIAPPEND",  # RFC 3502
    "UTF8=ACCEPT",  # RFC 6855
    "PREVIEW",  # RFC 8970
    "SAVEDATE",  # RFC 8514
    "OBJECTID",  # RFC 8474
)


def capabilities(
    *,
    logged_in: bool,
    starttls_available: bool,
    mechanisms: tuple[str, ...],
    compression_active: bool,
    append_limit: int,
) -> tuple[str, ...]:
    """The CAPABILITY list for the session as it is now."""
    names = [*EXTENSIONS, f"APPENDLIMIT={append_limit}"]  # RFC 7889 §3.1
    if logged_in:
        if not compression_active:
            names.append("COMPRESS=DEFLATE")  # RFC 4978 §3: after authentication
        return tuple(names)
    if starttls_available:
        names.append("STARTTLS")  # RFC 9051 §6.2.1
    if mechanisms:
        names.extend(f"AUTH={mechanism}" for mechanism in mechanisms)
    else:
        names.append("LOGINDISABLED")  # RFC 9051 §6.2.3: no passwords in the clear
    return tuple(names)
