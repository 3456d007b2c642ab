"""The triage page shows shared code both ways: the panel's evidence and the table's flag."""

from __future__ import annotations

from tats_core import statuses
from tats_core.judging.overlap import SHARED_CODE_FLAG, FileRef
from tats_core.store.db import transaction
from tats_core.triage.candidates import current_evaluation, get_candidate
from tats_core.triage.shared_code import save_fingerprint
from tests import app_fixtures
from tests.app_fixtures import NAMES, no_exceptions, seed_every_status, table, texts
from tests.test_app_triage import select_row

app_env, make_app = app_fixtures.app_env, app_fixtures.make_app  # fixtures

SHARED = [
    FileRef("app/main.py", "a" * 40, 3_000),
    FileRef("app/models.py", "b" * 40, 2_000),
    FileRef("app/routes.py", "c" * 40, 1_500),
]


def test_the_panel_and_the_table_show_shared_code_both_ways(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    fine, review = seeded.ids[statuses.LOOKS_FINE], seeded.ids[statuses.NEEDS_REVIEW]
    with transaction(session_factory) as session:
        save_fingerprint(session, seeded.job_id, fine, SHARED)
        save_fingerprint(session, seeded.job_id, review, SHARED)
        for cid in (fine, review):
            evaluation = current_evaluation(session, get_candidate(session, cid))
            if evaluation is not None:
                evaluation.flags = [*evaluation.flags, SHARED_CODE_FLAG]

    at = no_exceptions(make_app().run())
    flags = dict(zip(table(at)["Name"], table(at)["Flags"], strict=True))
    assert "shared code" in flags[NAMES[statuses.NEEDS_REVIEW]]
    assert "shared code" not in flags[NAMES[statuses.LOW_EFFORT]]

    at = select_row(at, NAMES[statuses.NEEDS_REVIEW])
    [notice] = [w.value.replace("\\", "") for w in at.warning if "Shares" in w.value]
    assert f"Shares 3 files with candidate {fine}" in notice and "app/routes.py" in notice
    at = select_row(at, NAMES[statuses.LOOKS_FINE])
    assert any(f"Shares 3 files with candidate {review}" in w.value for w in at.warning)
    assert "Shares" not in " ".join(texts(select_row(at, NAMES[statuses.LOW_EFFORT])))
