"""The app's pages: where each page's script lives (for ``st.page_link`` and the navigation in
``streamlit_app.py``) and what the browser tab shows."""

from __future__ import annotations

import runpy
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from tats_ui.auth import require_access

TRIAGE_PAGE = "pages/triage.py"
UPLOAD_PAGE = "pages/upload.py"
JOBS_PAGE = "pages/jobs.py"
QUEUE_PAGE = "pages/queue_ops.py"  # not queue.py: mypy would take it for the stdlib module
# Served from the app itself: a page icon named like ":material/...:" is fetched from a font CDN,
# which fails offline.
PAGE_ICON = Path(__file__).resolve().parent / "static" / "icon.png"
APP_SCRIPT = Path(__file__).resolve().parent.parent / "streamlit_app.py"


def configure_page() -> None:
    st.set_page_config(
        page_title="TATS · Applicant triage",
        page_icon=str(PAGE_ICON),
        layout="wide",
        initial_sidebar_state="expanded",
    )


def page_setup() -> None:
    """First line of every page. Streamlit runs a ``pages/`` script on its own (folder-based
    navigation) until ``st.navigation`` has run once in the server process, e.g. on a fresh
    server's first visit straight to ``/upload``: run ``streamlit_app.py`` in its place, which
    gates access, draws the shell and routes back to this page, then end this run."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False  # what st.navigation itself sets
        runpy.run_path(str(APP_SCRIPT), run_name="__main__")
        st.stop()
    require_access()
