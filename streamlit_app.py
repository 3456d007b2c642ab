"""TATS web app (``streamlit run streamlit_app.py``): sign-in, sidebar, and routing to the
pages in ``app_pages/`` with ``st.navigation``; shared Streamlit helpers live in ``tats_ui/``.

Every page view runs this script first, so access is checked here, once. The folder is not named
``pages/``: beside the entry script that name turns on Streamlit's legacy folder-based navigation
until ``st.navigation`` has run once in the server process, and a fresh server's first visit to
``/upload`` would then run that page alone, without sign-in or sidebar.
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
