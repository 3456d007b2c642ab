"""The triage page, run headless with AppTest against the real test databases."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tats_core import statuses
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Evaluation, Job
from tats_core.triage.export import evaluations_csv
from tats_core.triage.jobs import rubric_hash_of
from tats_core.triage.listing import CandidateFilter
from tats_dev.demo import DEMO_CANDIDATES
from tats_ui.palette import COLORS
from tests import app_fixtures
from tests.app_fixtures import (
    NAMES,
    add_candidate,
    candidate,
    events_of,
    no_exceptions,
    seed_big_job,
    seed_every_status,
    set_status,
    table,
    texts,
)

TABLE = "candidate_table"

app_env, make_app = app_fixtures.app_env, app_fixtures.make_app  # fixtures


def select_row(at, name: str):  # type: ignore[no-untyped-def]
    """Click the table row of candidate ``name`` (what a person does in the browser)."""
    row = list(table(at)["Name"]).index(name)
    at.session_state[TABLE] = {"selection": {"rows": [row], "columns": []}}
    return no_exceptions(at.run())


def button(at, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label.startswith(label))


def shown_statuses(at) -> set[str]:  # type: ignore[no-untyped-def]
    return set(table(at)["Status"])


def test_an_empty_database_says_what_to_do_first(make_app):
    at = no_exceptions(make_app().run())
    page = texts(at)
    assert "Welcome to TATS" in page
    assert "tats dev --demo" in page
    assert {link.label for link in at.get("page_link")} >= {"Create a job", "Upload candidates"}
    assert not [b for b in at.button if b.label == "Load demo data"]  # only with TATS_DEMO=1


def test_the_demo_button_loads_the_demo_job_and_says_the_queue_is_down(
    make_app, monkeypatch, session_factory
):
    monkeypatch.setenv("TATS_DEMO", "1")
    at = no_exceptions(make_app().run())
    no_exceptions(button(at, "Load demo data").click().run())

    with transaction(session_factory) as session:
        job = session.scalar(select(Job))
        pending = session.scalar(
            select(func.count()).where(Candidate.job_id == job.id, Candidate.status == "pending")
        )
    assert pending == len(DEMO_CANDIDATES)
    assert at.query_params["job"] == str(job.id)
    assert at.title[0].value == job.title
    assert len(table(at)) == len(DEMO_CANDIDATES)
    assert any("reconcile" in w.value for w in at.warning)


def test_opens_the_most_recently_active_job_with_chart_and_table_without_a_click(
    make_app, session_factory
):
    seed_every_status(session_factory, title="Older job")
    newer = seed_every_status(session_factory, title="Newer job")
    at = no_exceptions(make_app().run())
    assert at.title[0].value == "Newer job"
    assert at.query_params["job"] == str(newer.job_id)  # the URL can be shared
    assert at.get("vega_lite_chart")
    assert len(table(at)) == len(statuses.ALL)


def test_the_job_query_parameter_opens_that_job(make_app, session_factory):
    older = seed_every_status(session_factory, title="Older job")
    seed_every_status(session_factory, title="Newer job")
    at = no_exceptions(make_app(job=older.job_id).run())
    assert at.title[0].value == "Older job"


def test_an_unknown_job_falls_back_with_a_warning(make_app, session_factory):
    seed_every_status(session_factory, title="Only job")
    at = no_exceptions(make_app(job=999).run())
    assert any("no job '999'" in w.value for w in at.warning)
    assert at.title[0].value == "Only job"


def test_a_job_without_candidates_points_to_the_upload_page(make_app, session_factory):
    with transaction(session_factory) as session:
        session.add(Job(title="Fresh job"))
    at = no_exceptions(make_app().run())
    assert "No candidates in this job yet" in texts(at)
    assert any(link.label == "Upload a CSV of candidates" for link in at.get("page_link"))


def test_every_status_has_one_colour_in_chart_labels_and_table(make_app, session_factory):
    seed_every_status(session_factory)
    at = no_exceptions(make_app().run())

    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    scale = spec["layer"][0]["encoding"]["color"]["scale"]
    assert scale["domain"] == [statuses.LABELS[s] for s in statuses.ALL]
    assert scale["range"] == [COLORS[s] for s in statuses.ALL]

    legend = "".join(m.value for m in at.markdown)
    for status in statuses.ALL:
        assert f"{statuses.LABELS[status]} · 1" in legend
        assert COLORS[status] in legend
    assert shown_statuses(at) == set(statuses.LABELS.values())
    assert "6 of 8 candidates processed" in at.get("progress")[0].proto.text


def test_the_table_shows_scores_best_first_and_the_panel_links_the_repository(
    make_app, session_factory
):
    seed_every_status(session_factory)
    at = no_exceptions(make_app().run())
    frame = table(at)
    assert list(frame["Name"][:3]) == [
        NAMES["looks_fine"],
        NAMES["needs_review"],
        NAMES["low_effort"],
    ]
    grace = frame[frame["Name"] == NAMES["looks_fine"]].iloc[0]
    assert grace["Score"] == 88
    assert "Showing 1–8 of 8 candidates · best score first" in texts(at)
    at = select_row(at, NAMES["looks_fine"])
    assert "(https://github.com/grace-hopper/take-home)" in texts(at)


def test_status_filter(make_app, session_factory):
    seed_every_status(session_factory)
    at = no_exceptions(make_app().run())
    at.multiselect(key="filter_status").set_value(["needs_review", "low_effort"])
    no_exceptions(at.run())
    assert shown_statuses(at) == {"Needs review", "Low effort"}
    assert "Showing 1–2 of 2 candidates (filtered from 8)" in texts(at)


def test_score_filter(make_app, session_factory):
    seed_every_status(session_factory)
    at = no_exceptions(make_app().run())
    at.slider(key="filter_score").set_range(50, 100)
    no_exceptions(at.run())
    assert shown_statuses(at) == {"Looks fine", "Needs review"}


def test_text_search(make_app, session_factory):
    seed_every_status(session_factory)
    at = no_exceptions(make_app().run())
    at.text_input(key="filter_search").input("grace")
    no_exceptions(at.run())
    assert list(table(at)["Name"]) == ["Grace Hopper"]


def test_analyzer_filter(make_app, session_factory):
    seed_every_status(session_factory)
    at = no_exceptions(make_app().run())
    analyzer = at.multiselect(key="filter_analyzer")
    # In a recruiter's words, not the analyzers' internal names ("heuristic", "rules").
    assert analyzer.options == ["Cohere (AI model)", "Built-in rubric (offline)"]
    analyzer.set_value(["cohere"])
    no_exceptions(at.run())
    assert list(table(at)["Name"]) == ["Grace Hopper"]


def test_filters_that_match_nothing_say_so(make_app, session_factory):
    seed_every_status(session_factory)
    at = no_exceptions(make_app().run())
    at.text_input(key="filter_search").input("nobody-by-that-name")
    no_exceptions(at.run())
    assert "No candidates match these filters" in texts(at)
    assert not at.dataframe


def test_a_big_job_is_paged_on_the_server(make_app, session_factory):
    seed_big_job(session_factory, [f"Person {i:03}" for i in range(120)])
    at = no_exceptions(make_app().run())
    assert len(table(at)) == 50
    assert "Showing 1–50 of 120 candidates" in texts(at)
    at.get("pagination")[0].set_value(3)
    no_exceptions(at.run())
    assert len(table(at)) == 20
    assert "Showing 101–120 of 120 candidates" in texts(at)
    assert table(at)["Name"].iloc[0] == "Person 100"


def test_selecting_a_row_shows_the_evaluation(make_app, session_factory):
    seed_every_status(session_factory)
    at = select_row(no_exceptions(make_app().run()), NAMES["needs_review"])
    page = texts(at)
    assert at.subheader[-1].value == NAMES["needs_review"]
    assert "Nina Review built the API" in page
    assert "Strength of Nina Review" in page and "Concern about Nina Review" in page
    assert "7 commits on 'main'" in page  # signals, described for a person
    criteria = at.table[0].value.reset_index()  # a static table: long evidence wraps
    # Its cells are markdown, so the text in them is escaped (app/main\.py shows as app/main.py).
    # No weight: the job's criteria do not name it (the weight column is the job's).
    assert list(criteria.iloc[0]) == ["CRUD endpoints", "", "met", "app/main\\.py"]
    assert any("prompt injection" in e.value for e in at.error)
    history = at.table[-1].value
    assert list(history["Why"]) == ["imported from CSV"]
    assert history.index.name == "When (UTC)"  # the zone is named (UTC without a browser)


def test_a_failed_candidate_shows_why(make_app, session_factory):
    seed_every_status(session_factory)
    at = select_row(no_exceptions(make_app().run()), NAMES["github_failed"])
    assert any("could not be judged" in w.value for w in at.warning)


def test_the_selection_follows_the_candidate_when_rows_move(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    at = select_row(no_exceptions(make_app().run()), NAMES["low_effort"])
    assert at.subheader[-1].value == NAMES["low_effort"]
    # A new, better-scored candidate arrives above it: the detail must not jump to another one.
    with transaction(session_factory) as session:
        add_candidate(session, seeded.job_id, statuses.LOOKS_FINE, "Ada Newcomer")
    no_exceptions(at.run())
    assert at.subheader[-1].value == NAMES["low_effort"]
    rows = at.session_state[TABLE]["selection"]["rows"]
    assert list(table(at)["Name"])[rows[0]] == NAMES["low_effort"]


def test_override_records_who_why_and_override(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    at = select_row(no_exceptions(make_app().run()), NAMES["low_effort"])
    low = seeded.ids["low_effort"]
    at.selectbox(key=f"decision_{low}_low_effort").set_value("looks_fine")
    at.text_area(key=f"reason_{low}").input("Pair-programmed with us; strong in person")
    no_exceptions(button(at, "Save decision").click().run())

    assert candidate(session_factory, low).status == "looks_fine"
    last = events_of(session_factory, low)[-1]
    assert (last.override, last.from_status, last.to_status) == (True, "low_effort", "looks_fine")
    assert last.reason == "Pair-programmed with us; strong in person"
    assert last.actor == "local user"
    assert any("Looks fine" in s.value for s in at.success)
    history = at.table[-1].value
    assert history["Why"].iloc[0].startswith("Decision\\: Pair\\-programmed")


def test_override_without_a_reason_is_refused(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    at = select_row(no_exceptions(make_app().run()), NAMES["low_effort"])
    low = seeded.ids["low_effort"]
    at.selectbox(key=f"decision_{low}_low_effort").set_value("looks_fine")
    no_exceptions(button(at, "Save decision").click().run())
    assert any("say why" in e.value for e in at.error)
    assert candidate(session_factory, seeded.ids["low_effort"]).status == "low_effort"


def test_actions_are_disabled_while_a_candidate_is_processing(make_app, session_factory):
    seed_every_status(session_factory)
    at = select_row(no_exceptions(make_app().run()), NAMES["processing"])
    assert button(at, "Re-run this candidate").disabled
    assert button(at, "Save decision").disabled


def test_rerun_one_candidate_starts_a_new_attempt_and_warns_the_queue_is_down(
    make_app, session_factory
):
    seeded = seed_every_status(session_factory)
    at = select_row(no_exceptions(make_app().run()), NAMES["github_failed"])
    no_exceptions(button(at, "Re-run this candidate").click().run())

    failed = candidate(session_factory, seeded.ids["github_failed"])
    assert (failed.status, failed.attempt) == ("pending", 2)
    assert events_of(session_factory, failed.id)[-1].actor == "local user"
    assert any("reconcile" in w.value for w in at.warning)
    assert "Pending · 2" in "".join(m.value for m in at.markdown)


def test_rerun_all_failed_candidates(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    at = no_exceptions(make_app().run())
    no_exceptions(button(at, "Re-run failed (3)").click().run())
    assert candidate(session_factory, seeded.ids["ai_failed"]).attempt == 1  # it asks first
    assert "costs about 18 GitHub requests" in texts(at)
    no_exceptions(button(at, "Re-run 3 candidates").click().run())
    for status in statuses.FAILURES:
        again = candidate(session_factory, seeded.ids[status])
        assert (again.status, again.attempt) == ("pending", 2)
    assert candidate(session_factory, seeded.ids["looks_fine"]).attempt == 1
    assert button(at, "Re-run failed").disabled


def test_the_next_run_shows_new_statuses(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    at = no_exceptions(make_app().run())
    assert "updating every 3 s" in at.get("progress")[0].proto.text

    set_status(session_factory, seeded.ids["pending"], "looks_fine")
    set_status(session_factory, seeded.ids["processing"], "low_effort")
    no_exceptions(at.run())

    legend = "".join(m.value for m in at.markdown)
    assert "Pending · 0" in legend and "Processing · 0" in legend
    assert "Looks fine · 2" in legend and "Low effort · 2" in legend
    assert "Pending" not in shown_statuses(at)
    progress = at.get("progress")[0].proto
    assert "8 of 8 candidates processed" in progress.text
    assert "updating" not in progress.text  # nothing pending: the page stops refreshing


@pytest.mark.parametrize("filtered", [False, True])
def test_download_buttons_are_offered(make_app, session_factory, filtered):
    seed_every_status(session_factory)
    at = no_exceptions(make_app().run())
    if filtered:
        at.multiselect(key="filter_status").set_value(["looks_fine"])
        no_exceptions(at.run())
    labels = {b.label: b for b in at.get("download_button")}
    assert not labels["Download all (CSV)"].disabled
    assert labels["Download filtered (CSV)"].disabled is not filtered


CONTRACT_COLUMNS = (
    "candidate_id,name,email,github_url,status,score,summary,strengths,concerns,analyzer,"
    "evaluated_at"
)


def test_the_download_csv_has_the_contract_columns_and_respects_filters(session_factory):
    seeded = seed_every_status(session_factory)
    with transaction(session_factory) as session:
        add_candidate(session, seeded.job_id, statuses.PENDING, "=HYPERLINK(evil)")
        everyone = evaluations_csv(session, seeded.job_id).decode("utf-8-sig").splitlines()
        looks_fine = evaluations_csv(
            session, seeded.job_id, CandidateFilter(statuses=["looks_fine"])
        ).decode("utf-8-sig")
    assert everyone[0].startswith(CONTRACT_COLUMNS)
    assert len(everyone) == 1 + len(statuses.ALL) + 1
    assert any(line.split(",")[1] == "'=HYPERLINK(evil)" for line in everyone)  # neutralised
    rows = looks_fine.splitlines()[1:]
    assert len(rows) == 1 and "Grace Hopper" in rows[0] and ",88," in rows[0]


def decide(at, candidate_id: int, status: str, decision: str, reason: str = ""):  # type: ignore[no-untyped-def]
    at.selectbox(key=f"decision_{candidate_id}_{status}").set_value(decision)
    if reason:
        at.text_area(key=f"reason_{candidate_id}").input(reason)
    return no_exceptions(button(at, "Save decision").click().run())


def test_each_candidate_shows_its_own_decision_before_and_after_an_override(
    make_app, session_factory
):
    seeded = seed_every_status(session_factory)
    low, fine = seeded.ids["low_effort"], seeded.ids["looks_fine"]
    at = select_row(no_exceptions(make_app().run()), NAMES["low_effort"])
    assert at.selectbox(key=f"decision_{low}_low_effort").value == "low_effort"
    at = select_row(at, NAMES["looks_fine"])
    assert at.selectbox(key=f"decision_{fine}_looks_fine").value == "looks_fine"
    at = select_row(at, NAMES["low_effort"])
    at = decide(at, low, "low_effort", "needs_review", "worth a second look")
    # The saved decision shows itself, not a stale or reset choice, and the message sits in
    # the form that caused it.
    assert at.selectbox(key=f"decision_{low}_needs_review").value == "needs_review"
    assert any("Decision saved: Needs review" in s.value for s in at.success)
    page = texts(at)
    assert "changed the decision" in page and "worth a second look" in page
    assert "UTC" in page  # the time of the decision names its zone
    decided = dict(zip(table(at)["Name"], table(at)["Decided by"], strict=True))
    assert decided[NAMES["low_effort"]] == "local user · analyzer: Low effort"
    assert decided[NAMES["looks_fine"]] == ""


def test_a_refused_override_keeps_the_reason_typed_and_says_why_beside_the_form(
    make_app, session_factory
):
    seeded = seed_every_status(session_factory)
    low = seeded.ids["low_effort"]
    at = select_row(no_exceptions(make_app().run()), NAMES["low_effort"])
    at = decide(at, low, "low_effort", "looks_fine")
    assert any(e.value.startswith("Not saved: say why") for e in at.error)
    assert at.selectbox(key=f"decision_{low}_low_effort").value == "looks_fine"  # kept


def test_rerunning_an_overridden_candidate_asks_first(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    low = seeded.ids["low_effort"]
    at = select_row(no_exceptions(make_app().run()), NAMES["low_effort"])
    at = decide(at, low, "low_effort", "needs_review", "strong in person")
    no_exceptions(button(at, "Re-run this candidate").click().run())
    assert candidate(session_factory, low).status == "needs_review"  # nothing happened yet
    assert any("local user decided Needs review" in w.value for w in at.warning)
    no_exceptions(button(at, "Keep the decision").click().run())
    assert candidate(session_factory, low).status == "needs_review"
    no_exceptions(button(at, "Re-run this candidate").click().run())
    no_exceptions(button(at, "Re-run and replace").click().run())
    again = candidate(session_factory, low)
    assert (again.status, again.attempt) == ("pending", 2)


def test_agreement_with_the_recruiters_is_on_the_page(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    at = no_exceptions(make_app().run())
    assert any("Agreement with the recruiters (0 reviews)" in e.label for e in at.expander)
    at = select_row(at, NAMES["low_effort"])
    at = decide(at, seeded.ids["low_effort"], "low_effort", "looks_fine", "strong in person")
    at = select_row(at, NAMES["looks_fine"])
    at = decide(at, seeded.ids["looks_fine"], "looks_fine", "looks_fine")  # kept, no reason
    assert any("(2 reviews)" in e.label for e in at.expander)
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Kept"], metrics["Changed"], metrics["Agreement"]) == ("1", "1", "50%")
    matrix = at.table[0].value
    assert matrix.loc["Low effort", "Human: Looks fine"] == 1
    assert any(b.label == "Download the labels (CSV)" for b in at.get("download_button"))


def test_a_candidate_link_opens_its_evaluation_and_selecting_one_updates_the_url(
    make_app, session_factory
):
    seeded = seed_every_status(session_factory)
    at = no_exceptions(make_app(job=seeded.job_id, candidate=seeded.ids["low_effort"]).run())
    assert at.subheader[-1].value == NAMES["low_effort"]
    at = select_row(at, NAMES["looks_fine"])
    assert at.query_params["candidate"] == str(seeded.ids["looks_fine"])
    no_exceptions(button(at, "Close").click().run())
    assert "candidate" not in at.query_params


def test_filters_live_in_the_url(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    at = no_exceptions(make_app(job=seeded.job_id, status="looks_fine,low_effort", q="a").run())
    assert shown_statuses(at) == {"Looks fine", "Low effort"}
    at.text_input(key="filter_search").input("grace")
    no_exceptions(at.run())
    assert at.query_params["q"] == "grace"
    assert at.query_params["status"] == "looks_fine,low_effort"
    at.multiselect(key="filter_status").set_value([])
    no_exceptions(at.run())
    assert "status" not in at.query_params


def test_the_table_toolbar_cannot_export_and_the_theme_follows_the_system():
    import tomllib

    from tests.app_fixtures import ROOT

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True
    assert "base" not in config["theme"]
    assert {"light", "dark"} <= set(config["theme"])


def test_the_panel_shows_the_lines_of_code_the_evaluation_cites(make_app, session_factory):
    from tests.test_evidence import evaluation_citing

    with transaction(session_factory) as session:
        evaluation = evaluation_citing(session, "src/app.py:10-12")
        job_id, candidate_id = evaluation.candidate.job_id, evaluation.candidate_id
    at = no_exceptions(make_app(job=job_id, candidate=candidate_id).run())
    [code] = at.code
    assert (
        "> 10  line 10" in code.value and ">  9" not in code.value and "   9  line 9" in code.value
    )
    assert any(e.label == "src/app.py:10-12" for e in at.expander)


def test_the_panel_says_a_verdict_was_reused_and_weighs_each_criterion(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    grace, larry = seeded.ids["looks_fine"], seeded.ids["low_effort"]
    with transaction(session_factory) as session:
        job = session.get(Job, seeded.job_id)
        original = session.scalar(select(Evaluation).where(Evaluation.candidate_id == larry))
        reused = session.scalar(select(Evaluation).where(Evaluation.candidate_id == grace))
        reused.reused_from = original.id
        reused.rubric_hash = rubric_hash_of(job)
        reused.criteria = [
            {"criterion": "Automated tests", "verdict": "partial", "evidence": ["tests/a.py"]}
        ]
        original.rubric_hash = "an earlier rubric"
    at = no_exceptions(make_app(job=seeded.job_id, candidate=grace).run())
    assert any(
        i.value.startswith("**Verdict reused.**") and f"candidate {larry} (attempt 1" in i.value
        for i in at.info
    )
    assert not [w for w in at.warning if "earlier rubric" in w.value]
    criteria = at.table[0].value.reset_index()
    assert list(criteria.iloc[0])[:3] == ["Automated tests", 20, "partial"]
    at = no_exceptions(make_app(job=seeded.job_id, candidate=larry).run())
    assert any("Judged under an earlier rubric" in w.value for w in at.warning)
