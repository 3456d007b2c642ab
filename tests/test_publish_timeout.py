"""An import returns within TATS_PUBLISH_TIMEOUT even when the queue accepts connections and never
answers, with every candidate stored; and the SDK seam that bounds a publish still exists."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
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


def test_the_queue_client_is_bounded_by_the_publish_timeout():
    # CandidateQueue bounds publishes through the qstash SDK's httpx client (the SDK has no
    # timeout option): this fails at once if an SDK upgrade moves or renames that client.
    queue = CandidateQueue.from_settings(load_settings(TATS_PUBLISH_TIMEOUT="1.5"))
    client = queue._client.http._client
    assert isinstance(client, httpx.Client)
    assert client.timeout == httpx.Timeout(1.5)


def test_a_queue_that_refuses_connections_fails_the_publish_without_pausing(monkeypatch):
    # A person waits on an upload and reconcile publishes what this misses: no sleeps between
    # tries (the SDK sleeps its backoff after every failed try, the last one included, in qstash
    # 3.4.0). time.sleep is the clock, patched.
    import qstash.http

    pauses: list[float] = []
    monkeypatch.setattr(qstash.http.time, "sleep", pauses.append)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens once it closes
    queue = CandidateQueue.from_settings(load_settings(QSTASH_URL=closed))

    with pytest.raises(QueueError, match="not reachable"):
        queue.publish([OutboxItem(candidate_id=1, attempt=1, enqueue_count=0)])

    assert [p for p in pauses if p > 0] == []


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
    # A deadline, not a benchmark: without the bound the SDK waits up to 600 s per try.
    worker.join(timeout=30)
    assert not worker.is_alive(), "the import hung on a queue that never answers"
    result = outcome["result"]
    assert result.ingest.inserted == 5 and result.enqueue.enqueued == 0
    assert "not reachable" in (result.enqueue.error or "")
    with transaction(session_factory) as session:
        stored = session.scalar(select(func.count()).select_from(Candidate))
    assert stored == 5
