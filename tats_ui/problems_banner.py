"""The banner that says judging is paused on a misconfigured dependency (a rejected key or
token): the same problems ``/healthz`` reports, from ``tats_core.processing.problems``."""

from __future__ import annotations

import streamlit as st

from tats_core.deps import Deps
from tats_core.processing import problems
from tats_core.store.db import transaction
from tats_core.wording import plural
from tats_ui.timezone import local_time


def problems_banner(deps: Deps) -> None:
    """Nothing when all is well; otherwise one error box naming each problem and what to fix."""
    with transaction(deps.session_factory) as session:
        found = problems.active(session)
        waiting = problems.waiting_candidates(session) if found else 0
    if not found:
        return
    lines = [f"- **{p.headline}** (since {local_time(p.since)})" for p in found]
    st.error(
        "**Judging is paused: an operator must fix a setting.**\n\n"
        + "\n".join(lines)
        + f"\n\n{plural(waiting, 'candidate')} waiting, none lost: they are judged as soon as "
        "the service accepts TATS's settings again (checked every minute).",
        icon=":material/key_off:",
    )
