"""``GET /metrics`` (issue #18, item 5): Prometheus text from the real worker, whose counts agree
with what the fake GitHub and the fake Cohere saw; loopback callers or the bearer token only."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tats_core.routes import METRICS_PATH
from tats_dev.github_replay import ReplayApp
from tats_dev.github_replay import create_app as create_replay
from tests.fakes.fake_cohere import FakeCohere
from tests.servers import free_port, serve
from tests.test_misconfiguration import seed
from tests.worker_fixtures import RunningWorker, running_worker

REPOS = Path(__file__).parent / "github_repos"
METRICS_TOKEN = "metrics-token-for-the-test-5e6f"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, parsed by prometheus-client's own parser."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def total(found: dict, name: str) -> float:
    return sum(value for (sample, _), value in found.items() if sample == name)


@contextmanager
def worker_judging_with_cohere(
    database_url, session_factory, cohere: FakeCohere
) -> Iterator[tuple[RunningWorker, ReplayApp]]:
    """The worker with no judges handed in: it builds them from the settings, as in
    production, against the GitHub replay and ``cohere``."""
    replay = create_replay(REPOS)
    with (
        serve(replay) as github_url,
        serve(cohere.app) as cohere_url,
        running_worker(
            database_url,
            session_factory,
            None,
            github_api_url=github_url,
            github_raw_url=f"{github_url}/raw",
            cohere_api_key="a-key-for-the-fake",
            cohere_base_url=cohere_url,
            analyzer="cohere",
            run_tests="off",
        ) as worker,
    ):
        yield worker, replay


def test_metrics_count_what_the_worker_did(database_url, session_factory):
    cohere = FakeCohere()
    with worker_judging_with_cohere(database_url, session_factory, cohere) as (worker, replay):
        ids = seed(session_factory)
        for cid in ids:
            assert worker.deliver({"candidateId": cid}, message_id=f"m{cid}").status_code == 200
        assert worker.deliver({"candidateId": 999_999}).json()["outcome"] == "unknown_candidate"
        scrape = httpx.get(worker.url + METRICS_PATH)

    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    found = samples(scrape.text)
    assert found[("tats_deliveries_total", (("outcome", "processed"),))] == len(ids)
    assert found[("tats_deliveries_total", (("outcome", "unknown_candidate"),))] == 1
    assert found[("tats_delivery_seconds_count", (("outcome", "processed"),))] == len(ids)
    # Every request the fake GitHub served, and every chat the fake Cohere answered, is counted.
    assert total(found, "tats_github_requests_total") == len(replay.log) > 0
    assert found[("tats_github_rate_limit_remaining", ())] == replay.remaining
    assert found[("tats_cohere_calls_total", (("outcome", "ok"),))] == len(cohere.requests)
    assert found[("tats_cohere_call_seconds_count", ())] == len(cohere.requests) >= len(ids)


def test_a_rejected_cohere_key_is_counted_as_rejected(database_url, session_factory):
    cohere = FakeCohere().reject_key()
    with worker_judging_with_cohere(database_url, session_factory, cohere) as (worker, _):
        [first, *_] = seed(session_factory)
        assert worker.deliver({"candidateId": first}).json()["outcome"] == "waiting"
        found = samples(httpx.get(worker.url + METRICS_PATH).text)
    assert found[("tats_deliveries_total", (("outcome", "waiting"),))] == 1
    assert found[("tats_cohere_calls_total", (("outcome", "rejected"),))] >= 1


def _this_machines_address() -> str | None:
    """An address of this machine that is not loopback (the route out; nothing is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.123", 9))  # TEST-NET: only picks the outgoing interface
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


def test_metrics_answer_loopback_or_the_token_and_nobody_else(database_url, session_factory):
    address = _this_machines_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback to call from")
    port = free_port()
    with running_worker(
        database_url,
        session_factory,
        None,
        metrics_token=METRICS_TOKEN,
        run_tests="off",
        port=port,
        host="0.0.0.0",
    ) as worker:
        from_outside = f"http://{address}:{port}{METRICS_PATH}"
        refused = httpx.get(from_outside)
        wrong = httpx.get(from_outside, headers={"Authorization": "Bearer not-the-token"})
        allowed = httpx.get(from_outside, headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        local = httpx.get(worker.url + METRICS_PATH)
    assert refused.status_code == wrong.status_code == 401
    assert METRICS_TOKEN not in refused.text and "TATS_METRICS_TOKEN" in refused.text
    assert allowed.status_code == local.status_code == 200
    assert "# TYPE tats_deliveries_total counter" in allowed.text
