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
from tats_core.triage.csv_reader import ColumnMap, inspect_layout
from tats_core.triage.csv_sample import greenhouse_sample_csv, lever_sample_csv, sample_csv
from tats_core.triage.export import skipped_rows_csv
from tats_core.triage.ingest import IngestPlan, plan_ingest
from tats_core.triage.replacement import NewCandidate, Replacement, RowProblem, place
from tats_core.wording import plural
from tats_ui.auth import actor
from tats_ui.deps import get_deps
from tats_ui.navigation import TRIAGE_PAGE
from tats_ui.queueing import queue_down_message
from tats_ui.quota import current_quota
from tats_ui.timezone import local_time

NEW_JOB = 0
NONE = "(not in the file)"
SAMPLES = (
    ("TATS columns", "tats-sample-candidates.csv", sample_csv),
    ("Greenhouse export", "tats-sample-greenhouse.csv", greenhouse_sample_csv),
    ("Lever export", "tats-sample-lever.csv", lever_sample_csv),
)
REPLACE = "upload_replace"

deps = get_deps()
st.title("Upload candidates")


def rows_table(title: str, rows: list[RowProblem], why: str, icon: str, after: str = "") -> None:
    """Rows of the file with what happened to each (``why`` heads the reason's column)."""
    if rows:
        with st.expander(f"{title} ({len(rows):,}){after}", icon=icon):
            st.dataframe(
                pd.DataFrame(
                    {"Row": r.row, "Name": r.name, "Value": r.value, why: r.reason} for r in rows
                ),
                hide_index=True,
                column_config={why: st.column_config.TextColumn(width="large")},
            )


def problems_table(title: str, problems: list[RowProblem]) -> None:
    rows_table(title, problems, "Reason", ":material/warning:", after=" — not imported")


def notes_table(notes: list[RowProblem]) -> None:
    """Rows stored with a value left out (a malformed optional email), and why."""
    rows_table("Stored with a note", notes, "Note", ":material/info:")


def replacements_table(replacements: list[Replacement], *, applied: bool = False) -> None:
    """Rows that change candidates already in the job, and whether to apply them."""
    if not replacements:
        return
    title = "Changed candidates" if applied else "Changes to candidates already in this job"
    with st.expander(f"{title} ({len(replacements):,})", icon=":material/sync_alt:"):
        st.dataframe(
            pd.DataFrame(
                {
                    "Row": r.row,
                    "Candidate": f"{r.name} ({r.candidate_id})",
                    "Change": r.describe(),
                }
                for r in replacements
            ),
            hide_index=True,
            column_config={"Change": st.column_config.TextColumn(width="large")},
        )
        if not applied:
            st.checkbox(
                f"Apply {plural(len(replacements), 'change')}: each starts a new attempt on the "
                "new repository URL (a removed candidate comes back); their history is kept",
                value=True,
                key=REPLACE,
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
    job_id, report, enqueue_report = result
    skipped_invalid, skipped_duplicates = report.invalid, report.duplicates
    changed = f"; changed {plural(len(report.replaced), 'candidate')}" if report.replaced else ""
    stored = f"Stored {plural(report.inserted, 'candidate')}{changed}."
    st.success(stored, icon=":material/check_circle:")
    if enqueue_report.error:
        st.warning(queue_down_message(enqueue_report), icon=":material/schedule:")
    elif report.inserted or report.replaced:
        st.success(f"Queued {enqueue_report.enqueued:,} for processing.")
    # What the import left out stays visible (and downloadable) after it.
    problems_table("Invalid rows", skipped_invalid)
    problems_table("Duplicates", skipped_duplicates)
    notes_table(report.notes)
    replacements_table(report.replaced, applied=True)
    skipped_download(skipped_invalid, skipped_duplicates, "skipped_after_import")
    st.page_link(
        TRIAGE_PAGE,
        label="Open the triage page",
        icon=":material/insights:",
        query_params={"job": job_id},
    )
    st.divider()

with transaction(deps.session_factory) as session:
    open_jobs = jobs.job_choices(session, include_archived=False)  # no counts: a picker
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
    "One row per candidate, with a header row. A **GitHub repository URL** column "
    "(`github_url`, `github`, `repo`, `repository`, ...) or, in an applicant tracking system's "
    "export, the candidates' links (Greenhouse's `Website`, `Social Media` and `Links`, Lever's "
    "`Links`: the repository is found among them); `name` (or `First Name` and `Last Name`) and "
    "`email` are optional."
)
with st.container(horizontal=True):
    for label, file_name, build in SAMPLES:
        st.download_button(
            f"Sample: {label}",
            build(),
            file_name=file_name,
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
st.caption(
    "Detected from the header row; correct them if a column was missed or mistaken. Several "
    "link columns are searched in order for the repository; several name columns are joined."
)
url_col, name_col, email_col = st.columns([2, 2, 1])
headers = list(dict.fromkeys(layout.headers))  # a repeated name is read from its first column
mapping: ColumnMap = {
    "github_url": url_col.multiselect(
        "GitHub repository URL, or the links to search (required)",
        headers,
        default=[c for c in layout.mapping["github_url"] if c in headers],
        key=f"map_github_url_{file_key}",
    ),
    "name": name_col.multiselect(
        "Name",
        headers,
        default=[c for c in layout.mapping["name"] if c in headers],
        key=f"map_name_{file_key}",
    ),
}
email_choices = [NONE, *headers]
detected_email = (layout.mapping["email"] or [NONE])[0]
picked_email = email_col.selectbox(
    "Email",
    email_choices,
    index=email_choices.index(detected_email) if detected_email in email_choices else 0,
    key=f"map_email_{file_key}",
)
mapping["email"] = [] if picked_email == NONE else [picked_email]
if not mapping["github_url"]:
    st.error(
        "Choose the column that holds the candidates' GitHub repository URLs (or the columns "
        "of links to search for them)."
    )
    st.stop()


def repository_label(row: NewCandidate) -> str:
    """owner/repo, with the branch and folder a /tree/... URL names (judged there, not at the
    repository's root)."""
    return place(row.repo_full_name, row.repo_ref, row.repo_path)


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
plan_key = (file_key, job_choice, tuple((f, tuple(c)) for f, c in sorted(mapping.items())))
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
notes_table(plan.notes)
replacements_table(plan.replacements)
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
        f"{quota.limit:,} remain until {local_time(quota.reset, '%H:%M')}: about "
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
        f"{quota.limit:,} are left until {local_time(quota.reset, '%H:%M')}."
    )

new_job_missing = job_choice == NEW_JOB and not new_title.strip()
if new_job_missing:
    st.caption("Give the new job a title to import.")
replace = bool(plan.replacements) and bool(st.session_state.get(REPLACE, True))
label = f"Import {plural(len(plan.rows), 'candidate')}"
if replace:
    changes = plural(len(plan.replacements), "candidate")
    label = f"{label} and change {len(plan.replacements):,}" if plan.rows else f"Change {changes}"
if not st.button(
    label,
    type="primary",
    icon=":material/upload:",
    disabled=not (plan.rows or replace) or new_job_missing,
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
        replace=replace,
        actor=actor(),
    )
except InputError as exc:
    bar.empty()
    st.error(str(exc), icon=":material/error:")
    st.stop()
job_id, enqueue_report = result.job_id, result.enqueue
st.session_state["upload_result"] = (job_id, result.ingest, enqueue_report)
st.session_state["uploads"] = st.session_state.get("uploads", 0) + 1  # a fresh, empty uploader
st.session_state.pop("upload_plan", None)
st.query_params["job"] = str(job_id)
st.rerun()
