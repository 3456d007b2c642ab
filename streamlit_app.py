"""TATS web app (``streamlit run streamlit_app.py``): sign-in, sidebar, and routing to the
pages in ``pages/`` with ``st.navigation``. Shared Streamlit helpers live in ``tats_ui/``, outside
``pages/``, so Streamlit's old folder-based navigation (used for the very first visit of a fresh
server process that lands on a page URL) lists only real pages, and each page gates access itself.
"""

from __future__ import annotations

import streamlit as st

from tats_ui import shell as ui

ui.configure_page()


if ui.auth_configured() and not st.user.get("is_logged_in"):
    st.navigation([st.Page(ui.sign_in_panel, title="Sign in")], position="hidden").run()
    st.stop()

page = st.navigation(
    [
        # Served at "/" (the default page) and at "/triage" alike: the default page's own
        # url_path is reserved but never served, so a hidden twin answers "/triage".
        st.Page(
            ui.TRIAGE_PAGE,
            title="Triage",
            icon=":material/insights:",
            default=True,
            url_path="triage-home",
        ),
        st.Page(ui.TRIAGE_PAGE, title="Triage", url_path="triage", visibility="hidden"),
        st.Page(ui.UPLOAD_PAGE, title="Upload", icon=":material/upload_file:"),
        st.Page(ui.JOBS_PAGE, title="Jobs", icon=":material/work:"),
        st.Page(ui.QUEUE_PAGE, title="Queue", icon=":material/stacks:", url_path="queue"),
    ]
)

ui.render_sidebar()
page.run()
