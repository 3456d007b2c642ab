"""Triage: one job's candidates as counts, a chart and a filterable table, live while they are
processed; select rows to open an evaluation, compare candidates or decide for several at once."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlalchemy import select

from tats_core import statuses
from tats_core.errors import NotFound
from tats_core.store.db import transaction
from tats_core.store.models import Candidate
from tats_core.triage import jobs
from tats_core.triage.agreement import agreement
from tats_core.triage.candidates import (
    Failures,
    current_evaluation,
    get_candidate,
    history,
    job_failures,
)
from tats_core.triage.comparison import compare
from tats_core.triage.evidence import cited_excerpts
from tats_core.triage.export import evaluations_csv, labels_csv
from tats_core.triage.listing import CandidateFilter, analyzer_names, candidate_page
from tats_core.triage.notes import notes_of
from tats_core.triage.reviews import current_reviews, job_reviews
from tats_core.triage.shared_code import overlaps_of
from tats_core.triage.verdicts import VerdictCheck, verdict_check
from tats_ui import selection
from tats_ui import triage_links as links
from tats_ui import triage_view as view
from tats_ui.candidate_panel import PanelData, candidate_panel
from tats_ui.compare_view import COMPARISON_ANCHOR, comparison
from tats_ui.deps import get_deps
from tats_ui.navigation import UPLOAD_PAGE
from tats_ui.notices import Notice, show_notice
from tats_ui.problems_banner import problems_banner
from tats_ui.scroll import anchor_for, bring_into_view
from tats_ui.triage_actions import REMOVED, TriageActions, bulk_form
from tats_ui.welcome import first_run

REFRESH_SECONDS = 3
PAGE_SIZE = 50
SCROLLED = "scrolled_to"  # the candidate whose panel was last brought into view
SCROLLED_COMPARE = "scrolled_to_comparison"  # the comparison last brought into view

deps = get_deps()
problems_banner(deps)
with transaction(deps.session_factory) as session:
    all_jobs = jobs.job_choices(session)  # most recently active first
if not all_jobs:
    first_run()
    st.stop()


def job_of_candidate_link() -> int | None:
    """``?candidate=CID`` without ``job=``: the candidate's own job."""
    candidate_id = links.requested_candidate()
    if candidate_id is None:
        return None
    with transaction(deps.session_factory) as session:
        try:
            return get_candidate(session, candidate_id).job_id
        except NotFound:
            return None


by_id = {job.id: job for job in all_jobs}
requested = st.query_params.get("job")
asked_for = int(requested) if requested and requested.isdigit() else job_of_candidate_link()
if requested and asked_for not in by_id:
    st.warning(f"There is no job {requested!r}; showing the most recently active job instead.")
    asked_for = None
job_id: int = (
    asked_for
    if asked_for is not None
    else next((job.id for job in all_jobs if not job.archived), all_jobs[0].id)
)
st.query_params["job"] = str(job_id)  # the URL names the job, so it can be shared
job = by_id[job_id]

title_col, pick_col = st.columns([3, 2], vertical_alignment="bottom")
title_col.title(job.title)
choices = [j.id for j in all_jobs if not j.archived or j.id == job_id]
chosen = pick_col.selectbox(
    "Job",
    choices,
    index=choices.index(job_id),
    format_func=lambda i: by_id[i].title + (" (archived)" if by_id[i].archived else ""),
)
if chosen != job_id:
    links.open_job(chosen)
    st.rerun()
if job.archived:
    st.caption(":material/archive: This job is archived.")

with transaction(deps.session_factory) as session:
    has_candidates = jobs.any_candidates(session, job_id)
    refreshing = jobs.any_candidates(session, job_id, statuses.ACTIVE)
if not has_candidates:
    st.info("No candidates in this job yet.", icon=":material/group_add:")
    st.page_link(
        UPLOAD_PAGE,
        label="Upload a CSV of candidates",
        icon=":material/upload_file:",
        query_params={"job": str(job_id)},
    )
    st.stop()

actions = TriageActions(deps, job_id)


def failures() -> Failures:
    with transaction(deps.session_factory) as session:
        return job_failures(session, job_id)


def labels_download() -> Callable[[], bytes]:
    def build() -> bytes:
        with transaction(deps.session_factory) as session:
            return labels_csv(session, job_id)

    return build


@st.cache_data(ttl=60, show_spinner=False)
def analyzers_of(job_id: int, database: str) -> list[str]:
    """The analyzer filter's choices: they rarely change, and finding them reads every row."""
    with transaction(deps.session_factory) as session:
        return analyzer_names(session, job_id)


def csv_download(filters: CandidateFilter | None) -> Callable[[], bytes]:
    """Built when the button is clicked, not on every refresh."""

    def build() -> bytes:
        with transaction(deps.session_factory) as session:
            return evaluations_csv(session, job_id, filters)

    return build


def agreement_section() -> None:
    with transaction(deps.session_factory) as session:
        pairs = [
            (r.analyzer_decision or "", r.decision) for r in job_reviews(session, job_id).values()
        ]
    view.agreement_panel(agreement(pairs), labels_download(), f"tats-job-{job_id}-labels.csv")


def selected_names() -> dict[int, str]:
    ids = selection.selected()
    if not ids:
        return {}
    with transaction(deps.session_factory) as session:
        rows = session.execute(
            select(Candidate.id, Candidate.name).where(
                Candidate.id.in_(ids), Candidate.job_id == job_id, Candidate.removed_at.is_(None)
            )
        )
        return {cid: name for cid, name in rows}


def removed_notice() -> None:
    removed = st.session_state.get(REMOVED)
    if removed:
        with st.container(horizontal=True, vertical_alignment="center"):
            st.info(f"Removed {removed[1]} from the job; the history is kept.", width="stretch")
            st.button("Undo", icon=":material/undo:", on_click=actions.undo_remove)


def filters_row(analyzers: list[str]) -> CandidateFilter:
    filters = view.filter_bar(analyzers)
    if filters.active:
        st.button("Clear filters", icon=":material/filter_alt_off:", on_click=links.clear_filters)
    return filters


def candidates_section(
    counts: dict[str, int], notices: dict[str, Notice]
) -> tuple[CandidateFilter, int]:
    """The filter bar (seeded from the URL), one page of the table and what the selection can
    do; the filters chosen, and how many candidates match them."""
    st.subheader("Candidates")
    removed_notice()
    show_notice(notices.get("candidates"))
    analyzers = analyzers_of(job_id, deps.settings.database_url)
    links.seed_filters(analyzers)
    links.read_view()
    selection.read_table()
    filters = filters_row(analyzers)
    links.write_filters(filters)
    sort = selection.current_sort()
    pager = f"page:{job_id}:{filters!r}:{sort!r}"  # new filters or order start on page 1
    with transaction(deps.session_factory) as session:
        page = candidate_page(
            session,
            job_id,
            filters,
            page=st.session_state.get(pager, 1),
            page_size=PAGE_SIZE,
            counts=counts,
            sort=sort,
        )
        reviews = current_reviews(session, [row["candidate_id"] for row in page.rows])
    if page.rows:
        view.candidate_table(page.rows, reviews)
        view.table_footer(page, PAGE_SIZE, sum(counts.values()), pager_key=pager)
        view.open_picker(page.rows)
    else:
        st.info("No candidates match these filters.", icon=":material/filter_alt_off:")
    form = bulk_form(actions.decide_selected, notices.get("bulk"))
    view.selection_bar(selected_names(), actions.compare_selected, form)
    return filters, page.total


@st.fragment(run_every=REFRESH_SECONDS if refreshing else None)
def live_view(refreshing: bool) -> None:
    with transaction(deps.session_factory) as session:
        counts = jobs.status_counts(session, job_id)
    if any(counts[s] for s in statuses.ACTIVE) != refreshing:
        st.rerun()  # run_every is fixed when the fragment is defined: start or stop the timer
    notices = st.session_state.pop("notices", {})
    show_notice(st.session_state.pop("notice", None))  # set by the demo loader
    note = f" · updating every {REFRESH_SECONDS} s" if refreshing else ""
    view.overview(counts, note)
    failed = sum(counts[s] for s in statuses.FAILURES)
    view.rerun_failed_controls(failed, failures, actions.rerun_failed, notices.get("overview"))
    agreement_section()
    filters, matching = candidates_section(counts, notices)
    view.csv_downloads(
        csv_download(None),
        csv_download(filters),
        stem=f"tats-job-{job_id}-evaluations",
        filters=filters,
        matching=matching,
    )
    compare_section()
    pinned = st.session_state.get(selection.PINNED)
    if pinned is not None:
        candidate_detail(pinned, notices)
    else:
        st.session_state.pop(SCROLLED, None)  # opening it again brings it into view again
    links.write_view()


def compare_section() -> None:
    ids = st.session_state.get(links.COMPARE) or []
    if not ids:
        st.session_state.pop(SCROLLED_COMPARE, None)
        return
    with transaction(deps.session_factory) as session:
        compared = compare(session, job_id, ids)
    if len(compared) < 2:
        st.session_state[links.COMPARE] = []
        return
    shown = ",".join(str(c.candidate.id) for c in compared)
    query = f"?job={job_id}&{links.COMPARE}={shown}"
    comparison(compared, (st.context.url or "/triage") + query, actions.close_comparison)
    if st.session_state.get(SCROLLED_COMPARE) != shown:
        st.session_state[SCROLLED_COMPARE] = shown
        bring_into_view(COMPARISON_ANCHOR)


def candidate_detail(pinned: int, notices: dict[str, Notice]) -> None:
    with transaction(deps.session_factory) as session:
        try:
            candidate = get_candidate(session, pinned)
        except NotFound:
            candidate = None
        if candidate is None or candidate.job_id != job_id or candidate.removed_at is not None:
            st.warning(f"There is no candidate {pinned} in this job.", icon=":material/person_off:")
            selection.close_candidate(pinned)
            return
        evaluation = current_evaluation(session, candidate)
        data = PanelData(
            candidate,
            evaluation,
            history(session, pinned),
            current_reviews(session, [pinned]).get(pinned),
            overlaps_of(session, job_id, pinned),
            cited_excerpts(session, evaluation) if evaluation else [],
            notes_of(session, pinned),
            verdict_check(session, evaluation) if evaluation else VerdictCheck(),
        )
    candidate_panel(data, actions, notices)
    if st.session_state.get(SCROLLED) != pinned:
        st.session_state[SCROLLED] = pinned
        bring_into_view(anchor_for(pinned))


live_view(refreshing)
