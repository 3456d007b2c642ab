"""An import returns within TATS_PUBLISH_TIMEOUT even when the queue accepts connections and never
answers, with every candidate stored; a publish is one try."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from tats_core.errors import QueueError
from tats_core.processing.intake import NewJob, import_candidates
from tats_core.processing.queue import CandidateQueue, OutboxItem
from tats_core.settings import load_settings
from tats_core.store.db import transaction
from tats_core.store.models import Candidate
from tats_core.triage.csv_sample import candidates_csv


@pytest.fixture
def silent_queue() -> Iterator[str]:
    """A server that accepts every connection and never sends a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    listener.close()


def test_a_publish_is_one_try_even_when_the_queue_drops_the_connection():
    # A person waits on an upload and reconcile publishes what this misses: one try, no retries
    # and no sleeps between them (the qstash 3.4 SDK made six tries with sleeps).
    accepted: list[int] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.settimeout(0.2)

        def drop_connections() -> None:
            while len(accepted) < 10:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                accepted.append(1)
                conn.close()

        thread = threading.Thread(target=drop_connections, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        queue = CandidateQueue.from_settings(load_settings(QSTASH_URL=url))
        with pytest.raises(QueueError, match="not reachable"):
            queue.publish([OutboxItem(candidate_id=1, attempt=1, enqueue_count=0)])
        thread.join(timeout=2)
    assert accepted == [1]


def test_an_import_against_a_queue_that_never_answers_returns_with_candidates_stored(
    database_url, session_factory, silent_queue
):
    settings = load_settings(
        DATABASE_URL=database_url, QSTASH_URL=silent_queue, TATS_PUBLISH_TIMEOUT="1"
    )
    rows = [
        (f"Dev {i}", f"dev{i}@example.com", f"https://github.com/dev{i}/task") for i in range(5)
    ]
    outcome: dict[str, object] = {}

    def run() -> None:
        outcome["result"] = import_candidates(
            session_factory,
            CandidateQueue.from_settings(settings),
            candidates_csv(rows),
            job=NewJob("Silent queue"),
        )

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    # A deadline, not a benchmark: without the bound an HTTP client may wait for minutes.
    worker.join(timeout=30)
    assert not worker.is_alive(), "the import hung on a queue that never answers"
    result = outcome["result"]
    assert result.ingest.inserted == 5 and result.enqueue.enqueued == 0
    assert "not reachable" in (result.enqueue.error or "")
    with transaction(session_factory) as session:
        stored = session.scalar(select(func.count()).select_from(Candidate))
    assert stored == 5
