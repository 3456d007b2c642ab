"""Runs *inside* the install sandbox: a relay from 127.0.0.1:PORT to the host proxy's socket.

    python3 -I forwarder.py SOCKET PORT -- COMMAND...

It listens on the sandbox's own loopback, starts COMMAND (its exit code is this script's),
and copies bytes between each connection and the unix socket the host's ``RegistryProxy``
serves. Standard library only: it runs under the sandbox's Python, not TATS's environment.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading


def pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy one direction of a connection until it ends, then pass the end on."""
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def _relay(client: socket.socket, socket_path: str) -> None:
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(socket_path)
    except OSError:
        client.close()
        upstream.close()
        return
    back = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
    back.start()
    pipe(client, upstream)
    back.join()
    client.close()
    upstream.close()


def _serve(listener: socket.socket, socket_path: str) -> None:
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_relay, args=(client, socket_path), daemon=True).start()


def main(argv: list[str]) -> int:
    socket_path, port, separator, *command = argv
    if separator != "--" or not command:
        print("usage: forwarder.py SOCKET PORT -- COMMAND...", file=sys.stderr)
        return 2
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", int(port)))
    listener.listen(64)
    threading.Thread(target=_serve, args=(listener, socket_path), daemon=True).start()
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
