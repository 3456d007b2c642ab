"""The Queue page under AppTest, against the local queue server through the real SDK: dead
letters with their candidates, Retry and Delete, the reconcile schedule, empty states, a queue
that is down, and no secret anywhere on the page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from qstash import QStash
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tats_core.processing.queue_admin import RECONCILE_SCHEDULE_ID
from tats_core.settings import DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY, DEV_QSTASH_TOKEN
from tats_dev.qstash.api import create_app as create_queue
from tats_ui.navigation import QUEUE_PAGE as QUEUE
from tests import app_fixtures
from tests.app_fixtures import no_exceptions, seed_every_status, texts
from tests.servers import serve

app_env, make_app = app_fixtures.app_env, app_fixtures.make_app  # fixtures


class Target:
    """The destination of test messages: fails the first ``failures`` deliveries with 500."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.deliveries: list[bytes] = []
        self.url = ""
        self.app = Starlette(routes=[Route("/target", self._handle, methods=["POST"])])

    async def _handle(self, request: Request) -> PlainTextResponse:
        self.deliveries.append(await request.body())
        if len(self.deliveries) <= self.failures:
            return PlainTextResponse("boom: the worker exploded " + "x" * 1000, status_code=500)
        return PlainTextResponse("ok")


@pytest.fixture
def queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_env: None) -> Iterator[QStash]:
    with serve(create_queue(db_path=str(tmp_path / "queue.db"), delay_scale=0.001)) as url:
        monkeypatch.setenv("QSTASH_URL", url)
        yield QStash(DEV_QSTASH_TOKEN, base_url=url, retry=False)


@pytest.fixture
def target() -> Iterator[Target]:
    receiver = Target(failures=1)
    with serve(receiver.app) as url:
        receiver.url = url + "/target"
        yield receiver


def wait_until(predicate, what: str, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def dead_letter(queue: QStash, target: Target, candidate_id: int) -> str:
    before = len(queue.dlq.list().messages)
    queue.message.publish_json(url=target.url, body={"candidateId": candidate_id}, retries=0)
    wait_until(lambda: len(queue.dlq.list().messages) > before, "the message to dead-letter")
    return queue.dlq.list().messages[0].dlq_id


def queue_page(make_app):  # type: ignore[no-untyped-def]
    at = no_exceptions(make_app().run())
    return no_exceptions(at.switch_page(QUEUE).run())


def everything(at) -> str:  # type: ignore[no-untyped-def]
    """Every text on the page, tables and code blocks included."""
    parts = [texts(at), *(str(c.value) for c in at.code)]
    parts += [df.value.to_csv() for df in at.dataframe]
    parts += [str(m.options) for m in at.multiselect]
    return "\n".join(parts)


def assert_no_secrets(at) -> None:  # type: ignore[no-untyped-def]
    page = everything(at)
    for secret in (DEV_QSTASH_TOKEN, DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY):
        assert secret not in page


def test_a_dead_letter_shows_its_candidate_and_retry_delivers_it_again(
    make_app, session_factory, queue, target
):
    seeded = seed_every_status(session_factory, title="Backend take-home")
    dlq_id = dead_letter(queue, target, seeded.ids["looks_fine"])

    at = queue_page(make_app)
    page = everything(at)
    assert "Grace Hopper" in page and "Backend take-home" in page
    assert "HTTP 500" in page and "boom: the worker exploded" in page
    # Recent events: times in the viewer's zone, named as on the triage page (UTC without a
    # browser); an event with no HTTP response shows an empty cell, not "None".
    events = at.dataframe[-1].value
    assert "Time (UTC)" in events.columns
    statuses_shown = set(events["HTTP status"])
    assert "500" in statuses_shown and "" in statuses_shown and "None" not in statuses_shown
    [code] = at.code
    assert len(code.value) <= 300  # the last response, truncated
    assert_no_secrets(at)

    no_exceptions(at.button(key=f"retry_{dlq_id}").click().run())

    assert any("Sent again: 1 message" in s.value for s in at.success)
    wait_until(lambda: len(target.deliveries) == 2, "the second delivery")
    assert target.deliveries[1] == target.deliveries[0]
    assert queue.dlq.list().messages == []
    at = no_exceptions(at.run())
    assert "The dead-letter queue is empty." in texts(at)


def test_delete_drops_dead_letters_one_or_all_selected(make_app, session_factory, queue, target):
    target.failures = 10
    seeded = seed_every_status(session_factory)
    first = dead_letter(queue, target, seeded.ids["needs_review"])
    dead_letter(queue, target, seeded.ids["low_effort"])
    dead_letter(queue, target, seeded.ids["github_failed"])

    at = queue_page(make_app)
    no_exceptions(at.button(key=f"delete_{first}").click().run())
    assert first not in {m.dlq_id for m in queue.dlq.list().messages}
    assert len(queue.dlq.list().messages) == 2
    assert "Nina Review" not in everything(at).replace(str(at.multiselect[0].options), "")

    at.multiselect(key="dlq_selected").select(at.multiselect[0].options[0])
    at.multiselect(key="dlq_selected").select(at.multiselect[0].options[1])
    no_exceptions(at.run())
    no_exceptions(next(b for b in at.button if b.label == "Delete selected").click().run())

    assert queue.dlq.list().messages == []
    assert "The dead-letter queue is empty." in texts(at)
    assert len(target.deliveries) == 3  # deleting sends nothing


def test_empty_states_and_creating_the_reconcile_schedule(make_app, queue):
    at = queue_page(make_app)
    page = texts(at)
    assert "Nothing is in flight" in page
    assert "The dead-letter queue is empty." in page
    assert "There is no reconcile schedule" in page
    assert "The queue has no events yet." in page

    no_exceptions(next(b for b in at.button if b.label == "Create the schedule").click().run())

    [schedule] = queue.schedule.list()
    assert schedule.schedule_id == RECONCILE_SCHEDULE_ID
    page = texts(at)
    assert "/api/reconcile" in page and "* * * * *" in page and "Last run: never" in page
    assert_no_secrets(at)


def test_work_in_flight_is_counted_per_job(make_app, session_factory, queue):
    seed_every_status(session_factory, title="Backend take-home")
    at = queue_page(make_app)
    [row] = at.dataframe[0].value.to_dict("records")
    assert row["Job"] == "Backend take-home"
    assert (row["Waiting to publish"], row["Processing"]) == (1, 1)


def test_a_queue_that_is_down_gets_a_clear_message(make_app, session_factory):
    seed_every_status(session_factory)
    at = queue_page(make_app)  # app_env points QSTASH_URL at a port nobody listens on
    [error] = at.error
    assert "not reachable" in error.value and "QSTASH_URL" in error.value
    assert "Waiting to publish" in at.dataframe[0].value.columns  # the database still answers
    assert_no_secrets(at)


def test_events_name_their_candidate_and_job_and_the_page_refreshes_itself(
    make_app, session_factory, queue, target
):
    """Polish: the Queue page did not refresh itself and its events named no candidate or job."""
    from tats_core.store.db import transaction
    from tats_core.store.models import Candidate

    seeded = seed_every_status(session_factory, title="Backend take-home")
    target.failures = 0
    message_id = queue.message.publish_json(
        url=target.url, body={"candidateId": seeded.ids["pending"]}
    ).message_id
    with transaction(session_factory) as session:
        session.get(Candidate, seeded.ids["pending"]).message_id = message_id  # type: ignore[union-attr]
    wait_until(lambda: target.deliveries, "the delivery")

    at = queue_page(make_app)
    events = at.dataframe[-1].value
    mine = events[events["Message"] == message_id]
    assert set(mine["Candidate"]) == {"Petra Pending"}
    assert set(mine["Job"]) == {"Backend take-home"}
    assert "Updates itself every 5 s" in texts(at)
