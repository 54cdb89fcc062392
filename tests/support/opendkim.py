"""OpenDKIM's ``opendkim-testmsg`` as an independent DKIM verifier for tests.

dkimpy is both our signer and our verifier, so a mistake shared by both would go unseen;
OpenDKIM (libopendkim, C, Debian's ``opendkim-tools``) is a separate implementation. It asks
real DNS for the keys, so each run happens in fresh network and mount namespaces where a
stub DNS server on 127.0.0.1 serves the given TXT records (``opendkim_runner.py``): nothing
touches the machine's own network or resolver.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

RUNNER = Path(__file__).with_name("opendkim_runner.py")
SKIP_REASON = "needs opendkim-testmsg (scripts/debian-packages.txt) and unshare with privileges"

# A master-file TXT line as `courriel dkim show` prints it: name, optional TTL, class, type,
# then one or more quoted character-strings (RFC 1035 §5.1).
_TXT_LINE = re.compile(r'^(\S+)\.(?:\s+\d+)?\s+IN\s+TXT\s+((?:"[^"]*"\s*)+)$')
_STRING = re.compile(r'"([^"]*)"')


def opendkim_available() -> bool:
    """True when ``opendkim-testmsg`` is installed and namespaces can be made here."""
    if shutil.which("opendkim-testmsg") is None or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--net", "--mount", "--", "true"], capture_output=True, check=False
    )
    return probe.returncode == 0


def opendkim_verify(
    message: bytes, records: Mapping[str, Sequence[str]], work: Path
) -> subprocess.CompletedProcess[bytes]:
    """Run ``opendkim-testmsg`` (verify mode) on ``message`` with DNS serving ``records``
    (a name to its TXT character-strings; a long record as several, as in a zone file).
    Exit status 0 means every signature verified; the output says why not otherwise."""
    work.mkdir(parents=True, exist_ok=True)
    records_file = work / "records.json"
    records_file.write_text(json.dumps({name: list(strings) for name, strings in records.items()}))
    eml = work / "message.eml"
    eml.write_bytes(message)
    return subprocess.run(
        [
            "unshare",
            "--net",
            "--mount",
            "--",
            sys.executable,
            str(RUNNER),
            str(records_file),
            str(eml),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )


def zone_records(zone_lines: str) -> dict[str, list[str]]:
    """The TXT records of master-file lines (``courriel dkim show`` output): name → strings."""
    records = {}
    for line in zone_lines.splitlines():
        match = _TXT_LINE.match(line.strip())
        if match is not None:
            records[match.group(1).lower()] = _STRING.findall(match.group(2))
    return records
