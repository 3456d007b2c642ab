"""The development commands of ``tats``: ``dev`` (the whole stack) and ``qstash-dev``."""

from __future__ import annotations

import argparse
from pathlib import Path

from tats_core.settings import load_settings


def run(args: argparse.Namespace) -> int:
    if args.command == "qstash-dev":
        from tats_dev.qstash_server import serve

        Path(args.db).parent.mkdir(parents=True, exist_ok=True)
        serve(host=args.host, port=args.port, db_path=args.db, delay_scale=args.delay_scale)
        return 0
    from tats_dev.devstack import run_dev_stack

    return run_dev_stack(load_settings(), demo=args.demo, app_port=args.app_port)
