"""A DNS server that knows no names: it answers every query NXDOMAIN and writes it down.

Run inside a network namespace whose ``resolv.conf`` points at it, it counts every host
name a program tries to look up (``tests/test_render_offline_dns.py``)::

    python tests/dns_stub.py LOG READY [PORT]

listens on 127.0.0.1:PORT (UDP and TCP, default 53), appends one line ``name type`` to LOG
per query in the order they arrive over UDP, and creates the file READY once both sockets
listen. It runs until killed.
"""

from __future__ import annotations

import socketserver
import struct
import sys
import threading
from pathlib import Path

NXDOMAIN_FLAGS = 0x8183  # response, recursion desired and available, rcode 3 (NXDOMAIN)


def question(query: bytes) -> tuple[str, int, int]:
    """The queried name, its type and where the question section ends."""
    labels, at = [], 12
    while at < len(query) and query[at]:
        length = query[at]
        labels.append(query[at + 1:at + 1 + length].decode("ascii", "replace"))
        at += 1 + length
    at += 1
    qtype = struct.unpack(">H", query[at:at + 2])[0] if at + 2 <= len(query) else 0
    return ".".join(labels), qtype, min(at + 4, len(query))


def nxdomain(query: bytes) -> bytes:
    """The answer to ``query``: its id and question, no such name."""
    _, _, end = question(query)
    return query[:2] + struct.pack(">HHHHH", NXDOMAIN_FLAGS, 1, 0, 0, 0) + query[12:end]


class Log:
    def __init__(self, path: Path) -> None:
        self.path, self.lock = path, threading.Lock()

    def query(self, query: bytes) -> bytes:
        name, qtype, _ = question(query)
        with self.lock, self.path.open("a", encoding="utf-8") as out:
            out.write(f"{name} {qtype}\n")
        return nxdomain(query)


def main(log_path: str, ready_path: str, port: str = "53") -> None:
    log = Log(Path(log_path))

    class Udp(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            data, sock = self.request
            if len(data) >= 12:
                sock.sendto(log.query(data), self.client_address)

    class Tcp(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            while (head := self.rfile.read(2)) and len(head) == 2:
                data = self.rfile.read(struct.unpack(">H", head)[0])
                if len(data) < 12:
                    return
                answer = log.query(data)
                self.wfile.write(struct.pack(">H", len(answer)) + answer)

    socketserver.UDPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    udp = socketserver.UDPServer(  # one at a time: the log keeps the arrival order
        ("127.0.0.1", int(port)), Udp)
    tcp = socketserver.ThreadingTCPServer(("127.0.0.1", int(port)), Tcp)
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    Path(ready_path).touch()
    udp.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])
