"""Streamlit glue shared by the pages: dependencies built once, who is acting, status chips,
the GitHub quota and the first-run panel. The product's logic stays in ``tats_core``.
"""

from __future__ import annotations

import html
import os
import re
import runpy
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st
from pydantic import AliasChoices
from streamlit.runtime.pages_manager import PagesManager

from tats_core import statuses
from tats_core.deps import Deps, build_deps
from tats_core.errors import ConfigurationError, GitHubError
from tats_core.github.quota import LIMIT_WITH_TOKEN, Quota, candidates_within, github_quota
from tats_core.judging.signals import describe_stored
from tats_core.processing.queue import EnqueueReport, enqueue_pending
from tats_core.settings import Settings, load_settings

TRIAGE_PAGE = "pages/triage.py"
UPLOAD_PAGE = "pages/upload.py"
JOBS_PAGE = "pages/jobs.py"
QUEUE_PAGE = "pages/queue_ops.py"  # not queue.py: mypy would take it for the stdlib module
LOCAL_ACTOR = "local user"
APP_SCRIPT = Path(__file__).resolve().parent.parent / "streamlit_app.py"
# Served from the app itself: a page icon named like ":material/...:" is fetched from a font CDN,
# which fails offline.
PAGE_ICON = Path(__file__).resolve().parent / "static" / "icon.png"


def _setting_names() -> set[str]:
    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(a for a in alias.choices if isinstance(a, str))
    return names


def secrets() -> Mapping[str, Any]:
    """Streamlit secrets, or nothing when no secrets.toml exists (local use, tests)."""
    try:
        return dict(st.secrets)
    except FileNotFoundError:
        return {}


def secret_settings() -> dict[str, str]:
    """Top-level secrets named like TATS settings (DATABASE_URL, QSTASH_TOKEN, ...)."""
    allowed = _setting_names()
    return {k: str(v) for k, v in secrets().items() if k in allowed and not isinstance(v, Mapping)}


def _release(deps: Deps) -> None:
    deps.engine.dispose()


@st.cache_resource(show_spinner=False, on_release=_release)
def _build_deps(overrides: tuple[tuple[str, str], ...]) -> Deps:
    return build_deps(load_settings(**dict(overrides)))


def get_deps() -> Deps:
    return _build_deps(tuple(sorted(secret_settings().items())))


def auth_configured() -> bool:
    return isinstance(secrets().get("auth"), Mapping)


def viewer_zone() -> tuple[tzinfo, str]:
    """The viewer's time zone (from the browser) and its name; UTC when the browser says none."""
    name = st.context.timezone
    if name:
        try:
            return ZoneInfo(name), name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC, "UTC"


def local_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time in the viewer's zone, labelled with the zone's name."""
    if moment is None:
        return ""
    zone, name = viewer_zone()
    return f"{moment.astimezone(zone).strftime(fmt)} ({name})"


def sign_in_panel() -> None:
    st.title("TATS · Applicant triage")
    st.write("Sign in to see jobs and candidates.")
    st.button("Sign in", icon=":material/login:", type="primary", on_click=st.login)


def configure_page() -> None:
    st.set_page_config(
        page_title="TATS · Applicant triage",
        page_icon=str(PAGE_ICON),
        layout="wide",
        initial_sidebar_state="expanded",
    )


def render_sidebar() -> None:
    """The app's sidebar: who is signed in (or local mode) and the GitHub quota."""
    with st.sidebar:
        st.markdown("### TATS\nTechnical applicant triage")
        if auth_configured():
            st.caption(f"Signed in as **{actor()}**")
            st.button("Sign out", icon=":material/logout:", on_click=st.logout)
        else:
            st.caption(":material/lock_open: Local mode — no sign-in configured")
        github = quota()
        if github is None:
            st.caption(":material/cloud_off: GitHub quota unknown (API not reachable)")
        else:
            st.caption(
                f":material/speed: GitHub API: {github.remaining:,} of {github.limit:,} requests left "
                f"(about {candidates_within(github):,} candidates), resets {github.reset:%H:%M} UTC"
            )
            if github.limit < LIMIT_WITH_TOKEN:
                st.caption("Set GITHUB_TOKEN to raise the limit to 5,000 requests an hour.")


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


def require_access() -> None:
    """Stop unless the visitor may see the app (checked by ``streamlit_app.py`` and again by
    each page, which Streamlit may run on its own; see ``page_setup``)."""
    if auth_configured() and not st.user.get("is_logged_in"):
        sign_in_panel()
        st.stop()


def actor() -> str:
    """Who is acting, for the audit trail: the signed-in user, else the local user."""
    if auth_configured() and st.user.get("is_logged_in"):
        return str(st.user.get("name") or st.user.get("email") or "signed-in user")
    return LOCAL_ACTOR


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: str | None) -> str:
    """Untrusted text (names, repository text, model output) shown literally in markdown."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text or "")


def signal_lines(stored: Mapping[str, Any]) -> list[str]:
    """The recruiter-facing fact lines for an evaluation's stored signals."""
    return describe_stored(dict(stored))


def chip(status: str, text: str | None = None) -> str:
    """A status label in its colour (the same colours as the chart and the table)."""
    label = html.escape(text if text is not None else statuses.LABELS[status])
    color = statuses.COLORS[status]
    return (
        f'<span style="background:{color}1f;color:{color};border:1px solid {color}66;'
        f"border-radius:999px;padding:0.1rem 0.55rem;font-weight:600;font-size:0.85rem;"
        f'white-space:nowrap">{label}</span>'
    )


@st.cache_data(ttl=60, show_spinner=False)
def _quota(api_url: str, _settings: Settings) -> Quota | None:
    try:
        return github_quota(_settings)
    except (GitHubError, ConfigurationError):
        return None  # shown as "quota unknown"


def quota() -> Quota | None:
    settings = get_deps().settings
    return _quota(settings.github_api_url, settings)


def enqueue(job_id: int) -> EnqueueReport:
    deps = get_deps()
    return enqueue_pending(deps.session_factory, deps.queue, job_id=job_id)


def queue_down_message(report: EnqueueReport) -> str:
    return (
        f"{report.error[:1].upper()}{report.error[1:]}: {report.remaining:,} candidate(s) are "
        "stored as pending and will be queued automatically by reconcile "
        "(`tats reconcile`, which `tats dev` runs every minute)."
        if report.error
        else ""
    )


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
        if os.environ.get("TATS_DEMO") == "1":
            st.button(
                "Load demo data", icon=":material/play_arrow:", type="primary", on_click=_load_demo
            )
        else:
            st.markdown("Run `tats dev --demo` to start TATS with sample data.")
