"""The Jobs page's test settings for one job: whether submissions' tests run, and the employer's
acceptance tests (a zip of files, stored as a new version each time, read safely)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from tats_core.deps import Deps
from tats_core.errors import InputError
from tats_core.store.db import transaction
from tats_core.store.models import Job
from tats_core.testrun.archive import read_archive_files
from tats_core.triage import acceptance, jobs
from tats_core.wording import plural
from tats_ui.auth import actor
from tats_ui.timezone import local_time

Notify = Callable[[str, str, str], None]


def tests_section(deps: Deps, job: Job, notify: Notify, show: Callable[[str], None]) -> None:
    """The switch, the upload and the versions kept, with their messages beside them."""
    st.markdown("#### Tests")
    if deps.settings.run_tests != "off":
        st.toggle(
            "Run each submission's tests in the sandbox",
            value=job.run_tests,
            key=f"run_tests_{job.id}",
            on_change=_switch,
            args=(deps, job.id, notify),
            help="Its own tests, and the acceptance tests below when the job has some.",
        )
    else:
        st.caption("Tests are turned off on this deployment (TATS_RUN_TESTS=off).")
    st.file_uploader(
        "Acceptance tests (a zip of the files, paths as they should land in a submission)",
        type=["zip"],
        key=f"acceptance_{job.id}",
        on_change=_upload,
        args=(deps, job.id, notify),
        help="Placed over each submission at the same paths (replacing a candidate's file of the "
        "same path) and run with its test runner, before any of the candidate's code. Zip the "
        "files themselves, e.g. tests/test_api.py, not a folder around them.",
    )
    show("tests")
    with transaction(deps.session_factory) as session:
        kept = acceptance.versions(session, job.id)
        newest = acceptance.latest(session, job.id) if kept else None
    if not kept or newest is None:
        st.caption("No acceptance tests: each submission's own tests are run.")
        return
    st.markdown(
        f"Version {newest.version} runs: "
        + ", ".join(f"`{p.replace('`', '')}`" for p in newest.paths[:8])  # code: no escaping
        + (f" and {plural(len(newest.paths) - 8, 'more file')}" if len(newest.paths) > 8 else "")
    )
    st.dataframe(
        pd.DataFrame(
            {
                "Version": v.version,
                "Files": v.file_count,
                "Size": f"{v.total_bytes / 1024:.1f} KB",
                "Added by": v.created_by,
                "Added": local_time(v.created_at),
            }
            for v in kept
        ),
        hide_index=True,
    )


def _switch(deps: Deps, job_id: int, notify: Notify) -> None:
    wanted = bool(st.session_state[f"run_tests_{job_id}"])
    with transaction(deps.session_factory) as session:
        jobs.set_run_tests(session, job_id, wanted)
    said = "run" if wanted else "no longer run"
    notify("tests", "success", f"Submissions' tests will {said} from the next evaluation on.")


def _upload(deps: Deps, job_id: int, notify: Notify) -> None:
    uploaded = st.session_state.get(f"acceptance_{job_id}")
    if uploaded is None:
        return
    try:
        files = read_archive_files(uploaded.getvalue())
        with transaction(deps.session_factory) as session:
            stored = acceptance.attach(session, job_id, files, actor=actor())
    except InputError as exc:  # an unsafe or empty archive, or over the limits
        notify("tests", "error", f"Not stored: {exc}.")
        return
    notify(
        "tests",
        "success",
        f"Stored version {stored.version}: {plural(len(stored.files), 'file')}. "
        "Candidates judged from now on run them; re-run the others to apply them.",
    )
