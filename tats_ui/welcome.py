"""The first-run panel: what to do on an empty database, and the demo button under
``tats dev --demo``."""

from __future__ import annotations

import streamlit as st

from tats_ui.deps import get_deps
from tats_ui.navigation import JOBS_PAGE, UPLOAD_PAGE
from tats_ui.queueing import queue_down_message


def _load_demo() -> None:
    # The button exists only under `tats dev --demo` (TATS_DEMO=1): the one place the app loads a
    # development tool, lazily, so a production app never imports tats_dev.
    from tats_dev.demo import load_demo

    deps = get_deps()
    result = load_demo(deps.session_factory, deps.queue)
    if result.enqueue.error:
        st.session_state["notice"] = ("warning", queue_down_message(result.enqueue))
    st.query_params["job"] = str(result.job_id)


def first_run() -> None:
    """What to do on an empty database."""
    st.title("Welcome to TATS")
    st.markdown(
        "TATS triages candidates' take-home repositories: upload a CSV of candidates for a job, "
        "and each GitHub repository is checked and judged in the background while you watch."
    )
    st.info("There are no jobs yet. Start here:", icon=":material/flag:")
    col1, col2, col3 = st.columns(3)
    with col1, st.container(border=True):
        st.markdown("**1. Create a job**  \nThe assignment, and what good looks like.")
        st.page_link(JOBS_PAGE, label="Create a job", icon=":material/work:")
    with col2, st.container(border=True):
        st.markdown("**2. Upload a CSV**  \nOne row per candidate with a GitHub URL.")
        st.page_link(UPLOAD_PAGE, label="Upload candidates", icon=":material/upload_file:")
    with col3, st.container(border=True):
        st.markdown("**Or try the demo**  \nA sample job, served offline.")
        if get_deps().settings.demo:
            st.button(
                "Load demo data", icon=":material/play_arrow:", type="primary", on_click=_load_demo
            )
        else:
            st.markdown("Run `tats dev --demo` to start TATS with sample data.")
