"""Triage: one job's candidates as counts, a chart and a filterable table, live while they are
processed; select a row for the evaluation, its history, and the recruiter's actions."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from tats_core import statuses
from tats_core.errors import InputError, NotFound
from tats_core.store.db import transaction
from tats_core.triage import jobs
from tats_core.triage.agreement import agreement
from tats_core.triage.candidates import (
    CandidateFilter,
    analyzer_names,
    candidate_page,
    current_evaluation,
    failed_candidate_ids,
    get_candidate,
    history,
    override_decision,
    rerun,
)
from tats_core.triage.evidence import cited_excerpts
from tats_core.triage.export import evaluations_csv, labels_csv
from tats_core.triage.reviews import current_reviews, job_reviews
from tats_core.triage.shared_code import overlaps_of
from tats_core.wording import plural
from tats_ui import triage_links as links
from tats_ui import triage_view as view
from tats_ui.auth import actor
from tats_ui.deps import get_deps
from tats_ui.navigation import UPLOAD_PAGE
from tats_ui.problems_banner import problems_banner
from tats_ui.queueing import enqueue, queue_down_message
from tats_ui.welcome import first_run

REFRESH_SECONDS = 3
PAGE_SIZE = 50

deps = get_deps()
problems_banner(deps)
with transaction(deps.session_factory) as session:
    all_jobs = jobs.job_choices(session)  # most recently active first
if not all_jobs:
    first_run()
    st.stop()

by_id = {job.id: job for job in all_jobs}
requested = st.query_params.get("job")
asked_for = int(requested) if requested and requested.isdigit() else None
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


def notify(kind: str, message: str, where: str = "overview") -> None:
    """A message shown next to the control that caused it (``where``: overview, decision,
    rerun), on the next run only."""
    st.session_state.setdefault("notices", {})[where] = (kind, message)


def rerun_candidates(
    candidate_ids: list[int], what: str, replace_reviews: bool = False, where: str = "rerun"
) -> None:
    st.session_state.pop("confirm_rerun", None)
    with transaction(deps.session_factory) as session:
        count = rerun(session, candidate_ids, actor=actor(), replace_reviews=replace_reviews)
    if not count:
        notify(
            "info",
            "Nothing to re-run: those candidates are queued, running, or decided by a recruiter.",
            where,
        )
        return
    report = enqueue(job_id)
    if report.error:
        notify("warning", f"{what}: {count:,} back to pending. {queue_down_message(report)}", where)
    else:
        notify("success", f"{what}: {plural(count, 'candidate')} queued again.", where)


def rerun_failed() -> None:
    with transaction(deps.session_factory) as session:
        ids = failed_candidate_ids(session, job_id)
    rerun_candidates(ids, "Re-run of failed candidates", where="overview")


def save_override(candidate_id: int) -> None:
    with transaction(deps.session_factory) as session:
        candidate = get_candidate(session, candidate_id)
        decision = st.session_state[view.decision_key(candidate)]
        reason_key = view.reason_key(candidate)
        try:
            override_decision(
                session,
                candidate_id,
                decision,
                actor=actor(),
                reason=st.session_state.get(reason_key) or "",
            )
        except InputError as exc:
            notify("error", f"Not saved: {exc}.", "decision")  # the form keeps what was typed
            return
    st.session_state[reason_key] = ""
    notify("success", f"Decision saved: {statuses.LABELS[decision]}.", "decision")


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


def candidates_section(counts: dict[str, int]) -> CandidateFilter:
    """The filter bar (seeded from the URL) and one page of the table; the filters chosen."""
    st.subheader("Candidates")
    analyzers = analyzers_of(job_id, deps.settings.database_url)
    links.seed_filters(analyzers)
    links.read_candidate()
    filters = view.filter_bar(analyzers)
    links.write_filters(filters)
    pager = f"page:{job_id}:{filters!r}"  # new filters start again on page 1
    with transaction(deps.session_factory) as session:
        page = candidate_page(
            session,
            job_id,
            filters,
            page=st.session_state.get(pager, 1),
            page_size=PAGE_SIZE,
            counts=counts,
        )
        reviews = current_reviews(session, [row["candidate_id"] for row in page.rows])
    if page.rows:
        view.candidate_table(page.rows, reviews)
        view.table_footer(page, PAGE_SIZE, sum(counts.values()), pager_key=pager)
    else:
        st.info("No candidates match these filters.", icon=":material/filter_alt_off:")
    return filters


@st.fragment(run_every=REFRESH_SECONDS if refreshing else None)
def live_view(refreshing: bool) -> None:
    with transaction(deps.session_factory) as session:
        counts = jobs.status_counts(session, job_id)
    if any(counts[s] for s in statuses.ACTIVE) != refreshing:
        st.rerun()  # run_every is fixed when the fragment is defined: start or stop the timer
    notices = st.session_state.pop("notices", {})
    view.show_notice(st.session_state.pop("notice", None))  # set by the demo loader
    note = f" · updating every {REFRESH_SECONDS} s" if refreshing else ""
    view.overview(counts, note, on_rerun_failed=rerun_failed, notice=notices.get("overview"))
    agreement_section()
    filters = candidates_section(counts)
    view.csv_downloads(
        csv_download(None),
        csv_download(filters),
        stem=f"tats-job-{job_id}-evaluations",
        filtered=filters != CandidateFilter(min_score=0, max_score=100),
    )
    pinned = st.session_state.get(links.PINNED)
    if pinned is not None:
        candidate_detail(pinned, notices)
    links.write_candidate()


def candidate_detail(pinned: int, notices: dict[str, view.Notice]) -> None:
    with transaction(deps.session_factory) as session:
        try:
            candidate = get_candidate(session, pinned)
        except NotFound:
            candidate = None
        if candidate is None or candidate.job_id != job_id:
            st.warning(f"There is no candidate {pinned} in this job.", icon=":material/person_off:")
            st.session_state[links.PINNED] = None
            return
        evaluation = current_evaluation(session, candidate)
        events = history(session, pinned)
        shared = overlaps_of(session, job_id, pinned)
        excerpts = cited_excerpts(session, evaluation) if evaluation else []
        review = current_reviews(session, [pinned]).get(pinned)
    view.candidate_panel(
        candidate,
        evaluation,
        events,
        review,
        on_override=save_override,
        on_rerun=rerun_candidates,
        notices=notices,
        shared=shared,
        excerpts=excerpts,
    )


live_view(refreshing)
