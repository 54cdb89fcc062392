"""Virus scanning with ClamAV's clamd (issue 7): optional, off until
``[antivirus] clamd`` names the daemon's address.

Every message, from other servers and from our own users (a compromised account must not
send a virus on), is scanned as received before anything is stored or queued. Module map::

    daemon          connect to a helper daemon (TCP or unix socket), one request, one reply,
                    one deadline; the ScannerError family (shared with spam.external)
    clamd_protocol  the zINSTREAM request and clamd's replies as bytes (pure)
    clamd           ClamdClient: one scan over one connection
    screening       VirusScreen: the verdict for a message (refuse, accept with an
                    X-Virus-Scan field, or fail temporarily) under [antivirus]

The delivery pipeline turns an infected message into ``554 5.7.0`` and a scan that could
not run into ``451 4.7.0`` or an ``X-Virus-Scan: not run (...)`` field.
"""

from courriel.antivirus.clamd import ClamdClient
from courriel.antivirus.daemon import ScannerError, ScannerReplyError, ScannerUnreachable
from courriel.antivirus.screening import FIELD, Screening, VirusScreen, remove_virus_fields

__all__ = [
    "FIELD",
    "ClamdClient",
    "ScannerError",
    "ScannerReplyError",
    "ScannerUnreachable",
    "Screening",
    "VirusScreen",
    "remove_virus_fields",
]
