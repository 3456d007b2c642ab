"""The worker's OpenAPI schema fuzzed with schemathesis: no input, signed or not, makes a 500."""

from __future__ import annotations

import json

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

from tats_core.processing.judgement import Judges
from tats_core.routes import HEALTH_PATH, PROCESS_PATH
from tests.servers import free_port
from tests.signing import qstash_signature
from tests.worker_fixtures import FixedAnalyzer, SlowSource, running_worker, seed_candidates


@pytest.fixture
def fuzzed_worker(database_url, session_factory):
    seed_candidates(session_factory, 3)
    judges = Judges(SlowSource(), FixedAnalyzer())
    # A signed reconcile publishes: to a port where nothing listens, never to a dev stack's 8080.
    queue_down = f"http://127.0.0.1:{free_port()}"
    with running_worker(database_url, session_factory, judges, qstash_url=queue_down) as w:
        yield w


def test_no_input_makes_the_worker_fail(fuzzed_worker):
    # schemathesis's pytest plugin does not work with pytest 9 yet; drive hypothesis directly.
    schema = schemathesis.openapi.from_url(fuzzed_worker.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {PROCESS_PATH, HEALTH_PATH}
    # One connection pool each for the whole run: a client per request would spend more time
    # loading TLS certificates than the worker spends answering.
    with requests.Session() as session, httpx.Client() as client:
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
            def fuzz(case):
                check_case(case, fuzzed_worker, session, client)

            fuzz()


def check_case(case, worker, session: requests.Session, client: httpx.Client) -> None:
    response = case.call(session=session)
    assert response.status_code < 500, response.text
    if case.method == "POST":
        # The same body, correctly signed, reaches the pipeline: still never a server error
        # (503 asks QStash to retry, which is not a failure of the worker).
        # A route without a request body (``/api/reconcile``) leaves schemathesis's NotSet here.
        has_body = isinstance(case.body, dict | list | str | int | float | bool)
        raw = json.dumps(case.body).encode() if has_body else b""
        signature = qstash_signature(raw, worker.settings.worker_url + case.formatted_path)
        signed = client.post(
            worker.url + case.formatted_path,
            content=raw,
            headers={"Upstash-Signature": signature, "Content-Type": "application/json"},
        )
        assert signed.status_code in {200, 503}, signed.text
