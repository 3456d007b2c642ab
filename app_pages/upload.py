"""Upload: a CSV of candidates into a job — preview the detected columns (correctable), the
validation report and the GitHub quota it needs, then store everything in one transaction and
queue it for processing."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from tats_core.errors import InputError
from tats_core.github.quota import LIMIT_WITH_TOKEN, candidates_within, requests_needed
from tats_core.processing.intake import NewJob, import_candidates
from tats_core.store.db import transaction
from tats_core.triage import jobs
from tats_core.triage.csv_reader import FIELDS, inspect_layout
from tats_core.triage.csv_sample import sample_csv
from tats_core.triage.export import skipped_rows_csv
from tats_core.triage.ingest import IngestPlan, NewCandidate, RowProblem, plan_ingest
from tats_core.wording import plural
from tats_ui.deps import get_deps
from tats_ui.navigation import TRIAGE_PAGE
from tats_ui.queueing import queue_down_message
from tats_ui.quota import current_quota

NEW_JOB = 0
FIELD_LABELS = {"github_url": "GitHub URL (required)", "name": "Name", "email": "Email"}
NONE = "(not in the file)"

deps = get_deps()
st.title("Upload candidates")


def problems_table(title: str, problems: list[RowProblem]) -> None:
    if problems:
        with st.expander(f"{title} ({len(problems):,}) — not imported", icon=":material/warning:"):
            st.dataframe(
                pd.DataFrame(
                    {"Row": p.row, "Name": p.name, "Value": p.value, "Reason": p.reason}
                    for p in problems
                ),
                hide_index=True,
                column_config={"Reason": st.column_config.TextColumn(width="large")},
            )


def skipped_download(invalid: list[RowProblem], duplicates: list[RowProblem], key: str) -> None:
    if invalid or duplicates:
        st.download_button(
            f"Download the {plural(len(invalid) + len(duplicates), 'skipped row')} (CSV)",
            skipped_rows_csv(invalid, duplicates),
            file_name="tats-skipped-rows.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
            key=key,
        )


result = st.session_state.get("upload_result")
if result:
    job_id, inserted, enqueue_report, skipped_invalid, skipped_duplicates = result
    st.success(f"Stored {plural(inserted, 'candidate')}.", icon=":material/check_circle:")
    if enqueue_report.error:
        st.warning(queue_down_message(enqueue_report), icon=":material/schedule:")
    elif inserted:
        st.success(f"Queued {enqueue_report.enqueued:,} for processing.")
    # What the import left out stays visible (and downloadable) after it.
    problems_table("Invalid rows", skipped_invalid)
    problems_table("Duplicates", skipped_duplicates)
    skipped_download(skipped_invalid, skipped_duplicates, "skipped_after_import")
    st.page_link(
        TRIAGE_PAGE,
        label="Open the triage page",
        icon=":material/insights:",
        query_params={"job": job_id},
    )
    st.divider()

with transaction(deps.session_factory) as session:
    open_jobs = jobs.list_jobs(session)
titles = {job.id: job.title for job in open_jobs}
requested = st.query_params.get("job")
default_job = (
    int(requested) if requested and requested.isdigit() and int(requested) in titles else None
)
if requested and default_job is None:
    st.warning(
        f"There is no open job {requested!r}: choose a job below, or create one.",
        icon=":material/help:",
    )
options = [*titles, NEW_JOB]
job_choice = st.selectbox(
    "Job",
    options,
    index=options.index(default_job) if default_job else 0,
    format_func=lambda i: titles.get(i, "➕ New job…"),
)
if job_choice == NEW_JOB:
    with st.container(border=True):
        new_title = st.text_input("New job title", key="upload_new_title")
        new_description = st.text_area("Assignment", key="upload_new_description")
        new_rubric = st.text_area("What good looks like", key="upload_new_rubric")

st.markdown(
    "One row per candidate, with a header row. A **GitHub repository URL** column is required "
    "(`github_url`, `github`, `repo`, `repository`, ...); `name` and `email` are optional."
)
st.download_button(
    "Download a sample CSV",
    sample_csv(),
    file_name="tats-sample-candidates.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)
uploaded = st.file_uploader(
    "Candidates CSV", type=["csv", "txt", "tsv"], key=f"csv_{st.session_state.get('uploads', 0)}"
)
if uploaded is None:
    st.stop()
source = uploaded.getvalue()
st.session_state.pop("upload_result", None)

file_key = hashlib.sha256(source).hexdigest()[:16]
try:
    layout = inspect_layout(source)
except InputError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()

st.subheader("Columns")
st.caption("Detected from the header row; correct them if a column was missed or mistaken.")
mapping: dict[str, str | None] = {}
for column, field in zip(st.columns(len(FIELDS)), FIELDS, strict=True):
    choices = [NONE, *layout.headers]
    detected = layout.mapping.get(field)
    picked = column.selectbox(
        FIELD_LABELS[field],
        choices,
        index=choices.index(detected) if detected in choices else 0,
        key=f"map_{field}_{file_key}",
    )
    mapping[field] = None if picked == NONE else picked
if not mapping["github_url"]:
    st.error("Choose the column that holds the candidates' GitHub repository URLs.")
    st.stop()


def repository_label(row: NewCandidate) -> str:
    """owner/repo, with the branch and folder a /tree/... URL names (judged there, not at the
    repository's root)."""
    label = row.repo_full_name
    if row.repo_ref:
        label += f" @ {row.repo_ref}"
    if row.repo_path:
        label += f" / {row.repo_path}"
    return label


def _show(bar: DeltaGenerator, fraction: float, text: str) -> None:
    bar.progress(min(fraction, 1.0), text=text)


def make_plan(job_id: int, progress_text: str) -> IngestPlan:
    bar = st.progress(0.0, text=progress_text)
    with transaction(deps.session_factory) as session:
        plan = plan_ingest(
            session,
            job_id,
            source,
            mapping=mapping,
            progress=lambda done: _show(bar, done, progress_text),
        )
    bar.empty()
    return plan


# Planning reads the whole file: do it once per file, job and mapping, not on every rerun.
plan_key = (file_key, job_choice, tuple(sorted(mapping.items(), key=str)))
cached = st.session_state.get("upload_plan")
try:
    if cached is None or cached[0] != plan_key:
        cached = (plan_key, make_plan(job_choice, "Checking the file…"))
        st.session_state["upload_plan"] = cached
except InputError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()
plan: IngestPlan = cached[1]

st.subheader("Validation")
rows_col, valid_col, invalid_col, duplicate_col = st.columns(4)
rows_col.metric("Rows in the file", f"{plan.total_rows:,}")
valid_col.metric("New candidates", f"{len(plan.rows):,}")
invalid_col.metric("Invalid rows", f"{len(plan.invalid):,}")
duplicate_col.metric("Duplicates", f"{len(plan.duplicates):,}")
if plan.rows:
    st.caption("The first rows, as they will be stored:")
    st.dataframe(
        pd.DataFrame(
            {
                "Name": row.name,
                "Email": row.email,
                "GitHub URL": row.github_url,
                "Repository": repository_label(row),
            }
            for row in plan.rows[:10]
        ),
        hide_index=True,
    )
problems_table("Invalid rows", plan.invalid)
problems_table("Duplicates", plan.duplicates)
skipped_download(plan.invalid, plan.duplicates, "skipped_before_import")

quota = current_quota()
needed = requests_needed(len(plan.rows))
if quota is None:
    st.caption(
        ":material/cloud_off: The GitHub API did not answer, so the remaining quota is unknown."
    )
elif needed > quota.remaining:
    st.warning(
        f"This upload needs about {needed:,} GitHub requests, but only {quota.remaining:,} of "
        f"{quota.limit:,} remain until {quota.reset:%H:%M} UTC: about "
        f"{plural(candidates_within(quota), 'candidate')} can be fetched before then. "
        "The rest wait for "
        "the reset or end as GitHub failed; re-run those once the quota is back."
        + (
            " Setting GITHUB_TOKEN raises the limit to 5,000 requests an hour."
            if quota.limit < LIMIT_WITH_TOKEN
            else ""
        ),
        icon=":material/speed:",
    )
else:
    st.caption(
        f":material/speed: Needs about {needed:,} GitHub requests; {quota.remaining:,} of "
        f"{quota.limit:,} are left until {quota.reset:%H:%M} UTC."
    )

new_job_missing = job_choice == NEW_JOB and not new_title.strip()
if new_job_missing:
    st.caption("Give the new job a title to import.")
if not st.button(
    f"Import {plural(len(plan.rows), 'candidate')}",
    type="primary",
    icon=":material/upload:",
    disabled=not plan.rows or new_job_missing,
):
    st.stop()

bar = st.progress(0.0, text="Storing the candidates…")
try:
    result = import_candidates(
        deps.session_factory,
        deps.queue,
        source,
        job=NewJob(new_title, new_description, new_rubric) if job_choice == NEW_JOB else job_choice,
        mapping=mapping,
        progress=lambda fraction, text: _show(bar, fraction, text),
    )
except InputError as exc:
    bar.empty()
    st.error(str(exc), icon=":material/error:")
    st.stop()
job_id, enqueue_report = result.job_id, result.enqueue
st.session_state["upload_result"] = (
    job_id,
    result.ingest.inserted,
    enqueue_report,
    result.ingest.invalid,
    result.ingest.duplicates,
)
st.session_state["uploads"] = st.session_state.get("uploads", 0) + 1  # a fresh, empty uploader
st.session_state.pop("upload_plan", None)
st.query_params["job"] = str(job_id)
st.rerun()
