"""Jobs: create, edit and archive jobs (the assignment and what good looks like, the criteria
with their weights, whether tests run, the employer's acceptance tests), with the candidates of
each job counted per status."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tats_core import statuses
from tats_core.errors import InputError
from tats_core.store.db import transaction
from tats_core.triage import jobs
from tats_ui.acceptance_view import tests_section
from tats_ui.criteria_view import criteria_section
from tats_ui.deps import get_deps
from tats_ui.navigation import TRIAGE_PAGE, UPLOAD_PAGE
from tats_ui.notices import Notice, show_notice

NEW_JOB_OPEN = "new_job_open"  # the New job section's open state: kept, whatever else moves

deps = get_deps()
st.title("Jobs")
st.caption(
    "A job is one assignment. Its description and 'what good looks like' are what each "
    "repository is judged against."
)

# Each message is shown next to the form that caused it, on the next run only.
notices: dict[str, Notice] = st.session_state.pop("jobs_notices", {})


def notify(where: str, kind: str, message: str) -> None:
    st.session_state.setdefault("jobs_notices", {})[where] = (kind, message)


def show(where: str) -> None:
    show_notice(notices.get(where))


def create() -> None:
    state = st.session_state
    try:
        with transaction(deps.session_factory) as session:
            job = jobs.create_job(
                session, state["new_title"], state["new_description"], state["new_rubric"]
            )
    except InputError as exc:
        notify("new", "error", f"Not created: {exc}.")
        return
    notify("new", "success", f"Created the job '{job.title}'.")
    state["edit_job"] = job.id
    for key in ("new_title", "new_description", "new_rubric"):
        state[key] = ""


def save(job_id: int) -> None:
    state = st.session_state
    try:
        with transaction(deps.session_factory) as session:
            jobs.update_job(
                session,
                job_id,
                title=state[f"title_{job_id}"],
                description=state[f"description_{job_id}"],
                rubric=state[f"rubric_{job_id}"],
            )
            jobs.set_notify_url(
                session,
                job_id,
                state[f"notify_{job_id}"],
                can_sign=bool(deps.settings.webhook_secret),
            )
    except InputError as exc:
        notify("edit", "error", f"Not saved: {exc}.")
    else:
        notify("edit", "success", "Saved.")


def archive(job_id: int, archived: bool) -> None:
    with transaction(deps.session_factory) as session:
        job = jobs.set_archived(session, job_id, archived)
    verb = "Archived" if archived else "Restored"
    notify("edit", "success", f"{verb} the job '{job.title}'.")


show_archived = st.toggle("Show archived jobs", key="show_archived")
with transaction(deps.session_factory) as session:
    summaries = jobs.list_jobs(session, include_archived=show_archived)

# The section keeps its own open state (keyed, with a default fixed for the session): it used to
# fold shut while a second job's title was typed, when the first job's message left the page,
# and a default that changes with the list of jobs would make it a new section each time.
opens_at_first = st.session_state.setdefault("new_job_opens_at_first", not summaries)
with st.expander("New job", expanded=opens_at_first, icon=":material/add:", key=NEW_JOB_OPEN,
                 on_change="rerun"):  # fmt: skip
    st.text_input("Title", key="new_title", placeholder="Backend engineer take-home, spring 2025")
    st.text_area(
        "Assignment",
        key="new_description",
        placeholder="What candidates were asked to build, and in which language or framework.",
    )
    st.text_area(
        "What good looks like",
        key="new_rubric",
        placeholder="E.g. working endpoints with tests, a README with setup steps, "
        "commits over time, no committed dependencies.",
    )
    st.button("Create job", type="primary", icon=":material/add:", on_click=create)
    show("new")

if not summaries:
    st.info("No jobs yet: create one above, then upload its candidates.", icon=":material/work:")
    st.stop()

st.subheader("All jobs" if show_archived else "Open jobs")
# The title links to the job's triage page; failures are one column, so every column shows at
# 1,400 px without a sideways scroll.
titles = {f"triage?job={s.id}": s.title for s in summaries}
table = pd.DataFrame(
    {
        "Job": f"triage?job={s.id}",
        "Candidates": s.total,
        "Done": (s.total - s.active) / s.total * 100 if s.total else 0.0,
        **{statuses.LABELS[status]: s.counts[status] for status in statuses.DECISIONS},
        "Failed": sum(s.counts[status] for status in statuses.FAILURES),
        "Last activity": s.last_activity_at or s.created_at,
        **({"Archived": s.archived} if show_archived else {}),
    }
    for s in summaries
)
st.dataframe(
    table.style.format(titles.__getitem__, subset=["Job"]),
    hide_index=True,
    column_config={
        "Job": st.column_config.LinkColumn(width=340, pinned=True, help="Opens its triage"),
        "Done": st.column_config.ProgressColumn(
            min_value=0, max_value=100, format="%.0f%%", width=120
        ),
        "Last activity": st.column_config.DatetimeColumn(format="distance"),
    },
)

st.subheader("Manage a job")
by_id = {s.id: s for s in summaries}
if st.session_state.get("edit_job") not in by_id:
    st.session_state["edit_job"] = summaries[0].id
job_id = st.selectbox(
    "Job",
    list(by_id),
    format_func=lambda i: by_id[i].title + (" (archived)" if by_id[i].archived else ""),
    key="edit_job",
)
with transaction(deps.session_factory) as session:
    job = jobs.get_job(session, job_id)

links = st.columns(3)
links[0].page_link(
    TRIAGE_PAGE,
    label="Open triage",
    icon=":material/insights:",
    query_params={"job": str(job_id)},
)
links[1].page_link(
    UPLOAD_PAGE,
    label="Upload candidates",
    icon=":material/upload_file:",
    query_params={"job": str(job_id)},
)
with st.container(border=True):
    st.text_input("Title", value=job.title, key=f"title_{job_id}")
    st.text_area("Assignment", value=job.description, key=f"description_{job_id}")
    st.text_area("What good looks like", value=job.rubric, key=f"rubric_{job_id}")
    st.text_input(
        "Notify URL (optional)",
        value=job.notify_url or "",
        key=f"notify_{job_id}",
        placeholder="https://your-ats.example.com/hooks/tats",
        help="Once every candidate is final, TATS sends this URL one signed job.completed "
        "event (X-TATS-Signature: sha256=…, an HMAC of the body under TATS_WEBHOOK_SECRET), "
        "retried by the queue; again when a re-run completes the job again.",
    )
    save_col, archive_col = st.columns([1, 1])
    save_col.button("Save changes", icon=":material/save:", on_click=save, args=(job_id,))
    if job.archived_at is None:
        archive_col.button(
            "Archive job",
            icon=":material/archive:",
            on_click=archive,
            args=(job_id, True),
            help="Hide it from the lists; its candidates and evaluations are kept.",
        )
    else:
        archive_col.button(
            "Restore job", icon=":material/unarchive:", on_click=archive, args=(job_id, False)
        )
    show("edit")
with st.container(border=True):
    criteria_section(deps, job, notify, show)
with st.container(border=True):
    tests_section(deps, job, notify, show)
