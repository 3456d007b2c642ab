"""The ``tats`` command line (``python -m tats_core``). It only translates flags into calls."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from pathlib import Path

from tats_core.deps import Deps, build_deps
from tats_core.errors import InputError, TatsError
from tats_core.logs import configure_logging
from tats_core.routes import APP_PORT, QSTASH_PORT, WORKER_PORT
from tats_core.settings import Settings, load_settings
from tats_core.store.db import transaction
from tats_core.telemetry import MULTIPROCESS_DIR
from tats_core.triage import jobs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tats", description="TATS: triage candidates' GitHub take-home repositories."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    dev = sub.add_parser("dev", help="run the whole product locally (queue, worker, app)")
    dev.add_argument("--demo", action="store_true", help="add a sample job served offline")
    dev.add_argument("--app-port", type=int, default=APP_PORT)

    qstash = sub.add_parser("qstash-dev", help="the local QStash-compatible server alone")
    qstash.add_argument("--port", type=int, default=QSTASH_PORT)
    qstash.add_argument("--host", default="127.0.0.1")
    qstash.add_argument("--db", default=".tats/qstash-dev.db", help="where accepted messages live")
    qstash.add_argument(
        "--delay-scale", type=float, default=1.0, help="scale retry delays (0.01 = 100x faster)"
    )

    worker = sub.add_parser("worker", help="the worker service alone (uvicorn)")
    worker.add_argument("--port", type=int, default=WORKER_PORT)
    worker.add_argument("--host", default="127.0.0.1")
    worker.add_argument(
        "--workers", type=int, default=1, help="processes (the worker is stateless; one per core)"
    )

    sub.add_parser("migrate", help="bring the database schema up to date")

    imp = sub.add_parser("import", help="import a candidates CSV into a job and enqueue it")
    imp.add_argument("csv", type=Path)
    imp.add_argument("--job-title", required=True)
    imp.add_argument("--job-description-file", type=Path)
    imp.add_argument(
        "--acceptance-dir",
        type=Path,
        help="the employer's acceptance tests: placed over each submission at the same paths",
    )
    imp.add_argument(
        "--notify-url",
        help="the job's webhook: a signed job.completed event once every candidate is final "
        "(needs TATS_WEBHOOK_SECRET)",
    )
    imp.add_argument(
        "--replace",
        action="store_true",
        help="apply rows that change candidates already in the job (another repository URL for "
        "a known email or repository, a removed candidate): each starts a new attempt, its "
        "history kept; without it they are reported as duplicates",
    )

    status = sub.add_parser("status", help="candidates per status for a job (JSON)")
    status.add_argument("--job", type=int, required=True)

    export = sub.add_parser("export", help="write the evaluations CSV of a job")
    export.add_argument("--job", type=int, required=True)
    export.add_argument("--out", type=Path)

    rec = sub.add_parser(
        "reconcile", help="publish candidates the queue missed; re-queue stale claims"
    )
    rec.add_argument(
        "--schedule",
        action="store_true",
        help="instead, create or update the QStash schedule that runs reconcile every minute",
    )
    return parser


log = logging.getLogger("tats.cli")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.log_format = _configure_logging(logging.WARNING)
    try:
        return COMMANDS[args.command](args)
    except TatsError as exc:
        _tell(args, logging.ERROR, str(exc))
        return 1
    except KeyboardInterrupt:
        return 130


def _configure_logging(level: int, settings: Settings | None = None) -> str:
    """``TATS_LOG_FORMAT`` when the settings read (returned); a bad configuration is reported
    by the command itself, in plain text."""
    try:
        settings = settings or load_settings()
    except TatsError:
        configure_logging("text", level=level)
        return "text"
    configure_logging(settings.log_format, level=level, secrets=settings.secret_values())
    return settings.log_format


def _tell(args: argparse.Namespace, level: int, message: str) -> None:
    """A warning or an error for the person (``warning: ...`` on stderr), or for the log
    pipeline when logs are JSON (one object per line, like every other line on stderr)."""
    if getattr(args, "log_format", "text") == "json":
        log.log(level, message)
    else:
        print(f"{logging.getLevelName(level).lower()}: {message}", file=sys.stderr)


def _deps() -> Deps:
    return build_deps(load_settings())


def cmd_migrate(args: argparse.Namespace) -> int:
    from tats_core.store.schema import migrate

    deps = build_deps(load_settings(), migrate_schema=False)
    migrate(deps.engine)
    print(f"database is up to date ({deps.engine.url.render_as_string(hide_password=True)})")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from tats_core.processing.intake import NewJob, import_candidates

    description = ""
    if args.job_description_file:
        try:
            description = args.job_description_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the job description file: {exc}") from None
    csv_bytes = _read_input(args.csv)
    acceptance = _acceptance_files(args.acceptance_dir) if args.acceptance_dir else None
    deps = _deps()
    result = import_candidates(
        deps.session_factory,
        deps.queue,
        csv_bytes,
        job=NewJob(
            args.job_title,
            description,
            reuse_by_title=True,
            acceptance=acceptance,
            notify_url=args.notify_url,
            can_sign=bool(deps.settings.webhook_secret),
        ),
        replace=args.replace,
    )
    for note in result.ingest.notes:
        _tell(args, logging.WARNING, f"row {note.row}: {note.reason} ({note.value})")
    if result.enqueue.error:
        _tell(
            args,
            logging.WARNING,
            f"{result.enqueue.error}; {result.enqueue.remaining} candidates are stored "
            "as pending and will be published by `tats reconcile`",
        )
    report = result.to_dict()
    if args.replace:
        report["replaced"] = len(result.ingest.replaced)
    print(json.dumps(report))
    return 0


def _acceptance_files(folder: Path) -> dict[str, bytes]:
    from tats_core.testrun.archive import read_folder_files

    if not folder.is_dir():
        raise InputError(f"the acceptance tests folder {folder} does not exist")
    return read_folder_files(folder)


def _read_input(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def cmd_status(args: argparse.Namespace) -> int:
    deps = _deps()
    with transaction(deps.session_factory) as session:
        jobs.get_job(session, args.job)
        counts = jobs.status_counts(session, args.job)
    print(json.dumps({"job_id": args.job, "total": sum(counts.values()), "counts": counts}))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from tats_core.triage.export import evaluations_frame, to_csv_bytes

    deps = _deps()
    with transaction(deps.session_factory) as session:
        jobs.get_job(session, args.job)
        data = to_csv_bytes(evaluations_frame(session, args.job))
    if args.out:
        try:
            args.out.write_bytes(data)
        except OSError as exc:
            raise InputError(f"cannot write {args.out}: {exc.strerror}") from None
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    from tats_core.processing import job_events
    from tats_core.processing.queue import reconcile

    if args.schedule:
        from tats_core.processing.queue_admin import QueueAdmin

        schedule = QueueAdmin.from_settings(load_settings()).ensure_reconcile_schedule()
        print(json.dumps(schedule.to_dict()))
        return 0
    deps = _deps()
    report = reconcile(deps.session_factory, deps.queue)
    job_events.sweep(deps.session_factory, deps.webhooks)
    if report.error:
        _tell(args, logging.WARNING, f"{report.error}; {report.remaining} candidates still wait")
    print(json.dumps(report.to_dict()))
    return 0


def cmd_dev_tool(args: argparse.Namespace) -> int:
    """``dev`` and ``qstash-dev``: the one place tats_core reaches into tats_dev, lazily, so the
    production commands never load development tools."""
    from tats_dev import commands

    return commands.run(args)


def cmd_worker(args: argparse.Namespace) -> int:
    import tempfile

    settings = load_settings()  # fail here, with one clear line, on a bad configuration
    _configure_logging(logging.INFO, settings)  # the worker's own lines, at INFO
    # Once, before the processes start: on SQLite, N processes creating one schema at once
    # would race (PostgreSQL serialises them with an advisory lock; each then finds it done).
    build_deps(settings).engine.dispose()
    with tempfile.TemporaryDirectory(prefix="tats-metrics-") as metrics_dir:
        # Before any worker process imports prometheus-client: each keeps its values in files
        # there, and /metrics adds up all of them (tats_core.metrics). A fresh folder per run,
        # so counters start at zero with the worker, as Prometheus expects of a restart.
        os.environ.setdefault(MULTIPROCESS_DIR, metrics_dir)
        # By import string: tats_core never imports the web framework or the worker package.
        serving = importlib.import_module("worker_service.serve")
        status: int = serving.serve(serving.Serving(host=args.host, port=args.port), args.workers)
    return status


COMMANDS = {
    "dev": cmd_dev_tool,
    "qstash-dev": cmd_dev_tool,
    "worker": cmd_worker,
    "migrate": cmd_migrate,
    "import": cmd_import,
    "status": cmd_status,
    "export": cmd_export,
    "reconcile": cmd_reconcile,
}
