"""Who may see the app and who is acting: Streamlit's OIDC sign-in when secrets configure it
(``[auth]``), otherwise local mode, where every action is the local user's."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from tats_ui.deps import secrets

LOCAL_ACTOR = "local user"


def auth_configured() -> bool:
    return isinstance(secrets().get("auth"), Mapping)


def signed_out() -> bool:
    """Sign-in is configured and the visitor has not signed in: they may see nothing else."""
    return auth_configured() and not st.user.get("is_logged_in")


def sign_in_panel() -> None:
    st.title("TATS · Applicant triage")
    st.write("Sign in to see jobs and candidates.")
    st.button("Sign in", icon=":material/login:", type="primary", on_click=st.login)


def actor() -> str:
    """Who is acting, for the audit trail: the signed-in user, else the local user."""
    if auth_configured() and st.user.get("is_logged_in"):
        return str(st.user.get("name") or st.user.get("email") or "signed-in user")
    return LOCAL_ACTOR
