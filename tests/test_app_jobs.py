"""The jobs page: create, edit and archive jobs; each listed with its counts per status."""

from __future__ import annotations

from sqlalchemy import select

from tats_core import statuses
from tats_core.judging.criteria import DEFAULT_CRITERIA, criteria_json
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Evaluation, Job
from tats_core.triage.jobs import rubric_hash_of, set_archived, set_criteria
from tats_ui.criteria_view import REJUDGED
from tats_ui.navigation import JOBS_PAGE as JOBS
from tests import app_fixtures
from tests.app_fixtures import (
    displayed,
    events_of,
    no_exceptions,
    seed_every_status,
    texts,
)

app_env, make_app = app_fixtures.app_env, app_fixtures.make_app  # fixtures


def jobs_page(make_app):  # type: ignore[no-untyped-def]
    at = no_exceptions(make_app().run())
    return no_exceptions(at.switch_page(JOBS).run())


def button(at, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def all_jobs(session_factory) -> list[Job]:  # type: ignore[no-untyped-def]
    with transaction(session_factory) as session:
        return list(session.scalars(select(Job).order_by(Job.id)))


def test_with_no_jobs_the_form_is_open_and_creating_one_lists_it(make_app, session_factory):
    at = jobs_page(make_app)
    assert "No jobs yet" in texts(at)
    assert at.expander[0].proto.expanded
    at.text_input(key="new_title").input("Data engineer take-home")
    at.text_area(key="new_description").input("Build an ETL pipeline in Python")
    at.text_area(key="new_rubric").input("Idempotent loads, tests, a README")
    no_exceptions(button(at, "Create job").click().run())

    [job] = all_jobs(session_factory)
    assert (job.title, job.description, job.rubric) == (
        "Data engineer take-home",
        "Build an ETL pipeline in Python",
        "Idempotent loads, tests, a README",
    )
    assert any("Created the job" in s.value for s in at.success)
    assert list(displayed(at)["Job"]) == ["Data engineer take-home"]
    assert list(at.dataframe[0].value["Job"]) == [f"triage?job={job.id}"]  # a link to its triage
    assert at.text_input(key="new_title").value == ""  # ready for the next one


def test_a_duplicate_title_is_refused(make_app, session_factory):
    seed_every_status(session_factory, title="Backend take-home")
    at = jobs_page(make_app)
    at.text_input(key="new_title").input("backend TAKE-HOME")
    no_exceptions(button(at, "Create job").click().run())
    assert any("already exists" in e.value for e in at.error)
    assert len(all_jobs(session_factory)) == 1


def test_the_list_counts_candidates_per_status(make_app, session_factory):
    seed_every_status(session_factory, title="Backend take-home")
    at = jobs_page(make_app)
    row = at.dataframe[0].value.iloc[0]
    assert row["Candidates"] == len(statuses.ALL)
    for status in statuses.DECISIONS:
        assert row[statuses.LABELS[status]] == 1
    assert row["Failed"] == len(statuses.FAILURES)  # one column: no sideways scroll at 1,400 px
    assert round(row["Done"]) == 75  # 6 of 8 are final
    assert "Archived" not in at.dataframe[0].value.columns  # shown with archived jobs only


def test_editing_a_job_saves_it(make_app, session_factory):
    seeded = seed_every_status(session_factory, title="Backend take-home")
    at = jobs_page(make_app)
    at.text_input(key=f"title_{seeded.job_id}").input("Backend take-home (2025)")
    at.text_area(key=f"rubric_{seeded.job_id}").input("Tests, README, history over days")
    no_exceptions(button(at, "Save changes").click().run())
    [job] = all_jobs(session_factory)
    assert (job.title, job.rubric) == (
        "Backend take-home (2025)",
        "Tests, README, history over days",
    )
    assert any(s.value == "Saved." for s in at.success)


def test_archive_hides_a_job_and_restore_brings_it_back(make_app, session_factory):
    seed_every_status(session_factory, title="Old job")
    seed_every_status(session_factory, title="Current job")
    at = jobs_page(make_app)
    at.selectbox(key="edit_job").select(all_jobs(session_factory)[0].id)
    no_exceptions(at.run())
    no_exceptions(button(at, "Archive job").click().run())

    assert all_jobs(session_factory)[0].archived_at is not None
    assert list(displayed(at)["Job"]) == ["Current job"]

    at.toggle(key="show_archived").set_value(True)
    no_exceptions(at.run())
    archived = dict(zip(displayed(at)["Job"], at.dataframe[0].value["Archived"], strict=True))
    assert archived == {"Old job": True, "Current job": False}
    at.selectbox(key="edit_job").select(all_jobs(session_factory)[0].id)
    no_exceptions(at.run())
    no_exceptions(button(at, "Restore job").click().run())
    assert all_jobs(session_factory)[0].archived_at is None


def test_an_archived_job_is_not_the_default_on_the_triage_page(make_app, session_factory):
    old = seed_every_status(session_factory, title="Old job")
    seed_every_status(session_factory, title="Current job")
    with transaction(session_factory) as session:
        set_archived(session, old.job_id, True)
    at = no_exceptions(make_app().run())
    assert at.title[0].value == "Current job"
    assert at.selectbox[0].options == ["Current job"]


def test_the_new_job_form_stays_open_while_the_second_job_is_typed(make_app, session_factory):
    """Defect 3: after a first job, the form folded shut while the next title was typed (the
    first job's message left the page and the unkeyed section lost its open state)."""
    at = jobs_page(make_app)
    at.text_input(key="new_title").input("First job")
    no_exceptions(button(at, "Create job").click().run())
    assert at.expander[0].label == "New job" and at.session_state["new_job_open"]
    at.text_input(key="new_title").input("Second job")  # typed, then Tab
    at = no_exceptions(at.run())
    assert at.session_state["new_job_open"]  # still open
    assert not at.success  # the first job's message is gone; nothing else moved the form
    assert at.text_input(key="new_title").value == "Second job"


def test_a_job_form_error_is_shown_next_to_the_form(make_app, session_factory):
    """Defect 12: job form errors appeared at the top of the page, away from the form."""
    seed_every_status(session_factory, title="Backend take-home")
    at = jobs_page(make_app)
    at.text_input(key="new_title").input("Backend take-home")
    no_exceptions(button(at, "Create job").click().run())
    [error] = at.expander[0].error
    assert error.value.startswith("Not created: a job titled")
    job_id = all_jobs(session_factory)[0].id
    at.text_input(key=f"title_{job_id}").input("")
    no_exceptions(button(at, "Save changes").click().run())
    [form] = [
        block
        for block in at.main.children.values()
        if hasattr(block, "button") and any(b.label == "Save changes" for b in block.button)
    ]
    assert [e.value for e in form.error] == ["Not saved: a job needs a title."]


def criterion_row(at, job_id: int, index: int):  # type: ignore[no-untyped-def]
    key = f"criterion_{job_id}_{index}"
    return (
        at.text_input(key=f"{key}_name"),
        at.number_input(key=f"{key}_weight"),
        at.selectbox(key=f"{key}_measure"),
        at.text_input(key=f"{key}_description"),
    )


def test_the_criteria_start_as_the_default_set_and_one_in_the_recruiters_words_is_added(
    make_app, session_factory
):
    seeded = seed_every_status(session_factory)
    at = jobs_page(make_app)
    name, weight, measure, _ = criterion_row(at, seeded.job_id, 0)
    assert (name.value, weight.value, measure.value) == (
        "Substance of the solution",
        25,
        "substance",
    )
    blank = len(DEFAULT_CRITERIA)
    name, weight, measure, description = criterion_row(at, seeded.job_id, blank)
    name.input("Clear error messages")
    weight.set_value(30)
    measure.set_value("judgement")
    no_exceptions(button(at, "Save criteria").click().run())
    assert any("say what a model should look for" in e.value for e in at.error)
    _, _, _, description = criterion_row(at, seeded.job_id, blank)
    description.input("4xx answers say which field is wrong")
    no_exceptions(button(at, "Save criteria").click().run())
    [job] = all_jobs(session_factory)
    assert job.criteria[-1] == {
        "name": "Clear error messages",
        "weight": 30,
        "measure": "judgement",
        "description": "4xx answers say which field is wrong",
    }
    assert len(job.criteria) == len(DEFAULT_CRITERIA) + 1
    assert any(s.value == "Saved 9 criteria." for s in at.success)


def test_a_changed_rubric_is_re_judged_on_request_and_the_old_verdicts_stay(
    make_app, session_factory
):
    seeded = seed_every_status(session_factory)
    decided = [seeded.ids[s] for s in statuses.DECISIONS]
    with transaction(session_factory) as session:
        job = session.get(Job, seeded.job_id)
        current = rubric_hash_of(job)
        for evaluation in session.scalars(select(Evaluation)):
            evaluation.rubric_hash = current
    at = jobs_page(make_app)
    assert not [b for b in at.button if b.label.startswith("Re-judge")]  # nothing changed
    with transaction(session_factory) as session:
        set_criteria(session, seeded.job_id, criteria_json(DEFAULT_CRITERIA[:3]))
    at = jobs_page(make_app)
    assert any("3 candidates of this job were judged under an earlier rubric" in i.value
               for i in at.info)  # fmt: skip
    no_exceptions(button(at, "Re-judge 3 candidates").click().run())
    with transaction(session_factory) as session:
        candidates = [session.get(Candidate, cid) for cid in decided]
        assert {(c.status, c.attempt) for c in candidates} == {(statuses.PENDING, 2)}
        kept = session.scalars(select(Evaluation).where(Evaluation.candidate_id.in_(decided)))
        assert {(e.attempt, e.status) for e in kept} == {
            (1, statuses.LOOKS_FINE),
            (1, statuses.NEEDS_REVIEW),
            (1, statuses.LOW_EFFORT),
        }
    assert events_of(session_factory, decided[0])[-1].reason == REJUDGED
