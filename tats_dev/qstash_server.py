"""A local QStash-compatible server for development: the real ``qstash`` SDK publishes to it.

Point the SDK at it with ``QSTASH_URL=http://127.0.0.1:8080`` and the dev-server credentials
(``tats_core.settings.DEV_*``, the official CLI's defaults). It stores messages in SQLite, then
delivers real signed requests that ``qstash.Receiver`` accepts, with QStash's retries, backoff,
``Retry-After``, dead-letter queue, callbacks, deduplication, delays and flow control; it also
has QStash's logs, schedules (cron), queues, URL groups and bulk operations by ids or filters.
The official qstash-py 3.4.0 test suite (LLM tests aside) passes against it.

Run it alone with ``python -m tats_dev.qstash_server --port 8080 --db qstash-dev.db``. Tests
that run it in a process of its own add ``--test-clock OFFSET``: its clock then starts OFFSET
seconds from the wall clock's and ``POST /dev/clock`` moves it forward (``qstash.clock``).
"""

from __future__ import annotations

import argparse
import logging

import uvicorn

from tats_core.routes import QSTASH_PORT
from tats_core.settings import DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY, DEV_QSTASH_TOKEN
from tats_dev.qstash.api import create_app
from tats_dev.qstash.clock import Clock, ShiftedClock

__all__ = [
    "DEFAULT_DB_PATH",
    "DEV_CURRENT_SIGNING_KEY",
    "DEV_NEXT_SIGNING_KEY",
    "DEV_TOKEN",
    "create_app",
    "main",
    "serve",
]

DEV_TOKEN = DEV_QSTASH_TOKEN
DEFAULT_DB_PATH = "qstash-dev.db"


def serve(
    host: str = "127.0.0.1",
    port: int = QSTASH_PORT,
    db_path: str = DEFAULT_DB_PATH,
    delay_scale: float = 1.0,
    log_level: str = "info",
    clock: Clock | None = None,
) -> None:
    """Run the server in the foreground until interrupted (Ctrl-C or SIGTERM)."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    app = create_app(db_path=db_path, delay_scale=delay_scale, clock=clock)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tats_dev.qstash_server", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=QSTASH_PORT)
    parser.add_argument("--db", default=DEFAULT_DB_PATH, help="SQLite file for messages")
    parser.add_argument(
        "--delay-scale",
        type=float,
        default=1.0,
        help="multiplies the default retry backoff (e.g. 0.01 for quick local runs)",
    )
    parser.add_argument("--log-level", default="info")
    parser.add_argument(
        "--test-clock",
        type=float,
        metavar="OFFSET",
        help="tests only: a clock OFFSET seconds from the wall clock, moved by POST /dev/clock",
    )
    args = parser.parse_args(argv)
    clock = None if args.test_clock is None else ShiftedClock(args.test_clock)
    serve(args.host, args.port, args.db, args.delay_scale, args.log_level, clock)


if __name__ == "__main__":
    main()
