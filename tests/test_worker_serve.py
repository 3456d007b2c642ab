"""The worker's processes each listen on a socket of their own (``worker_service.serve``):
connections are spread across them, and Nagle's algorithm is off on every one."""

from __future__ import annotations

import asyncio
import socket

from tests.servers import free_port
from worker_service.serve import reusable_socket


class _Accepted(asyncio.Protocol):
    def __init__(self, accepted: list[socket.socket]) -> None:
        self.accepted = accepted

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.accepted.append(transport.get_extra_info("socket"))


async def _accept(sockets: list[socket.socket], connections: int) -> list[list[int]]:
    """Serve each socket as uvicorn does (``create_server(sock=...)``), open ``connections``
    to the port; for each socket, the TCP_NODELAY of every connection it accepted."""
    loop = asyncio.get_running_loop()
    accepted: list[list[socket.socket]] = [[] for _ in sockets]
    servers = [
        await loop.create_server(lambda i=i: _Accepted(accepted[i]), sock=sock)  # type: ignore[misc]
        for i, sock in enumerate(sockets)
    ]
    port = sockets[0].getsockname()[1]
    opened = [await asyncio.open_connection("127.0.0.1", port) for _ in range(connections)]
    while sum(map(len, accepted)) < connections:
        await asyncio.sleep(0.01)
    nodelay = [
        [s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in each] for each in accepted
    ]
    for _, writer in opened:
        writer.close()
    for server in servers:
        server.close()
    return nodelay


def test_connections_are_spread_across_the_processes_sockets():
    port = free_port()
    sockets = [reusable_socket("127.0.0.1", port) for _ in range(2)]
    accepted = asyncio.run(_accept(sockets, 32))
    # The kernel hashes each connection to one socket: all 32 on one of two is a 2**-31 chance.
    assert all(len(each) > 0 for each in accepted), [len(each) for each in accepted]


def test_every_accepted_connection_has_nagle_off():
    """With Nagle on, a response's body waits behind its headers for the client's delayed
    ACK: 40 ms on every delivery."""
    [nodelay] = asyncio.run(_accept([reusable_socket("127.0.0.1", free_port())], 4))
    assert len(nodelay) == 4 and all(nodelay)
