"""The test runs in the app (issue #17): a Tests column and filter in the table, the panel's
section with the failing tests first (their messages, their places linked to the code at the
judged commit) and the output; on the Jobs page, the per-job switch and the acceptance tests
uploaded as a zip, stored as versions, an unsafe zip refused with a message."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from tats_core import statuses
from tats_core.store.db import transaction
from tats_core.store.models import Evaluation, Job
from tats_core.triage import acceptance
from tats_ui.navigation import JOBS_PAGE
from tests import app_fixtures
from tests.app_fixtures import NAMES, no_exceptions, seed_every_status, table, texts
from tests.test_app_triage import select_row

app_env, make_app = app_fixtures.app_env, app_fixtures.make_app  # fixtures

FAILED_RUN = {
    "tests": {
        "status": "failed",
        "passed": 19,
        "failed": 2,
        "errors": 0,
        "note": "2 of 21 tests failed: tests/test_words.py::test_apostrophes, ...",
        "failing": [
            {
                "name": "tests/test_words.py::test_apostrophes",
                "message": 'AssertionError: assert "Don\'T" == "Don\'t"',
                "place": "tests/test_words.py:42",
            },
            {"name": "tests/test_report.py::test_ties", "message": "", "place": None},
        ],
    },
    "acceptance": {"status": "passed", "passed": 10, "failed": 0, "errors": 0, "note": ""},
    "project": "python (pytest)",
    "notices": ["requirements.txt: --index-url ignored"],
}


def give_tests(session_factory, status: str, report: dict, output: str = "") -> None:
    with transaction(session_factory) as session:
        evaluation = session.scalars(select(Evaluation).where(Evaluation.status == status)).one()
        evaluation.tests, evaluation.tests_output = report, output
        evaluation.tests_status = report["tests"]["status"]
        evaluation.acceptance_status = (report.get("acceptance") or {}).get("status")
        evaluation.commit_sha = "c" * 40


def test_the_table_shows_each_run_and_filters_on_the_own_tests(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    give_tests(session_factory, statuses.NEEDS_REVIEW, FAILED_RUN)
    passed = {"tests": {"status": "passed", "passed": 21, "failed": 0}, "acceptance": None}
    give_tests(session_factory, statuses.LOOKS_FINE, passed)

    at = no_exceptions(make_app(job=seeded.job_id).run())
    cells = dict(zip(table(at)["Name"], table(at)["Tests"], strict=True))
    assert cells[NAMES["needs_review"]] == "✗ 2/21 · acc. ✓ 10"
    assert cells[NAMES["looks_fine"]] == "✓ 21"
    assert cells[NAMES["low_effort"]] == ""  # judged before tests ran

    at.multiselect(key="filter_tests").set_value(["failed"])
    no_exceptions(at.run())
    assert list(table(at)["Name"]) == [NAMES["needs_review"]]
    assert at.query_params["tests"] == "failed"


def test_the_panel_lists_failing_tests_first_with_messages_and_links(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    give_tests(session_factory, statuses.NEEDS_REVIEW, FAILED_RUN, output="=== 2 failed ===")
    at = select_row(no_exceptions(make_app(job=seeded.job_id).run()), NAMES["needs_review"])
    page = texts(at)
    assert "Tests run in the sandbox" in page
    assert page.index("The job's acceptance tests: Passed") < page.index("Own tests: Failed")
    assert "21 tests, 2 failing" in page
    link = f"https://github.com/nina-review/take-home/blob/{'c' * 40}/tests/test_words.py#L42"
    assert link in page  # the place, linked to the code at the judged commit
    assert any("Don'T" in code.value for code in at.code)
    assert "index" in page and "url ignored" in page
    assert at.expander[-1].label == "Output of the runs (head and tail)"
    assert any(code.value == "=== 2 failed ===" for code in at.code)


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue()


def test_the_jobs_page_switches_tests_and_stores_acceptance_tests(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    at = no_exceptions(make_app().run())
    at = no_exceptions(at.switch_page(JOBS_PAGE).run())
    assert "No acceptance tests" in texts(at)

    at.toggle(key=f"run_tests_{seeded.job_id}").set_value(False)
    no_exceptions(at.run())
    with transaction(session_factory) as session:
        assert session.get(Job, seeded.job_id).run_tests is False

    files = {"tests/test_api.py": b"def test_api():\n    assert True\n"}
    at.file_uploader(key=f"acceptance_{seeded.job_id}").set_value(
        ("acceptance.zip", zipped(files), "application/zip")
    )
    no_exceptions(at.run())
    assert "Stored version 1: 1 file." in texts(at)
    assert "Version 1 runs: `tests/test_api.py`" in texts(at)

    unsafe = zipped({"../escape.py": b"x = 1\n"})
    at.file_uploader(key=f"acceptance_{seeded.job_id}").set_value(
        ("bad.zip", unsafe, "application/zip")
    )
    no_exceptions(at.run())
    assert any("Not stored" in e.value for e in at.error)
    with transaction(session_factory) as session:
        newest = acceptance.latest(session, seeded.job_id)
        assert newest is not None and newest.version == 1
