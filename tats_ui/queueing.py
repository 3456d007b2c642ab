"""Queueing from the app: publish a job's pending candidates, and say so when the queue is down
(the candidates wait as pending for reconcile; an upload or re-run never fails on it)."""

from __future__ import annotations

from tats_core.processing.queue import EnqueueReport, enqueue_pending
from tats_core.wording import plural
from tats_ui.deps import get_deps


def enqueue(job_id: int) -> EnqueueReport:
    deps = get_deps()
    return enqueue_pending(deps.session_factory, deps.queue, job_id=job_id)


def capitalised(message: str) -> str:
    """A queue error's message (lower-case, as errors are worded) opening a sentence."""
    return f"{message[:1].upper()}{message[1:]}"


def queue_down_message(report: EnqueueReport) -> str:
    return (
        f"{capitalised(report.error)}: {plural(report.remaining, 'candidate')} stored as "
        "pending, to be queued automatically by reconcile "
        "(`tats reconcile`, which `tats dev` runs every minute)."
        if report.error
        else ""
    )
