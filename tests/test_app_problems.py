"""The Triage and Queue pages show the same configuration problem that ``/healthz`` reports,
as a banner naming the service and the setting, and how many candidates wait."""

from __future__ import annotations

import pytest

from tats_core.processing import problems
from tats_core.store.db import transaction
from tats_ui.navigation import QUEUE_PAGE, TRIAGE_PAGE
from tests import app_fixtures
from tests.app_fixtures import no_exceptions, seed_every_status

app_env, make_app = app_fixtures.app_env, app_fixtures.make_app  # fixtures
MESSAGE = "Cohere answered 401: invalid api token (check COHERE_API_KEY, COHERE_MODEL)"


@pytest.mark.parametrize("page", [TRIAGE_PAGE, QUEUE_PAGE])
def test_a_recorded_problem_is_a_banner_until_it_is_cleared(make_app, session_factory, page):
    seeded = seed_every_status(session_factory)
    with transaction(session_factory) as session:
        problems.report(session, "cohere", MESSAGE)

    at = no_exceptions(make_app(job=seeded.job_id))
    at.switch_page(page).run()
    [banner] = [e.value for e in at.error if "Judging is paused" in e.value]
    assert "Cohere: " + MESSAGE in banner and "COHERE_API_KEY" in banner
    assert "1 candidate waiting, none lost" in banner  # the seeded pending one

    with transaction(session_factory) as session:
        problems.clear(session, "cohere")
    at.run()
    assert not [e for e in at.error if "Judging is paused" in e.value]
