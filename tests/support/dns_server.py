"""A tiny authoritative DNS server on loopback UDP for tests of outside daemons (pebble).

``running_dns_server(records)`` answers A queries for the names in ``records`` (a dict the
test may change while the server runs), NOERROR with no answer for other types of a known
name (AAAA, CAA...) and NXDOMAIN for unknown names. dnspython builds and parses the
messages; a thread serves a port chosen by the kernel (port 0).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

HOST = "127.0.0.1"


Lookup = Callable[[str, str], list[str] | None]
"""``(name, type)`` -> the records' texts (``[]``: none of that type), None for a name that
does not exist (NXDOMAIN). Names are lower case, without the final dot."""


def dns_answer(query_wire: bytes, lookup: Lookup) -> bytes | None:
    """The authoritative answer to a query, from ``lookup``; None for bytes that are not a
    DNS query. (Shared with ``opendkim_runner``, which serves TXT records.)"""
    try:
        query = dns.message.from_wire(query_wire)
    except Exception:
        return None
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    for question in query.question:
        name = question.name.to_text(omit_final_dot=True).lower()
        kind = dns.rdatatype.to_text(question.rdtype)
        found = lookup(name, kind)
        if found is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif found:
            response.answer.append(
                dns.rrset.from_text_list(question.name, 60, dns.rdataclass.IN, kind, found)
            )
    return response.to_wire()


def _addresses(records: dict[str, str]) -> Lookup:
    def lookup(name: str, kind: str) -> list[str] | None:
        if name not in records:
            return None
        return [records[name]] if kind == "A" else []

    return lookup


@contextmanager
def running_dns_server(records: dict[str, str]) -> Iterator[int]:
    """Serve ``records`` (name -> IPv4 address) until the block ends; yields the UDP port."""
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((HOST, 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = server.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            reply = dns_answer(data, _addresses(records))
            if reply is not None:
                with suppress(OSError):
                    server.sendto(reply, peer)

    thread = threading.Thread(target=serve, name="test-dns", daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
