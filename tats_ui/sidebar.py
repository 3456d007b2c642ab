"""The sidebar every page shares: who is signed in (or local mode) and the GitHub quota."""

from __future__ import annotations

import streamlit as st

from tats_core.github.quota import LIMIT_WITH_TOKEN, candidates_within
from tats_core.wording import plural
from tats_ui import auth
from tats_ui.quota import current_quota
from tats_ui.timezone import local_time


def render_sidebar() -> None:
    with st.sidebar:
        st.markdown("### TATS\nTechnical applicant triage")
        _who()
        _github_quota()


def _who() -> None:
    if auth.auth_configured():
        st.caption(f"Signed in as **{auth.actor()}**")
        st.button("Sign out", icon=":material/logout:", on_click=st.logout)
    else:
        st.caption(":material/lock_open: Local mode — no sign-in configured")


def _github_quota() -> None:
    github = current_quota()
    if github is None:
        st.caption(":material/cloud_off: GitHub quota unknown (API not reachable)")
        return
    st.caption(
        f":material/speed: GitHub API: {github.remaining:,} of {github.limit:,} requests left "
        f"(about {plural(candidates_within(github), 'candidate')}), resets "
        f"{local_time(github.reset, '%H:%M')}"
    )
    if github.limit < LIMIT_WITH_TOKEN:
        st.caption("Set GITHUB_TOKEN to raise the limit to 5,000 requests an hour.")
