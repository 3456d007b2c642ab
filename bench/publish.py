"""Benchmark the local QStash server: enqueue cost (batch vs one by one) and delivery rate.

    .venv/bin/python bench/publish.py [--messages 10000] [--deliveries 5000]

Three processes, so that no two share a GIL: this script (the publisher, using the real
``qstash`` SDK), the QStash server (``--qstash``, wrapped in a middleware that counts the HTTP
requests it receives) and a trivial receiving endpoint (``--receiver``) that answers 200 and
records when deliveries arrive. Request counts are read from the server, not inferred.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn
from qstash import QStash
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tats_dev.qstash_server import DEV_TOKEN, create_app

BATCH_SIZE = 100
PARKED = "1h"  # enqueue-only phases park their messages so no delivery competes with them


class RequestCounter:
    """Counts every HTTP request the wrapped app receives, except the counter's own reads."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["path"] == "/bench/requests":
                await JSONResponse({"requests": self.count})(scope, receive, send)
                return
            self.count += 1
        await self.app(scope, receive, send)


def run_qstash(port: int, db_path: str) -> None:
    app = RequestCounter(create_app(db_path=db_path))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def run_receiver(port: int) -> None:
    arrivals: list[float] = []

    async def deliver(request: Request) -> Response:
        await request.body()
        arrivals.append(time.time())
        return Response(b"ok")

    async def stats(request: Request) -> Response:
        first, last = (arrivals[0], arrivals[-1]) if arrivals else (None, None)
        return JSONResponse({"count": len(arrivals), "first": first, "last": last})

    app = Starlette(routes=[Route("/deliver", deliver, methods=["POST"]), Route("/stats", stats)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(*args: str, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, __file__, *args])
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{args[0]} did not start") from None
            time.sleep(0.05)


def timed(server: str, action: Callable[[], Any]) -> tuple[float, int]:
    """Wall seconds of ``action`` and the HTTP requests the server received meanwhile."""
    before = httpx.get(f"{server}/bench/requests").json()["requests"]
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    return seconds, httpx.get(f"{server}/bench/requests").json()["requests"] - before


def bench(messages: int, deliveries: int) -> None:
    qstash_port, receiver_port = free_port(), free_port()
    workdir = tempfile.TemporaryDirectory(prefix="tats-bench-")
    server, target = f"http://127.0.0.1:{qstash_port}", f"http://127.0.0.1:{receiver_port}"
    processes = [
        start("--qstash", str(qstash_port), os.path.join(workdir.name, "q.db"), port=qstash_port),
        start("--receiver", str(receiver_port), port=receiver_port),
    ]
    try:
        client = QStash(DEV_TOKEN, base_url=server, retry=False)
        url = f"{target}/deliver"

        def batched(count: int, **options: Any) -> Callable[[], None]:
            def run() -> None:
                for start_at in range(0, count, BATCH_SIZE):
                    chunk = range(start_at, min(count, start_at + BATCH_SIZE))
                    client.message.batch_json(
                        [{"url": url, "body": {"candidateId": i}, **options} for i in chunk]
                    )

            return run

        def one_by_one() -> None:
            for i in range(messages):
                client.message.publish_json(url=url, body={"candidateId": i}, delay=PARKED)

        batch_s, batch_requests = timed(server, batched(messages, delay=PARKED))
        single_s, single_requests = timed(server, one_by_one)

        # Every delivery becomes due at the same instant, so the receiver sees the drain rate.
        due_at = math.ceil(time.time()) + 3
        enqueue_s, _ = timed(server, batched(deliveries, not_before=due_at))
        while (stats := httpx.get(f"{target}/stats").json())["count"] < deliveries:
            if time.time() > due_at + 120:
                raise RuntimeError(f"only {stats['count']} of {deliveries} delivered in 2 min")
            time.sleep(0.1)
        drain_s = stats["last"] - stats["first"]
    finally:
        for process in processes:
            process.kill()
            process.wait()
        workdir.cleanup()

    rows = [
        ("batch_json, chunks of 100", messages, batch_requests, batch_s),
        ("publish_json, one each", messages, single_requests, single_s),
    ]
    print(f"\nEnqueue {messages:,} messages (parked {PARKED}, so nothing is delivered meanwhile)")
    print(f"{'method':<28}{'requests':>10}{'wall s':>10}{'msg/s':>10}")
    for name, count, requests, seconds in rows:
        print(f"{name:<28}{requests:>10,}{seconds:>10.2f}{count / seconds:>10,.0f}")
    print(
        f"batch is {single_s / batch_s:.1f}x faster with {single_requests / batch_requests:.0f}x fewer requests"
    )
    print(f"\nDeliver {deliveries:,} messages to a trivial endpoint (all due at once)")
    print(f"enqueued in {enqueue_s:.2f} s; first to last delivery {drain_s:.2f} s")
    print(f"deliveries per second: {(deliveries - 1) / drain_s:,.0f}")
    cores, load = os.cpu_count(), ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n(3 processes on {cores} CPU cores; load average {load})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--deliveries", type=int, default=5_000)
    parser.add_argument("--qstash", nargs=2, metavar=("PORT", "DB"), help=argparse.SUPPRESS)
    parser.add_argument("--receiver", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.qstash:
        run_qstash(int(args.qstash[0]), args.qstash[1])
    elif args.receiver:
        run_receiver(args.receiver)
    else:
        bench(args.messages, args.deliveries)


if __name__ == "__main__":
    main()
