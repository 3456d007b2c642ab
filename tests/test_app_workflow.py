"""The recruiter's workflow on the triage page (issue #21), run headless with AppTest against the
real test databases: compare, decide for several at once, notes, fixing a candidate, and the
walk-through's defects (each test names the defect it holds fixed)."""

from __future__ import annotations

from sqlalchemy import select

from tats_core import statuses
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Evaluation, StatusEvent
from tats_core.triage.candidates import WORKER_ACTOR
from tats_core.triage.export import evaluations_frame
from tests import app_fixtures
from tests.app_fixtures import (
    NAMES,
    candidate,
    events_of,
    no_exceptions,
    seed_big_job,
    seed_every_status,
    table,
    texts,
)
from tests.test_app_triage import TABLE, button, select_row

app_env, make_app = app_fixtures.app_env, app_fixtures.make_app  # fixtures


def tick(at, *names: str):  # type: ignore[no-untyped-def]
    """Tick these rows' checkboxes (in the browser: one click each)."""
    shown = list(table(at)["Name"])
    rows = sorted({*at.session_state[TABLE]["selection"]["rows"], *map(shown.index, names)})
    at.session_state[TABLE] = {"selection": {"rows": rows, "columns": []}}
    return no_exceptions(at.run())


def click_header(at, column: str):  # type: ignore[no-untyped-def]
    rows = at.session_state[TABLE]["selection"]["rows"]
    at.session_state[TABLE] = {"selection": {"rows": rows, "columns": [column]}}
    return no_exceptions(at.run())


def scrolls(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.proto.body for h in at.get("html") if "scrollIntoView" in h.proto.body]


def test_ticked_rows_stay_ticked_and_two_to_four_compare_side_by_side(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    at = no_exceptions(make_app().run())
    at = tick(at, NAMES["looks_fine"])
    at = tick(at, NAMES["low_effort"])
    # Defect 9: checkboxes, not radio buttons: both rows stay ticked.
    assert len(at.session_state[TABLE]["selection"]["rows"]) == 2
    assert "2 candidates selected" in texts(at)
    no_exceptions(button(at, "Compare 2 candidates").click().run())

    fine, low = seeded.ids["looks_fine"], seeded.ids["low_effort"]
    assert at.query_params["compare"] == f"{fine},{low}"
    assert f"?job={seeded.job_id}&compare={fine},{low}" in at.code[0].value  # the link
    side_by_side = at.table[0].value
    assert list(side_by_side.columns) == [NAMES["looks_fine"], NAMES["low_effort"]]
    assert side_by_side.loc["Score"].tolist() == ["88 / 100", "12 / 100"]
    assert side_by_side.loc["Decision"].tolist() == [
        "**Looks fine** (analyzer)",
        "**Low effort** (analyzer)",
    ]
    assert side_by_side.loc["CRUD endpoints"].tolist() == ["**met**: app/main\\.py"] * 2
    assert side_by_side.loc["Tests"].tolist() == ["not run", "not run"]
    assert "Shared code" in side_by_side.index
    assert any(str(row).startswith("History") for row in side_by_side.index)

    no_exceptions(button(at, "Close the comparison").click().run())
    assert "compare" not in at.query_params and not at.code


def test_a_comparison_link_opens_the_same_comparison(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    ids = f"{seeded.ids['needs_review']},{seeded.ids['looks_fine']},{seeded.ids['low_effort']}"
    at = no_exceptions(make_app(job=seeded.job_id, compare=ids).run())
    assert list(at.table[0].value.columns) == [
        NAMES["needs_review"],
        NAMES["looks_fine"],
        NAMES["low_effort"],
    ]
    assert "Comparing 3 candidates" in texts(at)


def test_one_decision_for_the_selected_candidates(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    at = no_exceptions(make_app().run())
    at = tick(at, NAMES["looks_fine"], NAMES["needs_review"], NAMES["processing"])
    at.selectbox(key="bulk_decision").set_value("low_effort")
    no_exceptions(button(at, "Apply to 3 candidates").click().run())
    assert any(e.value.startswith("Not saved: say why") for e in at.error)

    at.text_area(key="bulk_reason").input("Missed the brief: no persistence layer")
    no_exceptions(button(at, "Apply to 3 candidates").click().run())
    for status in ("looks_fine", "needs_review"):
        [event] = events_of(session_factory, seeded.ids[status])
        assert (event.to_status, event.override, event.reason) == (
            "low_effort",
            True,
            "Missed the brief: no persistence layer",
        )
    assert events_of(session_factory, seeded.ids["processing"]) == []
    [done] = [s.value for s in at.success if s.value.startswith("Low effort for 2 candidates")]
    assert "Left out: candidate" in done and "still being processed" in done
    assert any("(2 reviews)" in e.label for e in at.expander)  # counted in agreement


def test_notes_are_shown_in_the_panel_with_author_and_time_and_exported(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    fine = seeded.ids["looks_fine"]
    at = select_row(no_exceptions(make_app().run()), NAMES["looks_fine"])
    at.text_area(key=f"note_{fine}").input("Strong on tests; ask about caching in the call")
    no_exceptions(button(at, "Add note").click().run())
    page = texts(at)
    assert "Strong on tests; ask about caching in the call" in page
    assert "**local user** · " in page and "UTC" in page  # who, and when in the viewer's zone
    assert at.text_area(key=f"note_{fine}").value == ""
    with session_factory() as session:
        exported = evaluations_frame(session, seeded.job_id).set_index("candidate_id")
    assert exported.loc[fine, "notes"].endswith(
        "local user: Strong on tests; ask about caching in the call"
    )


def test_sorting_a_column_orders_the_whole_job_not_the_page(make_app, session_factory):
    """Defect 1: a header click sorted only the page shown; the caption said best score first."""
    seed_big_job(session_factory, [f"Person {(i * 7) % 120:03}" for i in range(120)])
    at = click_header(no_exceptions(make_app().run()), "Name")
    assert list(table(at)["Name"][:3]) == ["Person 000", "Person 001", "Person 002"]
    assert "by name, A–Z" in texts(at) and at.query_params["sort"] == "name"
    at = click_header(at, "Name")
    assert table(at)["Name"].iloc[0] == "Person 119"
    assert at.query_params["sort"] == "-name"
    assert at.session_state[TABLE]["selection"]["columns"] == []  # the header click is used up


def test_a_wrong_url_is_fixed_in_the_panel_and_a_candidate_can_be_removed(
    make_app, session_factory
):
    """Defect 2: a candidate imported with a wrong URL could never be fixed."""
    seeded = seed_every_status(session_factory)
    gita = seeded.ids["github_failed"]
    at = select_row(no_exceptions(make_app().run()), NAMES["github_failed"])
    at.text_input(key=f"url_{gita}").input("https://github.com/gita/take-home")
    no_exceptions(button(at, "Save the URL and re-run").click().run())
    fixed = candidate(session_factory, gita)
    assert (fixed.repo_full_name, fixed.status, fixed.attempt) == ("gita/take-home", "pending", 2)
    assert any("reconcile" in w.value for w in at.warning)  # queued (the queue is down here)
    history = at.table[-1].value
    assert history["Why"].iloc[0].startswith("repository URL changed")

    at = select_row(at, NAMES["low_effort"])
    no_exceptions(button(at, "Remove from the job").click().run())
    no_exceptions(button(at, "Remove").click().run())
    assert NAMES["low_effort"] not in list(table(at)["Name"])
    assert candidate(session_factory, seeded.ids["low_effort"]).removed_by == "local user"
    no_exceptions(button(at, "Undo").click().run())
    assert NAMES["low_effort"] in list(table(at)["Name"])


def test_keyboard_users_open_a_candidate_by_name(make_app, session_factory):
    """Defect 4: only an undocumented Shift+Space selected a row."""
    seeded = seed_every_status(session_factory)
    at = no_exceptions(make_app().run())
    assert "Shift+Space ticks the focused row" in texts(at)
    picker = at.selectbox(key="open_candidate")
    assert NAMES["low_effort"] in picker.options  # typed to, then Enter
    at = no_exceptions(picker.set_value(seeded.ids["low_effort"]).run())
    assert at.subheader[-1].value == NAMES["low_effort"]
    assert at.selectbox(key="open_candidate").value is None  # ready for the next one


def test_an_opened_evaluation_is_brought_into_view_once(make_app, session_factory):
    """Defect 5: the evaluation opened below the fold, with no scroll or focus move."""
    seeded = seed_every_status(session_factory)
    at = select_row(no_exceptions(make_app().run()), NAMES["needs_review"])
    [script] = scrolls(at)
    assert f'"candidate-{seeded.ids["needs_review"]}"' in script and "focus" in script
    assert scrolls(no_exceptions(at.run())) == []  # a refresh does not pull the page back


def test_a_failed_candidate_offers_no_decision_until_one_is_chosen(make_app, session_factory):
    """Defect 6: a failed candidate's box said Needs review, and Save asked why it changed."""
    seeded = seed_every_status(session_factory)
    aiko = seeded.ids["ai_failed"]
    at = select_row(no_exceptions(make_app().run()), NAMES["ai_failed"])
    assert at.selectbox(key=f"decision_{aiko}_ai_failed").value is None
    no_exceptions(button(at, "Save decision").click().run())
    assert any(e.value == "Not saved: choose a decision first." for e in at.error)
    at.selectbox(key=f"decision_{aiko}_ai_failed").set_value("needs_review")
    no_exceptions(button(at, "Save decision").click().run())
    [error] = [e.value for e in at.error]
    assert "the analyzer made no decision here" in error and "decide Needs review" in error


def test_concerns_link_to_the_judged_commit_and_say_a_thing_once(make_app, session_factory):
    """Defect 7 (the panel's part): evidence without links, repeated concerns."""
    seeded = seed_every_status(session_factory)
    sha = "c0ffee" + "0" * 34
    with transaction(session_factory) as session:
        evaluation = session.scalars(
            select(Evaluation).where(Evaluation.candidate_id == seeded.ids["low_effort"])
        ).one()
        evaluation.commit_sha = sha
        evaluation.signals = {**evaluation.signals, "sample_files": {"src/app.py": "b1"}}
        evaluation.concerns = [
            "Stubbed bodies: src/app.py:4-6",
            "Stubbed  bodies: src/app.py:4-6",
            "No README",
        ]
    at = select_row(no_exceptions(make_app().run()), NAMES["low_effort"])
    [concerns] = [m.value for m in at.markdown if m.value.startswith("#### Concerns")]
    url = f"https://github.com/larry-low/take-home/blob/{sha}/src/app.py#L4-L6"
    assert concerns.count(url) == 1 and concerns.count("- ") == 2


def test_rerun_failed_asks_first_and_leaves_permanent_failures_unless_asked(
    make_app, session_factory
):
    """Defect 10: "Re-run failed (240)" re-queued permanent 404s at once."""
    seeded = seed_every_status(session_factory)
    gita = seeded.ids["github_failed"]
    with transaction(session_factory) as session:
        session.add(
            StatusEvent(
                candidate_id=gita,
                attempt=1,
                from_status="processing",
                to_status="github_failed",
                actor=WORKER_ACTOR,
                reason="repository not found or private (404)",
            )
        )
    at = no_exceptions(make_app().run())
    no_exceptions(button(at, "Re-run failed (3)").click().run())
    assert candidate(session_factory, gita).attempt == 1  # nothing yet
    assert not at.checkbox(key="rerun_permanent").value
    no_exceptions(button(at, "Re-run 2 candidates").click().run())
    assert candidate(session_factory, gita).attempt == 1  # the 404 is left alone
    assert candidate(session_factory, seeded.ids["ai_failed"]).attempt == 2

    set_failed = seeded.ids["ai_failed"]
    with transaction(session_factory) as session:
        session.get(Candidate, set_failed).status = "ai_failed"  # type: ignore[union-attr]
    no_exceptions(at.run())
    no_exceptions(button(at, "Re-run failed").click().run())
    at.checkbox(key="rerun_permanent").check()
    no_exceptions(at.run())
    no_exceptions(button(at, "Re-run 2 candidates").click().run())
    assert candidate(session_factory, gita).attempt == 2  # asked for, so re-run


def test_a_candidate_link_without_a_job_opens_the_candidates_job(make_app, session_factory):
    """Polish: ``?candidate=`` without ``job=`` picked the wrong job."""
    older = seed_every_status(session_factory, title="Older job")
    seed_every_status(session_factory, title="Newer job")
    at = no_exceptions(make_app(candidate=older.ids["low_effort"]).run())
    assert at.title[0].value == "Older job"
    assert at.subheader[-1].value == NAMES["low_effort"]
    assert at.query_params["job"] == str(older.job_id)


def test_back_closes_the_candidate_it_opened(make_app, session_factory):
    """Polish: Back needed two presses to close a candidate."""
    seeded = seed_every_status(session_factory)
    at = select_row(no_exceptions(make_app().run()), NAMES["low_effort"])
    assert at.query_params["candidate"] == str(seeded.ids["low_effort"])
    del at.query_params["candidate"]  # the browser's Back: the URL before the click
    at = no_exceptions(at.run())
    assert NAMES["low_effort"] not in [s.value for s in at.subheader]
    assert at.session_state[TABLE]["selection"]["rows"] == []


def test_a_filter_that_matches_nothing_offers_no_download_and_can_be_cleared(
    make_app, session_factory
):
    """Polish: a filtered download with no match was still offered; no "clear filters"."""
    seed_every_status(session_factory)
    at = no_exceptions(make_app().run())
    assert not [b for b in at.button if b.label == "Clear filters"]
    at.text_input(key="filter_search").input("nobody-by-that-name")
    at = no_exceptions(at.run())
    downloads = {b.label: b for b in at.get("download_button")}
    assert downloads["Download filtered (CSV)"].disabled
    no_exceptions(button(at, "Clear filters").click().run())
    assert at.text_input(key="filter_search").value == ""
    assert len(table(at)) == len(statuses.ALL) and "q" not in at.query_params


def test_no_page_words_a_count_with_s_in_brackets(make_app, session_factory):
    """Polish: "(s)" plurals."""
    seed_every_status(session_factory)
    at = select_row(no_exceptions(make_app().run()), NAMES["low_effort"])
    labels = [b.label for b in at.button] + [e.label for e in at.expander]
    assert "(s)" not in texts(at) and not [label for label in labels if "(s)" in label]
