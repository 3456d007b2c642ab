"""The install phase's only way out: an allow-listing HTTPS ``CONNECT`` proxy on a unix socket.

The sandbox has no network namespace of the host's; a relay inside it (``forwarder``) turns
``HTTPS_PROXY=http://127.0.0.1:PORT`` into connections to this socket, which TATS serves on
the host. Only ``CONNECT host:443`` to an allowed registry host is tunnelled, and only when the
name resolves to a public address (never loopback, link-local, private-use or unspecified),
so PostgreSQL, the queue, the worker and cloud metadata stay out of reach whatever a package
manager is told. TLS passes through untouched.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from tats_core.testrun.forwarder import pipe

Resolver = Callable[[str, int], list[str]]
HEAD_LIMIT = 8192


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _reachable(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback
        or ip.is_reserved
        or ip.is_link_local
        or ip.is_unspecified
        or ip.is_multicast
        or ip in ipaddress.ip_network("10.0.0.0/8")
        or ip in ipaddress.ip_network("172.16.0.0/12")
        or ip in ipaddress.ip_network("192.168.0.0/16")
        or ip in ipaddress.ip_network("100.64.0.0/10")
        or ip in ipaddress.ip_network("fc00::/7")
    )


class RegistryProxy:
    """Serves ``CONNECT`` on ``socket_path`` while the ``with`` block runs."""

    def __init__(
        self,
        socket_path: Path,
        allowed_hosts: frozenset[str],
        *,
        resolver: Resolver = resolve,
        connect_timeout: float = 15.0,
        idle_timeout: float = 120.0,
    ) -> None:
        self.socket_path = socket_path
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)
        self.resolver = resolver
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.refused: list[str] = []
        self.tunnelled: list[str] = []
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def __enter__(self) -> RegistryProxy:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.socket_path))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _serve(self, client: socket.socket) -> None:
        self._track(client)
        client.settimeout(self.idle_timeout)
        try:
            target = self._open_tunnel(client)
            if target is not None:
                self._relay(client, target)
        except OSError:
            pass
        finally:
            client.close()

    def _open_tunnel(self, client: socket.socket) -> socket.socket | None:
        head = _read_head(client)
        method, _, rest = head.partition(" ")
        authority = rest.split(" ", 1)[0]
        host, _, port = authority.rpartition(":")
        host = host.strip("[]").lower()
        if method != "CONNECT" or port != "443" or host not in self.allowed_hosts:
            self._refuse(client, authority or head[:80], "403 Forbidden")
            return None
        try:
            addresses = self.resolver(host, 443)
        except OSError:
            self._refuse(client, authority, "502 Bad Gateway")
            return None
        if not addresses or not all(_reachable(a) for a in addresses):
            self._refuse(client, authority, "403 Forbidden")
            return None
        target = socket.create_connection((addresses[0], 443), timeout=self.connect_timeout)
        self._track(target)
        target.settimeout(self.idle_timeout)
        self.tunnelled.append(host)
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        return target

    def _refuse(self, client: socket.socket, what: str, status: str) -> None:
        self.refused.append(what)
        client.sendall(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n".encode())

    def _relay(self, client: socket.socket, target: socket.socket) -> None:
        back = threading.Thread(target=pipe, args=(target, client), daemon=True)
        back.start()
        pipe(client, target)
        back.join()
        target.close()


def _read_head(client: socket.socket) -> str:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < HEAD_LIMIT:
        chunk = client.recv(1024)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0].decode("latin-1")
