"""The app's pages: where each page's script lives (for ``st.page_link`` and the navigation in
``streamlit_app.py``) and what the browser tab shows."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

TRIAGE_PAGE = "app_pages/triage.py"
UPLOAD_PAGE = "app_pages/upload.py"
JOBS_PAGE = "app_pages/jobs.py"
QUEUE_PAGE = "app_pages/queue_ops.py"  # not queue.py: mypy would take it for the stdlib module
# Served from the app itself: a page icon named like ":material/...:" is fetched from a font CDN,
# which fails offline.
PAGE_ICON = Path(__file__).resolve().parent / "static" / "icon.png"
# The sidebar's width in pixels: Streamlit's 300 px left an 800 px window 500 px for the page.
# Given as a number, the sidebar also folds away by itself on narrow screens ("auto").
SIDEBAR_WIDTH = 224


def configure_page() -> None:
    st.set_page_config(
        page_title="TATS · Applicant triage",
        page_icon=str(PAGE_ICON),
        layout="wide",
        initial_sidebar_state=SIDEBAR_WIDTH,
    )
