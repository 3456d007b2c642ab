"""Serving the worker: ``tats worker`` (and ``bench/worker.py``) start uvicorn here.

One process is ``uvicorn.run``. Several (``--workers N``) are N processes that each listen on a
socket of their own, bound with ``SO_REUSEPORT``, so that the kernel spreads connections
evenly across them, and a small supervisor that restarts a process that dies.

Why not uvicorn's own ``--workers``: its processes share one listening socket, and asyncio
accepts every connection waiting when it wakes (up to the backlog), so one process takes a
whole burst of connections. QStash, like the local queue server, opens its connections in a
burst and keeps them alive: with 2 processes at flow-control parallelism 32, one process held
28 of the queue's 32 connections and did 70% of the work (``bench/worker.py``). Here, 14 and
18. Where ``SO_REUSEPORT`` is missing (Windows), uvicorn's workers are used.

``SO_REUSEPORT`` also lets another ``tats worker`` run by the same user bind the same port
and share its connections, where uvicorn's would fail with "address already in use".
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

log = logging.getLogger("tats.worker")

APP = "worker_service.app:app_from_env"
# On SIGTERM, deliveries in flight may finish for this long before they are cancelled; the
# worker's shutdown then releases their leases, so the next delivery takes them at once.
GRACEFUL_SHUTDOWN_S = 20
SUPERVISE_EVERY_S = 0.5


@dataclass(frozen=True)
class Serving:
    """What uvicorn is told, the same in every process."""

    app: str = APP
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    access_log: bool = False  # the worker logs one line per delivery itself
    app_dir: str | None = None  # put on sys.path first (the benchmark's own app factory)
    extra: dict[str, Any] = field(default_factory=dict)

    def config(self, workers: int = 1) -> dict[str, Any]:
        return {
            "factory": True,
            "host": self.host,
            "port": self.port,
            "workers": workers,
            "log_level": self.log_level,
            "log_config": None,  # each process logs through tats_core.logs (TATS_LOG_FORMAT)
            "access_log": self.access_log,
            "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
            **self.extra,
        }


def serve(serving: Serving, workers: int = 1) -> int:
    """Serve until interrupted (Ctrl-C, SIGTERM); the exit status."""
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(serving.app, app_dir=serving.app_dir, **serving.config(workers))
        return 0
    return _Supervisor(serving, workers).run()


def reusable_socket(host: str, port: int) -> socket.socket:
    """A socket bound to the address, which the other processes bind too. It is not listening
    yet: uvicorn listens once the app has started, so the kernel sends a process connections
    only when it can answer them (a process starting, or restarted, takes none meanwhile)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not left 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on
    # accepted sockets whose protocol says TCP, and uvicorn's own sockets say 0. With Nagle on,
    # a response's body waits behind its headers for the client's delayed ACK: 40 ms added to
    # every delivery (strace: the body left 0.1 ms after the headers and arrived 45 ms later).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _serve_one(serving: Serving) -> None:
    """One worker process: its own socket, one uvicorn server."""
    if serving.app_dir is not None:
        sys.path.insert(0, serving.app_dir)
    config = uvicorn.Config(serving.app, **serving.config())  # configures uvicorn's logging
    try:
        sock = reusable_socket(serving.host, serving.port)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", serving.host, serving.port, exc)
        sys.exit(STARTUP_FAILURE)
    uvicorn.Server(config).run(sockets=[sock])


class _Supervisor:
    """Starts the processes, restarts one that dies, and stops them all on SIGINT or SIGTERM.
    A process that fails to start (bad settings, port taken) stops everything: a restart would
    fail the same way."""

    def __init__(self, serving: Serving, workers: int) -> None:
        self.serving = serving
        self.workers = workers
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[BaseProcess] = []
        self.stopping = False

    def run(self) -> int:
        try:  # fail here, with one clear line, when the port is taken by anything else
            reusable_socket(self.serving.host, self.serving.port).close()
        except OSError as exc:
            log.error("cannot listen on %s:%s: %s", self.serving.host, self.serving.port, exc)
            return 1
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._stop)
        self.processes = [self._start() for _ in range(self.workers)]
        status = 0
        while not self.stopping:
            time.sleep(SUPERVISE_EVERY_S)
            for i, process in enumerate(self.processes):
                if self.stopping or process.exitcode is None:
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    log.error("worker process %s failed to start; stopping", process.pid)
                    self.stopping, status = True, 1
                    break
                log.warning(
                    "worker process %s exited (%s); starting another", process.pid, process.exitcode
                )
                self.processes[i] = self._start()
        for process in self.processes:
            if process.exitcode is None:
                process.terminate()  # SIGTERM: uvicorn's graceful shutdown
        for process in self.processes:
            process.join()
        return status

    def _start(self) -> BaseProcess:
        process = self.context.Process(target=_serve_one, args=(self.serving,))
        process.start()
        return process

    def _stop(self, signum: int, frame: object) -> None:
        self.stopping = True
