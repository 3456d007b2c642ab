"""Run a real ASGI app on 127.0.0.1 (port 0) in a background thread, as httpx's tests do.

with serve(app) as url:
    httpx.get(url + "/healthz")
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


class _ThreadServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # signals belong to the main thread (pytest)
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(
    app: Any, *, port: int | None = None, host: str = "127.0.0.1", **config: Any
) -> Iterator[str]:
    """Serve ``app`` until the block ends; yields its base URL (no trailing slash). ``host``
    ``0.0.0.0`` also serves this machine's other addresses (the URL stays on loopback)."""
    port = port or free_port()
    config.setdefault("log_level", "warning")
    server = _ThreadServer(uvicorn.Config(app, host=host, port=port, **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
