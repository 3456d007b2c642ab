"""The worker's metrics in Prometheus's text format (``GET /metrics``), with ``prometheus-client``.

Multi-process: ``tats worker --workers N`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder
before any worker process starts; prometheus-client then keeps each process's values in files
there, and ``exposition`` adds up every process's files, so a scrape answered by any process
shows the whole worker. Without that variable (a single process, a test) the values live in this
object's own registry.

Names (the contract requires ``tats_deliveries_total`` with label ``outcome``):

- ``tats_deliveries_total{outcome}``, ``tats_delivery_seconds{outcome}``
- ``tats_github_requests_total{status}`` (``none``: no answer), ``tats_github_rate_limit_remaining``
- ``tats_cohere_calls_total{outcome}``, ``tats_cohere_call_seconds``
- ``tats_test_runs_total{status}``, ``tats_test_run_seconds``
"""

from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.values import MutexValue, ValueClass

from tats_core.telemetry import MULTIPROCESS_DIR

CONTENT_TYPE = CONTENT_TYPE_LATEST
# The *_created series double a scrape's size and say only when a label was first seen; the
# multi-process mode leaves them out anyway, so a single process does too.
disable_created_metrics()

DELIVERY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
COHERE_BUCKETS = (0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120)
TEST_RUN_BUCKETS = (1, 2, 5, 10, 30, 60, 120, 300, 600)


class PrometheusTelemetry:
    """``tats_core.telemetry.Telemetry`` kept as Prometheus metrics; one per process."""

    def __init__(self) -> None:
        # prometheus-client chose where values live when it was imported: files only when the
        # variable was set by then (``tats worker`` sets it before anything imports it).
        self.folder = os.environ.get(MULTIPROCESS_DIR) if ValueClass is not MutexValue else None
        self.registry = CollectorRegistry()
        r = self.registry
        self.deliveries = Counter(
            "tats_deliveries", "Candidate deliveries handled, by outcome", ["outcome"], registry=r
        )
        self.delivery_seconds = Histogram(
            "tats_delivery_seconds",
            "Time to handle one candidate delivery",
            ["outcome"],
            buckets=DELIVERY_BUCKETS,
            registry=r,
        )
        self.github_requests = Counter(
            "tats_github_requests",
            "Requests sent to GitHub, by answer status",
            ["status"],
            registry=r,
        )
        self.github_remaining = Gauge(
            "tats_github_rate_limit_remaining",
            "GitHub's remaining request quota, as its latest answer said",
            registry=r,
            multiprocess_mode="mostrecent",
        )
        self.cohere_calls = Counter(
            "tats_cohere_calls", "Chat requests sent to Cohere, by outcome", ["outcome"], registry=r
        )
        self.cohere_seconds = Histogram(
            "tats_cohere_call_seconds",
            "Time of one Cohere chat request",
            buckets=COHERE_BUCKETS,
            registry=r,
        )
        self.test_runs = Counter(
            "tats_test_runs",
            "Submissions' test runs in the sandbox, by status",
            ["status"],
            registry=r,
        )
        self.test_run_seconds = Histogram(
            "tats_test_run_seconds",
            "Wall time of one test run (download, install, tests)",
            buckets=TEST_RUN_BUCKETS,
            registry=r,
        )

    def github_request(self, status: int | None, remaining: int | None) -> None:
        self.github_requests.labels("none" if status is None else str(status)).inc()
        if remaining is not None:
            self.github_remaining.set(remaining)

    def cohere_call(self, outcome: str, seconds: float) -> None:
        self.cohere_calls.labels(outcome).inc()
        self.cohere_seconds.observe(seconds)

    def test_run(self, status: str, seconds: float) -> None:
        self.test_runs.labels(status).inc()
        self.test_run_seconds.observe(seconds)

    def delivery(self, outcome: str, seconds: float) -> None:
        self.deliveries.labels(outcome).inc()
        self.delivery_seconds.labels(outcome).observe(seconds)

    def exposition(self) -> bytes:
        """Every process's metrics when the worker runs several, else this process's."""
        if not self.folder:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=self.folder)
        return generate_latest(merged)
