"""TATS web app (``streamlit run streamlit_app.py``): sign-in, sidebar, and routing to the
pages in ``pages/`` with ``st.navigation``. Shared Streamlit helpers live in ``tats_ui/``, outside
``pages/``, so Streamlit's old folder-based navigation (used for the very first visit of a fresh
server process that lands on a page URL) lists only real pages, and each page gates access itself.
"""

from __future__ import annotations

import streamlit as st

from tats_ui import auth
from tats_ui import navigation as nav
from tats_ui.sidebar import render_sidebar

nav.configure_page()


if auth.signed_out():
    st.navigation([st.Page(auth.sign_in_panel, title="Sign in")], position="hidden").run()
    st.stop()

page = st.navigation(
    [
        # Served at "/" (the default page) and at "/triage" alike: the default page's own
        # url_path is reserved but never served, so a hidden twin answers "/triage".
        st.Page(
            nav.TRIAGE_PAGE,
            title="Triage",
            icon=":material/insights:",
            default=True,
            url_path="triage-home",
        ),
        st.Page(nav.TRIAGE_PAGE, title="Triage", url_path="triage", visibility="hidden"),
        st.Page(nav.UPLOAD_PAGE, title="Upload", icon=":material/upload_file:"),
        st.Page(nav.JOBS_PAGE, title="Jobs", icon=":material/work:"),
        st.Page(nav.QUEUE_PAGE, title="Queue", icon=":material/stacks:", url_path="queue"),
    ]
)

render_sidebar()
page.run()
